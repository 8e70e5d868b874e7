#include "fidkit/bootstrap.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/moments.h"
#include "fidkit/rng.h"
#include "fidkit/defaults.h"

fk_boot_options fk_boot_default_options(void)
{
    fk_boot_options o;
    memset(&o, 0, sizeof o);
    o.replicates = FK_DEFAULT_REPLICATES_FD;
    o.level = 0.95;
    o.seed = FK_DEFAULT_SEED;
    o.single_precision = 1;
    o.fd = fk_fd_default_options();
    return o;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double fk_percentile_sorted_inplace(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    if (lo >= n - 1)
        return v[n - 1];
    return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

static fk_status check_options(const fk_boot_options *o, fk_error *e)
{
    if (o->replicates < 2)
        return fk_fail(e, FK_ERR_ARG, "bootstrap: %d replicates, at least 2 are needed",
                       o->replicates);
    if (!(o->level > 0 && o->level < 1))
        return fk_fail(e, FK_ERR_ARG, "bootstrap: confidence level %g is not in (0, 1)",
                       o->level);
    return FK_OK;
}

static void summarise(double *vals, const fk_boot_options *o, double estimate, fk_boot_result *r)
{
    int b = o->replicates;
    double mean = 0, ss = 0;
    for (int i = 0; i < b; i++)
        mean += vals[i];
    mean /= b;
    for (int i = 0; i < b; i++)
        ss += (vals[i] - mean) * (vals[i] - mean);
    r->estimate = estimate;
    r->mean = mean;
    r->std = sqrt(ss / (b - 1));
    r->bias = mean - estimate;
    r->replicates = b;
    r->level = o->level;
    /* Centred on the estimate: the replicates' mean bias is taken out, so
     * the interval is the spread of the score one would get from another
     * sample of the same size (see bootstrap.h). */
    r->lo = fk_percentile_sorted_inplace(vals, b, (1 - o->level) / 2) - r->bias;
    r->hi = fk_percentile_sorted_inplace(vals, b, (1 + o->level) / 2) - r->bias;
    if (o->nonnegative && r->lo < 0)
        r->lo = 0;
}

static void draw(fk_rng *rng, int64_t n, int64_t *idx)
{
    for (int64_t i = 0; i < n; i++)
        idx[i] = (int64_t)fk_rng_below(rng, (uint64_t)n);
}

static void gather(const fk_features *f, const int64_t *idx, float *out)
{
    for (int64_t i = 0; i < f->n; i++)
        memcpy(out + (size_t)i * (size_t)f->d, f->x + (size_t)idx[i] * (size_t)f->d,
               sizeof(float) * (size_t)f->d);
}

fk_status fk_bootstrap(const fk_features *x, const fk_features *y, fk_boot_statistic fn,
                       void *ctx, const fk_boot_options *opt, fk_boot_result *r,
                       double *values, fk_error *e)
{
    fk_boot_options o = opt ? *opt : fk_boot_default_options();
    fk_status s = check_options(&o, e);
    if (s != FK_OK)
        return s;
    if (!fn)
        return fk_fail(e, FK_ERR_ARG, "bootstrap: no statistic was given");
    s = y ? fk_features_check_pair(x, "bootstrap: set 1", y, "bootstrap: set 2", 1, e)
          : fk_features_check(x, "bootstrap: set 1", 1, e);
    if (s != FK_OK)
        return s;
    double estimate;
    if ((s = fn(x, y, ctx, &estimate, e)) != FK_OK)
        return fk_fail_prefix(e, "bootstrap: the statistic on the original sets");
    int64_t ny = y ? y->n : 0;
    int d = x->d;
    int64_t *ix = malloc(sizeof(int64_t) * (size_t)x->n);
    int64_t *iy = malloc(sizeof(int64_t) * (size_t)(ny > 0 ? ny : 1));
    float *bx = malloc(sizeof(float) * (size_t)x->n * (size_t)d);
    float *by = malloc(sizeof(float) * (size_t)(ny > 0 ? ny : 1) * (size_t)d);
    double *vals = malloc(sizeof(double) * (size_t)o.replicates);
    if (!ix || !iy || !bx || !by || !vals) {
        s = fk_fail(e, FK_ERR_NOMEM, "bootstrap: out of memory for resampled copies");
        goto done;
    }
    fk_rng rng;
    fk_rng_seed(&rng, o.seed);
    for (int b = 0; b < o.replicates; b++) {
        draw(&rng, x->n, ix);
        gather(x, ix, bx);
        fk_features rx = fk_features_view(bx, x->n, d), ry;
        if (y) {
            draw(&rng, ny, iy);
            gather(y, iy, by);
            ry = fk_features_view(by, ny, d);
        }
        if ((s = fn(&rx, y ? &ry : NULL, ctx, &vals[b], e)) != FK_OK) {
            fk_fail_prefix(e, "bootstrap: replicate %d", b);
            goto done;
        }
        if (values)
            values[b] = vals[b];
    }
    summarise(vals, &o, estimate, r);
done:
    free(ix);
    free(iy);
    free(bx);
    free(by);
    free(vals);
    return s;
}

/* Whether FD of these sets goes through fk_frechet_factors: cheaper, and
 * only when the caller asked for nothing the covariance route alone does. */
static int use_factors(const fk_features *x, const fk_features *y, const fk_fd_options *fo)
{
    return (!fo || (fo->method == FK_FD_AUTO && fo->eps == 0)) && x->n >= 2 && y->n >= 2 &&
           fk_frechet_prefer_factors(x->n, y->n, x->d);
}

/* The mean of a set's rows, in double. */
static void row_mean(const fk_features *f, double *mean)
{
    int d = f->d;
    memset(mean, 0, sizeof(double) * (size_t)d);
    for (int64_t i = 0; i < f->n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += f->x[(size_t)i * (size_t)d + (size_t)j];
    for (int j = 0; j < d; j++)
        mean[j] /= (double)f->n;
}

/* A set's mean and factor (rows centred, over sqrt(n - 1)), in double. */
static fk_status factor_of(const fk_features *f, double *mean, double **b, fk_error *e)
{
    int64_t n = f->n;
    int d = f->d;
    *b = malloc(sizeof(double) * (size_t)n * (size_t)d);
    if (!*b)
        return fk_fail(e, FK_ERR_NOMEM, "FD: out of memory for %lld x %d rows", (long long)n, d);
    row_mean(f, mean);
    double s = 1.0 / sqrt((double)(n - 1));
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            (*b)[(size_t)i * (size_t)d + (size_t)j] = ((double)f->x[(size_t)i * (size_t)d + (size_t)j] - mean[j]) * s;
    return FK_OK;
}

static fk_status fd_by_factors(const fk_features *x, const fk_features *y, double *value, fk_error *e)
{
    int d = x->d;
    double *mu = malloc(sizeof(double) * 2 * (size_t)d), *bx = NULL, *by = NULL;
    if (!mu)
        return fk_fail(e, FK_ERR_NOMEM, "FD: out of memory");
    fk_status s;
    fk_fd_result fr;
    if ((s = factor_of(x, mu, &bx, e)) == FK_OK && (s = factor_of(y, mu + d, &by, e)) == FK_OK &&
        (s = fk_frechet_factors(d, mu, bx, x->n, mu + d, by, y->n, &fr, e)) == FK_OK)
        *value = fr.fd;
    free(mu);
    free(bx);
    free(by);
    return s;
}

/* FD of two feature sets: by factors when fk_frechet_prefer_factors says
 * so, else through fk_moments and fk_frechet (the plain path). */
fk_status fk_boot_stat_fd(const fk_features *x, const fk_features *y, void *ctx,
                          double *value, fk_error *e)
{
    if (!y)
        return fk_fail(e, FK_ERR_ARG, "FD needs two feature sets");
    const fk_fd_options *fo = ctx;
    if (use_factors(x, y, fo))
        return fd_by_factors(x, y, value, e);
    int d = x->d;
    fk_moments m;
    fk_status s = fk_moments_init(&m, d, e);
    if (s != FK_OK)
        return s;
    double *mu = malloc(sizeof(double) * 2 * (size_t)d);
    double *cov = malloc(sizeof(double) * 2 * (size_t)d * (size_t)d);
    if (!mu || !cov)
        s = fk_fail(e, FK_ERR_NOMEM, "FD: out of memory");
    if (s == FK_OK && (s = fk_moments_add(&m, x->x, x->n, e)) == FK_OK &&
        (s = fk_moments_result(&m, mu, cov, e)) == FK_OK) {
        fk_moments_reset(&m);
        if ((s = fk_moments_add(&m, y->x, y->n, e)) == FK_OK &&
            (s = fk_moments_result(&m, mu + d, cov + (size_t)d * d, e)) == FK_OK) {
            fk_fd_result fr;
            s = fk_frechet(d, mu, cov, mu + d, cov + (size_t)d * d, fo, &fr, e);
            if (s == FK_OK)
                *value = fr.fd;
        }
    }
    fk_moments_free(&m);
    free(mu);
    free(cov);
    return s;
}

/* One set's resampled moments from counts, see bootstrap.h. */
typedef struct boot_set {
    const fk_features *f;
    double *xbar;   /* d */
    int64_t *count; /* n */
    int64_t *idx;   /* n */
    void *w;        /* packed sqrt(c_i)(x_i - xbar), float or double, n x d */
    void *g;        /* d x d Gram, float or double */
    double *mean;   /* d */
    double *cov;    /* d x d */
} boot_set;

static void boot_set_free(boot_set *b)
{
    free(b->xbar);
    free(b->count);
    free(b->idx);
    free(b->w);
    free(b->g);
    free(b->mean);
    free(b->cov);
}

static fk_status boot_set_init(boot_set *b, const fk_features *f, int f32, fk_error *e)
{
    memset(b, 0, sizeof *b);
    int64_t n = f->n;
    int d = f->d;
    size_t el = f32 ? sizeof(float) : sizeof(double);
    b->f = f;
    b->xbar = calloc((size_t)d, sizeof(double));
    b->count = malloc(sizeof(int64_t) * (size_t)n);
    b->idx = malloc(sizeof(int64_t) * (size_t)n);
    b->w = malloc(el * (size_t)n * (size_t)d);
    b->g = malloc(el * (size_t)d * (size_t)d);
    b->mean = malloc(sizeof(double) * (size_t)d);
    b->cov = malloc(sizeof(double) * (size_t)d * (size_t)d);
    if (!b->xbar || !b->count || !b->idx || !b->w || !b->g || !b->mean || !b->cov) {
        boot_set_free(b);
        return fk_fail(e, FK_ERR_NOMEM, "FD bootstrap: out of memory for %lld x %d rows",
                       (long long)n, d);
    }
    row_mean(f, b->xbar);
    return FK_OK;
}

/* Upper triangle from the lower one, in tiles: a plain column-wise copy
 * misses the cache on every element at d = 2048. */
static void mirror_lower(double *a, int d)
{
    enum { T = 64 };
    for (int ib = 0; ib < d; ib += T)
        for (int jb = 0; jb <= ib; jb += T)
            for (int i = ib; i < ib + T && i < d; i++)
                for (int j = jb; j < jb + T && j < i; j++)
                    a[(size_t)j * d + i] = a[(size_t)i * d + j];
}

/* How often each row was drawn. */
static void boot_set_count(boot_set *b)
{
    memset(b->count, 0, sizeof(int64_t) * (size_t)b->f->n);
    for (int64_t i = 0; i < b->f->n; i++)
        b->count[b->idx[i]]++;
}

static void boot_set_moments(boot_set *b, int f32)
{
    const fk_features *f = b->f;
    int64_t n = f->n;
    int d = f->d;
    boot_set_count(b);
    double *delta = b->mean;
    memset(delta, 0, sizeof(double) * (size_t)d);
    int64_t rows = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = b->count[i];
        if (!c)
            continue;
        const float *x = f->x + (size_t)i * (size_t)d;
        double sc = sqrt((double)c);
        if (f32) {
            float *w = (float *)b->w + (size_t)rows * (size_t)d;
            for (int j = 0; j < d; j++) {
                double z = (double)x[j] - b->xbar[j];
                delta[j] += (double)c * z;
                w[j] = (float)(sc * z);
            }
        } else {
            double *w = (double *)b->w + (size_t)rows * (size_t)d;
            for (int j = 0; j < d; j++) {
                double z = (double)x[j] - b->xbar[j];
                delta[j] += (double)c * z;
                w[j] = sc * z;
            }
        }
        rows++;
    }
    for (int j = 0; j < d; j++)
        delta[j] /= (double)n;
    if (f32)
        cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, d, (int)rows, 1.0f, (float *)b->w, d,
                    0.0f, (float *)b->g, d);
    else
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, (int)rows, 1.0, (double *)b->w, d,
                    0.0, (double *)b->g, d);
    double inv = 1.0 / (double)(n - 1), nd = (double)n;
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            double gij = f32 ? (double)((float *)b->g)[(size_t)i * d + j]
                             : ((double *)b->g)[(size_t)i * d + j];
            b->cov[(size_t)i * d + j] = (gij - nd * delta[i] * delta[j]) * inv;
        }
    mirror_lower(b->cov, d);
    for (int j = 0; j < d; j++)
        b->mean[j] = b->xbar[j] + delta[j];
}

/* The resample's mean and factor: rows sqrt(c_i)(z_i - delta) / sqrt(n - 1)
 * over the rows drawn at least once, z_i = x_i - xbar, since
 * sum c_i (z_i - delta)(z_i - delta)^T is the resample's scatter (see
 * bootstrap.h). b->w holds doubles here. Returns the number of rows. */
static int64_t boot_set_factor(boot_set *b)
{
    const fk_features *f = b->f;
    int64_t n = f->n;
    int d = f->d;
    boot_set_count(b);
    double *delta = b->mean;
    memset(delta, 0, sizeof(double) * (size_t)d);
    for (int64_t i = 0; i < n; i++)
        if (b->count[i])
            for (int j = 0; j < d; j++)
                delta[j] += (double)b->count[i] * ((double)f->x[(size_t)i * (size_t)d + (size_t)j] - b->xbar[j]);
    for (int j = 0; j < d; j++)
        delta[j] /= (double)n;
    int64_t rows = 0;
    double inv = 1.0 / sqrt((double)(n - 1));
    for (int64_t i = 0; i < n; i++) {
        if (!b->count[i])
            continue;
        const float *x = f->x + (size_t)i * (size_t)d;
        double *w = (double *)b->w + (size_t)rows * (size_t)d, sc = sqrt((double)b->count[i]) * inv;
        for (int j = 0; j < d; j++)
            w[j] = sc * ((double)x[j] - b->xbar[j] - delta[j]);
        rows++;
    }
    for (int j = 0; j < d; j++)
        b->mean[j] = b->xbar[j] + delta[j];
    return rows;
}

/* Few rows for the dimension: each replicate by factors, in double (cheap
 * there), else by moments and fk_frechet. */
fk_status fk_bootstrap_fd_replicates(const fk_features *x, const fk_features *y,
                                     const fk_boot_options *opt, int first, int count,
                                     double *values, fk_error *e)
{
    fk_boot_options o = opt ? *opt : fk_boot_default_options();
    fk_status s = check_options(&o, e);
    if (s != FK_OK)
        return s;
    if (first < 0 || count < 0 || first + count > o.replicates)
        return fk_fail(e, FK_ERR_ARG, "FD bootstrap: replicates %d..%d of %d", first,
                       first + count - 1, o.replicates);
    if ((s = fk_features_check_pair(x, "FD bootstrap: set 1", y, "FD bootstrap: set 2", 2, e)) !=
        FK_OK)
        return s;
    if (count == 0)
        return FK_OK;
    int by_factors = use_factors(x, y, &o.fd);
    int f32 = o.single_precision != 0 && !by_factors, d = x->d;
    boot_set bx, by;
    if ((s = boot_set_init(&bx, x, f32, e)) != FK_OK)
        return s;
    if ((s = boot_set_init(&by, y, f32, e)) != FK_OK) {
        boot_set_free(&bx);
        return s;
    }
    fk_rng rng;
    fk_rng_seed(&rng, o.seed);
    for (int b = 0; b < first; b++) {
        draw(&rng, x->n, bx.idx);
        draw(&rng, y->n, by.idx);
    }
    for (int b = first; b < first + count; b++) {
        draw(&rng, x->n, bx.idx);
        draw(&rng, y->n, by.idx);
        fk_fd_result fr;
        if (by_factors) {
            int64_t rx = boot_set_factor(&bx), ry = boot_set_factor(&by);
            s = fk_frechet_factors(d, bx.mean, (double *)bx.w, rx, by.mean, (double *)by.w, ry, &fr, e);
        } else {
            boot_set_moments(&bx, f32);
            boot_set_moments(&by, f32);
            /* Replicates only shape the interval: their eigenvalues may be
             * taken in float32 (the estimate stays in double). */
            fk_fd_options rfd = o.fd;
            rfd.single_precision |= o.single_precision;
            s = fk_frechet(d, bx.mean, bx.cov, by.mean, by.cov, &rfd, &fr, e);
        }
        if (s != FK_OK) {
            fk_fail_prefix(e, "FD bootstrap: replicate %d", b);
            break;
        }
        values[b - first] = fr.fd;
    }
    boot_set_free(&bx);
    boot_set_free(&by);
    return s;
}

fk_status fk_bootstrap_fd(const fk_features *x, const fk_features *y,
                          const fk_boot_options *opt, fk_boot_result *r, double *values,
                          fk_error *e)
{
    fk_boot_options o = opt ? *opt : fk_boot_default_options();
    fk_status s = check_options(&o, e);
    if (s != FK_OK)
        return s;
    if ((s = fk_features_check_pair(x, "FD bootstrap: set 1", y, "FD bootstrap: set 2", 2, e)) !=
        FK_OK)
        return s;
    double estimate;
    if ((s = fk_boot_stat_fd(x, y, &o.fd, &estimate, e)) != FK_OK)
        return fk_fail_prefix(e, "FD bootstrap: the original sets");
    double *vals = malloc(sizeof(double) * (size_t)o.replicates);
    if (!vals)
        return fk_fail(e, FK_ERR_NOMEM, "FD bootstrap: out of memory");
    const fk_parallel *par = o.parallel;
    o.parallel = NULL;
    if (par && par->fd_replicates)
        s = par->fd_replicates(par->user, x, y, &o, vals, e);
    else
        s = fk_bootstrap_fd_replicates(x, y, &o, 0, o.replicates, vals, e);
    if (s == FK_OK) {
        if (values)
            memcpy(values, vals, sizeof(double) * (size_t)o.replicates);
        o.nonnegative = 1; /* an FD */
        summarise(vals, &o, estimate, r);
    }
    free(vals);
    return s;
}

fk_status fk_boot_stat_fd_fixed(const fk_features *x, const fk_features *y, void *ctx,
                                double *value, fk_error *e)
{
    (void)y;
    const fk_boot_fixed_stats *f = ctx;
    if (x->d != f->d)
        return fk_fail(e, FK_ERR_ARG, "FD against fixed statistics: rows have d = %d, the "
                       "statistics %d", x->d, f->d);
    fk_moments m;
    double *mu = malloc(sizeof(double) * (size_t)f->d);
    double *sg = malloc(sizeof(double) * (size_t)f->d * (size_t)f->d);
    fk_status st = (!mu || !sg) ? fk_fail(e, FK_ERR_NOMEM, "out of memory")
                                : fk_moments_init(&m, f->d, e);
    if (st == FK_OK) {
        if (!(st = fk_moments_add(&m, x->x, x->n, e)) && !(st = fk_moments_result(&m, mu, sg, e))) {
            fk_fd_result r;
            st = f->fixed_first ? fk_frechet(f->d, f->mu, f->sigma, mu, sg, NULL, &r, e)
                                : fk_frechet(f->d, mu, sg, f->mu, f->sigma, NULL, &r, e);
            *value = r.fd;
        }
        fk_moments_free(&m);
    }
    free(mu);
    free(sg);
    return st;
}
