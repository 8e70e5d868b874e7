/* Pieces shared by the commands that extract features. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/fidkit.h"

void fk_cli_extract_init(fk_cli_extract *o)
{
    memset(o, 0, sizeof *o);
    o->ex = fk_extract_default_options();
    o->seed = UINT64_MAX;
    const fk_opt t[] = {
        {"--backbone", FK_ARG_STR, &o->backbone, 0, NULL},
        {"--batch-size", FK_ARG_INT, &o->batch_size, 1, NULL},
        {"--threads", FK_ARG_INT, &o->threads, 0, NULL},
        {"--limit", FK_ARG_I64, &o->limit, 1, NULL},
        {"--subset", FK_ARG_I64, &o->subset, 1, NULL},
        {"--seed", FK_ARG_U64, &o->seed, 0, NULL},
        {"--skip-bad", FK_ARG_FLAG, &o->skip_bad, 0, NULL},
        {"--gray16-pil", FK_ARG_FLAG, &o->gray16, 0, NULL},
        {"--shard", FK_ARG_STR, &o->shard, 0, NULL},
        {"--block", FK_ARG_I64, &o->block, 1, NULL},
        {"--device", FK_ARG_STR, &o->device, 0, NULL},
        {"--precision", FK_ARG_STR, &o->precision, 0, NULL},
        {"--quiet", FK_ARG_FLAG, &o->quiet, 0, NULL},
        {"--json", FK_ARG_FLAG, &o->json, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    memcpy(o->table, t, sizeof t);
}

void fk_cli_extract_finish(fk_cli_extract *o)
{
    if (o->batch_size)
        o->ex.loader.batch_size = o->batch_size;
    if (o->threads)
        o->ex.loader.threads = o->threads;
    if (o->subset) {
        o->ex.dataset.limit = o->subset;
        o->ex.dataset.random_subset = 1;
    } else if (o->limit) {
        o->ex.dataset.limit = o->limit;
    }
    if (o->seed != UINT64_MAX)
        o->ex.dataset.seed = o->seed;
    o->ex.loader.skip_bad |= o->skip_bad;
    o->ex.dataset.decode.gray16_pil_clip |= o->gray16;
    if (o->block)
        o->ex.dataset.block = o->block;
    if (o->shard && fk_cli_parse_shard(o->shard, &o->ex.dataset.shard_index,
                                       &o->ex.dataset.shard_count)) {
        fprintf(stderr, "fidkit: --shard '%s': expected I/K with 0 <= I < K\n", o->shard);
        exit(FK_EXIT_USAGE);
    }
    fk_cli_device_apply(o->device, o->precision);
    fk_cli_mpi_attach(&o->ex);
}

void fk_cli_device_apply(const char *device, const char *precision)
{
    fk_error e = {0};
    if (device && fk_device_parse(device, NULL, NULL, &e)) {
        fprintf(stderr, "fidkit: --device: %s\n", e.msg);
        exit(FK_EXIT_USAGE);
    }
    if (precision && fk_precision_parse(precision, &e)) {
        fprintf(stderr, "fidkit: --precision: %s\n", e.msg);
        exit(FK_EXIT_USAGE);
    }
    if (device)
        setenv("FIDKIT_DEVICE", device, 1);
    if (precision)
        setenv("FIDKIT_PRECISION", precision, 1);
}

int fk_cli_parse_shard(const char *s, int *index, int *count)
{
    char *end;
    long i = strtol(s, &end, 10);
    if (end == s || *end != '/' || i < 0)
        return -1;
    const char *k0 = end + 1;
    long k = strtol(k0, &end, 10);
    if (end == k0 || *end || k < 1 || k > 1 << 20 || i >= k)
        return -1;
    *index = (int)i;
    *count = (int)k;
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A bar on stderr, redrawn in place; only on a terminal, so logs and pipes
 * stay clean. */
static void draw(void *user, int64_t done, int64_t total)
{
    fk_cli_progress *p = user;
    double el = now() - p->t0, rate = el > 0 ? (double)done / el : 0;
    int w = 30, fill = total ? (int)(w * done / total) : 0;
    char bar[64];
    for (int i = 0; i < w; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%s [%s] %lld/%lld  %.1f img/s  ETA %d:%02d ", p->label, bar, (long long)done,
            (long long)total, rate, (int)eta / 60, (int)eta % 60);
    p->shown = 1;
}

void fk_cli_progress_attach(fk_cli_extract *o, fk_cli_progress *p, fk_extract_options *ex)
{
    p->label = p->label ? p->label : "extracting";
    p->t0 = now();
    p->shown = 0;
    if (!o->quiet && isatty(2)) {
        ex->progress = draw;
        ex->progress_user = p;
    }
}

void fk_cli_progress_done(fk_cli_progress *p)
{
    if (p->shown)
        fputc('\n', stderr);
    p->shown = 0;
}

/* --offline on any command, and auto-fetch when a person watches stderr. */
void fk_cli_fetch_policy(int *argc, char **argv)
{
    int k = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--offline"))
            setenv("FIDKIT_OFFLINE", "1", 1);
        else
            argv[k++] = argv[i];
    }
    argv[k] = NULL;
    *argc = k;
    /* On a terminal a person can see what is downloaded (and stop it). */
    if (isatty(STDERR_FILENO) && !getenv("FIDKIT_AUTO_FETCH"))
        setenv("FIDKIT_AUTO_FETCH", "1", 0);
}

int fk_cli_prepare_output(const char *cmd, const char *output, const char *const *inputs,
                          int n_inputs, int json)
{
    fk_error e = {0};
    if (fk_output_prepare(output, inputs, n_inputs, &e))
        return fk_cli_fail(cmd, &e, json);
    return 0;
}
