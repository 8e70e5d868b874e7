/* fidkit score REAL FAKE --metrics ...: the metric family from one pass. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: fidkit score REAL FAKE [--metrics LIST] [options]\n"
    "       fidkit score FAKE --ref NAME [options]   (REAL: a registered reference)\n"
    "\n"
    "Computes several metrics from one feature extraction per dataset. REAL\n"
    "and FAKE are datasets, features files (`fidkit extract`) or, for fid\n"
    "alone, stats files (`fidkit stats`). Every score is printed with its\n"
    "convention, N, the backbone tag and a 95 % interval.\n"
    "\n"
    "metrics (comma-separated; default fid,kid,pr):\n"
    "  fid      Fréchet distance in the backbone's space: FID for the FID\n"
    "           Inception, FD_<space> for any other backbone\n"
    "  sfid     FD of the ADM evaluator's spatial features (Inception output\n"
    "           `spatial`: Mixed_6d branch1x1, 7 channels, 2023-d)\n"
    "  kid      KID: (x.y/d+1)^3 kernel, unbiased, 100 subsets of 1000 (or of\n"
    "           the smaller set's size when it has fewer), drawn as torch-fidelity\n"
    "           draws them (--kid-convention to change)\n"
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
    "  --kid-subsets K         KID subsets (default 100)\n"
    "  --kid-subset-size M     KID subset size (default 1000, or the smaller set's\n"
    "                          size when it is smaller)\n"
    "  --kid-convention C      whose KID subsets: torch-fidelity (input1 = FAKE),\n"
    "                          clean-fid, torchmetrics or fidkit (docs/metrics.md)\n"
    "  --splits K              IS splits (default 10)\n"
    "  --ref NAME              REAL is the registered reference NAME (fid only:\n"
    "                          statistics); its recorded config is the default backbone\n"
    "  --assume-backbone TAG   the tag of untagged stats or features files\n"
    "  --seed S                seed of subsets, splits and resamples (2020)\n"
    FK_CLI_EXTRACT_HELP;

int fk_cmd_score(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    fk_eval_options eo = fk_eval_default_options();
    const char *metrics = "fid,kid,pr", *assumed = NULL, *kid_conv = NULL, *ref = NULL, *pos[2];
    int ci = 1, npos;
    static const char *const ci_choices[] = {"none", "bootstrap", NULL};
    const fk_opt own[] = {
        {"--metrics", FK_ARG_STR, &metrics, 0, NULL},
        {"--ci", FK_ARG_CHOICE, &ci, 0, ci_choices},
        {"--replicates", FK_ARG_INT, &eo.replicates_fd, 10, NULL},
        {"--replicates-other", FK_ARG_INT, &eo.replicates_other, 10, NULL},
        {"--kid-subsets", FK_ARG_INT, &eo.kid_subsets, 1, NULL},
        {"--kid-subset-size", FK_ARG_I64, &eo.kid_subset_size, 2, NULL},
        {"--splits", FK_ARG_INT, &eo.is_splits, 1, NULL},
        {"--assume-backbone", FK_ARG_STR, &assumed, 0, NULL},
        {"--ref", FK_ARG_STR, &ref, 0, NULL},
        {"--kid-convention", FK_ARG_STR, &kid_conv, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("score", argc, argv, tables, usage_text, pos, 2, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 2 - !!ref)
        return fk_cli_usage_error("score", ref ? "with --ref, FAKE alone is needed"
                                               : "REAL and FAKE are needed");
    fk_cli_extract_finish(&o);
    fk_error e = {0};
    char ref_path[1200];
    if (ref && fk_cli_ref_input(ref, &o.backbone, ref_path, sizeof ref_path, &e))
        return fk_cli_fail("score", &e, o.json);
    if (fk_metric_parse_list(metrics, &eo.metrics, &e))
        return fk_cli_usage_error("score", "%s", e.msg);
    if (kid_conv && fk_kid_convention_parse(kid_conv, &eo.kid_convention))
        return fk_cli_usage_error("score", "unknown KID convention '%s' (torch-fidelity, clean-fid, "
                                  "torchmetrics, fidkit)", kid_conv);
    fk_tag assumed_tag;
    if (assumed && fk_tag_parse(assumed, &assumed_tag, &e)) {
        fk_fail_prefix(&e, "--assume-backbone");
        return fk_cli_fail("score", &e, o.json);
    }
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    eo.interval = ci;
    eo.assume = assumed ? &assumed_tag : NULL;
    if (o.seed != UINT64_MAX)
        eo.seed = o.seed;

    fk_cli_progress p = {NULL, 0, 0};
    fk_cli_progress_attach(&o, &p, &eo.extract);
    fk_eval_input in[2] = {{.path = ref ? ref_path : pos[0]}, {.path = ref ? pos[0] : pos[1]}};
    fk_results res;
    fk_status st = fk_evaluate(in, 2, &eo, &res, &e);
    fk_cli_progress_done(&p);
    if (st)
        return fk_cli_fail("score", &e, o.json);
    fk_cli_print_results(&res, "score", o.json);
    fk_results_free(&res);
    return FK_EXIT_OK;
}
