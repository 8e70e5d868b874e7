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
}

static int take_int(const char *cmd, int argc, char **argv, int *i, long long lo, long long *v)
{
    char *end;
    if (*i + 1 >= argc)
        return fk_cli_usage_error(cmd, "%s needs a number", argv[*i]), -1;
    *v = strtoll(argv[*i + 1], &end, 10);
    if (*end || !argv[*i + 1][0] || *v < lo)
        return fk_cli_usage_error(cmd, "%s needs a whole number >= %lld, got '%s'", argv[*i], lo,
                                  argv[*i + 1]), -1;
    (*i)++;
    return 1;
}

int fk_cli_extract_option(const char *cmd, int argc, char **argv, int *i, fk_cli_extract *o)
{
    const char *a = argv[*i];
    long long v;
    int r;
    if (!strcmp(a, "--backbone")) {
        if (*i + 1 >= argc)
            return fk_cli_usage_error(cmd, "--backbone needs a config"), -1;
        o->backbone = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--batch-size")) {
        if ((r = take_int(cmd, argc, argv, i, 1, &v)) == 1)
            o->ex.loader.batch_size = (int)v;
        return r;
    }
    if (!strcmp(a, "--threads")) {
        if ((r = take_int(cmd, argc, argv, i, 0, &v)) == 1)
            o->ex.loader.threads = (int)v;
        return r;
    }
    if (!strcmp(a, "--limit") || !strcmp(a, "--subset")) {
        if ((r = take_int(cmd, argc, argv, i, 1, &v)) == 1) {
            o->ex.dataset.limit = v;
            o->ex.dataset.random_subset = !strcmp(a, "--subset");
        }
        return r;
    }
    if (!strcmp(a, "--seed")) {
        if ((r = take_int(cmd, argc, argv, i, 0, &v)) == 1)
            o->ex.dataset.seed = (uint64_t)v;
        return r;
    }
    if (!strcmp(a, "--skip-bad"))
        return o->ex.loader.skip_bad = 1;
    if (!strcmp(a, "--gray16-pil"))
        return o->ex.dataset.decode.gray16_pil_clip = 1;
    if (!strcmp(a, "--quiet"))
        return o->quiet = 1;
    if (!strcmp(a, "--json"))
        return o->json = 1;
    return 0;
}

fk_status fk_cli_open_backbone(fk_cli_extract *o, const char *const *outputs, int n,
                               fk_backbone **b, fk_error *e)
{
    char path[1024];
    fk_config c;
    fk_status st = fk_config_find(o->backbone ? o->backbone : FK_CLI_DEFAULT_BACKBONE, path,
                                  sizeof path, e);
    if (!st)
        st = fk_config_load(path, &c, e);
    if (!st)
        st = fk_backbone_open(&c, outputs, n, b, e);
    return st;
}

typedef struct progress {
    const char *label;
    double t0;
    int shown;
} progress;

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
    progress *p = user;
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

fk_status fk_cli_extract_run(fk_cli_extract *o, fk_backbone *b, const char *dataset,
                             fk_feature_set *sets, fk_error *e)
{
    progress p = {dataset, now(), 0};
    fk_extract_options ex = o->ex;
    if (!o->quiet && isatty(2)) {
        ex.progress = draw;
        ex.progress_user = &p;
    }
    fk_status st = fk_extract(b, dataset, &ex, sets, e);
    if (p.shown)
        fputc('\n', stderr);
    return st;
}

void fk_cli_print_fd(const char *metric, const fk_fd_result *r, const fk_tag *tag, int d,
                     int64_t n1, int64_t n2, int json)
{
    char ts[FK_TAG_STR_MAX];
    fk_tag_str(tag, 0, ts, sizeof ts);
    int ill = fk_fd_ill_conditioned(r, d);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "metric", metric);
        cJSON_AddNumberToObject(j, "value", r->fd);
        cJSON_AddNumberToObject(j, "mean_term", r->mean_term);
        cJSON_AddNumberToObject(j, "trace_term", r->trace_term);
        cJSON_AddNumberToObject(j, "tr_sqrt", r->tr_sqrt);
        cJSON_AddStringToObject(j, "tag", ts);
        cJSON_AddNumberToObject(j, "d", d);
        cJSON *n = cJSON_AddArrayToObject(j, "n");
        cJSON_AddItemToArray(n, n1 ? cJSON_CreateNumber((double)n1) : cJSON_CreateNull());
        cJSON_AddItemToArray(n, n2 ? cJSON_CreateNumber((double)n2) : cJSON_CreateNull());
        cJSON_AddStringToObject(j, "method", r->method);
        cJSON_AddBoolToObject(j, "swapped", r->swapped);
        cJSON_AddNumberToObject(j, "rank", r->rank);
        cJSON_AddNumberToObject(j, "rcond", r->rcond);
        cJSON_AddNumberToObject(j, "negative_eigenvalues", r->n_negative);
        cJSON_AddNumberToObject(j, "most_negative_eigenvalue", r->most_negative);
        cJSON_AddNumberToObject(j, "eps", r->eps);
        cJSON_AddBoolToObject(j, "clamped", r->clamped);
        cJSON_AddBoolToObject(j, "ill_conditioned", ill);
        char *text = cJSON_Print(j);
        puts(text);
        cJSON_free(text);
        cJSON_Delete(j);
        return;
    }
    char up[16];
    size_t k = 0;
    for (; metric[k] && k < sizeof up - 1; k++)
        up[k] = (char)(metric[k] >= 'a' && metric[k] <= 'z' ? metric[k] - 32 : metric[k]);
    up[k] = 0;
    printf("%s: %.6f\n", up, r->fd);
    printf("  tag          %s\n", ts);
    printf("  mean term    %.6f\n", r->mean_term);
    printf("  trace term   %.6f\n", r->trace_term);
    if (n1 && n2)
        printf("  samples      %lld and %lld\n", (long long)n1, (long long)n2);
    printf("  method       %s%s, rank %d of %d, rcond %.2g\n", r->method,
           r->swapped ? " (of the second covariance)" : "", r->rank, d, r->rcond);
    if (r->eps > 0)
        printf("  regularised  eps %g added to both diagonals\n", r->eps);
    if (r->n_negative)
        printf("  note         %d eigenvalues of S1 S2 below zero (down to %.2g of the "
               "largest) were set to zero\n", r->n_negative, r->most_negative);
    if (r->clamped)
        printf("  note         a rounding-level negative distance was set to 0\n");
    if (ill)
        printf("  warning      the covariances are ill-conditioned (fewer samples than "
               "dimensions?): the distance is exact for them but a noisy estimate\n");
}

int fk_cli_is_stats_file(const char *p)
{
    size_t l = strlen(p);
    return l > 4 && !strcmp(p + l - 4, ".npz") && fk_npz_has(p, "mu") && fk_npz_has(p, "sigma");
}
