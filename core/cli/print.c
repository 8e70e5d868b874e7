/* Printing results: --json through the library's one serialiser, text
 * for people. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

/* How JSON is printed: pretty unless --compact; whether --json was given
 * (so that usage errors print JSON too). Set once by main. */
static int json_compact, json_asked;

void fk_cli_json_style(int *argc, char **argv)
{
    int k = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--json"))
            json_asked = 1;
    }
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--compact"))
            json_compact = 1;
        else
            argv[k++] = argv[i];
    }
    argv[k] = NULL;
    *argc = k;
}

int fk_cli_json_pretty(void) { return !json_compact; }
int fk_cli_json_asked(void) { return json_asked; }

void fk_cli_emit_json(const char *cmd, char *text, const char *array_key)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!j) {
        fprintf(stderr, "fidkit %s: out of memory printing JSON\n", cmd);
        return;
    }
    if (cJSON_IsArray(j)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, array_key ? array_key : "items", j);
        j = o;
    }
    /* The header every command's JSON begins with, then its own keys. */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", "fidkit-result/1");
    cJSON_AddStringToObject(o, "command", cmd);
    cJSON_AddStringToObject(o, "fidkit_version", fk_version());
    for (cJSON *it = j->child; it;) {
        cJSON *next = it->next;
        if (strcmp(it->string, "schema") && strcmp(it->string, "command") &&
            strcmp(it->string, "fidkit_version"))
            cJSON_AddItemToObject(o, it->string, cJSON_DetachItemViaPointer(j, it));
        it = next;
    }
    cJSON_Delete(j);
    j = o;
    char *t = json_compact ? cJSON_PrintUnformatted(j) : cJSON_Print(j);
    cJSON_Delete(j);
    if (t)
        puts(t);
    cJSON_free(t);
}

void fk_cli_print_skipped(const char *path, int64_t n, const char *list)
{
    if (n <= 0)
        return;
    printf("  skipped      %lld undecodable image%s of %s (--skip-bad)%s\n", (long long)n,
           n == 1 ? "" : "s", path, list ? ":" : "");
    cJSON *a = list ? cJSON_Parse(list) : NULL;
    int k = 0, shown = 3;
    for (cJSON *it = a ? a->child : NULL; it; it = it->next, k++)
        if (k < shown && cJSON_IsString(it))
            printf("               %s\n", it->valuestring);
    if (k > shown)
        printf("               ... and %d more (all of them in --json's datasets[].skipped_files)\n",
               k - shown);
    cJSON_Delete(a);
}

void fk_cli_print_written(const char *cmd, char *written, const char *prov, int json,
                          double seconds)
{
    cJSON *p = prov ? cJSON_Parse(prov) : NULL;
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(p, "skipped_files");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(p, "dataset");
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(p, "skipped_images");
    if (json) {
        cJSON *w = written ? cJSON_Parse(written) : NULL;
        free(written);
        if (w) {
            cJSON *arr = cJSON_AddArrayToObject(w, "datasets");
            if (cJSON_IsString(ds)) {
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "role", "input");
                cJSON_AddStringToObject(d, "path", ds->valuestring);
                const cJSON *outs = cJSON_GetObjectItemCaseSensitive(w, "outputs");
                const cJSON *n0 = outs && outs->child ? cJSON_GetObjectItemCaseSensitive(outs->child, "n")
                                                      : NULL;
                cJSON_AddItemToObject(d, "n", n0 ? cJSON_Duplicate(n0, 1) : cJSON_CreateNull());
                cJSON_AddNumberToObject(d, "skipped", cJSON_IsNumber(sk) ? sk->valuedouble : 0);
                cJSON_AddItemToObject(d, "skipped_files",
                                      sf ? cJSON_Duplicate(sf, 1) : cJSON_CreateArray());
                cJSON_AddItemToArray(arr, d);
            }
            cJSON_AddItemToObject(w, "skipped_files", sf ? cJSON_Duplicate(sf, 1) : cJSON_CreateArray());
            const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(p, "config");
            if (cJSON_IsString(cfg))
                cJSON_AddStringToObject(w, "backbone", cfg->valuestring);
            else
                cJSON_AddNullToObject(w, "backbone");
            cJSON *t = cJSON_AddObjectToObject(w, "timings");
            cJSON_AddNumberToObject(t, "extract_seconds", seconds);
            fk_cli_emit_json(cmd, cJSON_PrintUnformatted(w), NULL);
            cJSON_Delete(w);
        }
    } else {
        free(written);
        if (cJSON_IsNumber(sk) && sk->valuedouble > 0) {
            char *list = sf ? cJSON_PrintUnformatted(sf) : NULL;
            fk_cli_print_skipped(cJSON_IsString(ds) ? ds->valuestring : "the dataset",
                                 (int64_t)sk->valuedouble, list);
            cJSON_free(list);
        }
    }
    cJSON_Delete(p);
}

/* Fixed 6 decimals where that is readable, else 6 significant digits:
 * never 180 digits for 1e180, never "-0.000000", never "inf" (an undefined
 * number reads "undefined"). Exact values are in --json (17 digits). */
const char *fk_cli_num(double v, char *buf, size_t n)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, n, "undefined");
    else if (v == 0)
        snprintf(buf, n, "0.000000");
    else if (a >= 1e9 || a < 1e-4)
        snprintf(buf, n, "%.6g", v);
    else
        snprintf(buf, n, "%.6f", v);
    return buf;
}

/* An interval is shown only when both ends are numbers. */
int fk_cli_interval_shown(const fk_result *r)
{
    return r->interval.present && isfinite(r->interval.lo) && isfinite(r->interval.hi);
}

static void print_fd_text(const fk_result *r)
{
    const fk_fd_result *f = &r->fd;
    char ts[FK_TAG_STR_MAX];
    char a[32], b[32];
    printf("%s: %s\n", r->name, fk_cli_num(r->value, a, sizeof a));
    printf("  tag          %s\n", fk_tag_str(&r->tag, 1, ts, sizeof ts));
    printf("  mean term    %s\n", fk_cli_num(f->mean_term, a, sizeof a));
    printf("  trace term   %s\n", fk_cli_num(f->trace_term, a, sizeof a));
    if (r->n[0] && r->n[1])
        printf("  samples      %lld and %lld\n", (long long)r->n[0], (long long)r->n[1]);
    if (fk_cli_interval_shown(r))
        printf("  95%% interval [%s, %s] (%s, %d replicates)\n",
               fk_cli_num(r->interval.lo, a, sizeof a), fk_cli_num(r->interval.hi, b, sizeof b),
               r->interval.method, r->interval.replicates);
    printf("  method       %s%s, rank %d of %d, rcond %.2g\n", f->method,
           f->swapped ? " (of the second covariance)" : "", f->rank, r->d, f->rcond);
    if (f->eps > 0)
        printf("  regularised  eps %g added to both diagonals\n", f->eps);
    if (f->n_negative)
        printf("  note         %d eigenvalues of S1 S2 below zero (down to %.2g of the "
               "largest) were set to zero\n", f->n_negative, f->most_negative);
    if (f->clamped)
        printf("  note         a rounding-level negative distance was set to 0\n");
    if (fk_fd_ill_conditioned(f, r->d))
        printf("  warning      the covariances are ill-conditioned (fewer samples than "
               "dimensions?): the distance is exact for them but a noisy estimate\n");
}

static void print_row(const fk_result *r)
{
    char ts[FK_TAG_STR_MAX];
    char a[32], b[32];
    int ci = fk_cli_interval_shown(r);
    printf("%-10s %12s", r->name, fk_cli_num(r->value, a, sizeof a));
    if (ci)
        printf("   95%% [%s, %s]", fk_cli_num(r->interval.lo, a, sizeof a),
               fk_cli_num(r->interval.hi, b, sizeof b));
    printf("\n           %s; N = %lld", r->convention, (long long)r->n[0]);
    if (r->n_sides > 1)
        printf(" and %lld", (long long)r->n[1]);
    if (ci)
        printf("; interval: %s, %d replicates", r->interval.method, r->interval.replicates);
    else if (r->interval.present)
        printf("\n           no interval: not defined on these samples");
    else if (r->interval.method[0])
        printf("\n           no interval: %s", r->interval.method);
    printf("\n           %s\n", fk_tag_str(&r->tag, 1, ts, sizeof ts));
}

void fk_cli_print_results(const fk_results *r, const char *cmd, int json)
{
    if (json) {
        char *t = fk_results_json(r, cmd, fk_cli_json_pretty());
        if (t)
            puts(t);
        free(t);
        return;
    }
    /* One FD alone (fid, fd): its diagnostics; a family (score): a table. */
    if (r->n == 1 && r->items[0].has_fd) {
        print_fd_text(&r->items[0]);
    } else {
        if (r->n_sides == 2)
            printf("fidkit %s: %s (real) vs %s (generated)\n\n", cmd, r->sides[0].path,
                   r->sides[1].path);
        for (int i = 0; i < r->n; i++)
            print_row(&r->items[i]);
    }
    for (int k = 0; k < r->n_sides; k++)
        fk_cli_print_skipped(r->sides[k].path, r->sides[k].skipped, r->sides[k].skipped_files);
    for (int i = 0; i < r->n_notes; i++)
        printf("  note         %s\n", r->notes[i]);
    for (int k = 0; k < r->n_sides; k++)
        if (!strcmp(r->sides[k].cache, "hit"))
            printf("  cache        features of %s read from the feature cache (--no-cache to "
                   "extract)\n", r->sides[k].path);
}

int fk_cli_fail(const char *cmd, const fk_error *e, int json)
{
    int code = fk_cli_report(cmd, e);
    if (json) {
        char *t = fk_error_json(e, cmd, code, fk_cli_json_pretty());
        if (t)
            puts(t);
        free(t);
    }
    return code;
}
