/* fidkit extract DATASET -o FILE.npz: keep the feature rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: fidkit extract DATASET -o FILE.npz [--outputs LIST] [options]\n"
    "\n"
    "Keeps the feature rows of a dataset for metrics beyond FD (`fidkit score`,\n"
    "`fidkit is`): an .npz with `feats` (N x d float32, the config's output, as\n"
    "clean-fid stores features), `feats_OUTPUT` for each further output, and the\n"
    "tag of each.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.npz   where to write (atomically)\n"
    "  --outputs LIST          comma-separated outputs (default: the config's), e.g.\n"
    "                          pool3,logits_unbiased,spatial\n"
    FK_CLI_EXTRACT_HELP;

/* Splits a comma list in place into at most cap names. */
int fk_cli_split_list(char *s, const char **out, int cap)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(s, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save))
        out[n++] = t;
    return n;
}

int fk_cmd_extract(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *output = NULL, *outputs = NULL, *pos[1];
    int npos;
    const fk_opt own[] = {
        {"-o", FK_ARG_STR, &output, 0, NULL},
        {"--output", FK_ARG_STR, &output, 0, NULL},
        {"--outputs", FK_ARG_STR, &outputs, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("extract", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1 || !output)
        return fk_cli_usage_error("extract", "a dataset and -o FILE.npz are needed");
    fk_cli_extract_finish(&o);
    if ((r = fk_cli_prepare_output("extract", output, pos, 1, o.json)))
        return r;
    const char *names[16];
    char *list = outputs ? strdup(outputs) : NULL;
    int n = list ? fk_cli_split_list(list, names, 16) : 0;
    fk_eval_options eo = fk_eval_default_options();
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    fk_cli_progress p = {pos[0], 0, 0};
    fk_cli_progress_attach(&o, &p, &eo.extract);

    fk_error e = {0};
    fk_featset sets[16];
    int k = 0;
    char *prov = NULL;
    fk_status st = fk_dataset_features(pos[0], &eo, n ? names : NULL, n, sets, &k, &prov, &e);
    fk_cli_progress_done(&p);
    if (!st)
        st = fk_featset_write(output, sets, k, prov, &e);
    if (!st && o.json) {
        char *t = fk_written_json("extract", output, sets, k, NULL, sets[0].skipped, 1);
        puts(t ? t : "");
        free(t);
    } else if (!st) {
        char ts[FK_TAG_STR_MAX];
        for (int j = 0; j < k; j++)
            printf("%s %s: %lld x %d features, tag %s\n", j ? "     " : "wrote", output,
                   (long long)sets[j].n, sets[j].d, fk_tag_str(&sets[j].tag, 0, ts, sizeof ts));
    }
    for (int j = 0; j < k; j++)
        fk_featset_free(&sets[j]);
    free(prov);
    free(list);
    return st ? fk_cli_fail("extract", &e, o.json) : FK_EXIT_OK;
}
