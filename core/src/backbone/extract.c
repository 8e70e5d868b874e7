/* One pass from a dataset to features; see extract.h. */
#include "fidkit/extract.h"
#include "fidkit/device.h"

#include "backbone/disturb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fk_extract_options fk_extract_default_options(void)
{
    fk_extract_options o;
    memset(&o, 0, sizeof o);
    o.dataset = fk_dataset_default_options();
    o.loader = fk_loader_default_options();
    o.loader.batch_size = 0;
    return o;
}

void fk_feature_set_free(fk_feature_set *s)
{
    fk_moments_free(&s->moments);
    fk_partials_free(&s->parts);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

/* The rows of one block of the listing, gathered until the block is done. */
typedef struct leaf {
    float *rows;     /* block x d */
    int64_t n;
    int64_t index;   /* the listing's block number */
} leaf;

/* The block's partial: its rows added in one call, whatever batches they
 * came in, then pushed onto the tree. */
static fk_status flush_leaf(fk_feature_set *s, leaf *lf, const char *dataset, const char *output,
                            fk_error *e)
{
    fk_moments m;
    fk_status st = fk_moments_init(&m, s->d, e);
    if (!st && (st = fk_moments_add(&m, lf->rows, lf->n, e))) {
        int64_t first = lf->index * s->listing.block;
        fk_fail_prefix(e, "%s: %s output of the block of items %lld-%lld", dataset, output,
                       (long long)first, (long long)(first + s->listing.block - 1));
    }
    if (!st)
        st = fk_partials_push(&s->parts, lf->index, lf->index + 1, &m, e);
    fk_moments_free(&m);
    lf->n = 0;
    lf->index++;
    return st;
}

fk_status fk_extract(fk_backbone *b, const char *dataset, const fk_extract_options *opt,
                     fk_feature_set *sets, fk_error *e)
{
    fk_extract_options o = opt ? *opt : fk_extract_default_options();
    if (o.parallel && o.parallel->extract) {
        const fk_parallel *p = o.parallel;
        o.parallel = NULL;
        return p->extract(p->user, b, dataset, &o, sets, e);
    }
    const fk_config *c = fk_backbone_config(b);
    int nout = fk_backbone_n_outputs(b);
    if (o.loader.batch_size <= 0)
        o.loader.batch_size = fk_config_batch_size(c);
    memset(sets, 0, (size_t)nout * sizeof *sets);

    fk_dataset *ds = NULL;
    fk_loader *ld = NULL;
    float *out[16] = {0};
    leaf leaves[16] = {{0}};
    fk_status st = fk_dataset_open(dataset, &o.dataset, &ds, e);
    if (st)
        return st;
    const int sharded = o.dataset.shard_count > 0;
    const fk_dataset_listing L = *fk_dataset_listing_of(ds);
    int64_t total = fk_dataset_size(ds);
    if (total == 0 && !sharded) {
        fk_dataset_close(ds);
        return fk_fail(e, FK_ERR_FORMAT, "%s: the dataset holds no images", dataset);
    }
    for (int k = 0; k < nout && !st; k++) {
        fk_feature_set *s = &sets[k];
        fk_backbone_tag(b, k, &s->tag);
        s->d = fk_backbone_output_dim(b, k);
        s->listing = L;
        leaves[k].index = L.first_block;
        st = fk_moments_init(&s->moments, s->d, e);
        if (!st)
            st = fk_partials_init(&s->parts, s->d, e);
        out[k] = malloc((size_t)o.loader.batch_size * (size_t)s->d * sizeof(float));
        leaves[k].rows = malloc((size_t)L.block * (size_t)s->d * sizeof(float));
        if (!st && (!out[k] || !leaves[k].rows))
            st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        if (!st && o.keep_rows && total > 0) {
            s->rows = malloc((size_t)total * (size_t)s->d * sizeof(float));
            if (!s->rows)
                st = fk_fail(e, FK_ERR_NOMEM, "cannot keep %lld x %d features in memory",
                             (long long)total, s->d);
        }
    }
    /* On CUDA the batch lives in pinned memory: its copy to the device is
     * asynchronous, while the loader's workers decode the next items. */
    if (!o.loader.batch_alloc)
        fk_backbone_pinned_allocator(b, &o.loader.batch_alloc, &o.loader.batch_free);
    fk_disturb *dist = NULL;
    if (!st)
        st = fk_disturb_open(&o, &L, &dist, e);
    if (dist) {
        o.loader.hook = fk_disturb_hook;
        o.loader.hook_user = dist;
    }
    if (!st && total > 0)
        st = fk_loader_open(ds, &c->input, &o.loader, &ld, e);
    int64_t done = 0;
    while (!st && ld) {
        fk_batch bt;
        if ((st = fk_loader_next(ld, &bt, e)) || bt.n == 0)
            break;
        if ((st = fk_backbone_extract(b, bt.data, bt.n, out, e)))
            break;
        for (int k = 0; k < nout && !st; k++) {
            fk_feature_set *s = &sets[k];
            leaf *lf = &leaves[k];
            const char *oname = fk_backbone_output_name(b, k);
            for (int r = 0; r < bt.n && !st; r++) {
                int64_t blk = L.first_block + bt.index[r] / L.block;
                while (!st && lf->index < blk)
                    st = flush_leaf(s, lf, dataset, oname, e);
                if (!st) {
                    memcpy(lf->rows + lf->n * s->d, out[k] + (size_t)r * s->d,
                           (size_t)s->d * sizeof(float));
                    lf->n++;
                }
            }
            if (!st && s->rows)
                memcpy(s->rows + s->n * s->d, out[k], (size_t)bt.n * s->d * sizeof(float));
            s->n += bt.n;
        }
        done += bt.n;
        if (o.progress)
            o.progress(o.progress_user, done + fk_loader_skipped(ld), total);
    }
    /* The last block, and blocks left empty by skipped items. */
    for (int k = 0; k < nout && !st; k++)
        while (!st && leaves[k].index < L.first_block + L.n_blocks)
            st = flush_leaf(&sets[k], &leaves[k], dataset, fk_backbone_output_name(b, k), e);
    for (int k = 0; k < nout && !st; k++) {
        fk_moments_free(&sets[k].moments);
        st = fk_partials_result(&sets[k].parts, &sets[k].moments, e);
    }
    if (!st)
        for (int k = 0; k < nout; k++)
            sets[k].skipped = ld ? fk_loader_skipped(ld) : 0;
    if (!st && done == 0 && !sharded)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: no image could be decoded", dataset);
    fk_loader_close(ld);
    fk_disturb_close(dist);
    fk_dataset_close(ds);
    for (int k = 0; k < nout; k++) {
        free(out[k]);
        free(leaves[k].rows);
    }
    if (st)
        for (int k = 0; k < nout; k++)
            fk_feature_set_free(&sets[k]);
    return st;
}

fk_status fk_feature_set_stats(const fk_feature_set *s, fk_stats *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    out->d = s->d;
    out->n = s->n;
    out->has_tag = 1;
    out->tag = s->tag;
    out->mu = malloc((size_t)s->d * sizeof(double));
    out->sigma = malloc((size_t)s->d * (size_t)s->d * sizeof(double));
    if (!out->mu || !out->sigma) {
        fk_stats_free(out);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    fk_status st = fk_moments_result(&s->moments, out->mu, out->sigma, e);
    if (st)
        fk_stats_free(out);
    return st;
}

fk_status fk_featset_take(fk_feature_set *s, const char *source, fk_featset *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    if (!s->rows)
        return fk_fail(e, FK_ERR_INTERNAL, "%s: the extraction kept no rows", source);
    out->tag = s->tag;
    out->has_tag = 1;
    out->d = s->d;
    out->n = s->n;
    out->rows = s->rows;
    out->skipped = s->skipped;
    s->rows = NULL;
    snprintf(out->source, sizeof out->source, "%s", source ? source : "memory");
    return FK_OK;
}
