/* The catalog of the configs' files; see catalog.h. */
#include "fidkit/catalog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fidkit/weights.h"

static void stem_of(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    char *d = strstr(out, ".yaml");
    if (d)
        *d = 0;
}

/* Where the file is, without fetching: 1 when found. */
static int locate(const fk_config *cfg, const char *file, char *out, size_t n)
{
    fk_config probe = *cfg;
    probe.weights_sha256[0] = probe.weights_source[0] = 0;
    probe.n_side = 0;           /* no side file either: nothing is fetched */
    probe.random_weights = 1;
    return fk_config_file_path(&probe, file, out, n, NULL) == FK_OK;
}

static void settle(fk_catalog_entry *en)
{
    struct stat sb;
    if (!locate(en->cfg, en->file.file, en->path, sizeof en->path))
        en->path[0] = 0;
    en->bytes = en->path[0] && !stat(en->path, &sb) ? (int64_t)sb.st_size : en->file.size;
}

static fk_status add_config(fk_catalog *c, const char *path)
{
    fk_config *cfg = &c->cfgs[c->n_cfg];
    fk_error ce = {0};
    if (fk_config_load(path, cfg, &ce)) {
        if (c->n_skipped < 4)
            snprintf(c->skipped[c->n_skipped], sizeof c->skipped[0], "%s", ce.msg);
        c->n_skipped++;
        return FK_OK;
    }
    c->n_cfg++;
    char stem[256];
    stem_of(path, stem, sizeof stem);
    if (!cfg->random_weights) {
        fk_catalog_entry *en = &c->v[c->n++];
        snprintf(en->config, sizeof en->config, "%s", stem);
        en->cfg = cfg;
        en->is_weights = 1;
        snprintf(en->file.file, sizeof en->file.file, "%s", cfg->weights_file);
        snprintf(en->file.sha256, sizeof en->file.sha256, "%s", cfg->weights_sha256);
        snprintf(en->file.source, sizeof en->file.source, "%s", cfg->weights_source);
        en->file.size = cfg->weights_size;
        settle(en);
    }
    for (int s = 0; s < cfg->n_side; s++) {
        fk_catalog_entry *en = &c->v[c->n++];
        snprintf(en->config, sizeof en->config, "%s", stem);
        en->cfg = cfg;
        en->file = cfg->side[s];
        settle(en);
    }
    return FK_OK;
}

fk_status fk_catalog_open(const char *const *configs, int n, fk_catalog *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    char **all = NULL;
    int n_all = 0;
    if (n == 0) {
        fk_status st = fk_config_list(&all, &n_all, e);
        if (st)
            return st;
        configs = (const char *const *)all;
        n = n_all;
    }
    out->cfgs = calloc((size_t)(n ? n : 1), sizeof *out->cfgs);
    out->v = calloc((size_t)(n ? n : 1) * (1 + FK_CONFIG_MAX_SIDE), sizeof *out->v);
    fk_status st = out->cfgs && out->v ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n && !st; i++)
        st = add_config(out, configs[i]);
    if (all)
        fk_config_list_free(all, n_all);
    if (st)
        fk_catalog_free(out);
    return st;
}

void fk_catalog_free(fk_catalog *c)
{
    free(c->cfgs);
    free(c->v);
    memset(c, 0, sizeof *c);
}

int fk_catalog_select(const fk_catalog *c, const char *name, int *pick, int cap)
{
    char path[4096], stem[sizeof path];
    int k = 0;
    if (fk_config_find(name, path, sizeof path, NULL) == FK_OK) {
        stem_of(path, stem, sizeof stem);
        for (int i = 0; i < c->n && k < cap; i++)
            if (!strcmp(c->v[i].cfg->path, path) ||
                (!strchr(name, '/') && !strcmp(c->v[i].config, stem)))
                pick[k++] = i;
        return k;
    }
    for (int i = 0; i < c->n && k < cap; i++)
        if (!strcmp(c->v[i].file.file, name))
            pick[k++] = i;
    return k;
}

fk_status fk_catalog_fetch(fk_catalog *c, int i, const fk_fetch_options *o, int *fetched,
                           fk_error *e)
{
    fk_catalog_entry *en = &c->v[i];
    fk_status st = fk_fetch_config_file(en->cfg, en->file.file, o, en->path, sizeof en->path,
                                        fetched, e);
    if (!st)
        settle(en);
    return st;
}

fk_status fk_catalog_hash(const fk_catalog *c, int i, char *got, fk_error *e)
{
    const fk_catalog_entry *en = &c->v[i];
    if (!en->path[0])
        return fk_fail(e, FK_ERR_IO, "%s (%s) is missing", en->file.file, en->config);
    return fk_sha256_file(en->path, got, e);
}

char *fk_catalog_json(const fk_catalog *c, int pretty)
{
    char sp[8192], cache[2048];
    fk_weights_search_path(NULL, sp, sizeof sp);
    fk_error ce = {0};
    if (fk_weights_cache_dir(cache, sizeof cache, &ce))
        snprintf(cache, sizeof cache, "none (%s)", ce.msg);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "search_path", sp);
    cJSON_AddStringToObject(root, "cache", cache);
    cJSON *arr = cJSON_AddArrayToObject(root, "files");
    for (int i = 0; i < c->n; i++) {
        const fk_catalog_entry *en = &c->v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "config", en->config);
        cJSON_AddStringToObject(o, "config_path", en->cfg->path);
        cJSON_AddStringToObject(o, "file", en->file.file);
        cJSON_AddStringToObject(o, "kind", en->is_weights ? "weights" : "side");
        if (en->bytes > 0)
            cJSON_AddNumberToObject(o, "size", (double)en->bytes);
        else
            cJSON_AddNullToObject(o, "size");
        cJSON_AddStringToObject(o, "sha256", en->file.sha256);
        cJSON_AddStringToObject(o, "source", en->file.source);
        if (en->path[0])
            cJSON_AddStringToObject(o, "path", en->path);
        else
            cJSON_AddNullToObject(o, "path");
    }
    char *t = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return t;
}
