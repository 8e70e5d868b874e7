/* fidkit adm REF.npz SAMPLE.npz: the ADM evaluator's five numbers. */
#include <stdio.h>

#include "cli.h"

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
    FK_CLI_EXTRACT_HELP_WITH(FK_ADM_DEFAULT_BACKBONE);

int fk_cmd_adm(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    o.backbone = FK_ADM_DEFAULT_BACKBONE;
    fk_eval_options eo = fk_eval_default_options();
    const char *pos[2];
    int ci = 1, reps = 0, npos;
    static const char *const ci_choices[] = {"none", "bootstrap", NULL};
    const fk_opt own[] = {
        {"--ci", FK_ARG_CHOICE, &ci, 0, ci_choices},
        {"--replicates", FK_ARG_INT, &reps, 10, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("adm", argc, argv, tables, usage_text, pos, 2, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 2)
        return fk_cli_usage_error("adm", "REF.npz and SAMPLE.npz are needed");
    fk_cli_extract_finish(&o);
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    eo.interval = ci;
    if (reps)
        eo.replicates_fd = eo.replicates_other = reps;
    if (o.seed != UINT64_MAX)
        eo.seed = o.seed;
    fk_cli_progress p = {NULL, 0, 0};
    fk_cli_progress_attach(&o, &p, &eo.extract);
    fk_error e = {0};
    fk_results res;
    fk_status st = fk_adm_evaluate(pos[0], pos[1], &eo, &res, &e);
    fk_cli_progress_done(&p);
    if (st)
        return fk_cli_fail("adm", &e, o.json);
    fk_cli_print_results(&res, "adm", o.json);
    fk_results_free(&res);
    return FK_EXIT_OK;
}
