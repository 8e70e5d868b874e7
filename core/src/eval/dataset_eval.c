/* One dataset through a backbone: the stats or the rows, with the
 * provenance their files record. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/eval.h"
#include "fidkit/registry.h"
#include "fidkit/resize.h"
#include "fidkit/shard.h"

char *fk_provenance_json(const fk_config *c, const char *dataset, int64_t skipped)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "dataset", dataset);
    cJSON_AddStringToObject(j, "config", c->path);
    cJSON *p = cJSON_AddObjectToObject(j, "preprocessing");
    cJSON_AddNumberToObject(p, "size", c->input.size);
    cJSON_AddStringToObject(p, "resize", fk_resize_name(c->input.resize));
    cJSON_AddStringToObject(p, "crop", c->input.center_crop ? "center" : "none");
    cJSON_AddNumberToObject(p, "scale", c->input.scale);
    cJSON_AddItemToObject(p, "mean", cJSON_CreateFloatArray(c->input.mean, 3));
    cJSON_AddItemToObject(p, "std", cJSON_CreateFloatArray(c->input.std, 3));
    cJSON_AddNumberToObject(j, "skipped_images", (double)skipped);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

/* prov (freed) with "skipped_files": the JSON array list, [] when NULL. */
static char *with_skipped(char *prov, const char *list)
{
    cJSON *j = prov ? cJSON_Parse(prov) : NULL;
    free(prov);
    if (!j)
        return NULL;
    cJSON *a = list ? cJSON_Parse(list) : NULL;
    cJSON_AddItemToObject(j, "skipped_files", a ? a : cJSON_CreateArray());
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

static fk_status open_for(const fk_eval_options *o, const char *const *outputs, int n,
                          fk_backbone **b, fk_error *e)
{
    char path[1024];
    fk_config c;
    fk_status st = fk_config_find(o->backbone ? o->backbone : FK_DEFAULT_BACKBONE, path,
                                  sizeof path, e);
    if (!st)
        st = fk_config_load(path, &c, e);
    if (!st)
        st = fk_backbone_open(&c, outputs, n, b, e);
    return st;
}

fk_status fk_dataset_stats(const char *dataset, const fk_eval_options *o, fk_stats *out,
                           int64_t *skipped, char **provenance_json, fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_backbone *b = NULL;
    fk_feature_set set;
    fk_status st = open_for(o, NULL, 0, &b, e);
    if (!st && !(st = fk_extract(b, dataset, &o->extract, &set, e))) {
        st = fk_stats_from_moments(&set.moments, &set.tag, dataset, out, e);
        if (skipped)
            *skipped = set.skipped;
        if (!st && provenance_json)
            *provenance_json = with_skipped(fk_provenance_json(fk_backbone_config(b), dataset,
                                                               set.skipped), set.skipped_files);
        fk_feature_set_free(&set);
    }
    fk_backbone_close(b);
    return st;
}

fk_status fk_dataset_features(const char *dataset, const fk_eval_options *o,
                              const char *const *outputs, int n_outputs, fk_featset *sets,
                              int *n_sets, char **provenance_json, fk_error *e)
{
    *n_sets = 0;
    fk_backbone *b = NULL;
    fk_feature_set fs[16];
    fk_extract_options ex = o->extract;
    ex.keep_rows = 1;
    fk_status st = open_for(o, outputs, n_outputs, &b, e);
    if (!st && !(st = fk_extract(b, dataset, &ex, fs, e))) {
        int k = fk_backbone_n_outputs(b);
        fk_dataset_listing shard = fs[0].listing;
        int64_t skipped = fs[0].skipped;
        char *skipped_files = fs[0].skipped_files;
        fs[0].skipped_files = NULL;
        if (ex.dataset.shard_count > 0 && fs[0].n == 0)
            st = fk_fail(e, FK_ERR_ARG, "%s: shard %d/%d holds no images (%lld blocks of %lld "
                         "items): use fewer shards or a smaller --block", dataset,
                         shard.shard_index, shard.shard_count, (long long)shard.blocks,
                         (long long)shard.block);
        for (int i = 0; i < k; i++) {
            if (!st && !(st = fk_featset_take(&fs[i], dataset, &sets[i], e)))
                (*n_sets)++;
            fk_feature_set_free(&fs[i]);
        }
        if (!st && provenance_json) {
            *provenance_json = with_skipped(fk_provenance_json(fk_backbone_config(b), dataset,
                                                               skipped), skipped_files);
            if (ex.dataset.shard_count > 0) {
                char *t = fk_shard_meta_json(*provenance_json, &shard, skipped);
                free(*provenance_json);
                *provenance_json = t;
            }
        }
        free(skipped_files);
    }
    if (st)
        for (int i = 0; i < *n_sets; i++)
            fk_featset_free(&sets[i]);
    fk_backbone_close(b);
    return st;
}
