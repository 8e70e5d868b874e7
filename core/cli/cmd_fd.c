/* fidkit fd A.npz B.npz: the Fréchet distance between two stats files. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit fd A.npz B.npz [options]\n"
    "       fidkit fd B.npz --ref NAME [options]   (A: a registered reference)\n"
    "\n"
    "Fréchet distance between two statistics files (mu, sigma), as written by\n"
    "`fidkit stats`, pytorch-fid or clean-fid:\n"
    "  |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))\n"
    "computed from eigenvalues (no matrix square root), never NaN.\n"
    "\n"
    "Both files must carry the same backbone tag; files from other tools carry\n"
    "none and need --assume-backbone. Exit status 3 means the files were\n"
    "measured by different backbones and were not compared.\n"
    "\n"
    "options:\n"
    "  --json                  print one JSON object instead of text\n"
    "  --ref NAME              A is the registered reference NAME (`fidkit refs`)\n"
    "  --assume-backbone TAG   the tag of untagged files, e.g.\n"
    "                          inception_v3/fid:pool3@6726825d/299/legacy_pytorch\n"
    "  --method M              auto (default), cholesky or eigen\n"
    "  --eps X                 add X to both covariance diagonals first (default 0)\n"
    "  -h, --help              this text\n";

/* Reading a stats file is single-threaded work (inflate or copy, CRC,
 * validation): the second file is read on a thread of its own meanwhile. */
typedef struct read_job {
    const char *path;
    fk_stats *s;
    fk_error e;
    fk_status st;
} read_job;

static void *read_stats(void *u)
{
    read_job *j = u;
    j->st = fk_stats_read(j->path, j->s, &j->e);
    return NULL;
}

int fk_cmd_fd(int argc, char **argv)
{
    const char *files[2], *assumed = NULL, *ref = NULL, *no_backbone = NULL;
    int json = 0, nfiles, method = 0;
    fk_eval_options eo = fk_eval_default_options();
    static const char *const methods[] = {"auto", "cholesky", "eigen", NULL};
    const fk_opt own[] = {
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {"--assume-backbone", FK_ARG_STR, &assumed, 0, NULL},
        {"--ref", FK_ARG_STR, &ref, 0, NULL},
        {"--method", FK_ARG_CHOICE, &method, 0, methods},
        {"--eps", FK_ARG_DOUBLE, &eo.fd.eps, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("fd", argc, argv, tables, usage_text, files, 2, &nfiles);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (nfiles != 2 - !!ref)
        return fk_cli_usage_error("fd", ref ? "with --ref, one stats file is needed"
                                            : "two stats files are needed");
    char ref_path[1200];
    fk_error re = {0};
    if (ref) {
        if (fk_cli_ref_input(ref, &no_backbone, ref_path, sizeof ref_path, &re))
            return fk_cli_fail("fd", &re, json);
        files[1] = files[0];
        files[0] = ref_path;
    }
    eo.fd.method = method == 1 ? FK_FD_CHOLESKY : method == 2 ? FK_FD_EIGEN : FK_FD_AUTO;
    eo.metrics = FK_METRIC_BIT(FK_METRIC_FD);
    eo.interval = 0;

    fk_error e = {0};
    fk_stats s[2] = {{0}};
    fk_tag assumed_tag;
    if (assumed && fk_tag_parse(assumed, &assumed_tag, &e)) {
        fk_fail_prefix(&e, "--assume-backbone");
        return fk_cli_fail("fd", &e, json);
    }
    eo.assume = assumed ? &assumed_tag : NULL;
    read_job job = {files[1], &s[1], {0}, FK_OK};
    pthread_t th;
    int threaded = !pthread_create(&th, NULL, read_stats, &job);
    if (!threaded)
        read_stats(&job);
    fk_status st = fk_stats_read(files[0], &s[0], &e);
    if (threaded)
        pthread_join(th, NULL);
    if (!st && job.st) {
        st = job.st;
        e = job.e;
    }
    fk_results res = {0};
    fk_eval_input in[2] = {{.stats = &s[0]}, {.stats = &s[1]}};
    if (!st)
        st = fk_evaluate(in, 2, &eo, &res, &e);
    fk_stats_free(&s[0]);
    fk_stats_free(&s[1]);
    if (st)
        return fk_cli_fail("fd", &e, json);
    fk_cli_print_results(&res, "fd", json);
    fk_results_free(&res);
    return FK_EXIT_OK;
}
