/* fidkit score REAL FAKE --metrics ...: the metric family from one pass. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/bootstrap.h"
#include "fidkit/cmmd.h"
#include "fidkit/featfile.h"
#include "fidkit/fdinf.h"
#include "fidkit/fidkit.h"
#include "fidkit/inception_score.h"
#include "fidkit/kid.h"
#include "fidkit/prdc.h"

static const char usage_text[] =
    "usage: fidkit score REAL FAKE [--metrics LIST] [options]\n"
    "\n"
    "Computes several metrics from one feature extraction per dataset. REAL\n"
    "and FAKE are datasets, features files (`fidkit extract`) or, for fid\n"
    "alone, stats files (`fidkit stats`). Every score\n"
    "is printed with its convention, N, the backbone tag and a 95 % interval.\n"
    "\n"
    "metrics (comma-separated; default fid,kid,pr):\n"
    "  fid      Fréchet distance in the backbone's space (FID for FID Inception)\n"
    "  sfid     FD of the ADM evaluator's spatial features (Inception output\n"
    "           `spatial`: Mixed_6d branch1x1, 7 channels, 2023-d)\n"
    "  kid      KID: (x.y/d+1)^3 kernel, unbiased, 100 subsets of 1000, drawn as\n"
    "           torch-fidelity draws them (--kid-convention to change)\n"
    "  pr       precision and recall, k=3 (the ADM evaluator's convention)\n"
    "  prdc     precision, recall, density, coverage, k=5 (dgm-eval)\n"
    "  is       Inception Score of FAKE (torch-fidelity's 10 shuffled splits;\n"
    "           needs the output `logits_unbiased`)\n"
    "  fd-inf   FD extrapolated to infinite N (Chong and Forsyth; dgm-eval)\n"
    "  cmmd     CMMD: RBF kernel (sigma 10) on L2-normalised embeddings, x1000\n"
    "           (meaningful with a CLIP backbone)\n"
    "\n"
    "options:\n"
    "  --metrics LIST          which metrics\n"
    "  --ci bootstrap|none     95 % intervals (default bootstrap)\n"
    "  --replicates B          bootstrap replicates for FD-type metrics (200)\n"
    "  --replicates-other B    replicates for the other metrics (20: each\n"
    "                          replicate recomputes the metric in full)\n"
    "  --kid-subset-size M     KID subset size when a set has fewer than 1000\n"
    "  --kid-convention C      whose KID subsets: torch-fidelity (input1 = FAKE),\n"
    "                          clean-fid, torchmetrics or fidkit (docs/metrics.md)\n"
    "  --splits K              IS splits (10)\n"
    "  --seed S                seed of subsets, splits and resamples (2020)\n"
    FK_CLI_EXTRACT_HELP;

enum { M_FID, M_SFID, M_KID, M_PR, M_PRDC, M_IS, M_FDINF, M_CMMD, M_N };
static const char *const metric_names[M_N] = {"fid", "sfid", "kid", "pr", "prdc", "is", "fd-inf", "cmmd"};

/* The rows of one output for both sides. */
typedef struct side_rows {
    float *rows[2];
    int64_t n[2];
    int d;
    fk_tag tag;
    fk_stats *stats[2];  /* a side given as a stats file: moments, no rows */
} side_rows;

typedef struct score_ctx {
    int ci;
    int reps_fd, reps_other;
    uint64_t seed;
    int64_t kid_m;
    cJSON *json;        /* array of results */
    int text;
    int is_splits;      /* 0: the convention's */
    fk_kid_convention kid_conv;
} score_ctx;

static void add_result(score_ctx *c, const char *metric, const char *name, double value,
                       const char *convention, const fk_tag *tag, int64_t n1, int64_t n2,
                       const fk_boot_result *ci, const char *ci_method)
{
    char ts[FK_TAG_STR_MAX];
    fk_tag_str(tag, 0, ts, sizeof ts);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "metric", metric);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "value", value);
    cJSON_AddStringToObject(o, "convention", convention);
    cJSON_AddStringToObject(o, "tag", ts);
    cJSON *n = cJSON_AddArrayToObject(o, "n");
    cJSON_AddItemToArray(n, cJSON_CreateNumber((double)n1));
    if (n2 >= 0)
        cJSON_AddItemToArray(n, cJSON_CreateNumber((double)n2));
    if (ci) {
        cJSON *iv = cJSON_AddObjectToObject(o, "interval");
        cJSON_AddNumberToObject(iv, "level", ci->level);
        cJSON_AddNumberToObject(iv, "lo", ci->lo);
        cJSON_AddNumberToObject(iv, "hi", ci->hi);
        cJSON_AddStringToObject(iv, "method", ci_method);
        cJSON_AddNumberToObject(iv, "replicates", ci->replicates);
        cJSON_AddNumberToObject(iv, "replicate_bias", ci->bias);
    } else {
        cJSON_AddNullToObject(o, "interval");
    }
    cJSON_AddItemToArray(c->json, o);
    if (c->text) {
        printf("%-10s %12.6f", name, value);
        if (ci)
            printf("   95%% [%.6f, %.6f]", ci->lo, ci->hi);
        printf("\n           %s; N = %lld", convention, (long long)n1);
        if (n2 >= 0)
            printf(" and %lld", (long long)n2);
        if (ci)
            printf("; interval: %s, %d replicates", ci_method, ci->replicates);
        printf("\n           %s\n", ts);
    }
}

/* ---- statistics the generic bootstrap recomputes ----------------------- */

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

static fk_status boot(score_ctx *c, const fk_features *x, const fk_features *y, fk_boot_statistic fn,
                      void *u, fk_boot_result *r, fk_error *e)
{
    fk_boot_options bo = fk_boot_default_options();
    bo.replicates = c->reps_other;
    bo.seed = c->seed;
    return fk_bootstrap(x, y, fn, u, &bo, r, NULL, e);
}

/* ---- the metrics ------------------------------------------------------- */

static fk_status fd_metric(score_ctx *c, const char *metric, const char *name, const side_rows *s,
                           fk_error *e)
{
    fk_features x = fk_features_view(s->rows[0], s->n[0], s->d);
    fk_features y = fk_features_view(s->rows[1], s->n[1], s->d);
    fk_moments m[2];
    double *mu[2] = {0}, *sg[2] = {0};
    fk_status st = FK_OK;
    for (int k = 0; k < 2 && !st; k++) {
        if (s->stats[k])
            continue;
        mu[k] = malloc(sizeof(double) * s->d);
        sg[k] = malloc(sizeof(double) * s->d * s->d);
        if (!mu[k] || !sg[k])
            st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        if (!st)
            st = fk_moments_init(&m[k], s->d, e);
        if (!st && !(st = fk_moments_add(&m[k], s->rows[k], s->n[k], e)))
            st = fk_moments_result(&m[k], mu[k], sg[k], e);
        fk_moments_free(&m[k]);
    }
    const double *m0 = s->stats[0] ? s->stats[0]->mu : mu[0], *s0 = s->stats[0] ? s->stats[0]->sigma : sg[0];
    const double *m1 = s->stats[1] ? s->stats[1]->mu : mu[1], *s1 = s->stats[1] ? s->stats[1]->sigma : sg[1];
    fk_fd_result r;
    if (!st)
        st = fk_frechet(s->d, m0, s0, m1, s1, NULL, &r, e);
    fk_boot_result b, *bp = NULL;
    const char *how = "percentile bootstrap over images";
    if (!st && c->ci && !s->stats[0] && !s->stats[1]) {
        fk_boot_options bo = fk_boot_default_options();
        bo.replicates = c->reps_fd;
        bo.seed = c->seed;
        if (!(st = fk_bootstrap_fd(&x, &y, &bo, &b, NULL, e)))
            bp = &b;
    } else if (!st && c->ci && (!s->stats[0] || !s->stats[1])) {
        /* One side is statistics only: resample the other side's images. */
        int rs = s->stats[0] ? 1 : 0;
        fk_boot_fixed_stats f = {s->d, s->stats[1 - rs]->mu, s->stats[1 - rs]->sigma, rs};
        fk_boot_options bo = fk_boot_default_options();
        bo.replicates = c->reps_fd;
        bo.seed = c->seed;
        bo.nonnegative = 1;
        const fk_features *rows = rs ? &y : &x;
        if (!(st = fk_bootstrap(rows, rows, fk_boot_stat_fd_fixed, &f, &bo, &b, NULL, e)))
            bp = &b;
        how = rs ? "percentile bootstrap over the generated images (real side: statistics)"
                 : "percentile bootstrap over the real images (generated side: statistics)";
    }
    int64_t n0 = s->stats[0] ? s->stats[0]->n : s->n[0], n1 = s->stats[1] ? s->stats[1]->n : s->n[1];
    if (!st)
        add_result(c, metric, name, r.fd, "Fréchet distance, unbiased covariances, eigenvalue route",
                   &s->tag, n0, n1, bp, how);
    if (!st && c->ci && !bp && c->text)
        printf("           no interval: both sides are statistics, there are no images to resample\n");
    for (int k = 0; k < 2; k++) {
        free(mu[k]);
        free(sg[k]);
    }
    return st;
}

static fk_status kid_metric(score_ctx *c, const side_rows *s, fk_error *e)
{
    fk_features x = fk_features_view(s->rows[0], s->n[0], s->d);
    fk_features y = fk_features_view(s->rows[1], s->n[1], s->d);
    fk_kid_options o = fk_kid_convention_options(c->kid_conv);
    o.seed = c->seed;
    if (c->kid_m)
        o.subset_size = c->kid_m;
    if (o.convention == FK_KID_TORCH_FIDELITY) {
        /* torch-fidelity's input1 is the generated set: its subset is drawn first. */
        fk_features t = x;
        x = y;
        y = t;
    }
    fk_kid_result r;
    fk_status st = fk_kid(&x, &y, &o, &r, NULL, e);
    if (st)
        return st;
    fk_boot_result b, *bp = NULL;
    if (c->ci && !(st = boot(c, &x, &y, stat_kid, &o, &b, e)))
        bp = &b;
    char conv[256];
    snprintf(conv, sizeof conv, "KID (%s draws, seed %llu): poly kernel degree 3, unbiased MMD^2, "
             "%d subsets of %lld; subset std %.3g", r.convention, (unsigned long long)r.seed,
             r.subsets, (long long)r.subset_size, r.std);
    if (!st) {
        add_result(c, "kid", "KID", r.mean, conv, &s->tag, s->n[0], s->n[1], bp,
                   "percentile bootstrap over images");
        cJSON *j = cJSON_GetArrayItem(c->json, cJSON_GetArraySize(c->json) - 1);
        cJSON_AddStringToObject(j, "draws", r.convention);
        cJSON_AddNumberToObject(j, "seed", (double)r.seed);
        cJSON_AddNumberToObject(j, "subsets", r.subsets);
        cJSON_AddNumberToObject(j, "subset_size", (double)r.subset_size);
    }
    return st;
}

static fk_status prdc_metric(score_ctx *c, const side_rows *s, fk_prdc_convention conv, fk_error *e)
{
    fk_features x = fk_features_view(s->rows[0], s->n[0], s->d);
    fk_features y = fk_features_view(s->rows[1], s->n[1], s->d);
    prdc_stat ps = {fk_prdc_default_options(conv), 0, x, y};
    fk_prdc_result r;
    fk_status st = fk_prdc(&x, &y, &ps.o, &r, e);
    if (st)
        return st;
    const char *names[4] = {"precision", "recall", "density", "coverage"};
    double vals[4] = {r.precision, r.recall, r.density, r.coverage};
    int nm = conv == FK_PRDC_DGM_EVAL ? 4 : 2;
    for (int i = 0; i < nm && !st; i++) {
        fk_boot_result b, *bp = NULL;
        ps.which = i;
        if (c->ci && !(st = boot(c, &x, &y, stat_prdc, &ps, &b, e)))
            bp = &b;
        char cv[256];
        snprintf(cv, sizeof cv, "%s (%s convention, k=%d, %s); precision over generated, recall over real",
                 names[i], r.convention, r.k, r.strict ? "d < radius" : "d <= radius");
        if (!st)
            add_result(c, conv == FK_PRDC_DGM_EVAL ? "prdc" : "pr", names[i], vals[i], cv, &s->tag,
                       s->n[0], s->n[1], bp,
                       i == 1 ? "percentile bootstrap over real images, generated radii fixed"
                              : "percentile bootstrap over generated images, real radii fixed");
    }
    return st;
}

static fk_status is_metric(score_ctx *c, const side_rows *s, fk_error *e)
{
    fk_features x = fk_features_view(s->rows[1], s->n[1], s->d);
    fk_is_options o = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    o.seed = c->seed;
    if (c->is_splits)
        o.splits = c->is_splits;
    fk_is_result r;
    fk_status st = fk_inception_score(&x, &o, &r, NULL, e);
    if (st)
        return st;
    fk_boot_result b, *bp = NULL;
    if (c->ci && !(st = boot(c, &x, &x, stat_is, &o, &b, e)))
        bp = &b;
    char conv[256];
    snprintf(conv, sizeof conv, "Inception Score of FAKE (%s: %d splits shuffled with seed %llu, std "
             "%.4g), logits without fc bias", r.convention, r.splits, (unsigned long long)r.seed, r.std);
    if (!st) {
        add_result(c, "is", "IS", r.mean, conv, &s->tag, s->n[1], -1, bp,
                   "percentile bootstrap over images");
        cJSON *j = cJSON_GetArrayItem(c->json, cJSON_GetArraySize(c->json) - 1);
        cJSON_AddNumberToObject(j, "seed", (double)r.seed);
        cJSON_AddNumberToObject(j, "splits", r.splits);
        cJSON_AddNumberToObject(j, "std", r.std);
    }
    return st;
}

static fk_status fdinf_metric(score_ctx *c, const side_rows *s, fk_error *e)
{
    fk_features x = fk_features_view(s->rows[0], s->n[0], s->d);
    fk_features y = fk_features_view(s->rows[1], s->n[1], s->d);
    fk_fdinf_options o = fk_fdinf_default_options();
    o.seed = c->seed;
    fk_fdinf_result r;
    fk_status st = fk_fd_infinity(&x, &y, &o, &r, NULL, NULL, e);
    if (st)
        return st;
    /* The interval comes from the fit itself: intercept +- 1.96 standard errors. */
    fk_boot_result b = {0};
    b.estimate = r.fd_inf;
    b.lo = r.fd_inf - 1.959963984540054 * r.std_error;
    b.hi = r.fd_inf + 1.959963984540054 * r.std_error;
    b.level = 0.95;
    b.replicates = r.num_points;
    char conv[160];
    snprintf(conv, sizeof conv, "FD-infinity (dgm-eval): FD at %d subset sizes, linear fit in 1/N, "
             "intercept", r.num_points);
    add_result(c, "fd-inf", "FD-inf", r.fd_inf, conv, &s->tag, s->n[0], s->n[1], c->ci ? &b : NULL,
               "normal, from the fit's standard error (replicates = fit points)");
    return FK_OK;
}

static fk_status cmmd_metric(score_ctx *c, const side_rows *s, fk_error *e)
{
    fk_features x = fk_features_view(s->rows[0], s->n[0], s->d);
    fk_features y = fk_features_view(s->rows[1], s->n[1], s->d);
    fk_cmmd_options o = fk_cmmd_default_options();
    o.normalize = 1;
    fk_cmmd_result r;
    fk_status st = fk_cmmd(&x, &y, &o, &r, e);
    if (st)
        return st;
    fk_boot_result b, *bp = NULL;
    if (c->ci && !(st = boot(c, &x, &y, stat_cmmd, &o, &b, e)))
        bp = &b;
    if (!st)
        add_result(c, "cmmd", "CMMD", r.cmmd,
                   "CMMD (Jayasumana et al.): Gaussian RBF sigma 10 on L2-normalised rows, biased "
                   "MMD^2, x1000", &s->tag, s->n[0], s->n[1], bp, "percentile bootstrap over images");
    return st;
}

/* ---- gathering the features ------------------------------------------- */

/* Loads, for side k, the rows of each output in names[] from a features
 * file, or extracts them all in one pass. */
static fk_status gather(fk_cli_extract *o, fk_backbone **b, const char *path, int k, const char **names,
                        int nn, side_rows *out, fk_error *e)
{
    fk_status st = FK_OK;
    if (fk_cli_is_stats_file(path)) {
        /* Statistics only: good for the FD of the main output, nothing else. */
        if (nn > 1)
            return fk_fail(e, FK_ERR_ARG, "%s is a stats file: it holds no %s features; keep the rows "
                           "with `fidkit extract` for these metrics", path, names[1]);
        fk_stats *sf = calloc(1, sizeof *sf);
        if (!sf)
            return fk_fail(e, FK_ERR_NOMEM, "out of memory");
        if ((st = fk_stats_read(path, sf, e))) {
            free(sf);
            return st;
        }
        out[0].stats[k] = sf;
        if (!sf->has_tag)
            return fk_fail(e, FK_ERR_TAG, "%s carries no backbone tag (pytorch-fid or clean-fid "
                           "statistics?): compare it with `fidkit fid --assume-backbone`", path);
        if (k == 1 && (st = fk_tag_check(&out[0].tag, &sf->tag, e)))
            return st;
        if (k == 1 && sf->d != out[0].d)
            return fk_fail(e, FK_ERR_FORMAT, "%s: dimension %d, the other side has %d", path, sf->d,
                           out[0].d);
        out[0].tag = sf->tag;
        out[0].d = sf->d;
        return FK_OK;
    }
    if (fk_featfile_is(path)) {
        for (int i = 0; i < nn && !st; i++) {
            int has_tag, d;
            fk_tag t;
            st = fk_featfile_read(path, i ? names[i] : NULL, &out[i].rows[k], &out[i].n[k], &d, &t,
                                  &has_tag, e);
            if (!st && !has_tag)
                st = fk_fail(e, FK_ERR_TAG, "%s carries no backbone tag (clean-fid features?): fidkit "
                             "cannot tell which ruler measured it", path);
            if (!st && k == 1 && (st = fk_tag_check(&out[i].tag, &t, e)))
                break;
            if (!st && k == 1 && d != out[i].d)
                st = fk_fail(e, FK_ERR_FORMAT, "%s: dimension %d, the other side has %d", path, d,
                             out[i].d);
            out[i].tag = t;
            out[i].d = d;
        }
        return st;
    }
    if (!*b && (st = fk_cli_open_backbone(o, names, nn, b, e)))
        return st;
    fk_feature_set sets[16];
    o->ex.keep_rows = 1;
    if ((st = fk_cli_extract_run(o, *b, path, sets, e)))
        return st;
    for (int i = 0; i < nn; i++) {
        if (k == 1 && !st)
            st = fk_tag_check(&out[i].tag, &sets[i].tag, e);
        out[i].tag = sets[i].tag;
        out[i].d = sets[i].d;
        out[i].n[k] = sets[i].n;
        out[i].rows[k] = sets[i].rows;
        sets[i].rows = NULL;
        fk_feature_set_free(&sets[i]);
    }
    return st;
}

int fk_cmd_score(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *side[2] = {0};
    char *metrics = NULL;
    int nside = 0;
    score_ctx c = {1, 200, 20, 2020, 0, NULL, 1, 0, FK_KID_TORCH_FIDELITY};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            /* Before the shared options, which would take --seed for --subset
             * alone: one seed serves subsets, splits, resamples and --subset. */
            char *end;
            const char *v = argv[++i];
            c.seed = strtoull(v, &end, 10);
            if (*end || v[0] == '-' || !v[0])
                return fk_cli_usage_error("score", "--seed needs a non-negative integer");
            o.ex.dataset.seed = c.seed;
            continue;
        }
        int r = fk_cli_extract_option("score", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        const char *a = argv[i];
        if (fk_cli_is_help(a)) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(a, "--metrics") && i + 1 < argc) {
            metrics = argv[++i];
        } else if (!strcmp(a, "--ci") && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "bootstrap") && strcmp(v, "none"))
                return fk_cli_usage_error("score", "--ci takes bootstrap or none");
            c.ci = !strcmp(v, "bootstrap");
        } else if (!strcmp(a, "--replicates") && i + 1 < argc) {
            if ((c.reps_fd = atoi(argv[++i])) < 10)
                return fk_cli_usage_error("score", "--replicates needs at least 10");
        } else if (!strcmp(a, "--replicates-other") && i + 1 < argc) {
            if ((c.reps_other = atoi(argv[++i])) < 10)
                return fk_cli_usage_error("score", "--replicates-other needs at least 10");
        } else if (!strcmp(a, "--kid-subset-size") && i + 1 < argc) {
            if ((c.kid_m = atoll(argv[++i])) < 2)
                return fk_cli_usage_error("score", "--kid-subset-size needs at least 2");
        } else if (!strcmp(a, "--kid-convention") && i + 1 < argc) {
            if (fk_kid_convention_parse(argv[++i], &c.kid_conv))
                return fk_cli_usage_error("score", "unknown KID convention '%s' (torch-fidelity, "
                                          "clean-fid, torchmetrics, fidkit)", argv[i]);
        } else if (!strcmp(a, "--splits") && i + 1 < argc) {
            if ((c.is_splits = atoi(argv[++i])) < 1)
                return fk_cli_usage_error("score", "--splits needs a positive number");
        } else if (a[0] == '-' && a[1]) {
            return fk_cli_usage_error("score", "unknown option '%s'", a);
        } else if (nside < 2) {
            side[nside++] = a;
        } else {
            return fk_cli_usage_error("score", "too many arguments: '%s'", a);
        }
    }
    if (nside != 2)
        return fk_cli_usage_error("score", "REAL and FAKE are needed");
    int want[M_N] = {0};
    char *list = strdup(metrics ? metrics : "fid,kid,pr");
    const char *items[32];
    int ni = fk_cli_split_list(list, items, 32);
    for (int i = 0; i < ni; i++) {
        int j = 0;
        while (j < M_N && strcmp(items[i], metric_names[j]))
            j++;
        if (j == M_N) {
            int rc = fk_cli_usage_error("score", "unknown metric '%s' (fid, sfid, kid, pr, prdc, is, "
                                        "fd-inf, cmmd)", items[i]);
            free(list);
            return rc;
        }
        want[j] = 1;
    }
    free(list);

    /* Outputs: the config's main output first, then the extra ones. "" stands
     * for the config's output until the backbone or file names it. */
    fk_error e = {0};
    char cfgpath[1024];
    fk_config cfg;
    fk_status st = FK_OK;
    const char *names[3];
    int nn = 0, i_main = -1, i_logits = -1, i_spatial = -1;
    int stored[2];
    for (int k = 0; k < 2; k++)
        stored[k] = fk_featfile_is(side[k]) || fk_cli_is_stats_file(side[k]);
    if (!stored[0] || !stored[1]) {
        if ((st = fk_config_find(o.backbone ? o.backbone : FK_CLI_DEFAULT_BACKBONE, cfgpath,
                                 sizeof cfgpath, &e)) ||
            (st = fk_config_load(cfgpath, &cfg, &e)))
            return fk_cli_report("score", &e);
        o.backbone = cfgpath;
        names[nn] = cfg.output;
    } else {
        names[nn] = "";
    }
    i_main = nn++;
    if (want[M_IS])
        names[i_logits = nn++] = "logits_unbiased";
    if (want[M_SFID])
        names[i_spatial = nn++] = "spatial";

    side_rows rows[3];
    memset(rows, 0, sizeof rows);
    fk_backbone *b = NULL;
    for (int k = 0; k < 2 && !st; k++)
        st = gather(&o, &b, side[k], k, names, nn, rows, &e);
    fk_backbone_close(b);

    int has_stats = rows[0].stats[0] || rows[0].stats[1];
    for (int j = 0; !st && has_stats && j < M_N; j++)
        if (want[j] && j != M_FID)
            st = fk_fail(&e, FK_ERR_ARG, "%s needs feature rows, and a stats file holds only mu and "
                         "sigma: keep the rows with `fidkit extract` (only fid works from stats files)",
                         metric_names[j]);
    c.json = cJSON_CreateArray();
    c.text = !o.json;
    if (!st && c.text)
        printf("fidkit score: %s (real) vs %s (generated)\n\n", side[0], side[1]);
    if (!st && want[M_FID])
        st = fd_metric(&c, "fid", strcmp(rows[i_main].tag.backbone, "inception_v3") ? "FD" : "FID",
                       &rows[i_main], &e);
    if (!st && want[M_SFID])
        st = fd_metric(&c, "sfid", "sFID", &rows[i_spatial], &e);
    if (!st && want[M_KID])
        st = kid_metric(&c, &rows[i_main], &e);
    if (!st && want[M_PR])
        st = prdc_metric(&c, &rows[i_main], FK_PR_ADM, &e);
    if (!st && want[M_PRDC])
        st = prdc_metric(&c, &rows[i_main], FK_PRDC_DGM_EVAL, &e);
    if (!st && want[M_IS])
        st = is_metric(&c, &rows[i_logits], &e);
    if (!st && want[M_FDINF])
        st = fdinf_metric(&c, &rows[i_main], &e);
    if (!st && want[M_CMMD])
        st = cmmd_metric(&c, &rows[i_main], &e);
    if (!st && o.json) {
        cJSON *top = cJSON_CreateObject();
        cJSON_AddStringToObject(top, "real", side[0]);
        cJSON_AddStringToObject(top, "generated", side[1]);
        cJSON_AddItemToObject(top, "scores", c.json);
        c.json = NULL;
        char *t = cJSON_Print(top);
        puts(t);
        cJSON_free(t);
        cJSON_Delete(top);
    }
    cJSON_Delete(c.json);
    for (int i = 0; i < nn; i++) {
        for (int k = 0; k < 2; k++) {
            free(rows[i].rows[k]);
            if (rows[i].stats[k])
                fk_stats_free(rows[i].stats[k]);
            free(rows[i].stats[k]);
        }
    }
    return st ? fk_cli_report("score", &e) : FK_EXIT_OK;
}
