/* fidkit is DATASET: the Inception Score. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"
#include "fidkit/featfile.h"
#include "fidkit/features.h"
#include "fidkit/inception_score.h"

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
    FK_CLI_EXTRACT_HELP;

int fk_cmd_is(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *dataset = NULL, *output = "logits_unbiased";
    fk_is_options io = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            /* Before the shared options, which would take --seed for --subset
             * alone: one seed serves the shuffle and the subset. */
            char *end;
            const char *v = argv[++i];
            io.seed = strtoull(v, &end, 10);
            if (*end || v[0] == '-' || !v[0])
                return fk_cli_usage_error("is", "--seed needs a non-negative integer");
            o.ex.dataset.seed = io.seed;
            continue;
        }
        int r = fk_cli_extract_option("is", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(argv[i], "--convention") && i + 1 < argc) {
            const char *c = argv[++i];
            fk_is_convention cv;
            if (fk_is_convention_parse(c, &cv))
                return fk_cli_usage_error("is", "unknown convention '%s' (torch-fidelity, adm, "
                                          "fidkit)", c);
            int splits = io.splits;
            uint64_t seed = io.seed;
            io = fk_is_default_options(cv);
            io.splits = splits;
            io.seed = seed;
        } else if (!strcmp(argv[i], "--splits") && i + 1 < argc) {
            io.splits = atoi(argv[++i]);
            if (io.splits < 1)
                return fk_cli_usage_error("is", "--splits needs a positive number");
        } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
            output = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fk_cli_usage_error("is", "unknown option '%s'", argv[i]);
        } else if (!dataset) {
            dataset = argv[i];
        } else {
            return fk_cli_usage_error("is", "one dataset at a time");
        }
    }
    if (!dataset)
        return fk_cli_usage_error("is", "a dataset is needed");

    fk_error e = {0};
    fk_backbone *b = NULL;
    fk_feature_set set;
    memset(&set, 0, sizeof set);
    const char *outs[1] = {output};
    o.ex.keep_rows = 1;
    if (fk_featfile_is(dataset)) {
        /* Kept rows (`fidkit extract --outputs pool3,logits_unbiased`). */
        int has_tag;
        if (fk_featfile_read(dataset, output, &set.rows, &set.n, &set.d, &set.tag, &has_tag, &e))
            return fk_cli_report("is", &e);
        if (!has_tag || strcmp(set.tag.layer, output)) {
            free(set.rows);
            fk_fail(&e, FK_ERR_ARG, "%s holds no '%s' rows: extract them with --outputs %s", dataset,
                    output, output);
            return fk_cli_report("is", &e);
        }
    } else {
        if (fk_cli_open_backbone(&o, outs, 1, &b, &e))
            return fk_cli_report("is", &e);
        if (fk_cli_extract_run(&o, b, dataset, &set, &e)) {
            fk_backbone_close(b);
            return fk_cli_report("is", &e);
        }
    }
    fk_features f = fk_features_view(set.rows, set.n, set.d);
    fk_is_result r;
    fk_status st = fk_inception_score(&f, &io, &r, NULL, &e);
    if (!st) {
        char ts[FK_TAG_STR_MAX];
        fk_tag_str(&set.tag, 0, ts, sizeof ts);
        char seed[24] = "null"; /* no shuffle (adm, or file order): no seed was used */
        if (r.shuffled)
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)r.seed);
        if (o.json)
            printf("{\"metric\": \"is\", \"value\": %.17g, \"std\": %.17g, \"splits\": %d, "
                   "\"convention\": \"%s\", \"seed\": %s, \"n\": %lld, \"tag\": \"%s\"}\n",
                   r.mean, r.std, r.splits, r.convention, seed, (long long)set.n, ts);
        else
            printf("IS: %.6f ± %.6f\n  convention   %s, %d splits, %s%s\n  samples      %lld\n"
                   "  tag          %s\n", r.mean, r.std, r.convention, r.splits,
                   r.shuffled ? "shuffle seed " : "file order (no shuffle)", r.shuffled ? seed : "",
                   (long long)set.n, ts);
    }
    fk_feature_set_free(&set);
    fk_backbone_close(b);
    return st ? fk_cli_report("is", &e) : FK_EXIT_OK;
}
