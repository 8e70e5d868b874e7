/* fidkit fid A B: the Fréchet distance of two sets, each a dataset, a stats
 * file or a features file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: fidkit fid A B [options]\n"
    "       fidkit fid B --ref NAME [options]\n"
    "\n"
    "The Fréchet distance between two image sets in a backbone's feature space.\n"
    "It is labelled FID only for the FID Inception (pool3, TF weights); any other\n"
    "backbone's distance is an FD named after its space (FD_CLIP, FD_DINOv2,\n"
    "FD_resnet50, ...). Each of A and B is a dataset (folder, .zip, .npz/.npy of\n"
    "uint8 samples, .txt list), a stats file (.npz with mu and sigma) or a\n"
    "features file (`fidkit extract`). A stats file must carry the tag of the\n"
    "backbone used for the other side; untagged files (pytorch-fid, clean-fid)\n"
    "need --assume-backbone. Without --backbone, a tagged stats or features file\n"
    "names the backbone for the dataset side (the installed config with its tag;\n"
    "`fidkit configs` lists them); only a real mismatch is refused (exit 3).\n"
    "\n"
    "options:\n"
    "  --ref NAME              A is the registered reference NAME (`fidkit refs`);\n"
    "                          its recorded config is the default backbone\n"
    "  --assume-backbone TAG   the tag of untagged stats or features files\n"
    "  --ci bootstrap|none     a 95 % bootstrap interval (default none: it keeps\n"
    "                          every feature row in memory)\n"
    "  --replicates B          bootstrap replicates (default 200)\n"
    FK_CLI_EXTRACT_HELP
    "\n"
    "Exit status: 0 ok, 1 error, 2 bad command line, 3 refused: different backbones\n"
    "(docs/cli.md).\n";

int fk_cmd_fid(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    fk_eval_options eo = fk_eval_default_options();
    const char *assumed = NULL, *ref = NULL, *pos[2];
    int ci = 0, npos;
    static const char *const ci_choices[] = {"none", "bootstrap", NULL};
    const fk_opt own[] = {
        {"--assume-backbone", FK_ARG_STR, &assumed, 0, NULL},
        {"--ref", FK_ARG_STR, &ref, 0, NULL},
        {"--ci", FK_ARG_CHOICE, &ci, 0, ci_choices},
        {"--replicates", FK_ARG_INT, &eo.replicates_fd, 10, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, o.table, NULL};
    int r = fk_cli_parse("fid", argc, argv, tables, usage_text, pos, 2, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 2 - !!ref)
        return fk_cli_usage_error("fid", ref ? "with --ref, one dataset or stats file is needed"
                                             : "two datasets or stats files are needed");
    fk_cli_extract_finish(&o);

    fk_error e = {0};
    char ref_path[1200];
    if (ref && fk_cli_ref_input(ref, &o.backbone, ref_path, sizeof ref_path, &e))
        return fk_cli_fail("fid", &e, o.json);
    fk_tag assumed_tag;
    if (assumed && fk_tag_parse(assumed, &assumed_tag, &e)) {
        fk_fail_prefix(&e, "--assume-backbone");
        return fk_cli_fail("fid", &e, o.json);
    }
    eo.backbone = o.backbone;
    eo.extract = o.ex;
    eo.metrics = FK_METRIC_BIT(FK_METRIC_FD);
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
        return fk_cli_fail("fid", &e, o.json);
    fk_cli_print_results(&res, "fid", o.json);
    fk_results_free(&res);
    return FK_EXIT_OK;
}
