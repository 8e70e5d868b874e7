/* fidkit extract DATASET -o FILE.npz: keep the feature rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/featfile.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit extract DATASET -o FILE.npz [--outputs A,B,...] [options]\n"
    "\n"
    "Extracts features once and keeps the rows (float32), so that any metric\n"
    "can be computed later without the network. The file holds `feats` (the\n"
    "config's output, as clean-fid stores features), `feats_NAME` for each\n"
    "further output of the same pass, and fidkit's metadata with every tag.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.npz   where to write (atomically)\n"
    "  --outputs A,B,...       outputs to keep (default: the config's output)\n"
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
    const char *dataset = NULL, *output = NULL;
    char *outputs = NULL;
    for (int i = 1; i < argc; i++) {
        int r = fk_cli_extract_option("extract", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
            output = argv[++i];
        } else if (!strcmp(argv[i], "--outputs") && i + 1 < argc) {
            outputs = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fk_cli_usage_error("extract", "unknown option '%s'", argv[i]);
        } else if (!dataset) {
            dataset = argv[i];
        } else {
            return fk_cli_usage_error("extract", "one dataset at a time");
        }
    }
    if (!dataset || !output)
        return fk_cli_usage_error("extract", "a dataset and -o FILE.npz are needed");
    const char *names[16];
    int n = 0;
    char *list = outputs ? strdup(outputs) : NULL;
    if (list)
        n = fk_cli_split_list(list, names, 16);
    fk_error e = {0};
    fk_backbone *b = NULL;
    fk_feature_set sets[16];
    o.ex.keep_rows = 1;
    fk_status st = fk_cli_open_backbone(&o, n ? names : NULL, n, &b, &e);
    if (!st)
        st = fk_cli_extract_run(&o, b, dataset, sets, &e);
    if (!st) {
        int k = fk_backbone_n_outputs(b);
        char extra[2048];
        snprintf(extra, sizeof extra, "{\"dataset\": \"%s\", \"config\": \"%s\", \"skipped_images\": %lld}",
                 dataset, fk_backbone_config(b)->path, (long long)sets[0].skipped);
        st = fk_featfile_write(output, sets, k, extra, &e);
        if (!st) {
            char ts[FK_TAG_STR_MAX];
            if (o.json)
                printf("{\"file\": \"%s\", \"n\": %lld, \"tag\": \"%s\"}\n", output,
                       (long long)sets[0].n, fk_tag_str(&sets[0].tag, 0, ts, sizeof ts));
            else
                for (int j = 0; j < k; j++)
                    printf("%s %s: %lld x %d features, tag %s\n", j ? "     " : "wrote", output,
                           (long long)sets[j].n, sets[j].d,
                           fk_tag_str(&sets[j].tag, 0, ts, sizeof ts));
        }
        for (int j = 0; j < k; j++)
            fk_feature_set_free(&sets[j]);
    }
    free(list);
    fk_backbone_close(b);
    return st ? fk_cli_report("extract", &e) : FK_EXIT_OK;
}
