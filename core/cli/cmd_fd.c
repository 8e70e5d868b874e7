/* fidkit fd A.npz B.npz: the Fréchet distance between two stats files. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit fd A.npz B.npz [options]\n"
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
    "  --assume-backbone TAG   the tag of untagged files, e.g.\n"
    "                          inception_v3/fid:pool3@6726825d/299/legacy_pytorch\n"
    "  --method M              auto (default), cholesky or eigen\n"
    "  --eps X                 add X to both covariance diagonals first (default 0)\n"
    "  -h, --help              this text\n";

/* Resolves the tags of both files, or refuses. */
static fk_status resolve_tags(const char *pa, fk_stats *a, const char *pb, fk_stats *b,
                              const char *assumed, fk_tag *out, fk_error *e)
{
    fk_tag t;
    if (assumed) {
        fk_status st = fk_tag_parse(assumed, &t, e);
        if (st)
            return fk_fail_prefix(e, "--assume-backbone");
        if (!a->has_tag)
            a->tag = t, a->has_tag = 1;
        if (!b->has_tag)
            b->tag = t, b->has_tag = 1;
    }
    if (!a->has_tag || !b->has_tag) {
        const char *p = !a->has_tag ? pa : pb;
        return fk_fail(e, FK_ERR_TAG,
                       "%s carries no backbone tag (written by pytorch-fid or clean-fid?): "
                       "declare the backbone that measured it with --assume-backbone TAG, e.g. "
                       "inception_v3/fid:pool3@6726825d/299/legacy_pytorch", p);
    }
    fk_status st = fk_tag_check(&a->tag, &b->tag, e);
    if (st)
        return st;
    *out = a->tag;
    /* Report the longer SHA of the two. */
    if (strlen(b->tag.weights) > strlen(out->weights))
        memcpy(out->weights, b->tag.weights, sizeof out->weights);
    return FK_OK;
}

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
    const char *files[2] = {0}, *assumed = NULL;
    int json = 0, nfiles = 0;
    fk_fd_options opt = fk_fd_default_options();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (fk_cli_is_help(a)) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--assume-backbone")) {
            if (++i == argc)
                return fk_cli_usage_error("fd", "--assume-backbone needs a tag");
            assumed = argv[i];
        } else if (!strcmp(a, "--method")) {
            if (++i == argc)
                return fk_cli_usage_error("fd", "--method needs auto, cholesky or eigen");
            if (!strcmp(argv[i], "auto"))
                opt.method = FK_FD_AUTO;
            else if (!strcmp(argv[i], "cholesky"))
                opt.method = FK_FD_CHOLESKY;
            else if (!strcmp(argv[i], "eigen"))
                opt.method = FK_FD_EIGEN;
            else
                return fk_cli_usage_error("fd", "unknown method '%s'", argv[i]);
        } else if (!strcmp(a, "--eps")) {
            char *end;
            if (++i == argc || (opt.eps = strtod(argv[i], &end), *end) || !(opt.eps >= 0))
                return fk_cli_usage_error("fd", "--eps needs a number >= 0");
        } else if (a[0] == '-' && a[1]) {
            return fk_cli_usage_error("fd", "unknown option '%s'", a);
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else {
            return fk_cli_usage_error("fd", "too many arguments: '%s'", a);
        }
    }
    if (nfiles != 2)
        return fk_cli_usage_error("fd", "two stats files are needed");

    fk_error e = {0};
    fk_stats s[2] = {{0}};
    fk_fd_result r;
    fk_tag tag;
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
    if (!st)
        st = resolve_tags(files[0], &s[0], files[1], &s[1], assumed, &tag, &e);
    if (!st && s[0].d != s[1].d)
        st = fk_fail(&e, FK_ERR_FORMAT, "%s has dimension %d but %s has %d", files[0], s[0].d,
                     files[1], s[1].d);
    if (!st)
        st = fk_frechet(s[0].d, s[0].mu, s[0].sigma, s[1].mu, s[1].sigma, &opt, &r, &e);
    if (st) {
        fk_stats_free(&s[0]);
        fk_stats_free(&s[1]);
        return fk_cli_report("fd", &e);
    }

    fk_cli_print_fd("fd", &r, &tag, s[0].d, s[0].n, s[1].n, json);
    fk_stats_free(&s[0]);
    fk_stats_free(&s[1]);
    return FK_EXIT_OK;
}
