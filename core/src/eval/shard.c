/* Shard files and their merge; see shard.h. */
#include "fidkit/shard.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/array.h"
#include "fidkit/npz.h"
#include "fidkit/registry.h"

#define MAX_PARTS 65536

char *fk_shard_meta_json(const char *extra_json, const fk_dataset_listing *l, int64_t skipped)
{
    cJSON *j = extra_json ? cJSON_Parse(extra_json) : cJSON_CreateObject();
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    char fp[24];
    snprintf(fp, sizeof fp, "%016" PRIx64, l->fingerprint);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "shard");
    cJSON *s = cJSON_AddObjectToObject(j, "shard");
    cJSON_AddNumberToObject(s, "index", l->shard_index);
    cJSON_AddNumberToObject(s, "count", l->shard_count);
    cJSON_AddNumberToObject(s, "items", (double)l->items);
    cJSON_AddNumberToObject(s, "block", (double)l->block);
    cJSON_AddNumberToObject(s, "blocks", (double)l->blocks);
    cJSON_AddNumberToObject(s, "first_block", (double)l->first_block);
    cJSON_AddNumberToObject(s, "n_blocks", (double)l->n_blocks);
    cJSON_AddStringToObject(s, "fingerprint", fp);
    cJSON_AddNumberToObject(s, "skipped", (double)skipped);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

fk_status fk_stats_part_write(const char *path, const fk_feature_set *set, const char *extra_json,
                              fk_error *e)
{
    const fk_partials *p = &set->parts;
    const int d = set->d, k = p->n;
    fk_stats s;
    fk_status st = fk_stats_from_moments(&set->moments, &set->tag, path, &s, e);
    if (st)
        return st;
    int64_t *span = malloc((size_t)(k ? k : 1) * 2 * sizeof *span);
    int64_t *cnt = malloc((size_t)(k ? k : 1) * sizeof *cnt);
    double *mean = malloc((size_t)(k ? k : 1) * d * sizeof *mean);
    double *m2 = malloc((size_t)(k ? k : 1) * d * d * sizeof *m2);
    char *meta = fk_shard_meta_json(extra_json, &set->listing, set->skipped);
    if (!span || !cnt || !mean || !m2 || !meta) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    } else {
        for (int i = 0; i < k; i++) {
            span[2 * i] = p->nodes[i].lo;
            span[2 * i + 1] = p->nodes[i].hi;
            cnt[i] = p->nodes[i].m.n;
            memcpy(mean + (size_t)i * d, p->nodes[i].m.mean, (size_t)d * sizeof *mean);
            memcpy(m2 + (size_t)i * d * d, p->nodes[i].m.m2, (size_t)d * d * sizeof *m2);
        }
        const char *names[] = {"fidkit_part_span", "fidkit_part_n", "fidkit_part_mean",
                               "fidkit_part_m2"};
        fk_array arr[4] = {{FK_I64, 2, {k, 2}, span}, {FK_I64, 1, {k}, cnt},
                           {FK_F64, 2, {k, d}, mean}, {FK_F64, 3, {k, d, d}, m2}};
        st = fk_stats_write_with(path, &s, meta, names, arr, 4, e);
    }
    free(span);
    free(cnt);
    free(mean);
    free(m2);
    free(meta);
    fk_stats_free(&s);
    return st;
}

fk_status fk_dataset_stats_part(const char *dataset, const fk_eval_options *o, const char *path,
                                fk_stats *out, int64_t *skipped, fk_error *e)
{
    if (out)
        memset(out, 0, sizeof *out);
    char cpath[1024];
    fk_config c;
    fk_backbone *b = NULL;
    fk_feature_set set;
    fk_status st = fk_config_find(o->backbone ? o->backbone : FK_DEFAULT_BACKBONE, cpath,
                                  sizeof cpath, e);
    if (!st)
        st = fk_config_load(cpath, &c, e);
    if (!st)
        st = fk_backbone_open(&c, NULL, 0, &b, e);
    if (st || (st = fk_extract(b, dataset, &o->extract, &set, e))) {
        fk_backbone_close(b);
        return st;
    }
    const fk_dataset_listing *l = &set.listing;
    if (set.n < 2)
        st = fk_fail(e, FK_ERR_ARG,
                     "%s: shard %d/%d holds %lld image(s) (blocks %lld-%lld of %lld, %lld items "
                     "each); a stats file needs 2: use fewer shards or a smaller --block",
                     dataset, l->shard_index, l->shard_count, (long long)set.n,
                     (long long)l->first_block, (long long)(l->first_block + l->n_blocks - 1),
                     (long long)l->blocks, (long long)l->block);
    char *prov = st ? NULL : fk_provenance_json(fk_backbone_config(b), dataset, set.skipped);
    if (!st)
        st = fk_stats_part_write(path, &set, prov, e);
    if (!st && out)
        st = fk_stats_from_moments(&set.moments, &set.tag, dataset, out, e);
    if (skipped)
        *skipped = set.skipped;
    free(prov);
    fk_feature_set_free(&set);
    fk_backbone_close(b);
    return st;
}

/* ---- the merge ------------------------------------------------------------ */

typedef struct part {
    const char *path;
    cJSON *meta;
    fk_dataset_listing l;
    int64_t skipped;
    char fingerprint[24];
} part;

static fk_status load_meta(const char *path, cJSON **out, fk_error *e)
{
    *out = NULL;
    if (!fk_npz_has(path, "fidkit"))
        return fk_fail(e, FK_ERR_ARG, "%s: not a fidkit file (no 'fidkit' member): only shards "
                       "written with --shard can be merged", path);
    fk_array m;
    fk_status st = fk_npz_load(path, "fidkit", &m, e);
    if (st)
        return st;
    size_t n = (size_t)fk_array_count(&m);
    char *t = m.dtype == FK_U8 ? malloc(n + 1) : NULL;
    if (t) {
        memcpy(t, m.data, n);
        t[n] = 0;
    }
    fk_array_free(&m);
    *out = t ? cJSON_Parse(t) : NULL;
    free(t);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return fk_fail(e, FK_ERR_FORMAT, "%s: fidkit metadata is not a JSON object", path);
    }
    return FK_OK;
}

static int num(const cJSON *o, const char *k, int64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x))
        return 0;
    *v = (int64_t)x->valuedouble;
    return 1;
}

static fk_status read_part(const char *path, part *p, fk_error *e)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    fk_status st = load_meta(path, &p->meta, e);
    if (st)
        return st;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(p->meta, "shard");
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(s, "fingerprint");
    int64_t idx, cnt;
    if (!cJSON_IsObject(s))
        return fk_fail(e, FK_ERR_ARG, "%s is not a shard: it was written without --shard", path);
    if (!num(s, "index", &idx) || !num(s, "count", &cnt) || !num(s, "items", &p->l.items) ||
        !num(s, "block", &p->l.block) || !num(s, "blocks", &p->l.blocks) ||
        !num(s, "first_block", &p->l.first_block) || !num(s, "n_blocks", &p->l.n_blocks) ||
        !num(s, "skipped", &p->skipped) || !cJSON_IsString(fp) || strlen(fp->valuestring) > 20)
        return fk_fail(e, FK_ERR_FORMAT, "%s: the shard metadata is incomplete", path);
    p->l.shard_index = (int)idx;
    p->l.shard_count = (int)cnt;
    snprintf(p->fingerprint, sizeof p->fingerprint, "%s", fp->valuestring);
    /* The shard must be the one its index names: the rule of dataset.h. */
    int64_t L = p->l.blocks;
    if (cnt < 1 || cnt > MAX_PARTS || idx < 0 || idx >= cnt || p->l.block < 1 || L < 0 ||
        L != (p->l.items + p->l.block - 1) / p->l.block ||
        p->l.first_block != idx * L / cnt || p->l.n_blocks != (idx + 1) * L / cnt - idx * L / cnt)
        return fk_fail(e, FK_ERR_FORMAT, "%s: the shard metadata is inconsistent", path);
    return FK_OK;
}

static const char *tag_of(const part *p, const char *member)
{
    const cJSON *t = member ? cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(p->meta, "members"), member),
                                  "tag")
                            : cJSON_GetObjectItemCaseSensitive(p->meta, "tag");
    return cJSON_IsString(t) ? t->valuestring : "(none)";
}

/* Same tags, same listing, exactly the shards 0..K-1 once each; sorts the
 * parts by index. */
static fk_status check_set(part *ps, int n, int features, fk_error *e)
{
    const part *a = &ps[0];
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(a->meta, "members");
    for (int i = 1; i < n; i++) {
        const part *b = &ps[i];
        if (!features) {
            if (strcmp(tag_of(a, NULL), tag_of(b, NULL)))
                return fk_fail(e, FK_ERR_TAG, "refusing to merge %s (tag %s) with %s (tag %s): "
                               "they were measured by different backbones", a->path,
                               tag_of(a, NULL), b->path, tag_of(b, NULL));
        } else {
            const cJSON *mb = cJSON_GetObjectItemCaseSensitive(b->meta, "members");
            if (cJSON_GetArraySize(ma) != cJSON_GetArraySize(mb))
                return fk_fail(e, FK_ERR_TAG, "refusing to merge %s and %s: they hold different "
                               "outputs", a->path, b->path);
            for (const cJSON *m = ma ? ma->child : NULL; m; m = m->next)
                if (strcmp(tag_of(a, m->string), tag_of(b, m->string)))
                    return fk_fail(e, FK_ERR_TAG, "refusing to merge %s (%s tag %s) with %s (tag "
                                   "%s): they were measured by different backbones", a->path,
                                   m->string, tag_of(a, m->string), b->path, tag_of(b, m->string));
        }
    }
    for (int i = 1; i < n; i++) {
        const part *b = &ps[i];
        if (strcmp(a->fingerprint, b->fingerprint) || a->l.items != b->l.items)
            return fk_fail(e, FK_ERR_ARG, "refusing to merge %s (%lld items, listing %s) with %s "
                           "(%lld items, listing %s): they are shards of different datasets",
                           a->path, (long long)a->l.items, a->fingerprint, b->path,
                           (long long)b->l.items, b->fingerprint);
        if (a->l.block != b->l.block || a->l.shard_count != b->l.shard_count)
            return fk_fail(e, FK_ERR_ARG, "refusing to merge %s (shard of %d, blocks of %lld) with "
                           "%s (shard of %d, blocks of %lld): different shard sets", a->path,
                           a->l.shard_count, (long long)a->l.block, b->path, b->l.shard_count,
                           (long long)b->l.block);
    }
    int K = a->l.shard_count;
    part *by = calloc((size_t)K, sizeof *by);
    if (!by)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_status st = FK_OK;
    for (int i = 0; i < n && !st; i++) {
        int k = ps[i].l.shard_index;
        if (by[k].path)
            st = fk_fail(e, FK_ERR_ARG, "shard %d/%d is given twice: %s and %s", k, K, by[k].path,
                         ps[i].path);
        else
            by[k] = ps[i];
    }
    for (int k = 0; k < K && !st; k++)
        if (!by[k].path)
            st = fk_fail(e, FK_ERR_ARG, "shard %d/%d of %s's dataset is missing (%d of %d given)",
                         k, K, a->path, n, K);
    if (!st)
        memcpy(ps, by, (size_t)K * sizeof *ps);
    free(by);
    return st;
}

static fk_status load_f64(const char *path, const char *name, int ndim, const int64_t *shape,
                          fk_dtype t, fk_array *a, fk_error *e)
{
    fk_status st = fk_npz_load(path, name, a, e);
    if (st)
        return st == FK_ERR_ARG ? fk_fail(e, FK_ERR_FORMAT, "%s: no member '%s'", path, name) : st;
    int ok = a->dtype == t && a->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = a->shape[i] == shape[i];
    if (!ok) {
        char b[64];
        st = fk_fail(e, FK_ERR_FORMAT, "%s: '%s' is %s %s, not what its partials need", path, name,
                     fk_dtype_name(a->dtype), fk_array_shape_str(a, b, sizeof b));
        fk_array_free(a);
    }
    return st;
}

/* Pushes a stats part's nodes onto the tree. */
static fk_status push_part(const part *p, int d, fk_partials *tree, fk_error *e)
{
    fk_array sp = {0}, cn = {0}, mn = {0}, m2 = {0};
    fk_status st = fk_npz_load(p->path, "fidkit_part_span", &sp, e);
    if (st)
        return fk_fail(e, FK_ERR_FORMAT, "%s: no block partials ('fidkit_part_span')", p->path);
    int64_t k = sp.ndim == 2 ? sp.shape[0] : -1;
    int64_t s1[1] = {k}, s2[2] = {k, d}, s3[3] = {k, d, d};
    if (sp.dtype != FK_I64 || k < 0 || sp.shape[1] != 2)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: 'fidkit_part_span' is not (k, 2) int64", p->path);
    if (!st)
        st = load_f64(p->path, "fidkit_part_n", 1, s1, FK_I64, &cn, e);
    if (!st)
        st = load_f64(p->path, "fidkit_part_mean", 2, s2, FK_F64, &mn, e);
    if (!st)
        st = load_f64(p->path, "fidkit_part_m2", 3, s3, FK_F64, &m2, e);
    int64_t begin = fk_partials_end(tree);
    for (int64_t i = 0; i < k && !st; i++) {
        fk_moments m;
        memset(&m, 0, sizeof m);
        m.d = d;
        m.n = ((int64_t *)cn.data)[i];
        m.mean = malloc((size_t)d * sizeof(double));
        m.m2 = malloc((size_t)d * d * sizeof(double));
        if (!m.mean || !m.m2) {
            st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", p->path);
        } else if (m.n < 0) {
            st = fk_fail(e, FK_ERR_FORMAT, "%s: a block partial has a negative count", p->path);
        } else {
            memcpy(m.mean, (double *)mn.data + i * d, (size_t)d * sizeof(double));
            memcpy(m.m2, (double *)m2.data + i * d * d, (size_t)d * d * sizeof(double));
            const int64_t *s = (int64_t *)sp.data + 2 * i;
            if ((st = fk_partials_push(tree, s[0], s[1], &m, e)))
                fk_fail_prefix(e, "%s", p->path);
        }
        fk_moments_free(&m);
    }
    if (!st && (begin != p->l.first_block || fk_partials_end(tree) != p->l.first_block +
                p->l.n_blocks) && p->l.n_blocks > 0)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: its partials do not cover blocks %lld-%lld", p->path,
                     (long long)p->l.first_block, (long long)(p->l.first_block + p->l.n_blocks - 1));
    fk_array_free(&sp);
    fk_array_free(&cn);
    fk_array_free(&mn);
    fk_array_free(&m2);
    return st;
}

static char *merged_meta(const part *ps, int K, int64_t skipped)
{
    cJSON *j = cJSON_Duplicate(ps[0].meta, 1);
    if (!j)
        return NULL;
    /* The writer adds its own format fields and counts. */
    static const char *const drop[] = {"shard", "skipped_images", "format", "format_version",
                                       "fidkit_version", "n", "d", "members", "tag", "tag_fields"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, drop[i]);
    cJSON_AddNumberToObject(j, "skipped_images", (double)skipped);
    cJSON *m = cJSON_AddObjectToObject(j, "merged");
    cJSON_AddNumberToObject(m, "parts", K);
    cJSON_AddNumberToObject(m, "items", (double)ps[0].l.items);
    cJSON_AddNumberToObject(m, "block", (double)ps[0].l.block);
    cJSON_AddStringToObject(m, "fingerprint", ps[0].fingerprint);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

static fk_status merge_stats(part *ps, int K, fk_merged *out, fk_error *e)
{
    fk_stats s0;
    fk_status st = fk_stats_read(ps[0].path, &s0, e);
    if (st)
        return st;
    int d = s0.d;
    fk_tag tag = s0.tag;
    fk_stats_free(&s0);
    fk_partials tree;
    if ((st = fk_partials_init(&tree, d, e)))
        return st;
    for (int k = 0; k < K && !st; k++)
        st = push_part(&ps[k], d, &tree, e);
    if (!st && (fk_partials_begin(&tree) != 0 || fk_partials_end(&tree) != ps[0].l.blocks))
        st = fk_fail(e, FK_ERR_FORMAT, "the partials cover blocks %lld-%lld, not the %lld blocks "
                     "of the listing", (long long)fk_partials_begin(&tree),
                     (long long)fk_partials_end(&tree) - 1, (long long)ps[0].l.blocks);
    fk_moments m = {0};
    if (!st)
        st = fk_partials_result(&tree, &m, e);
    if (!st)
        st = fk_stats_from_moments(&m, &tag, "merged shards", &out->stats, e);
    fk_moments_free(&m);
    fk_partials_free(&tree);
    return st;
}

static fk_status merge_features(part *ps, int K, fk_merged *out, fk_error *e)
{
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(ps[0].meta, "members");
    fk_status st = FK_OK;
    for (const cJSON *m = members ? members->child : NULL; m && !st; m = m->next) {
        if (out->n_sets == 16)
            return fk_fail(e, FK_ERR_FORMAT, "%s: more than 16 outputs", ps[0].path);
        const char *layer = strncmp(m->string, "feats_", 6) ? NULL : m->string + 6;
        fk_featset *dst = &out->sets[out->n_sets];
        fk_featset parts[1];
        int64_t total = 0;
        /* Two passes: sizes, then rows into one matrix in shard order. */
        for (int k = 0; k < K && !st; k++) {
            if (!(st = fk_featset_read(ps[k].path, layer, NULL, parts, e))) {
                if (k && parts->d != dst->d)
                    st = fk_fail(e, FK_ERR_FORMAT, "%s: %s is %d-d, %s's is %d-d", ps[k].path,
                                 m->string, parts->d, ps[0].path, dst->d);
                if (!k)
                    *dst = *parts, dst->rows = NULL;
                total += parts->n;
                fk_featset_free(parts);
            }
        }
        if (st)
            break;
        dst->rows = malloc((size_t)(total ? total : 1) * (size_t)dst->d * sizeof(float));
        if (!dst->rows)
            return fk_fail(e, FK_ERR_NOMEM, "cannot hold %lld x %d features", (long long)total,
                           dst->d);
        out->n_sets++;
        dst->n = 0;
        for (int k = 0; k < K && !st; k++) {
            if (!(st = fk_featset_read(ps[k].path, layer, NULL, parts, e))) {
                memcpy(dst->rows + (size_t)dst->n * dst->d, parts->rows,
                       (size_t)parts->n * dst->d * sizeof(float));
                dst->n += parts->n;
                fk_featset_free(parts);
            }
        }
        snprintf(dst->source, sizeof dst->source, "merged shards");
    }
    if (!st && out->n_sets == 0)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: the features file lists no members", ps[0].path);
    return st;
}

fk_status fk_merge_parts(const char *const *paths, int n, fk_merged *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    if (n < 1 || n > MAX_PARTS)
        return fk_fail(e, FK_ERR_ARG, "merge: between 1 and %d parts, not %d", MAX_PARTS, n);
    part *ps = calloc((size_t)n, sizeof *ps);
    if (!ps)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_status st = FK_OK;
    int features = 0;
    for (int i = 0; i < n && !st; i++) {
        int f = fk_npz_has(paths[i], "feats");
        if (!f && !fk_npz_has(paths[i], "mu"))
            st = fk_fail(e, FK_ERR_ARG, "%s: neither a stats file nor a features file", paths[i]);
        else if (i && f != features)
            st = fk_fail(e, FK_ERR_ARG, "%s and %s: cannot merge a stats file with a features "
                         "file", paths[0], paths[i]);
        features = f;
        if (!st)
            st = read_part(paths[i], &ps[i], e);
    }
    if (!st)
        st = check_set(ps, n, features, e);
    if (!st) {
        out->is_features = features;
        out->parts = n;
        for (int k = 0; k < n; k++)
            out->skipped += ps[k].skipped;
        st = features ? merge_features(ps, n, out, e) : merge_stats(ps, n, out, e);
    }
    if (!st && !(out->meta_json = merged_meta(ps, n, out->skipped)))
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        cJSON_Delete(ps[i].meta);
    free(ps);
    if (st)
        fk_merged_free(out);
    return st;
}

fk_status fk_merged_write(const char *path, const fk_merged *m, fk_error *e)
{
    if (m->is_features)
        return fk_featset_write(path, m->sets, m->n_sets, m->meta_json, e);
    return fk_stats_write(path, &m->stats, m->meta_json, e);
}

void fk_merged_free(fk_merged *m)
{
    fk_stats_free(&m->stats);
    for (int i = 0; i < m->n_sets; i++)
        fk_featset_free(&m->sets[i]);
    free(m->meta_json);
    memset(m, 0, sizeof *m);
}
