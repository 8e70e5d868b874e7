/* fidkit is DATASET: the Inception Score. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: fidkit is DATASET|FEATURES.npz [options]\n"
    "\n"
    "Inception Score of a dataset from the 1008-way logits of the FID Inception\n"
    "computed without the fc bias (the ADM evaluator's and torch-fidelity's\n"
    "convention; output `logits_unbiased`).\n"
    "\n"
    "options:\n"
    "  --convention C          torch-fidelity (default: 10 splits after numpy's\n"
    "                          RandomState(seed).permutation, mean and std), adm\n"
    "                          (chunks of 5000 in file order) or fidkit\n"
    "                          (torch-fidelity's splits, fidkit's own shuffle)\n"
    "  --splits N              number of splits (torch-fidelity, fidkit; 10)\n"
    "  --seed S                seed of the shuffle (2020, torch-fidelity's rng_seed)\n"
    "                          and of --subset\n"
    "  --output NAME           the logits output to use (default logits_unbiased)\n"
    "  --ci bootstrap|none     a 95 % bootstrap interval (default none)\n"
    FK_CLI_EXTRACT_HELP;

int fk_cmd_is(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    fk_eval_options eo = fk_eval_default_options();
    const char *pos[1];
    int conv = 0, ci = 0, npos;
    static const char *const conventions[] = {"torch-fidelity", "adm", "fidkit", NULL};
    static const char *const ci_choices[] = {"none", "bootstrap", NULL};
    const fk_opt own[] = {
        {"--convention", FK_ARG_CHOICE, &conv, 0, conventions},
        {"--splits", FK_ARG_INT, &eo.is_splits, 1, NULL},
        {"--output", FK_ARG_STR, &eo.is_output, 0, NULL},
        {"--ci", FK_ARG_CHOICE, &ci, 0, ci_choices},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("is", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1)
        return fk_cli_usage_error("is", "a dataset is needed");
    fk_cli_extract_finish(&o);
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    eo.metrics = FK_METRIC_BIT(FK_METRIC_IS);
    fk_is_convention_parse(conventions[conv], &eo.is_convention);
    if (eo.is_convention == FK_IS_ADM)
        eo.is_splits = 0;
    eo.interval = ci;
    if (o.seed != UINT64_MAX)
        eo.seed = o.seed;

    fk_error e = {0};
    fk_cli_progress p = {NULL, 0, 0};
    fk_cli_progress_attach(&o, &p, &eo.extract);
    fk_eval_input in = {.path = pos[0]};
    fk_results res;
    fk_status st = fk_evaluate(&in, 1, &eo, &res, &e);
    fk_cli_progress_done(&p);
    if (st)
        return fk_cli_fail("is", &e, o.json);
    if (o.json) {
        fk_cli_print_results(&res, "is", 1);
    } else {
        const fk_result *x = &res.items[0];
        char ts[FK_TAG_STR_MAX];
        char a[32], b[32];
        printf("IS: %s ± %s\n  convention   %s\n  samples      %lld\n  tag          %s\n",
               fk_cli_num(x->value, a, sizeof a), fk_cli_num(x->std, b, sizeof b), x->convention,
               (long long)x->n[0], fk_tag_str(&x->tag, 0, ts, sizeof ts));
        if (fk_cli_interval_shown(x))
            printf("  95%% interval [%s, %s]\n", fk_cli_num(x->interval.lo, a, sizeof a),
                   fk_cli_num(x->interval.hi, b, sizeof b));
    }
    fk_results_free(&res);
    return FK_EXIT_OK;
}
