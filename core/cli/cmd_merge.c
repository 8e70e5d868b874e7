/* fidkit merge PART... -o FILE.npz: the shards of a job array, joined. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fidkit/shard.h"

static const char usage_text[] =
    "usage: fidkit merge PART.npz... -o FILE.npz [--json]\n"
    "\n"
    "Joins the files that `fidkit stats DATASET --shard I/K` (or `fidkit extract\n"
    "--shard I/K`) wrote for I = 0..K-1, in any order, into the file one process\n"
    "writes for the whole DATASET: stats are merged from the shards' block\n"
    "partials along the same fixed tree (the same bits), features are\n"
    "concatenated in listing order. Refused, writing nothing: parts with\n"
    "different tags (exit 3), of different datasets or shard counts, a missing\n"
    "or repeated shard, files written without --shard (exit 2).\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.npz   where to write (atomically)\n"
    "  --json                  print one JSON object\n";

#define MAX_POS 4096

int fk_cmd_merge(int argc, char **argv)
{
    const char *output = NULL;
    int json = 0, npos;
    const fk_opt own[] = {
        {"-o", FK_ARG_STR, &output, 0, NULL},
        {"--output", FK_ARG_STR, &output, 0, NULL},
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    const char **pos = malloc(MAX_POS * sizeof *pos);
    if (!pos)
        return FK_EXIT_ERROR;
    int r = fk_cli_parse("merge", argc, argv, tables, usage_text, pos, MAX_POS, &npos);
    if (r) {
        free(pos);
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    }
    if (npos < 1 || !output) {
        free(pos);
        return fk_cli_usage_error("merge", "parts and -o FILE.npz are needed");
    }
    if ((r = fk_cli_prepare_output("merge", output, pos, npos, json))) {
        free(pos);
        return r;
    }
    fk_error e = {0};
    fk_merged m;
    fk_status st = fk_merge_parts(pos, npos, &m, &e);
    if (!st)
        st = fk_merged_write(output, &m, &e);
    if (!st) {
        if (json) {
            char *t = m.is_features ? fk_written_json("merge", output, m.sets, m.n_sets, NULL,
                                                      m.skipped, 1)
                                    : fk_written_json("merge", output, NULL, 0, &m.stats,
                                                      m.skipped, 1);
            puts(t ? t : "");
            free(t);
        } else {
            char ts[FK_TAG_STR_MAX];
            int64_t n = m.is_features ? m.sets[0].n : m.stats.n;
            int d = m.is_features ? m.sets[0].d : m.stats.d;
            const fk_tag *tag = m.is_features ? &m.sets[0].tag : &m.stats.tag;
            printf("wrote %s: %d shards, %lld images, %d-d %s\n  tag %s\n", output, m.parts,
                   (long long)n, d, m.is_features ? "features" : "stats",
                   fk_tag_str(tag, 0, ts, sizeof ts));
            if (m.skipped)
                printf("  skipped %lld undecodable images\n", (long long)m.skipped);
        }
        fk_merged_free(&m);
    }
    free(pos);
    return st ? fk_cli_fail("merge", &e, json) : FK_EXIT_OK;
}
