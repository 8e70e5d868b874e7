/* fidkit clipscore MANIFEST: CLIP-Score of (image, caption) pairs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/clipeval.h"

static const char usage_text[] =
    "usage: fidkit clipscore MANIFEST [options]\n"
    "\n"
    "CLIP-Score of the (image, caption) pairs of a CSV (columns image, caption)\n"
    "or JSONL manifest ({\"image\": ..., \"caption\": ...} per line): mean and\n"
    "standard deviation (population) of the per-pair values, in a named\n"
    "convention:\n"
    "  hessel        2.5 * max(cos, 0) per pair (Hessel et al. 2021, CLIP-S),\n"
    "                captions prefixed with \"A photo depicts \" as their code does\n"
    "  torchmetrics  100 * cos per pair, averaged, then max(mean, 0) (the clamp\n"
    "                comes after the average), no prefix\n"
    "Images are preprocessed as the backbone's config says (CLIP: PIL bicubic\n"
    "short side to 224, centre crop, CLIP mean/std); captions are tokenized with\n"
    "CLIP's BPE tokenizer (77 tokens, longer ones truncated and counted) and\n"
    "encoded by the same config's text tower.\n"
    "\n"
    "options:\n"
    "  --backbone CONFIG       a CLIP config (default " FK_CLIPSCORE_DEFAULT_BACKBONE ")\n"
    "  --convention C          hessel (default) or torchmetrics\n"
    "  --prefix TEXT           text put before every caption (and reference)\n"
    "                          (default: the convention's, see above; '' for none)\n"
    "  --refs MANIFEST         reference captions (same format; rows whose image\n"
    "                          column equals a pair's are its references): adds\n"
    "                          RefCLIP-S (hessel convention only)\n"
    "  --per-pair FILE.csv     write every pair's cosine and score\n"
    "  --bpe FILE              the tokenizer's merge list (bpe_simple_vocab_16e6.txt.gz;\n"
    "                          default: the config's `bpe` option, else the file\n"
    "                          beside the weights, else where weights are looked for)\n"
    "  --no-truncate           fail on captions longer than 77 tokens\n"
    "  --ci bootstrap|none     a 95 % bootstrap interval over pairs (default none)\n"
    "  --replicates B          bootstrap replicates (default 200)\n"
    "  --batch-size N          images / captions per forward pass\n"
    "  --threads N             decode/resize threads\n"
    "  --limit N               use the first N pairs\n"
    "  --quiet                 no progress bar\n"
    "  --json                  print one JSON object (schema fidkit-result/1)\n";

int fk_cmd_clipscore(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    fk_clip_options co = fk_clip_default_options();
    const char *convention = "hessel", *pos[1];
    int no_truncate = 0, ci = 0, npos;
    static const char *const ci_choices[] = {"none", "bootstrap", NULL};
    const fk_opt own[] = {
        {"--convention", FK_ARG_STR, &convention, 0, NULL},
        {"--prefix", FK_ARG_STR, &co.prefix, 0, NULL},
        {"--refs", FK_ARG_STR, &co.refs, 0, NULL},
        {"--per-pair", FK_ARG_STR, &co.per_pair, 0, NULL},
        {"--bpe", FK_ARG_STR, &co.bpe, 0, NULL},
        {"--no-truncate", FK_ARG_FLAG, &no_truncate, 0, NULL},
        {"--ci", FK_ARG_CHOICE, &ci, 0, ci_choices},
        {"--replicates", FK_ARG_INT, &co.replicates, 10, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("clipscore", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1)
        return fk_cli_usage_error("clipscore", "a manifest of (image, caption) pairs is needed");
    fk_cli_extract_finish(&o);
    fk_error e = {0};
    if (fk_clipscore_convention_parse(convention, &co.convention, &e))
        return fk_cli_usage_error("clipscore", "%s", e.msg);
    if (co.refs && co.convention != FK_CLIPSCORE_HESSEL)
        return fk_cli_usage_error("clipscore", "--refs (RefCLIP-S) is defined in the hessel convention only");
    co.backbone = o.backbone;
    co.extract = o.ex;
    co.truncate = !no_truncate;
    co.interval = ci;
    if (o.seed != UINT64_MAX)
        co.seed = o.seed;
    fk_cli_progress p = {pos[0], 0, 0};
    fk_cli_progress_attach(&o, &p, &co.extract);
    fk_results res;
    fk_status st = fk_clipscore_evaluate(pos[0], &co, &res, &e);
    fk_cli_progress_done(&p);
    if (st)
        return fk_cli_fail("clipscore", &e, o.json);
    if (o.json) {
        fk_cli_print_results(&res, "clipscore", 1);
    } else {
        char ts[FK_TAG_STR_MAX];
        for (int i = 0; i < res.n; i++) {
            const fk_result *x = &res.items[i];
            char a[32], b[32];
            printf("%s: %s", x->name, fk_cli_num(x->value, a, sizeof a));
            if (isfinite(x->std))
                printf("  (std %s)", fk_cli_num(x->std, a, sizeof a));
            if (fk_cli_interval_shown(x))
                printf("  95%% [%s, %s]", fk_cli_num(x->interval.lo, a, sizeof a),
                       fk_cli_num(x->interval.hi, b, sizeof b));
            printf("\n  %s\n", x->convention);
        }
        printf("  tag          %s\n", fk_tag_str(&res.items[0].tag, 0, ts, sizeof ts));
        printf("  pairs        %lld\n  details      %s\n", (long long)res.items[0].n[0],
               res.items[0].extra);
        if (res.sides[0].skipped)
            printf("  skipped      %lld unreadable images\n", (long long)res.sides[0].skipped);
        if (co.per_pair)
            printf("  per pair     %s\n", co.per_pair);
    }
    fk_results_free(&res);
    return FK_EXIT_OK;
}
