/* fidkit sweep FILE.yaml: an ablation sweep that resumes, caches and ends in
 * tables, plots and a report (sweep.h, docs/experiments.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/sweep.h"

int fk_cmd_sweep(int argc, char **argv);

static const char usage_text[] =
    "usage: fidkit sweep FILE.yaml [--out DIR] [--dry-run] [--json] [--threads N] [--block N]\n"
    "                    [--quiet]\n"
    "\n"
    "Runs every point of the sweep FILE.yaml describes (docs/experiments.md):\n"
    "the Cartesian product of its axes (in file order, the last varying\n"
    "fastest). Feature sets are cached in DIR/cache, so points that share one\n"
    "extract it once; DIR/journal.json records each finished point, so an\n"
    "interrupted sweep resumes where it stopped when run again. The end:\n"
    "DIR/results.csv, DIR/results.json, plots (PNG and SVG) and DIR/report.md.\n"
    "\n"
    "  --out DIR      output folder (default: sweep-NAME, NAME from the file)\n"
    "  --dry-run      list the points, which are finished and which feature\n"
    "                 sets are cached; compute nothing\n"
    "  --json         print a JSON summary (counters and the output folder)\n"
    "  --threads N    decode/resize threads (default: all cores)\n"
    "  --device D     cpu, cuda, cuda:N or auto; --precision fp32|tf32|bf16\n"
    "  --block N      items per block, the unit MPI ranks share (default 1024;\n"
    "                 changes no number). Under mpirun every point's\n"
    "                 extraction is shared by the ranks; rank 0 keeps the\n"
    "                 journal, cache and report (docs/scale.md)\n"
    "  --quiet        no progress line\n";

typedef struct bar {
    double t0;
    int shown;
} bar;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void draw(void *user, const fk_sweep_progress *p)
{
    bar *b = user;
    double el = now() - b->t0;
    fprintf(stderr, "\r\033[K[%d/%d done] point %d: %s", p->points_done, p->n_points, p->point,
            p->phase);
    if (p->total)
        fprintf(stderr, " %lld/%lld", (long long)p->done, (long long)p->total);
    fprintf(stderr, "  %d:%02d elapsed", (int)el / 60, (int)el % 60);
    b->shown = 1;
}

int fk_cmd_sweep(int argc, char **argv)
{
    const char *out = NULL, *pos[1];
    const char *device = NULL, *precision = NULL;
    int json = 0, quiet = 0, npos;
    fk_sweep_options o = fk_sweep_default_options();
    const fk_opt own[] = {
        {"--out", FK_ARG_STR, &out, 0, NULL},
        {"--dry-run", FK_ARG_FLAG, &o.dry_run, 0, NULL},
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {"--quiet", FK_ARG_FLAG, &quiet, 0, NULL},
        {"--threads", FK_ARG_INT, &o.threads, 0, NULL},
        {"--device", FK_ARG_STR, &device, 0, NULL},
        {"--precision", FK_ARG_STR, &precision, 0, NULL},
        {"--block", FK_ARG_I64, &o.block, 1, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("sweep", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_cli_device_apply(device, precision);
    if (npos != 1)
        return fk_cli_usage_error("sweep", "a sweep file (YAML) is needed");
    const char *file = pos[0];
    fk_error e = {0};
    fk_sweep_spec s;
    if (fk_sweep_load(file, &s, &e))
        return fk_cli_report("sweep", &e);
    char dflt[256];
    snprintf(dflt, sizeof dflt, "sweep-%s", s.name);
    o.out_dir = out ? out : dflt;
    /* Under mpirun the points' extractions are shared by the ranks. */
    fk_extract_options ranks = fk_extract_default_options();
    fk_cli_mpi_attach(&ranks);
    o.parallel = ranks.parallel;
    bar b = {now(), 0};
    if (!quiet && !json && isatty(2)) {
        o.progress = draw;
        o.progress_user = &b;
    }
    fk_sweep_counters c;
    char *plan = NULL;
    fk_status st = fk_sweep_run(&s, &o, &c, &plan, &e);
    if (b.shown)
        fputs("\r\033[K", stderr);
    fk_sweep_free(&s);
    if (st) {
        free(plan);
        if (!o.dry_run)
            fprintf(stderr, "fidkit sweep: the finished points are kept in %s/journal.json; run "
                            "the same command again to resume\n", o.out_dir);
        return fk_cli_report("sweep", &e);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "sweep", file);
        cJSON_AddStringToObject(j, "out", o.out_dir);
        cJSON_AddBoolToObject(j, "dry_run", o.dry_run);
        cJSON_AddNumberToObject(j, "points", c.points);
        cJSON_AddNumberToObject(j, "points_resumed", c.points_resumed);
        cJSON_AddNumberToObject(j, "points_computed", c.points_computed);
        cJSON_AddNumberToObject(j, "extractions", c.extractions);
        cJSON_AddNumberToObject(j, "cache_loads", c.cache_loads);
        if (o.dry_run) {
            cJSON_AddNumberToObject(j, "sets_cached", c.sets_cached);
            cJSON_AddNumberToObject(j, "sets_to_extract", c.sets_missing);
            cJSON_AddStringToObject(j, "plan", plan ? plan : "");
        }
        char *t = cJSON_Print(j);
        puts(t);
        cJSON_free(t);
        cJSON_Delete(j);
    } else if (o.dry_run) {
        fputs(plan ? plan : "", stdout);
    } else {
        printf("fidkit sweep: %d points (%d computed now, %d resumed from the journal); "
               "%d feature sets extracted, %d read from the cache\n",
               c.points, c.points_computed, c.points_resumed, c.extractions, c.cache_loads);
        printf("  results  %s/results.csv, %s/results.json\n  report   %s/report.md\n",
               o.out_dir, o.out_dir, o.out_dir);
    }
    free(plan);
    return FK_EXIT_OK;
}
