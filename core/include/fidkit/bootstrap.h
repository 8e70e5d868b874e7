/* fidkit — bootstrap confidence intervals for any two-sample score.
 *
 * Each replicate resamples the rows of both sets with replacement (n1 rows
 * from set 1, then n2 from set 2, each index below(n) from fidkit's seeded
 * generator, rng.h), recomputes the statistic, and the interval is the
 * percentile interval of the replicates, centred on the estimate (below):
 * the (1-level)/2 and (1+level)/2 quantiles with numpy.percentile's linear
 * interpolation, minus the replicates' mean bias. The B replicate
 * values can be returned with it.
 *
 * fk_bootstrap_fd is the same resampling for FD, made cheap: a resample with
 * count c_i for row i has
 *   mean = xbar + delta,  delta = (1/n) sum c_i (x_i - xbar)
 *   scatter = sum c_i (x_i - xbar)(x_i - xbar)^T - n delta delta^T
 * and sum c_i z_i z_i^T is one SYRK over the ~63 % of rows with c_i > 0,
 * scaled by sqrt(c_i): no gathered copy, no pass over the rows twice. By
 * default (single_precision = 1) that SYRK runs in float32 (SSYRK, twice as
 * fast as DSYRK); the rows are centred in double first, so its rounding is
 * about 1e-7 of the covariance: it moved a replicate's FD by 2.8e-7 relative
 * in the test (d = 16, N = 300) and by 1.7e-8 relative at d = 2048,
 * N = 10,000 in the benchmark, orders of magnitude below the resampling
 * spread (0.4 % there). single_precision = 0
 * keeps everything in double.
 *
 * Cost per replicate: two SYRKs over ~0.63 N rows (~0.63 N d^2 flops each)
 * plus one fk_frechet (~d^3): about the cost of one FD from scratch, without
 * the full-precision moment pass. bench/bench_fd_bootstrap.c measures it.
 * When the sets have few rows for their dimension (fk_frechet_prefer_factors,
 * e.g. 100 images at d = 2048), the estimate and every replicate go by
 * fk_frechet_factors instead, in double: the resample's rows
 * sqrt(c_i)(z_i - delta) are a factor of its scatter, and a replicate costs
 * O(N^2 d) instead of O(d^3). The fd options' method and eps keep the
 * covariance route (the factor route has neither).
 *
 * The interval is centred on the estimate. A resample repeats rows, so its
 * covariance comes from fewer distinct points and FD's upward small-sample
 * bias enters once more: the raw replicates sit above the estimate, and
 * their plain percentile interval can miss it entirely (measured: N =
 * 10,000, d = 2048, two near-identical sets: FD 81.8, replicates' mean
 * 154.2, raw interval [152.9, 155.7]). fidkit therefore subtracts the
 * replicates' mean bias before taking the percentiles: [lo, hi] is the
 * spread of the score another sample of the same size would give, which is
 * what comparisons at a fixed N need (FID's bias is part of its
 * definition at that N). `bias` (mean - estimate) is reported so that a
 * reader sees how large the shift was; it also estimates the small-sample
 * bias of FD itself.
 *
 * Given the same seed, fk_bootstrap with an FD statistic
 * and fk_bootstrap_fd draw identical resamples. */
#ifndef FIDKIT_BOOTSTRAP_H
#define FIDKIT_BOOTSTRAP_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"
#include "frechet.h"
#include "parallel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_boot_options {
    int replicates;       /* B, 200 */
    double level;         /* 0.95 */
    uint64_t seed;        /* 2020 */
    int nonnegative;      /* 1: the statistic is >= 0 (FD): the centred interval is
                             clipped at 0 (fk_bootstrap_fd always does) */
    int single_precision; /* fk_bootstrap_fd only: 1 = replicates in float32 (SYRK and
                             the eigenvalues; default), 0 = double */
    fk_fd_options fd;     /* fk_bootstrap_fd only */
    const fk_parallel *parallel; /* fk_bootstrap_fd only: replicates computed by
                                    several processes (parallel.h); NULL: here */
} fk_boot_options;

FK_API fk_boot_options fk_boot_default_options(void);

typedef struct fk_boot_result {
    double estimate;      /* the statistic on the original sets */
    double lo, hi;        /* percentile interval of the bias-centred replicates */
    double mean, std;     /* of the replicates (std with ddof 1) */
    double bias;          /* mean - estimate, see below */
    int replicates;
    double level;
} fk_boot_result;

/* A statistic of one or two feature sets (y is NULL for one-sample use). */
typedef fk_status (*fk_boot_statistic)(const fk_features *x, const fk_features *y, void *ctx,
                                       double *value, fk_error *e);

/* y may be NULL. values (optional) receives the B replicates in draw order. */
FK_API fk_status fk_bootstrap(const fk_features *x, const fk_features *y, fk_boot_statistic fn,
                              void *ctx, const fk_boot_options *opt, fk_boot_result *r,
                              double *values, fk_error *e);

FK_API fk_status fk_bootstrap_fd(const fk_features *x, const fk_features *y,
                                 const fk_boot_options *opt, fk_boot_result *r, double *values,
                                 fk_error *e);

/* Replicates first .. first + count - 1 of fk_bootstrap_fd (the draws of
 * the earlier ones are made and discarded, so replicate b is the same
 * whoever computes it) into values[0..count): how processes share them. */
FK_API fk_status fk_bootstrap_fd_replicates(const fk_features *x, const fk_features *y,
                                            const fk_boot_options *opt, int first, int count,
                                            double *values, fk_error *e);

/* The statistic fk_bootstrap_fd computes, usable with fk_bootstrap (ctx: a
 * const fk_fd_options * or NULL): FD of the two sets' mean and covariance. */
FK_API fk_status fk_boot_stat_fd(const fk_features *x, const fk_features *y, void *ctx,
                                 double *value, fk_error *e);

/* One side known only by its statistics (a stats file, an ADM reference
 * batch): FD between the rows of set x and the fixed (mu, sigma); y is not
 * read. Use with fk_bootstrap to resample the side that has rows. */
typedef struct fk_boot_fixed_stats {
    int d;
    const double *mu, *sigma;
    int fixed_first;   /* 1: FD(fixed, rows), 0: FD(rows, fixed) */
} fk_boot_fixed_stats;

FK_API fk_status fk_boot_stat_fd_fixed(const fk_features *x, const fk_features *y, void *ctx,
                                       double *value, fk_error *e);

/* numpy.percentile(values, 100*q) with linear interpolation; sorts values. */
FK_API double fk_percentile_sorted_inplace(double *values, int n, double q);

#ifdef __cplusplus
}
#endif
#endif
