/* The streaming accumulator; see accum.h. */
#include "fidkit/accum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/eval.h"
#include "fidkit/registry.h"
#include "fidkit/resize.h"

#define FK_ACCUM_MAX_OUT 16

typedef struct accum_out {
    fk_tag tag;
    int d;
    fk_moments m;
    float *rows;
    int64_t n_rows, cap_rows;
} accum_out;

struct fk_accum {
    fk_config cfg;
    fk_backbone *b;        /* NULL: a features accumulator */
    fk_resizer *rz;
    int n_out;
    int keep_rows;
    accum_out out[FK_ACCUM_MAX_OUT];
    float *batch, *feats[FK_ACCUM_MAX_OUT];
    int batch_cap;
};

static fk_status init_out(fk_accum *a, int k, const fk_tag *tag, int d, fk_error *e)
{
    a->out[k].tag = *tag;
    a->out[k].d = d;
    return fk_moments_init(&a->out[k].m, d, e);
}

fk_status fk_accum_open(const char *backbone, const char *const *outputs, int n_outputs,
                        int keep_rows, fk_accum **out, fk_error *e)
{
    *out = NULL;
    if (n_outputs > FK_ACCUM_MAX_OUT)
        return fk_fail(e, FK_ERR_ARG, "at most %d outputs at once", FK_ACCUM_MAX_OUT);
    fk_accum *a = calloc(1, sizeof *a);
    if (!a)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    char path[1024];
    fk_status st = fk_config_find(backbone ? backbone : FK_DEFAULT_BACKBONE, path, sizeof path, e);
    if (!st)
        st = fk_config_load(path, &a->cfg, e);
    if (!st)
        st = fk_backbone_open(&a->cfg, outputs, outputs ? n_outputs : 0, &a->b, e);
    if (!st)
        st = fk_resizer_new(&a->cfg.input, &a->rz, e);
    if (!st) {
        a->n_out = fk_backbone_n_outputs(a->b);
        a->keep_rows = keep_rows;
        for (int k = 0; k < a->n_out && !st; k++) {
            fk_tag t;
            fk_backbone_tag(a->b, k, &t);
            st = init_out(a, k, &t, fk_backbone_output_dim(a->b, k), e);
        }
    }
    if (st) {
        fk_accum_close(a);
        return st;
    }
    *out = a;
    return FK_OK;
}

fk_status fk_accum_open_features(const fk_tag *tag, int d, int keep_rows, fk_accum **out,
                                 fk_error *e)
{
    *out = NULL;
    if (!tag)
        return fk_fail(e, FK_ERR_TAG, "features need a tag: fidkit must know which ruler measured them");
    if (d < 1)
        return fk_fail(e, FK_ERR_ARG, "feature dimension %d", d);
    fk_accum *a = calloc(1, sizeof *a);
    if (!a)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    a->n_out = 1;
    a->keep_rows = keep_rows;
    fk_status st = init_out(a, 0, tag, d, e);
    if (st) {
        fk_accum_close(a);
        return st;
    }
    *out = a;
    return FK_OK;
}

void fk_accum_close(fk_accum *a)
{
    if (!a)
        return;
    for (int k = 0; k < FK_ACCUM_MAX_OUT; k++) {
        fk_moments_free(&a->out[k].m);
        free(a->out[k].rows);
        free(a->feats[k]);
    }
    free(a->batch);
    fk_resizer_free(a->rz);
    fk_backbone_close(a->b);
    free(a);
}

void fk_accum_reset(fk_accum *a)
{
    for (int k = 0; k < a->n_out; k++) {
        fk_moments_reset(&a->out[k].m);
        a->out[k].n_rows = 0;
    }
}

static fk_status keep(accum_out *o, const float *rows, int64_t n, fk_error *e)
{
    if (o->n_rows + n > o->cap_rows) {
        int64_t cap = o->cap_rows ? o->cap_rows : 256;
        while (cap < o->n_rows + n)
            cap *= 2;
        float *g = realloc(o->rows, (size_t)cap * (size_t)o->d * sizeof *g);
        if (!g)
            return fk_fail(e, FK_ERR_NOMEM, "cannot keep %lld x %d features in memory",
                           (long long)cap, o->d);
        o->rows = g;
        o->cap_rows = cap;
    }
    memcpy(o->rows + o->n_rows * o->d, rows, (size_t)n * (size_t)o->d * sizeof(float));
    o->n_rows += n;
    return FK_OK;
}

static fk_status add_rows(fk_accum *a, int k, const float *rows, int64_t n, fk_error *e)
{
    fk_status st = fk_moments_add(&a->out[k].m, rows, n, e);
    if (!st && a->keep_rows)
        st = keep(&a->out[k], rows, n, e);
    return st;
}

fk_status fk_accum_push_features(fk_accum *a, int output, const float *rows, int64_t n, int d,
                                 fk_error *e)
{
    if (output < 0 || output >= a->n_out)
        return fk_fail(e, FK_ERR_ARG, "output %d of %d", output, a->n_out);
    if (d != a->out[output].d)
        return fk_fail(e, FK_ERR_ARG, "features of dimension %d pushed to an accumulator of %d",
                       d, a->out[output].d);
    return add_rows(a, output, rows, n, e);
}

fk_status fk_accum_push_images(fk_accum *a, const uint8_t *hwc, int n, int h, int w, fk_error *e)
{
    if (!a->b)
        return fk_fail(e, FK_ERR_ARG, "this accumulator takes features, not images");
    if (n < 0 || h < 1 || w < 1)
        return fk_fail(e, FK_ERR_ARG, "images of %d x %d, %d of them", h, w, n);
    int bs = fk_config_batch_size(fk_backbone_config(a->b));
    int s = a->cfg.input.size;
    size_t per = (size_t)3 * (size_t)s * (size_t)s;
    fk_status st = FK_OK;
    if (a->batch_cap < bs) {
        free(a->batch);
        a->batch = malloc((size_t)bs * per * sizeof(float));
        for (int k = 0; k < a->n_out; k++) {
            free(a->feats[k]);
            a->feats[k] = malloc((size_t)bs * (size_t)a->out[k].d * sizeof(float));
            if (!a->feats[k])
                st = FK_ERR_NOMEM;
        }
        if (!a->batch || st)
            return fk_fail(e, FK_ERR_NOMEM, "out of memory for a batch of %d", bs);
        a->batch_cap = bs;
    }
    for (int at = 0; at < n && !st; at += bs) {
        int m = n - at < bs ? n - at : bs;
        for (int i = 0; i < m && !st; i++) {
            fk_image im = {w, h, (uint8_t *)hwc + (size_t)(at + i) * (size_t)h * (size_t)w * 3};
            if ((st = fk_resizer_preprocess(a->rz, &im, a->batch + (size_t)i * per, e)))
                fk_fail_prefix(e, "image %d of the batch", at + i);
        }
        if (!st)
            st = fk_backbone_extract(a->b, a->batch, m, a->feats, e);
        for (int k = 0; k < a->n_out && !st; k++)
            st = add_rows(a, k, a->feats[k], m, e);
    }
    return st;
}

fk_status fk_accum_merge(fk_accum *dst, const fk_accum *src, fk_error *e)
{
    if (dst->n_out != src->n_out)
        return fk_fail(e, FK_ERR_ARG, "accumulators of %d and %d outputs", dst->n_out, src->n_out);
    fk_status st = FK_OK;
    for (int k = 0; k < dst->n_out && !st; k++)
        st = fk_tag_check(&dst->out[k].tag, &src->out[k].tag, e);
    for (int k = 0; k < dst->n_out && !st; k++) {
        st = fk_moments_merge(&dst->out[k].m, &src->out[k].m, e);
        if (!st && dst->keep_rows && src->keep_rows)
            st = keep(&dst->out[k], src->out[k].rows, src->out[k].n_rows, e);
    }
    return st;
}

int fk_accum_n_outputs(const fk_accum *a) { return a->n_out; }
int fk_accum_dim(const fk_accum *a, int output) { return a->out[output].d; }
int64_t fk_accum_count(const fk_accum *a) { return a->out[0].m.n; }
void fk_accum_tag(const fk_accum *a, int output, fk_tag *tag) { *tag = a->out[output].tag; }
const fk_moments *fk_accum_moments(const fk_accum *a, int output) { return &a->out[output].m; }

fk_status fk_accum_add_moments(fk_accum *a, int output, const fk_moments *m, fk_error *e)
{
    if (output < 0 || output >= a->n_out)
        return fk_fail(e, FK_ERR_ARG, "output %d of %d", output, a->n_out);
    return fk_moments_merge(&a->out[output].m, m, e);
}

fk_status fk_accum_stats(const fk_accum *a, int output, fk_stats *out, fk_error *e)
{
    if (output < 0 || output >= a->n_out)
        return fk_fail(e, FK_ERR_ARG, "output %d of %d", output, a->n_out);
    return fk_stats_from_moments(&a->out[output].m, &a->out[output].tag, "memory", out, e);
}

fk_status fk_accum_featset(const fk_accum *a, int output, fk_featset *out, fk_error *e)
{
    if (output < 0 || output >= a->n_out)
        return fk_fail(e, FK_ERR_ARG, "output %d of %d", output, a->n_out);
    if (!a->keep_rows)
        return fk_fail(e, FK_ERR_ARG, "this accumulator keeps no rows (open it with keep_rows)");
    const accum_out *o = &a->out[output];
    return fk_featset_from_rows(o->rows, o->n_rows, o->d, &o->tag, "memory", out, e);
}
