/* fidkit adm REF.npz SAMPLE.npz: the ADM evaluator's five numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/bootstrap.h"
#include "fidkit/fidkit.h"
#include "fidkit/inception_score.h"
#include "fidkit/prdc.h"

static const char usage_text[] =
    "usage: fidkit adm REF.npz SAMPLE.npz [options]\n"
    "\n"
    "Prints what OpenAI's guided-diffusion evaluator prints — Inception Score,\n"
    "FID, sFID, precision and recall — from its npz files as they are\n"
    "published: a reference batch holds `mu`, `sigma` (pool3), `mu_s`,\n"
    "`sigma_s` (spatial) over the whole dataset and 10,000 images in `arr_0`\n"
    "(used for precision/recall); a sample batch holds uint8 NHWC `arr_0`.\n"
    "Both are streamed. The network is the FID Inception fed as the TF graph is:\n"
    "TF1 bilinear resize, (x - 128) / 128 (config inception_v3_fid_tf); the\n"
    "reference statistics, computed by the evaluator, are taken to be of that\n"
    "ruler. Intervals: bootstrap over the sample's images.\n"
    "\n"
    "options:\n"
    "  --ci bootstrap|none     95 % intervals (default bootstrap)\n"
    "  --replicates B          replicates (default 200 for FID/sFID, 20 for the rest)\n"
    "  --seed S                bootstrap seed (2020)\n"
    FK_CLI_EXTRACT_HELP;

static fk_status stat_is(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    (void)y;
    fk_is_result r;
    fk_status st = fk_inception_score(x, u, &r, NULL, e);
    *v = r.mean;
    return st;
}

typedef struct pr_stat {
    fk_prdc_options o;
    int recall;
    fk_features ref, sample;
} pr_stat;

/* As in `fidkit score`: resample only the evaluated set. */
static fk_status stat_pr(const fk_features *x, const fk_features *y, void *u, double *v, fk_error *e)
{
    pr_stat *p = u;
    fk_prdc_result r;
    fk_status st = p->recall ? fk_prdc(x, &p->sample, &p->o, &r, e) : fk_prdc(&p->ref, y, &p->o, &r, e);
    *v = p->recall ? r.recall : r.precision;
    return st;
}

static fk_status load_ref_stats(const char *path, const char *mu_name, const char *sg_name, int d,
                                double **mu, double **sg, fk_error *e)
{
    fk_array a = {0}, b = {0};
    fk_status st = fk_npz_load(path, mu_name, &a, e);
    if (!st)
        st = fk_npz_load(path, sg_name, &b, e);
    if (!st && (a.dtype != FK_F64 || a.ndim != 1 || a.shape[0] != d || b.dtype != FK_F64 ||
                b.ndim != 2 || b.shape[0] != d || b.shape[1] != d))
        st = fk_fail(e, FK_ERR_FORMAT, "%s: '%s'/'%s' are not float64 (%d,) and (%d, %d)", path,
                     mu_name, sg_name, d, d, d);
    if (st) {
        fk_array_free(&a);
        fk_array_free(&b);
        return st;
    }
    *mu = a.data;
    *sg = b.data;
    return FK_OK;
}

static void line(const char *name, double v, const fk_boot_result *b, int json, int *first)
{
    if (json) {
        printf("%s\n    {\"name\": \"%s\", \"value\": %.17g", *first ? "" : ",", name, v);
        if (b)
            printf(", \"interval\": {\"level\": 0.95, \"lo\": %.17g, \"hi\": %.17g, \"replicates\": %d}",
                   b->lo, b->hi, b->replicates);
        printf("}");
        *first = 0;
        return;
    }
    printf("%s: %.6f", name, v);
    if (b)
        printf("   (95%% [%.6f, %.6f], %d replicates)", b->lo, b->hi, b->replicates);
    printf("\n");
}

int fk_cmd_adm(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    o.backbone = "inception_v3_fid_tf";
    const char *ref = NULL, *sample = NULL;
    int ci = 1, reps = 0;
    uint64_t seed = 2020;
    for (int i = 1; i < argc; i++) {
        int r = fk_cli_extract_option("adm", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(argv[i], "--ci") && i + 1 < argc) {
            ci = !strcmp(argv[++i], "bootstrap");
        } else if (!strcmp(argv[i], "--replicates") && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fk_cli_usage_error("adm", "unknown option '%s'", argv[i]);
        } else if (!ref) {
            ref = argv[i];
        } else if (!sample) {
            sample = argv[i];
        } else {
            return fk_cli_usage_error("adm", "too many arguments");
        }
    }
    if (!ref || !sample)
        return fk_cli_usage_error("adm", "REF.npz and SAMPLE.npz are needed");

    fk_error e = {0};
    fk_backbone *b = NULL;
    const char *outs[3] = {"pool3", "logits_unbiased", "spatial"};
    fk_feature_set smp[3], rf[3];
    double *mu = NULL, *sg = NULL, *mu_s = NULL, *sg_s = NULL;
    int have_ref = 0, have_smp = 0;
    o.ex.keep_rows = 1;
    fk_status st = fk_cli_open_backbone(&o, outs, 3, &b, &e);
    if (!st && !(st = fk_cli_extract_run(&o, b, sample, smp, &e)))
        have_smp = 1;
    if (!st && !(st = load_ref_stats(ref, "mu", "sigma", smp[0].d, &mu, &sg, &e)))
        st = load_ref_stats(ref, "mu_s", "sigma_s", smp[2].d, &mu_s, &sg_s, &e);
    /* The reference images serve precision and recall only. */
    if (!st && !(st = fk_cli_extract_run(&o, b, ref, rf, &e)))
        have_ref = 1;

    fk_features fs = have_smp ? fk_features_view(smp[0].rows, smp[0].n, smp[0].d) : (fk_features){0};
    fk_features fl = have_smp ? fk_features_view(smp[1].rows, smp[1].n, smp[1].d) : (fk_features){0};
    fk_features fsp = have_smp ? fk_features_view(smp[2].rows, smp[2].n, smp[2].d) : (fk_features){0};
    fk_features fr = have_ref ? fk_features_view(rf[0].rows, rf[0].n, rf[0].d) : (fk_features){0};
    fk_boot_options bo = fk_boot_default_options();
    bo.seed = seed;
    double v[5];
    fk_boot_result bi[5];
    int has_ci[5] = {0};

    fk_is_options io = fk_is_default_options(FK_IS_ADM);
    bo.nonnegative = 0;
    fk_is_result isr;
    if (!st && !(st = fk_inception_score(&fl, &io, &isr, NULL, &e))) {
        v[0] = isr.mean;
        bo.replicates = reps ? reps : 20;
        if (ci && !(st = fk_bootstrap(&fl, &fl, stat_is, &io, &bo, &bi[0], NULL, &e)))
            has_ci[0] = 1;
    }
    fk_boot_fixed_stats fx[2] = {{smp[0].d, mu, sg, 1}, {have_smp ? smp[2].d : 0, mu_s, sg_s, 1}};
    const fk_features *fdf[2] = {&fs, &fsp};
    for (int k = 0; k < 2 && !st; k++) {
        if ((st = fk_boot_stat_fd_fixed(fdf[k], NULL, &fx[k], &v[1 + k], &e)))
            break;
        bo.replicates = reps ? reps : 200;
        bo.nonnegative = 1;
        if (ci && !(st = fk_bootstrap(fdf[k], fdf[k], fk_boot_stat_fd_fixed, &fx[k], &bo, &bi[1 + k], NULL, &e)))
            has_ci[1 + k] = 1;
    }
    pr_stat ps = {fk_prdc_default_options(FK_PR_ADM), 0, fr, fs};
    fk_prdc_result pr;
    if (!st && !(st = fk_prdc(&fr, &fs, &ps.o, &pr, &e))) {
        v[3] = pr.precision;
        v[4] = pr.recall;
        bo.replicates = reps ? reps : 20;
        for (int k = 0; k < 2 && ci && !st; k++) {
            ps.recall = k;
            if (!(st = fk_bootstrap(&fr, &fs, stat_pr, &ps, &bo, &bi[3 + k], NULL, &e)))
                has_ci[3 + k] = 1;
        }
    }
    if (!st) {
        char ts[FK_TAG_STR_MAX];
        fk_tag_str(&smp[0].tag, 0, ts, sizeof ts);
        const char *names[5] = {"Inception Score", "FID", "sFID", "Precision", "Recall"};
        int first = 1;
        if (o.json)
            printf("{\n  \"tag\": \"%s\",\n  \"n_sample\": %lld,\n  \"n_ref_images\": %lld,\n"
                   "  \"conventions\": \"ADM evaluator: IS over chunks of 5000, FID/sFID against the "
                   "reference's mu/sigma and mu_s/sigma_s, precision/recall k=3 against the reference "
                   "images\",\n  \"scores\": [", ts, (long long)smp[0].n, (long long)rf[0].n);
        else
            printf("fidkit adm: %lld sample images, reference statistics from %s (%lld images for "
                   "precision/recall)\ntag: %s\n\n", (long long)smp[0].n, ref, (long long)rf[0].n, ts);
        for (int k = 0; k < 5; k++)
            line(names[k], v[k], has_ci[k] ? &bi[k] : NULL, o.json, &first);
        if (o.json)
            printf("\n  ]\n}\n");
    }
    free(mu);
    free(sg);
    free(mu_s);
    free(sg_s);
    for (int k = 0; k < 3; k++) {
        if (have_smp)
            fk_feature_set_free(&smp[k]);
        if (have_ref)
            fk_feature_set_free(&rf[k]);
    }
    fk_backbone_close(b);
    return st ? fk_cli_report("adm", &e) : FK_EXIT_OK;
}
