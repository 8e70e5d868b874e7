#include "fidkit/fdinf.h"

#include <math.h>
#include <stdlib.h>

#include "fidkit/moments.h"
#include "fidkit/rng.h"
#include "fidkit/defaults.h"

#define GATHER_ROWS 1024

fk_fdinf_options fk_fdinf_default_options(void)
{
    fk_fdinf_options o;
    o.num_points = 15;
    o.min_size = 0;
    o.seed = FK_DEFAULT_SEED;
    o.fd = fk_fd_default_options();
    return o;
}

fk_status fk_fdinf_sizes(int64_t n2, const fk_fdinf_options *opt, int64_t *sizes, fk_error *e)
{
    fk_fdinf_options o = opt ? *opt : fk_fdinf_default_options();
    if (o.num_points < 3)
        return fk_fail(e, FK_ERR_ARG, "FD-infinity: %d points, at least 3 are needed for a fit "
                       "with an error estimate", o.num_points);
    int64_t start = o.min_size;
    if (start <= 0) {
        start = n2 / 10 > 2 ? n2 / 10 : 2;
        if (start > 5000)
            start = 5000;
    }
    if (start < 2 || n2 < start)
        return fk_fail(e, FK_ERR_NUMERIC, "FD-infinity: %lld generated rows, the smallest subset "
                       "would have %lld (at least 2 and at most all rows)", (long long)n2,
                       (long long)start);
    /* numpy's linspace: i * step + start, the last point exactly stop; then
     * astype(int32) truncates. The same double operations give the same sizes. */
    double step = (double)(n2 - start) / (double)(o.num_points - 1);
    for (int i = 0; i < o.num_points; i++)
        sizes[i] = (int64_t)((double)i * step + (double)start);
    sizes[o.num_points - 1] = n2;
    if (sizes[0] == sizes[o.num_points - 1])
        return fk_fail(e, FK_ERR_NUMERIC, "FD-infinity: all subsets would have %lld rows; the "
                       "fit needs different sizes (more generated rows)", (long long)n2);
    return FK_OK;
}

fk_status fk_fd_infinity_stats(int d, const double *mu_ref, const double *sigma_ref,
                               const fk_features *gen, const fk_fdinf_options *opt,
                               fk_fdinf_result *r, int64_t *sizes_out, double *fds_out,
                               fk_error *e)
{
    fk_fdinf_options o = opt ? *opt : fk_fdinf_default_options();
    fk_status s = fk_features_check(gen, "FD-infinity: generated features", 2, e);
    if (s != FK_OK)
        return s;
    if (gen->d != d)
        return fk_fail(e, FK_ERR_ARG, "FD-infinity: the reference statistics have %d dimensions "
                       "but the generated features have %d", d, gen->d);
    int np = o.num_points;
    int64_t n2 = gen->n;
    int64_t *sizes = malloc(sizeof(int64_t) * (size_t)(np > 0 ? np : 1));
    double *fds = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
    int64_t *scratch = malloc(sizeof(int64_t) * (size_t)n2);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)n2);
    float *buf = malloc(sizeof(float) * (size_t)GATHER_ROWS * (size_t)d);
    double *mu = malloc(sizeof(double) * (size_t)d);
    double *cov = malloc(sizeof(double) * (size_t)d * (size_t)d);
    fk_moments m = {0};
    int have_m = 0;
    if (!sizes || !fds || !scratch || !idx || !buf || !mu || !cov) {
        s = fk_fail(e, FK_ERR_NOMEM, "FD-infinity: out of memory");
        goto done;
    }
    if ((s = fk_fdinf_sizes(n2, &o, sizes, e)) != FK_OK)
        goto done;
    if ((s = fk_moments_init(&m, d, e)) != FK_OK)
        goto done;
    have_m = 1;
    fk_rng rng;
    fk_rng_seed(&rng, o.seed);
    for (int p = 0; p < np; p++) {
        fk_rng_choice(&rng, n2, sizes[p], scratch, idx);
        fk_moments_reset(&m);
        for (int64_t a = 0; a < sizes[p]; a += GATHER_ROWS) {
            int64_t k = sizes[p] - a < GATHER_ROWS ? sizes[p] - a : GATHER_ROWS;
            for (int64_t i = 0; i < k; i++) {
                const float *src = gen->x + (size_t)idx[a + i] * (size_t)d;
                float *dst = buf + (size_t)i * (size_t)d;
                for (int j = 0; j < d; j++)
                    dst[j] = src[j];
            }
            if ((s = fk_moments_add(&m, buf, k, e)) != FK_OK)
                goto done;
        }
        if ((s = fk_moments_result(&m, mu, cov, e)) != FK_OK)
            goto done;
        fk_fd_result fr;
        if ((s = fk_frechet(d, mu_ref, sigma_ref, mu, cov, &o.fd, &fr, e)) != FK_OK) {
            fk_fail_prefix(e, "FD-infinity: subset of %lld rows", (long long)sizes[p]);
            goto done;
        }
        fds[p] = fr.fd;
    }
    /* Ordinary least squares of FD on 1/N, centred for accuracy. */
    double xm = 0, ym = 0;
    for (int p = 0; p < np; p++) {
        xm += 1.0 / (double)sizes[p];
        ym += fds[p];
    }
    xm /= np;
    ym /= np;
    double sxx = 0, sxy = 0;
    for (int p = 0; p < np; p++) {
        double dx = 1.0 / (double)sizes[p] - xm;
        sxx += dx * dx;
        sxy += dx * (fds[p] - ym);
    }
    double b = sxy / sxx, a = ym - b * xm, rss = 0;
    for (int p = 0; p < np; p++) {
        double res = fds[p] - (a + b / (double)sizes[p]);
        rss += res * res;
    }
    r->fd_inf = a;
    r->slope = b;
    r->std_error = sqrt(rss / (np - 2) * (1.0 / np + xm * xm / sxx));
    r->num_points = np;
    for (int p = 0; p < np; p++) {
        if (sizes_out)
            sizes_out[p] = sizes[p];
        if (fds_out)
            fds_out[p] = fds[p];
    }
done:
    if (have_m)
        fk_moments_free(&m);
    free(sizes);
    free(fds);
    free(scratch);
    free(idx);
    free(buf);
    free(mu);
    free(cov);
    return s;
}

fk_status fk_fd_infinity(const fk_features *ref, const fk_features *gen,
                         const fk_fdinf_options *opt, fk_fdinf_result *r, int64_t *sizes,
                         double *fds, fk_error *e)
{
    fk_status s = fk_features_check_pair(ref, "FD-infinity: reference features", gen,
                                         "FD-infinity: generated features", 2, e);
    if (s != FK_OK)
        return s;
    int d = ref->d;
    fk_moments m;
    if ((s = fk_moments_init(&m, d, e)) != FK_OK)
        return s;
    double *mu = malloc(sizeof(double) * (size_t)d);
    double *cov = malloc(sizeof(double) * (size_t)d * (size_t)d);
    if (!mu || !cov)
        s = fk_fail(e, FK_ERR_NOMEM, "FD-infinity: out of memory");
    if (s == FK_OK)
        s = fk_moments_add(&m, ref->x, ref->n, e);
    if (s == FK_OK)
        s = fk_moments_result(&m, mu, cov, e);
    if (s == FK_OK)
        s = fk_fd_infinity_stats(d, mu, cov, gen, opt, r, sizes, fds, e);
    fk_moments_free(&m);
    free(mu);
    free(cov);
    return s;
}
