/* Reference statistics: the published formats and the local registry
 * (refs.h). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "fidkit/fileio.h"
#include "fidkit/npz.h"
#include "fidkit/refs.h"
#include "formats/pickle.h"

/* ---- reading the formats ---------------------------------------------- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* clean-fid's file names: NAME_MODE_SPLIT_RES.npz. */
static void cleanfid_hint(const char *path, fk_ref_info *info)
{
    static const struct { const char *mode, *config; } modes[] = {
        {"_legacy_tensorflow_", "inception_v3_fid_tf"},
        {"_legacy_pytorch_", "inception_v3_fid"},
        {"_clean_", "inception_v3_fid_clean"}};
    const char *b = base_name(path);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *m = strstr(b, modes[i].mode);
        if (m && m != b) {
            snprintf(info->format, sizeof info->format, "clean-fid");
            const char *rest = m + strlen(modes[i].mode), *dot = strrchr(rest, '.');
            snprintf(info->hint, sizeof info->hint,
                     "clean-fid mode %.*s, split and resolution '%.*s': the Inception of config %s",
                     (int)strlen(modes[i].mode) - 2, modes[i].mode + 1,
                     (int)(dot ? (size_t)(dot - rest) : strlen(rest)) % 64, rest, modes[i].config);
            if (strstr(b, "clip"))
                snprintf(info->hint, sizeof info->hint,
                         "clean-fid CLIP statistics (mode %.*s): a CLIP config",
                         (int)strlen(modes[i].mode) - 2, modes[i].mode + 1);
            return;
        }
    }
}

static fk_status nd_to_f64(const char *path, const char *name, const pk_obj *a, int ndim,
                           int64_t d, double **out, fk_error *e)
{
    if (!a || a->kind != PK_NDARRAY)
        return fk_fail(e, FK_ERR_FORMAT, "%s: '%s' is %s, not a numpy array", path, name,
                       a ? pk_kind_name(a->kind) : "missing");
    if (a->ndim != ndim || a->size[0] != d || (ndim == 2 && a->size[1] != d) || d < 1 ||
        d > 1 << 16)
        return fk_fail(e, FK_ERR_FORMAT, "%s: '%s' has the wrong shape (%s expected)", path,
                       name, ndim == 1 ? "(d,)" : "(d, d) matching mu");
    if (a->dtype != FK_F64 && a->dtype != FK_F32)
        return fk_fail(e, FK_ERR_FORMAT, "%s: '%s' is not float32 or float64", path, name);
    size_t count = ndim == 1 ? (size_t)d : (size_t)d * (size_t)d;
    double *v = malloc(count * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        if (a->dtype == FK_F64) {
            memcpy(&v[i], a->s + 8 * i, 8);
        } else {
            float f;
            memcpy(&f, a->s + 4 * i, 4);
            v[i] = f;
        }
        if (!isfinite(v[i])) {
            free(v);
            return fk_fail(e, FK_ERR_NUMERIC, "%s: '%s' has a non-finite value", path, name);
        }
    }
    *out = v;
    return FK_OK;
}

static fk_status read_pickle(const char *path, const char *key, fk_stats *s, fk_ref_info *info,
                             fk_error *e)
{
    char *buf;
    size_t len;
    fk_status st = fk_read_file(path, (size_t)1 << 32, &buf, &len, e);
    if (st)
        return st;
    pk_ctx *c = pk_new(path);
    pk_obj *top = NULL;
    size_t used;
    if (!c)
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
    else
        st = pk_load(c, (const uint8_t *)buf, len, 0, "the pickle", &used, &top, e);
    const pk_obj *ent = NULL;
    if (!st && top->kind != PK_DICT)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: the pickle holds a %s, not a dict of mu and sigma",
                     path, pk_kind_name(top->kind));
    if (!st && pk_dict_get(top, "mu")) {
        ent = top;
        if (key)
            st = fk_fail(e, FK_ERR_ARG, "%s holds one mu and sigma: no key '%s' to pick", path,
                         key);
    } else if (!st) {
        char keys[400] = "";
        int n_dicts = 0;
        const pk_obj *only = NULL, *only_key = NULL;
        for (size_t i = 0; i + 1 < top->n; i += 2)
            if (top->items[i]->kind == PK_STR && top->items[i + 1]->kind == PK_DICT &&
                pk_dict_get(top->items[i + 1], "mu")) {
                n_dicts++;
                only = top->items[i + 1];
                only_key = top->items[i];
                size_t l = strlen(keys);
                snprintf(keys + l, sizeof keys - l, "%s'%.60s'", l ? ", " : "", top->items[i]->s);
            }
        const char *want = key ? key : "fid";
        ent = pk_dict_get(top, want);
        if (ent && ent->kind == PK_DICT) {
            snprintf(info->key, sizeof info->key, "%s", want);
        } else if (!key && n_dicts == 1) {
            ent = only;
            snprintf(info->key, sizeof info->key, "%s", only_key->s);
        } else {
            ent = NULL;
            st = fk_fail(e, FK_ERR_ARG, n_dicts ? "%s: no entry '%s' with mu and sigma (it holds %s; "
                         "pick one with --key)" : "%s: no mu and sigma in the pickle%s%s",
                         path, n_dicts ? want : "", keys);
        }
    }
    if (!st) {
        const pk_obj *mu = pk_dict_get(ent, "mu"), *sg = pk_dict_get(ent, "sigma");
        int64_t d = mu && mu->kind == PK_NDARRAY && mu->ndim == 1 ? mu->size[0] : 0;
        if (!(st = nd_to_f64(path, "mu", mu, 1, d, &s->mu, e)))
            st = nd_to_f64(path, "sigma", sg, 2, d, &s->sigma, e);
        s->d = (int)d;
        snprintf(info->format, sizeof info->format, "pickle");
        if (!strcmp(info->key, "fid"))
            snprintf(info->hint, sizeof info->hint, "EDM2's 'fid' entry: the FID Inception "
                     "(config inception_v3_fid_tf)");
        else if (!strcmp(info->key, "fd_dinov2"))
            snprintf(info->hint, sizeof info->hint, "EDM2's 'fd_dinov2' entry: DINOv2 ViT-L/14");
    }
    pk_free(c);
    free(buf);
    snprintf(s->source, sizeof s->source, "%s", path);
    return st;
}

fk_status fk_ref_read(const char *path, const char *key, fk_stats *out, fk_ref_info *info,
                      fk_error *e)
{
    fk_ref_info scratch;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    memset(out, 0, sizeof *out);
    snprintf(info->source, sizeof info->source, "%s", path);
    fk_status st;
    if (ends_with(path, ".pkl") || ends_with(path, ".pickle")) {
        st = read_pickle(path, key, out, info, e);
    } else {
        if (key)
            return fk_fail(e, FK_ERR_ARG, "%s: --key picks an entry of a pickle, not of an .npz",
                           path);
        st = fk_stats_read(path, out, e);
        if (!st) {
            snprintf(info->format, sizeof info->format, "pytorch-fid");
            if (out->has_tag)
                snprintf(info->format, sizeof info->format, "fidkit");
            else if (fk_npz_has(path, "mu_s") && fk_npz_has(path, "sigma_s"))
                snprintf(info->format, sizeof info->format, "ADM reference batch"),
                    snprintf(info->hint, sizeof info->hint, "the ADM evaluator's network "
                             "(config inception_v3_fid_tf)");
            else
                cleanfid_hint(path, info);
        }
    }
    if (st) {
        fk_stats_free(out);
        return st;
    }
    info->d = out->d;
    info->n = out->n;
    if (out->has_tag)
        fk_tag_str(&out->tag, 0, info->tag, sizeof info->tag);
    return FK_OK;
}

/* ---- the registry ----------------------------------------------------- */

fk_status fk_refs_dir(char *buf, size_t n, fk_error *e)
{
    if (!fk_user_dir("FIDKIT_REFS_DIR", "XDG_DATA_HOME", ".local/share", "fidkit/refs", buf, n))
        return fk_fail(e, FK_ERR_IO, "no registry folder: set FIDKIT_REFS_DIR (or HOME), or it "
                       "is too long");
    return FK_OK;
}

static fk_status check_name(const char *name, fk_error *e)
{
    size_t l = strlen(name);
    if (!l || l > 100 || name[0] == '.' || name[0] == '-' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != l)
        return fk_fail(e, FK_ERR_ARG, "'%s' is not a reference name (letters, digits, '.', '_', "
                       "'-'; up to 100; not starting with '.' or '-')", name);
    return FK_OK;
}

fk_status fk_refs_path(const char *name, char *buf, size_t n, fk_error *e)
{
    char dir[1024];
    fk_status st = check_name(name, e);
    if (!st)
        st = fk_refs_dir(dir, sizeof dir, e);
    if (st)
        return st;
    snprintf(buf, n, "%s/%s.npz", dir, name);
    if (access(buf, R_OK))
        return fk_fail(e, FK_ERR_ARG, "no reference '%s' in %s (`fidkit refs ls` lists them, "
                       "`fidkit refs add %s FILE` adds it)", name, dir, name);
    return FK_OK;
}

fk_status fk_refs_add(const char *name, const char *file, const char *key, const fk_tag *assume,
                      const char *config, int replace, fk_ref_info *info, fk_error *e)
{
    fk_ref_info scratch;
    if (!info)
        info = &scratch;
    char dir[1024], path[1200];
    fk_status st = check_name(name, e);
    if (!st)
        st = fk_refs_dir(dir, sizeof dir, e);
    if (st)
        return st;
    snprintf(path, sizeof path, "%s/%s.npz", dir, name);
    if (!replace && !access(path, F_OK))
        return fk_fail(e, FK_ERR_ARG, "a reference '%s' exists (%s): remove it first (`fidkit "
                       "refs rm %s`) or add with --replace", name, path, name);
    fk_stats s;
    if ((st = fk_ref_read(file, key, &s, info, e)))
        return st;
    char ts[FK_TAG_STR_MAX];
    if (s.has_tag && assume && fk_tag_check(&s.tag, assume, e)) {
        fk_fail_prefix(e, "%s carries its own tag (%s), and --assume-backbone says otherwise",
                       file, fk_tag_str(&s.tag, 0, ts, sizeof ts));
        fk_stats_free(&s);
        return FK_ERR_TAG;
    }
    if (!s.has_tag && !assume) {
        st = fk_fail(e, FK_ERR_TAG, "%s (%s statistics) carries no tag: say which backbone "
                     "measured it with --assume-backbone CONFIG or TAG%s%s%s", file, info->format,
                     info->hint[0] ? " (its format suggests " : "", info->hint,
                     info->hint[0] ? ")" : "");
        fk_stats_free(&s);
        return st;
    }
    info->assumed = !s.has_tag;
    if (!s.has_tag) {
        s.has_tag = 1;
        s.tag = *assume;
    }
    fk_tag_str(&s.tag, 0, info->tag, sizeof info->tag);
    info->added = (int64_t)time(NULL);
    snprintf(info->name, sizeof info->name, "%s", name);
    snprintf(info->path, sizeof info->path, "%s", path);
    char abs[4096];
    cJSON *j = cJSON_CreateObject();
    cJSON *r = cJSON_AddObjectToObject(j, "reference");
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddStringToObject(r, "source", realpath(file, abs) ? abs : file);
    cJSON_AddStringToObject(r, "format", info->format);
    if (info->key[0])
        cJSON_AddStringToObject(r, "key", info->key);
    cJSON_AddStringToObject(r, "hint", info->hint);
    cJSON_AddBoolToObject(r, "tag_assumed", info->assumed);
    if (config && *config)
        cJSON_AddStringToObject(r, "config", config);
    else if (s.meta_json) { /* a fidkit file: the config its provenance names */
        cJSON *m = cJSON_Parse(s.meta_json);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "config");
        if (cJSON_IsString(c)) /* as the user wrote it then: absolute, if it still is there */
            cJSON_AddStringToObject(r, "config", realpath(c->valuestring, abs) ? abs
                                                                               : c->valuestring);
        cJSON_Delete(m);
    }
    cJSON_AddNumberToObject(r, "added", (double)info->added);
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(r, "config");
    if (cJSON_IsString(cf))
        snprintf(info->config, sizeof info->config, "%s", cf->valuestring);
    char *extra = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    free(s.meta_json);
    s.meta_json = NULL; /* the registry's metadata is written afresh */
    st = fk_mkdir_p(dir, 0777, e);
    if (!st)
        st = fk_stats_write(path, &s, extra, e);
    free(extra);
    fk_stats_free(&s);
    if (st)
        return st;
    /* Read back with the stats reader's checks (sigma symmetric, ...). */
    fk_stats back;
    if ((st = fk_stats_read(path, &back, e))) {
        unlink(path);
        return fk_fail_prefix(e, "%s: not added", file);
    }
    fk_stats_free(&back);
    return FK_OK;
}

static void info_of(const char *path, const char *name, const fk_stats *s, fk_ref_info *x)
{
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->path, sizeof x->path, "%s", path);
    x->d = s->d;
    x->n = s->n;
    if (s->has_tag)
        fk_tag_str(&s->tag, 0, x->tag, sizeof x->tag);
    cJSON *j = s->meta_json ? cJSON_Parse(s->meta_json) : NULL;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "reference");
    const cJSON *v;
#define STR(field, k)                                                                  \
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(r, k)))                  \
        snprintf(x->field, sizeof x->field, "%s", v->valuestring);
    STR(source, "source")
    STR(format, "format")
    STR(key, "key")
    STR(hint, "hint")
    STR(config, "config")
#undef STR
    x->assumed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "tag_assumed"));
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(r, "added")))
        x->added = (int64_t)v->valuedouble;
    cJSON_Delete(j);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const fk_ref_info *)a)->name, ((const fk_ref_info *)b)->name);
}

fk_status fk_refs_list(fk_ref_info **v, int *n, fk_error *e)
{
    *v = NULL;
    *n = 0;
    char dir[1024], path[1200], name[128];
    fk_status st = fk_refs_dir(dir, sizeof dir, e);
    if (st)
        return st;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? FK_OK
                               : fk_fail(e, FK_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *de;
    int cap = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || l > 104 || de->d_name[0] == '.' || !ends_with(de->d_name, ".npz"))
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(l - 4), de->d_name);
        int w = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (w < 0 || (size_t)w >= sizeof path)
            continue;   /* cannot be one of ours: names are at most 100 bytes */
        fk_stats s;
        fk_error ig;
        if (fk_stats_read(path, &s, &ig))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            fk_ref_info *w = realloc(*v, (size_t)cap * sizeof *w);
            if (!w) {
                fk_stats_free(&s);
                st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
                break;
            }
            *v = w;
        }
        info_of(path, name, &s, &(*v)[(*n)++]);
        fk_stats_free(&s);
    }
    closedir(d);
    if (st) {
        free(*v);
        *v = NULL;
        *n = 0;
        return st;
    }
    if (*n > 1)
        qsort(*v, (size_t)*n, sizeof **v, by_name);
    return FK_OK;
}

fk_status fk_refs_lookup(const char *name, fk_ref_info *info, fk_error *e)
{
    char path[1200];
    fk_status st = fk_refs_path(name, path, sizeof path, e);
    fk_stats s;
    if (!st)
        st = fk_stats_read(path, &s, e);
    if (st)
        return st;
    info_of(path, name, &s, info);
    fk_stats_free(&s);
    return FK_OK;
}

fk_status fk_refs_remove(const char *name, fk_error *e)
{
    char path[1200];
    fk_status st = fk_refs_path(name, path, sizeof path, e);
    if (st)
        return st;
    if (unlink(path))
        return fk_fail(e, FK_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return FK_OK;
}
