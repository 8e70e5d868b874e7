/* Each metric of an evaluation, from resolved sides to tagged results:
 * the value, its convention in words, N, the tag and a 95 % interval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval_internal.h"


static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void set_interval(fk_result *r, const fk_boot_result *b, const char *method)
{
    if (!isfinite(b->lo) || !isfinite(b->hi)) { /* absent, not [inf, inf] */
        r->interval.present = 0;
        snprintf(r->interval.method, sizeof r->interval.method, "%s gave a non-finite bound "
                 "(too few samples?)", method);
        return;
    }
    r->interval.present = 1;
    r->interval.level = b->level;
    r->interval.lo = b->lo;
    r->interval.hi = b->hi;
    r->interval.replicates = b->replicates;
    r->interval.bias = b->bias;
    snprintf(r->interval.method, sizeof r->interval.method, "%s", method);
}

static void set_n(fk_result *r, const eval_side *s, int nsides, int only_last)
{
    r->n_sides = only_last ? 1 : nsides;
    for (int k = 0; k < r->n_sides; k++)
        r->n[k] = s[only_last ? nsides - 1 : k].n;
}

static fk_boot_options boot_opts(const fk_eval_options *o, int replicates)
{
    fk_boot_options b = fk_boot_default_options();
    b.replicates = replicates;
    b.seed = o->seed;
    b.parallel = o->extract.parallel;
    return b;
}

/* The printed tag of a pair: the side with the fuller weights hash. */
static const fk_tag *pair_tag(const fk_tag *a, const fk_tag *b)
{
    return strlen(b->weights) > strlen(a->weights) ? b : a;
}

/* ---- FD-type -------------------------------------------------------------- */

static fk_status fd_metric(fk_metric m, const fk_eval_options *o, int layer, eval_side *s,
                           fk_results *out, fk_error *e)
{
    double t0 = now();
    fk_fd_result fr;
    fk_status st = fk_score_fd(&s[0].stats[layer], &s[1].stats[layer], &o->fd, &fr, e);
    if (st)
        return st;
    const fk_tag *tag = pair_tag(&s[0].stats[layer].tag, &s[1].stats[layer].tag);
    char label[48];
    fk_result r = fk_result_init(fk_metric_name(m), m == FK_METRIC_SFID ? "sFID"
                                 : fk_tag_fd_label(tag, label, sizeof label), tag);
    r.value = fr.fd;
    r.has_fd = 1;
    r.fd = fr;
    r.d = s[0].stats[layer].d;
    r.n_sides = 2;
    r.n[0] = s[0].stats[layer].n;
    r.n[1] = s[1].stats[layer].n;
    snprintf(r.convention, sizeof r.convention,
             "Fréchet distance, unbiased covariances, eigenvalue route");
    fk_boot_options bo = boot_opts(o, o->replicates_fd);
    fk_boot_result b;
    if (o->interval && s[0].has_rows && s[1].has_rows) {
        if (!(st = fk_score_fd_bootstrap(&s[0].sets[layer], &s[1].sets[layer], &bo, &b, e)))
            set_interval(&r, &b, "percentile bootstrap over images");
    } else if (o->interval && (s[0].has_rows || s[1].has_rows)) {
        /* One side is statistics only: resample the other side's images. */
        int rs = s[0].has_rows ? 0 : 1;
        if (!(st = fk_score_fd_bootstrap_fixed(&s[1 - rs].stats[layer], &s[rs].sets[layer], rs,
                                               &bo, &b, e)))
            set_interval(&r, &b, rs ? "percentile bootstrap over the generated images (real side: "
                                      "statistics)"
                                    : "percentile bootstrap over the real images (generated side: "
                                      "statistics)");
    } else if (o->interval) {
        snprintf(r.interval.method, sizeof r.interval.method,
                 "none: both sides are statistics, there are no images to resample");
    }
    r.seconds = now() - t0;
    return st ? st : fk_results_add(out, &r, e);
}

/* ---- statistics the generic bootstrap recomputes --------------------------- */

static fk_status stat_kid(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    fk_kid_result r;
    fk_status st = fk_kid(x, y, u, &r, NULL, e);
    *v = r.mean;
    return st;
}

/* k-NN metrics: resampling with replacement would duplicate points and
 * shrink the k-NN radii of the set that defines the balls, so a replicate
 * resamples only the evaluated set and keeps the other as it is: precision,
 * density and coverage resample the generated rows (real radii fixed),
 * recall resamples the real rows (generated radii fixed). */
typedef struct prdc_stat {
    fk_prdc_options o;
    int which; /* 0 precision, 1 recall, 2 density, 3 coverage */
    fk_features real, generated;
} prdc_stat;

static fk_status stat_prdc(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    prdc_stat *p = u;
    fk_prdc_result r;
    fk_status st = p->which == 1 ? fk_prdc(x, &p->generated, &p->o, &r, e)
                                 : fk_prdc(&p->real, y, &p->o, &r, e);
    *v = p->which == 0 ? r.precision : p->which == 1 ? r.recall : p->which == 2 ? r.density : r.coverage;
    return st;
}

static fk_status stat_is(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    (void)y;
    fk_is_result r;
    fk_status st = fk_inception_score(x, u, &r, NULL, e);
    *v = r.mean;
    return st;
}

static fk_status stat_cmmd(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    fk_cmmd_result r;
    fk_status st = fk_cmmd(x, y, u, &r, e);
    *v = r.cmmd;
    return st;
}

/* ---- the others ------------------------------------------------------------ */

static fk_status kid_metric(const fk_eval_options *o, int layer, eval_side *s, fk_results *out,
                            fk_error *e)
{
    double t0 = now();
    const fk_featset *x = &s[0].sets[layer], *y = &s[1].sets[layer];
    fk_kid_options ko = fk_kid_convention_options(o->kid_convention);
    ko.seed = o->seed;
    if (ko.convention == FK_KID_TORCH_FIDELITY) {
        /* torch-fidelity's input1 is the generated set: its subset is drawn
         * first (the estimate is symmetric, the draws are not). */
        const fk_featset *t = x;
        x = y;
        y = t;
    }
    if (o->kid_subsets > 0)
        ko.subsets = o->kid_subsets;
    if (o->kid_subset_size > 0) {
        ko.subset_size = o->kid_subset_size;
    } else {
        /* By default the subset shrinks to the smaller set, as clean-fid's
         * and torch-fidelity's users expect, and the result says so. */
        ko.shrink_to_fit = 1;
    }
    fk_kid_result kr;
    fk_status st = fk_score_kid(x, y, &ko, &kr, e);
    if (st)
        return st;
    fk_result r = fk_result_init("kid", "KID", &x->tag);
    r.value = kr.mean;
    /* One subset has no spread: its std is undefined, not 0 (or inf). */
    r.std = kr.subsets > 1 ? kr.std : NAN;
    r.subsets = kr.subsets;
    r.subset_size = kr.subset_size;
    r.seed = kr.seed;
    r.has_seed = 1;
    set_n(&r, s, 2, 0);
    char sd[32];
    if (kr.subsets > 1 && isfinite(kr.std))
        snprintf(sd, sizeof sd, "%.3g", kr.std);
    else
        snprintf(sd, sizeof sd, "undefined");
    snprintf(r.convention, sizeof r.convention, "KID (%s draws, seed %llu): poly kernel degree 3, "
             "unbiased MMD^2, %d subset%s of %lld; subset std %s", kr.convention,
             (unsigned long long)kr.seed, kr.subsets, kr.subsets == 1 ? "" : "s",
             (long long)kr.subset_size, sd);
    snprintf(r.extra, sizeof r.extra, "{\"draws\":\"%s\"}", kr.convention);
    if (ko.shrink_to_fit && kr.subset_size < fk_kid_default_options().subset_size &&
        out->n_notes < 4)
        snprintf(out->notes[out->n_notes++], sizeof out->notes[0],
                 "KID: subsets of %lld (the smaller set's size) instead of 1000",
                 (long long)kr.subset_size);
    fk_boot_options bo = boot_opts(o, o->replicates_other);
    fk_boot_result b;
    if (o->interval && !(st = fk_score_bootstrap(x, y, stat_kid, &ko, &bo, &b, e)))
        set_interval(&r, &b, "percentile bootstrap over images");
    r.seconds = now() - t0;
    return st ? st : fk_results_add(out, &r, e);
}

static fk_status prdc_metric(const fk_eval_options *o, int layer, eval_side *s,
                             fk_prdc_convention conv, fk_results *out, fk_error *e)
{
    double t0 = now();
    const fk_featset *x = &s[0].sets[layer], *y = &s[1].sets[layer];
    prdc_stat ps = {fk_prdc_default_options(conv), 0, fk_featset_view(x), fk_featset_view(y)};
    fk_prdc_result pr;
    fk_status st = fk_score_prdc(x, y, &ps.o, &pr, e);
    if (st)
        return st;
    static const char *const names[4] = {"precision", "recall", "density", "coverage"};
    double vals[4] = {pr.precision, pr.recall, pr.density, pr.coverage};
    int nm = conv == FK_PRDC_DGM_EVAL ? 4 : 2;
    for (int i = 0; i < nm && !st; i++) {
        fk_result r = fk_result_init(conv == FK_PRDC_DGM_EVAL ? "prdc" : "pr", names[i], &x->tag);
        r.value = vals[i];
        set_n(&r, s, 2, 0);
        snprintf(r.convention, sizeof r.convention, "%s (%s convention, k=%d, %s); precision over "
                 "generated, recall over real", names[i], pr.convention, pr.k,
                 pr.strict ? "d < radius" : "d <= radius");
        ps.which = i;
        fk_boot_options bo = boot_opts(o, o->replicates_other);
        fk_boot_result b;
        if (o->interval && !(st = fk_score_bootstrap(x, y, stat_prdc, &ps, &bo, &b, e)))
            set_interval(&r, &b, i == 1 ? "percentile bootstrap over real images, generated radii fixed"
                                        : "percentile bootstrap over generated images, real radii fixed");
        r.seconds = now() - t0;
        if (!st)
            st = fk_results_add(out, &r, e);
    }
    return st;
}

static fk_status is_metric(const fk_eval_options *o, int layer, eval_side *s, int nsides,
                           fk_results *out, fk_error *e)
{
    double t0 = now();
    const fk_featset *x = &s[nsides - 1].sets[layer];
    fk_is_options io = fk_is_default_options(o->is_convention);
    io.seed = o->seed;
    if (o->is_splits > 0)
        io.splits = o->is_splits;
    fk_is_result ir;
    fk_status st = fk_score_is(x, &io, &ir, e);
    if (st)
        return st;
    fk_result r = fk_result_init("is", "IS", &x->tag);
    r.value = ir.mean;
    r.std = ir.std;
    r.splits = ir.splits;
    r.seed = ir.seed;
    r.has_seed = ir.shuffled;
    set_n(&r, s, nsides, 1);
    char how[64] = "in file order, no shuffle";
    if (ir.shuffled)
        snprintf(how, sizeof how, "shuffled with seed %llu", (unsigned long long)ir.seed);
    snprintf(r.convention, sizeof r.convention, "Inception Score of %s (%s: %d splits %s, std "
             "%.4g), logits without fc bias", nsides == 2 ? "FAKE" : "the set", ir.convention,
             ir.splits, how, ir.std);
    snprintf(r.extra, sizeof r.extra, "{\"convention_name\":\"%s\"}", ir.convention);
    fk_boot_options bo = boot_opts(o, o->replicates_other);
    fk_boot_result b;
    if (o->interval && !(st = fk_score_bootstrap(x, x, stat_is, &io, &bo, &b, e)))
        set_interval(&r, &b, "percentile bootstrap over images");
    r.seconds = now() - t0;
    return st ? st : fk_results_add(out, &r, e);
}

static fk_status fdinf_metric(const fk_eval_options *o, int layer, eval_side *s, fk_results *out,
                              fk_error *e)
{
    double t0 = now();
    const fk_featset *x = &s[0].sets[layer], *y = &s[1].sets[layer];
    fk_fdinf_options fo = fk_fdinf_default_options();
    fo.seed = o->seed;
    fk_fdinf_result fr;
    fk_status st = fk_score_fdinf(x, y, &fo, &fr, e);
    if (st)
        return st;
    fk_result r = fk_result_init("fd-inf", "FD-inf", &x->tag);
    r.value = fr.fd_inf;
    r.seed = o->seed;
    r.has_seed = 1;
    set_n(&r, s, 2, 0);
    snprintf(r.convention, sizeof r.convention, "FD-infinity (dgm-eval): FD at %d subset sizes, "
             "linear fit in 1/N, intercept", fr.num_points);
    if (o->interval) {
        /* The interval comes from the fit itself: intercept +- z standard errors. */
        fk_boot_result b = {0};
        b.lo = fr.fd_inf - FK_Z95 * fr.std_error;
        b.hi = fr.fd_inf + FK_Z95 * fr.std_error;
        b.level = 0.95;
        b.replicates = fr.num_points;
        set_interval(&r, &b, "normal, from the fit's standard error (replicates = fit points)");
    }
    r.seconds = now() - t0;
    return fk_results_add(out, &r, e);
}

static fk_status cmmd_metric(const fk_eval_options *o, int layer, eval_side *s, fk_results *out,
                             fk_error *e)
{
    double t0 = now();
    const fk_featset *x = &s[0].sets[layer], *y = &s[1].sets[layer];
    fk_cmmd_options co = fk_cmmd_default_options();
    co.normalize = 1;
    fk_cmmd_result cr;
    fk_status st = fk_score_cmmd(x, y, &co, &cr, e);
    if (st)
        return st;
    fk_result r = fk_result_init("cmmd", "CMMD", &x->tag);
    r.value = cr.cmmd;
    set_n(&r, s, 2, 0);
    snprintf(r.convention, sizeof r.convention, "CMMD (Jayasumana et al.): Gaussian RBF sigma 10 on "
             "L2-normalised rows, biased MMD^2, x1000");
    fk_boot_options bo = boot_opts(o, o->replicates_other);
    fk_boot_result b;
    if (o->interval && !(st = fk_score_bootstrap(x, y, stat_cmmd, &co, &bo, &b, e)))
        set_interval(&r, &b, "percentile bootstrap over images");
    r.seconds = now() - t0;
    return st ? st : fk_results_add(out, &r, e);
}

fk_status fk__eval_metric(fk_metric m, const fk_eval_options *o, const eval_layers *L,
                          eval_side *s, int nsides, fk_results *out, fk_error *e)
{
    switch (m) {
    case FK_METRIC_FD: return fd_metric(m, o, L->i_main, s, out, e);
    case FK_METRIC_SFID: return fd_metric(m, o, L->i_spatial, s, out, e);
    case FK_METRIC_KID: return kid_metric(o, L->i_main, s, out, e);
    case FK_METRIC_PR: return prdc_metric(o, L->i_main, s, FK_PR_ADM, out, e);
    case FK_METRIC_PRDC: return prdc_metric(o, L->i_main, s, FK_PRDC_DGM_EVAL, out, e);
    case FK_METRIC_IS: return is_metric(o, L->i_logits, s, nsides, out, e);
    case FK_METRIC_FDINF: return fdinf_metric(o, L->i_main, s, out, e);
    case FK_METRIC_CMMD: return cmmd_metric(o, L->i_main, s, out, e);
    default: return fk_fail(e, FK_ERR_INTERNAL, "metric %d is unknown", (int)m);
    }
}
