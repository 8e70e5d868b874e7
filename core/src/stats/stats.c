/* Statistics files; see stats.h for the layout. */
#include "fidkit/stats.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/featset.h"
#include "fidkit/fidkit.h"
#include "fidkit/npz.h"

#define META_MEMBER "fidkit"
#define META_FORMAT "fidkit-stats"
#define META_VERSION 1
#define META_MAX (1 << 20)

void fk_stats_free(fk_stats *s)
{
    free(s->mu);
    free(s->sigma);
    free(s->meta_json);
    memset(s, 0, sizeof *s);
}

/* Takes ownership of a's data and returns it as doubles (widening float32). */
static fk_status to_f64(const char *path, const char *name, fk_array *a, double **out,
                        fk_error *e)
{
    *out = NULL;
    if (a->dtype == FK_F64) {
        *out = a->data;
        a->data = NULL;
        return FK_OK;
    }
    if (a->dtype != FK_F32)
        return fk_fail(e, FK_ERR_FORMAT, "%s: '%s' has dtype %s; float64 or float32 expected",
                       path, name, fk_dtype_name(a->dtype));
    int64_t n = fk_array_count(a);
    double *d = malloc((size_t)(n ? n : 1) * sizeof(double));
    if (!d)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    for (int64_t i = 0; i < n; i++)
        d[i] = ((const float *)a->data)[i];
    *out = d;
    return FK_OK;
}

static fk_status parse_meta(const char *path, fk_stats *s, fk_error *e)
{
    fk_array m;
    fk_status st = fk_npz_load(path, META_MEMBER, &m, e);
    if (st)
        return st;
    if (m.dtype != FK_U8 || m.ndim != 1 || m.shape[0] > META_MAX) {
        fk_array_free(&m);
        return fk_fail(e, FK_ERR_FORMAT, "%s: member '%s' is not fidkit metadata", path,
                       META_MEMBER);
    }
    size_t n = (size_t)m.shape[0];
    char *text = malloc(n + 1);
    if (!text) {
        fk_array_free(&m);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(text, m.data, n);
    text[n] = 0;
    fk_array_free(&m);

    cJSON *j = cJSON_Parse(text);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        free(text);
        return fk_fail(e, FK_ERR_FORMAT, "%s: fidkit metadata is not valid JSON", path);
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "format_version");
    const cJSON *n_ = cJSON_GetObjectItemCaseSensitive(j, "n");
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(j, "tag");
    const cJSON *d_ = cJSON_GetObjectItemCaseSensitive(j, "d");
    st = FK_OK;
    /* Integers as JSON numbers: whole, in range, before any cast. */
#define WHOLE(x, lo, hi) (cJSON_IsNumber(x) && (x)->valuedouble >= (lo) && \
                          (x)->valuedouble <= (hi) && (x)->valuedouble == floor((x)->valuedouble))
    if (strstr(text, "\\u0000")) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: fidkit metadata holds a NUL character", path);
    } else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, META_FORMAT)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: metadata format is not '%s'", path, META_FORMAT);
    } else if (!WHOLE(ver, 1, 1e9)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: metadata 'format_version' is not a positive integer",
                     path);
    } else if (ver->valueint > META_VERSION) {
        st = fk_fail(e, FK_ERR_UNSUPPORTED,
                     "%s: metadata version %d is newer than this fidkit reads (%d)", path,
                     ver->valueint, META_VERSION);
    } else if (!WHOLE(n_, 0, 9.007199254740992e15)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: metadata sample count 'n' is missing or not an "
                     "integer in 0..2^53", path);
    } else if (d_ && !(WHOLE(d_, 1, 1 << 16) && (int)d_->valuedouble == s->d)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: metadata 'd' does not match 'mu' (%d values)", path,
                     s->d);
    } else if (!cJSON_IsString(tag)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: metadata has no 'tag'", path);
    } else {
        s->n = (int64_t)n_->valuedouble;
        st = fk_tag_parse(tag->valuestring, &s->tag, e);
        if (st)
            fk_fail_prefix(e, "%s: metadata", path);
        else
            s->has_tag = 1;
    }
#undef WHOLE
    cJSON_Delete(j);
    if (st) {
        free(text);
        /* A malformed tag inside a file is the file's fault, not the caller's. */
        if (st == FK_ERR_ARG) {
            st = FK_ERR_FORMAT;
            if (e)
                e->code = st;
        }
        return st;
    }
    s->meta_json = text;
    return FK_OK;
}

/* Finite, non-negative diagonal, symmetric to 1e-6 of the largest entry.
 * The transpose is walked in 64 x 64 tiles: column-wise it would miss the
 * cache on every element at d = 2048 and cost more than the file read. */
static fk_status check_sigma(const char *path, const double *sg, int64_t d, fk_error *e)
{
    double top = 0;
    for (int64_t i = 0; i < d * d; i++) {
        double v = sg[i];
        if (!isfinite(v))
            return fk_fail(e, FK_ERR_NUMERIC, "%s: 'sigma' has a non-finite value at (%lld, %lld)",
                           path, (long long)(i / d), (long long)(i % d));
        if (fabs(v) > top)
            top = fabs(v);
    }
    for (int64_t i = 0; i < d; i++)
        if (sg[i * d + i] < 0)
            return fk_fail(e, FK_ERR_NUMERIC,
                           "%s: 'sigma' has a negative variance at (%lld, %lld): not a covariance",
                           path, (long long)i, (long long)i);
    const int64_t T = 64;
    double tol = 1e-6 * top;
    for (int64_t bi = 0; bi < d; bi += T)
        for (int64_t bj = 0; bj <= bi; bj += T)
            for (int64_t i = bi; i < bi + T && i < d; i++)
                for (int64_t j = bj; j < bj + T && j < i; j++) {
                    double a = sg[i * d + j], b = sg[j * d + i];
                    if (fabs(a - b) > tol)
                        return fk_fail(e, FK_ERR_NUMERIC,
                                       "%s: 'sigma' is not symmetric: (%lld, %lld) = %g but (%lld, "
                                       "%lld) = %g", path, (long long)i, (long long)j, a,
                                       (long long)j, (long long)i, b);
                }
    return FK_OK;
}

fk_status fk_stats_read(const char *path, fk_stats *s, fk_error *e)
{
    memset(s, 0, sizeof *s);
    fk_array mu = {0}, sg = {0};
    fk_status st = fk_npz_load(path, "mu", &mu, e);
    if (!st)
        st = fk_npz_load(path, "sigma", &sg, e);
    if (st)
        goto out;
    if (mu.ndim != 1 || mu.shape[0] < 1) {
        char b[64];
        st = fk_fail(e, FK_ERR_FORMAT, "%s: 'mu' has shape %s; (d,) expected", path,
                     fk_array_shape_str(&mu, b, sizeof b));
        goto out;
    }
    int64_t d = mu.shape[0];
    if (d > 1 << 16) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: dimension %lld is implausibly large", path,
                     (long long)d);
        goto out;
    }
    if (sg.ndim != 2 || sg.shape[0] != d || sg.shape[1] != d) {
        char b[64];
        st = fk_fail(e, FK_ERR_FORMAT, "%s: 'sigma' has shape %s; (%lld, %lld) expected to match 'mu'",
                     path, fk_array_shape_str(&sg, b, sizeof b), (long long)d, (long long)d);
        goto out;
    }
    s->d = (int)d;
    if ((st = to_f64(path, "mu", &mu, &s->mu, e)) || (st = to_f64(path, "sigma", &sg, &s->sigma, e)))
        goto out;

    for (int64_t i = 0; i < d; i++)
        if (!isfinite(s->mu[i])) {
            st = fk_fail(e, FK_ERR_NUMERIC, "%s: 'mu' has a non-finite value at %lld", path,
                         (long long)i);
            goto out;
        }
    if ((st = check_sigma(path, s->sigma, d, e)))
        goto out;
    if (fk_npz_has(path, META_MEMBER))
        st = parse_meta(path, s, e);
    snprintf(s->source, sizeof s->source, "%s", path);
out:
    fk_array_free(&mu);
    fk_array_free(&sg);
    if (st)
        fk_stats_free(s);
    return st;
}

fk_status fk_stats_write(const char *path, const fk_stats *s, const char *extra_json, fk_error *e)
{
    return fk_stats_write_with(path, s, extra_json, NULL, NULL, 0, e);
}

fk_status fk_stats_write_with(const char *path, const fk_stats *s, const char *extra_json,
                              const char *const *names, const fk_array *arrays, int n_arrays,
                              fk_error *e)
{
    if (!s->has_tag)
        return fk_fail(e, FK_ERR_ARG, "%s: fidkit writes stats only with a tag", path);
    cJSON *j = NULL;
    if (extra_json) {
        j = cJSON_Parse(extra_json);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            return fk_fail(e, FK_ERR_INTERNAL, "%s: extra metadata is not a JSON object", path);
        }
    } else {
        j = cJSON_CreateObject();
    }
    char tag[FK_TAG_STR_MAX];
    fk_tag_str(&s->tag, 0, tag, sizeof tag);
    /* The fields fidkit reads come first and override extra ones. */
    static const char *const ours[] = {"format", "format_version", "fidkit_version", "tag",
                                       "tag_fields", "n", "d"};
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, ours[i]);
    cJSON_AddStringToObject(j, "format", META_FORMAT);
    cJSON_AddNumberToObject(j, "format_version", META_VERSION);
    cJSON_AddStringToObject(j, "fidkit_version", fk_version());
    cJSON_AddStringToObject(j, "tag", tag);
    cJSON *tf = cJSON_AddObjectToObject(j, "tag_fields");
    cJSON_AddStringToObject(tf, "backbone", s->tag.backbone);
    cJSON_AddStringToObject(tf, "variant", s->tag.variant);
    cJSON_AddStringToObject(tf, "layer", s->tag.layer);
    cJSON_AddStringToObject(tf, "weights", s->tag.weights);
    cJSON_AddNumberToObject(tf, "input_size", s->tag.input_size);
    cJSON_AddStringToObject(tf, "resize", s->tag.resize);
    if (s->tag.norm[0])
        cJSON_AddStringToObject(tf, "norm", s->tag.norm);
    if (s->tag.prec[0])
        cJSON_AddStringToObject(tf, "prec", s->tag.prec);
    cJSON_AddNumberToObject(j, "n", (double)s->n);
    cJSON_AddNumberToObject(j, "d", s->d);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);

    fk_array mu = {FK_F64, 1, {s->d}, s->mu};
    fk_array sg = {FK_F64, 2, {s->d, s->d}, s->sigma};
    fk_array meta = {FK_U8, 1, {(int64_t)strlen(text)}, text};
    fk_npz_writer *w;
    fk_status st = fk_npz_writer_open(&w, path, 0, e);
    if (!st) {
        if (!(st = fk_npz_writer_add(w, "mu", &mu, e)) && !(st = fk_npz_writer_add(w, "sigma", &sg, e)))
            st = fk_npz_writer_add(w, META_MEMBER, &meta, e);
        for (int i = 0; i < n_arrays && !st; i++)
            st = fk_npz_writer_add(w, names[i], &arrays[i], e);
        if (st)
            fk_npz_writer_abort(w);
        else
            st = fk_npz_writer_commit(w, e);
    }
    cJSON_free(text);
    return st;
}

fk_status fk_stats_from_moments(const fk_moments *m, const fk_tag *tag, const char *source,
                                fk_stats *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    if (!tag)
        return fk_fail(e, FK_ERR_TAG, "stats of %s need a tag", source ? source : "memory");
    out->d = m->d;
    out->n = m->n;
    out->has_tag = 1;
    out->tag = *tag;
    snprintf(out->source, sizeof out->source, "%s", source ? source : "memory");
    out->mu = malloc((size_t)m->d * sizeof(double));
    out->sigma = malloc((size_t)m->d * (size_t)m->d * sizeof(double));
    if (!out->mu || !out->sigma) {
        fk_stats_free(out);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    fk_status st = fk_moments_result(m, out->mu, out->sigma, e);
    if (st) {
        fk_fail_prefix(e, "%s", out->source);
        fk_stats_free(out);
    }
    return st;
}

fk_status fk_stats_from_featset(const fk_featset *f, fk_stats *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_status st = fk_featset_require_tag(f, e);
    fk_moments m;
    if (st || (st = fk_moments_init(&m, f->d, e)))
        return st;
    if (!(st = fk_moments_add(&m, f->rows, f->n, e)))
        st = fk_stats_from_moments(&m, &f->tag, f->source, out, e);
    else
        fk_fail_prefix(e, "%s", f->source);
    fk_moments_free(&m);
    return st;
}

void fk_stats_assume_tag(fk_stats *s, const fk_tag *t)
{
    if (!s->has_tag && t) {
        s->tag = *t;
        s->has_tag = 1;
    }
}

fk_status fk_stats_require_tag(const fk_stats *s, fk_error *e)
{
    if (s->has_tag)
        return FK_OK;
    return fk_fail(e, FK_ERR_TAG, "%s carries no backbone tag (written by pytorch-fid or clean-fid?): "
                   "declare the backbone that measured it with --assume-backbone TAG",
                   s->source[0] ? s->source : "a stats object");
}
