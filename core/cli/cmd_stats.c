/* fidkit stats DATASET -o FILE.npz: the (mu, sigma) of a dataset's features. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fidkit/shard.h"

static const char usage_text[] =
    "usage: fidkit stats DATASET -o FILE.npz [options]\n"
    "\n"
    "Extracts the features of every image of DATASET with a backbone and writes\n"
    "their mean and covariance as a stats file that fidkit, pytorch-fid and\n"
    "clean-fid read, tagged with the backbone that measured it.\n"
    "DATASET is a folder (recursive), a .zip of images, an .npz/.npy of uint8\n"
    "NHWC samples, or a .txt list of image paths.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.npz   where to write (atomically)\n"
    FK_CLI_EXTRACT_HELP;

int fk_cmd_stats(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *output = NULL, *pos[1];
    int npos;
    const fk_opt own[] = {
        {"-o", FK_ARG_STR, &output, 0, NULL},
        {"--output", FK_ARG_STR, &output, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("stats", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1 || !output)
        return fk_cli_usage_error("stats", "a dataset and -o FILE.npz are needed");
    fk_cli_extract_finish(&o);
    if ((r = fk_cli_prepare_output("stats", output, pos, 1, o.json)))
        return r;
    fk_eval_options eo = fk_eval_default_options();
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    fk_cli_progress p = {pos[0], 0, 0};
    fk_cli_progress_attach(&o, &p, &eo.extract);

    fk_error e = {0};
    fk_stats s;
    char *prov = NULL;
    int64_t skipped = 0;
    fk_status st;
    if (eo.extract.dataset.shard_count > 0) /* a part for `fidkit merge` */
        st = fk_dataset_stats_part(pos[0], &eo, output, &s, &skipped, &e);
    else if (!(st = fk_dataset_stats(pos[0], &eo, &s, &skipped, &prov, &e)))
        st = fk_stats_write(output, &s, prov, &e);
    fk_cli_progress_done(&p);
    if (!st) {
        char ts[FK_TAG_STR_MAX];
        if (o.json) {
            char *t = fk_written_json("stats", output, NULL, 0, &s, skipped, 1);
            puts(t ? t : "");
            free(t);
        } else {
            printf("wrote %s: %lld images, %d-d features\n  tag %s\n", output, (long long)s.n,
                   s.d, fk_tag_str(&s.tag, 0, ts, sizeof ts));
            if (skipped)
                printf("  skipped %lld undecodable images\n", (long long)skipped);
        }
        fk_stats_free(&s);
    }
    free(prov);
    return st ? fk_cli_fail("stats", &e, o.json) : FK_EXIT_OK;
}
