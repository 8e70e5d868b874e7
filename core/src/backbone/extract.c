/* One pass from a dataset to features; see extract.h. */
#include "fidkit/extract.h"

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
    free(s->rows);
    memset(s, 0, sizeof *s);
}

fk_status fk_extract(fk_backbone *b, const char *dataset, const fk_extract_options *opt,
                     fk_feature_set *sets, fk_error *e)
{
    fk_extract_options o = opt ? *opt : fk_extract_default_options();
    const fk_config *c = fk_backbone_config(b);
    int nout = fk_backbone_n_outputs(b);
    if (o.loader.batch_size <= 0)
        o.loader.batch_size = c->batch_size > 0 ? c->batch_size : 50;
    memset(sets, 0, (size_t)nout * sizeof *sets);

    fk_dataset *ds = NULL;
    fk_loader *ld = NULL;
    float *out[16] = {0};
    fk_status st = fk_dataset_open(dataset, &o.dataset, &ds, e);
    if (st)
        return st;
    int64_t total = fk_dataset_size(ds);
    if (total == 0) {
        fk_dataset_close(ds);
        return fk_fail(e, FK_ERR_ARG, "%s: the dataset holds no images", dataset);
    }
    for (int k = 0; k < nout && !st; k++) {
        fk_feature_set *s = &sets[k];
        fk_backbone_tag(b, k, &s->tag);
        s->d = fk_backbone_output_dim(b, k);
        st = fk_moments_init(&s->moments, s->d, e);
        out[k] = malloc((size_t)o.loader.batch_size * (size_t)s->d * sizeof(float));
        if (!st && !out[k])
            st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        if (!st && o.keep_rows) {
            s->rows = malloc((size_t)total * (size_t)s->d * sizeof(float));
            if (!s->rows)
                st = fk_fail(e, FK_ERR_NOMEM, "cannot keep %lld x %d features in memory",
                             (long long)total, s->d);
        }
    }
    if (!st)
        st = fk_loader_open(ds, &c->input, &o.loader, &ld, e);
    int64_t done = 0;
    while (!st) {
        fk_batch bt;
        if ((st = fk_loader_next(ld, &bt, e)) || bt.n == 0)
            break;
        if ((st = fk_backbone_extract(b, bt.data, bt.n, out, e)))
            break;
        for (int k = 0; k < nout && !st; k++) {
            fk_feature_set *s = &sets[k];
            st = fk_moments_add(&s->moments, out[k], bt.n, e);
            if (st)
                fk_fail_prefix(e, "%s: %s output of items %lld-%lld", dataset,
                               fk_backbone_output_name(b, k), (long long)bt.index[0],
                               (long long)bt.index[bt.n - 1]);
            else if (s->rows)
                memcpy(s->rows + s->n * s->d, out[k], (size_t)bt.n * s->d * sizeof(float));
            s->n += bt.n;
        }
        done += bt.n;
        if (o.progress)
            o.progress(o.progress_user, done + fk_loader_skipped(ld), total);
    }
    if (!st)
        for (int k = 0; k < nout; k++)
            sets[k].skipped = fk_loader_skipped(ld);
    if (!st && done == 0)
        st = fk_fail(e, FK_ERR_ARG, "%s: no image could be decoded", dataset);
    fk_loader_close(ld);
    fk_dataset_close(ds);
    for (int k = 0; k < nout; k++)
        free(out[k]);
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
