#include "fidkit/prdc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/pairdist.h"

fk_prdc_options fk_prdc_default_options(fk_prdc_convention c)
{
    fk_prdc_options o;
    o.convention = c;
    o.k = 0;
    o.block_rows = 0;
    o.block_cols = 0;
    return o;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Keeps b[0..k) the k smallest values seen, ascending. */
static void keep_smallest(double *b, int k, double v)
{
    if (v >= b[k - 1])
        return;
    int p = k - 1;
    while (p > 0 && b[p - 1] > v) {
        b[p] = b[p - 1];
        p--;
    }
    b[p] = v;
}

/* Squared k-NN radii: per row a sorted list of the k smallest distances to
 * other rows, kept by insertion (k is small, so this beats a full selection
 * and needs no N-wide row). Distances are symmetric, so only tiles on or
 * right of the diagonal block are formed: a tile entry (i, j) right of the
 * diagonal square serves row i and row j; inside the square both orders are
 * in the tile already. That halves the GEMM work of this pass. */
static fk_status knn_radii_sq(const fk_features *x, int k, int64_t rb, int64_t cb, double *r2,
                              fk_error *e)
{
    int64_t n = x->n;
    int d = x->d;
    cb = min64(cb, n);
    rb = min64(rb, n);
    fk__pd pd;
    fk_status s = fk__pd_init(&pd, d, rb, cb, e);
    if (s != FK_OK)
        return s;
    double *norms = malloc(sizeof(double) * (size_t)n);
    double *best = malloc(sizeof(double) * (size_t)n * (size_t)k);
    if (!norms || !best) {
        free(norms);
        free(best);
        fk__pd_free(&pd);
        return fk_fail(e, FK_ERR_NOMEM, "k-NN radii: out of memory for %lld rows", (long long)n);
    }
    fk__pd_norms(x->x, n, d, NULL, norms);
    for (int64_t q = 0; q < n * k; q++)
        best[q] = INFINITY;
    for (int64_t i0 = 0; i0 < n; i0 += rb) {
        int64_t ni = min64(rb, n - i0);
        for (int64_t j0 = i0; j0 < n; j0 += cb) {
            int64_t nj = min64(cb, n - j0);
            fk__pd_tile(&pd, x->x + (size_t)i0 * d, NULL, norms + i0, ni,
                        x->x + (size_t)j0 * d, NULL, norms + j0, nj);
            /* columns before `square` lie in the diagonal square */
            int64_t square = min64(i0 + ni - j0, nj);
            if (square < 0)
                square = 0;
            for (int64_t i = 0; i < ni; i++) {
                const double *t = pd.tile + (size_t)i * (size_t)nj;
                double *bi = best + (size_t)(i0 + i) * (size_t)k;
                for (int64_t j = 0; j < square; j++)
                    if (j0 + j != i0 + i)
                        keep_smallest(bi, k, t[j]);
                for (int64_t j = square; j < nj; j++) {
                    keep_smallest(bi, k, t[j]);
                    keep_smallest(best + (size_t)(j0 + j) * (size_t)k, k, t[j]);
                }
            }
        }
    }
    for (int64_t i = 0; i < n; i++)
        r2[i] = best[(size_t)i * (size_t)k + (size_t)(k - 1)];
    free(norms);
    free(best);
    fk__pd_free(&pd);
    return FK_OK;
}

fk_status fk_knn_radii(const fk_features *x, int k, const fk_prdc_options *opt, double *radii,
                       fk_error *e)
{
    int64_t rb = opt && opt->block_rows > 0 ? opt->block_rows : 1024;
    int64_t cb = opt && opt->block_cols > 0 ? opt->block_cols : 4096;
    if (k < 1)
        return fk_fail(e, FK_ERR_ARG, "k-NN radii: k = %d, must be at least 1", k);
    fk_status s = fk_features_check(x, "k-NN radii: features", (int64_t)k + 1, e);
    if (s != FK_OK)
        return s;
    if ((s = knn_radii_sq(x, k, rb, cb, radii, e)) != FK_OK)
        return s;
    for (int64_t i = 0; i < x->n; i++)
        radii[i] = sqrt(radii[i]);
    return FK_OK;
}

static const char *convention_name(fk_prdc_convention c)
{
    switch (c) {
    case FK_PR_ADM: return "adm";
    case FK_PR_TORCH_FIDELITY: return "torch-fidelity";
    case FK_PRDC_DGM_EVAL: return "dgm-eval";
    }
    return NULL;
}

fk_status fk_prdc(const fk_features *real, const fk_features *gen,
                  const fk_prdc_options *opt, fk_prdc_result *r, fk_error *e)
{
    fk_prdc_options o = opt ? *opt : fk_prdc_default_options(FK_PR_ADM);
    const char *name = convention_name(o.convention);
    if (!name)
        return fk_fail(e, FK_ERR_ARG, "precision/recall: unknown convention %d", (int)o.convention);
    int k = o.k > 0 ? o.k : (o.convention == FK_PRDC_DGM_EVAL ? 5 : 3);
    if (o.k < 0)
        return fk_fail(e, FK_ERR_ARG, "precision/recall: k = %d, must be at least 1", o.k);
    int64_t rb = o.block_rows > 0 ? o.block_rows : 1024;
    int64_t cb0 = o.block_cols > 0 ? o.block_cols : 4096;
    int strict = o.convention == FK_PRDC_DGM_EVAL;
    char what_r[96], what_g[96];
    snprintf(what_r, sizeof what_r, "precision/recall (k = %d): real features", k);
    snprintf(what_g, sizeof what_g, "precision/recall (k = %d): generated features", k);
    fk_status s = fk_features_check_pair(real, what_r, gen, what_g, (int64_t)k + 1, e);
    if (s != FK_OK)
        return s;

    int64_t nr = real->n, ng = gen->n;
    int d = real->d;
    double *rr = malloc(sizeof(double) * (size_t)nr), *rg = malloc(sizeof(double) * (size_t)ng);
    double *nnr = malloc(sizeof(double) * (size_t)nr);
    double *normr = malloc(sizeof(double) * (size_t)nr), *normg = malloc(sizeof(double) * (size_t)ng);
    unsigned char *r_in = calloc((size_t)nr, 1), *g_in = calloc((size_t)ng, 1);
    int64_t *dens = calloc((size_t)ng, sizeof(int64_t));
    fk__pd pd;
    memset(&pd, 0, sizeof pd);
    if (!rr || !rg || !nnr || !normr || !normg || !r_in || !g_in || !dens) {
        s = fk_fail(e, FK_ERR_NOMEM, "precision/recall: out of memory for %lld + %lld rows",
                    (long long)nr, (long long)ng);
        goto done;
    }
    if ((s = knn_radii_sq(real, k, rb, cb0, rr, e)) != FK_OK ||
        (s = knn_radii_sq(gen, k, rb, cb0, rg, e)) != FK_OK) {
        fk_fail_prefix(e, "precision/recall");
        goto done;
    }
    int64_t rbx = min64(rb, nr), cb = min64(cb0, ng);
    if ((s = fk__pd_init(&pd, d, rbx, cb, e)) != FK_OK)
        goto done;
    fk__pd_norms(real->x, nr, d, NULL, normr);
    fk__pd_norms(gen->x, ng, d, NULL, normg);
    for (int64_t i = 0; i < nr; i++)
        nnr[i] = INFINITY;
    for (int64_t i0 = 0; i0 < nr; i0 += rbx) {
        int64_t ni = min64(rbx, nr - i0);
        for (int64_t j0 = 0; j0 < ng; j0 += cb) {
            int64_t nj = min64(cb, ng - j0);
            fk__pd_tile(&pd, real->x + (size_t)i0 * d, NULL, normr + i0, ni,
                        gen->x + (size_t)j0 * d, NULL, normg + j0, nj);
            for (int64_t i = 0; i < ni; i++) {
                const double *t = pd.tile + (size_t)i * (size_t)nj;
                double ri = rr[i0 + i], best = nnr[i0 + i];
                unsigned char rin = r_in[i0 + i];
                for (int64_t j = 0; j < nj; j++) {
                    double v = t[j];
                    const double rj = rg[j0 + j];
                    int in_real_ball = strict ? v < ri : v <= ri;
                    int in_gen_ball = strict ? v < rj : v <= rj;
                    g_in[j0 + j] |= (unsigned char)in_real_ball;
                    dens[j0 + j] += in_real_ball;
                    rin |= (unsigned char)in_gen_ball;
                    if (v < best)
                        best = v;
                }
                nnr[i0 + i] = best;
                r_in[i0 + i] = rin;
            }
        }
    }
    int64_t cp = 0, cr = 0, cc = 0, cd = 0;
    for (int64_t j = 0; j < ng; j++) {
        cp += g_in[j];
        cd += dens[j];
    }
    for (int64_t i = 0; i < nr; i++) {
        cr += r_in[i];
        cc += strict ? nnr[i] < rr[i] : nnr[i] <= rr[i];
    }
    memset(r, 0, sizeof *r);
    r->precision = (double)cp / (double)ng;
    r->recall = (double)cr / (double)nr;
    r->f_score = 2 * r->precision * r->recall / fmax(1e-5, r->precision + r->recall);
    r->density = (double)cd / ((double)k * (double)ng);
    r->coverage = (double)cc / (double)nr;
    r->k = k;
    r->strict = strict;
    r->convention = name;
    r->n_real = nr;
    r->n_generated = ng;
done:
    fk__pd_free(&pd);
    free(rr);
    free(rg);
    free(nnr);
    free(normr);
    free(normg);
    free(r_in);
    free(g_in);
    free(dens);
    return s;
}

char *fk_prdc_format(const fk_prdc_result *r, char *buf, size_t n)
{
    snprintf(buf, n,
             "precision %.4f (generated rows inside real balls), recall %.4f (real rows inside "
             "generated balls), F %.4f, density %.4f, coverage %.4f [%s: k = %d, d %s r; %lld "
             "real, %lld generated]",
             r->precision, r->recall, r->f_score, r->density, r->coverage,
             r->convention ? r->convention : "?", r->k, r->strict ? "<" : "<=",
             (long long)r->n_real, (long long)r->n_generated);
    return buf;
}
