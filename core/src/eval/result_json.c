/* Results: the list, and its one JSON form ("fidkit-result/1", documented
 * in docs/cli.md and docs/result.schema.json). Every command's --json
 * comes from here. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fidkit/eval.h"
#include "fidkit/fidkit.h"

#define FK_RESULT_SCHEMA "fidkit-result/1"

fk_result fk_result_init(const char *metric, const char *name, const fk_tag *tag)
{
    fk_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.metric, sizeof r.metric, "%s", metric);
    snprintf(r.name, sizeof r.name, "%s", name);
    if (tag)
        r.tag = *tag;
    r.std = NAN;
    return r;
}

fk_status fk_results_add(fk_results *r, const fk_result *item, fk_error *e)
{
    fk_result *grown = realloc(r->items, (size_t)(r->n + 1) * sizeof *grown);
    if (!grown)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    r->items = grown;
    r->items[r->n++] = *item;
    return FK_OK;
}

void fk_results_free(fk_results *r)
{
    if (!r)
        return;
    free(r->items);
    for (int k = 0; k < 2; k++)
        free(r->sides[k].skipped_files);
    memset(r, 0, sizeof *r);
}

/* A number JSON can hold; NaN and Inf become null, never a bare token. */
static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void add_num(cJSON *o, const char *k, double v)
{
    cJSON_AddItemToObject(o, k, num(v));
}

static cJSON *fd_details(const fk_result *r)
{
    cJSON *d = cJSON_CreateObject();
    add_num(d, "mean_term", r->fd.mean_term);
    add_num(d, "trace_term", r->fd.trace_term);
    add_num(d, "tr_sqrt", r->fd.tr_sqrt);
    add_num(d, "d", r->d);
    cJSON_AddStringToObject(d, "method", r->fd.method ? r->fd.method : "");
    cJSON_AddBoolToObject(d, "swapped", r->fd.swapped);
    add_num(d, "rank", r->fd.rank);
    add_num(d, "rcond", r->fd.rcond);
    add_num(d, "negative_eigenvalues", r->fd.n_negative);
    add_num(d, "most_negative_eigenvalue", r->fd.most_negative);
    add_num(d, "eps", r->fd.eps);
    cJSON_AddBoolToObject(d, "clamped", r->fd.clamped);
    cJSON_AddBoolToObject(d, "ill_conditioned", fk_fd_ill_conditioned(&r->fd, r->d));
    return d;
}

static cJSON *result_json(const fk_result *r)
{
    char ts[FK_TAG_STR_MAX], tshort[FK_TAG_STR_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "metric", r->metric);
    cJSON_AddStringToObject(o, "name", r->name);
    add_num(o, "value", r->value);
    if (r->interval.present) {
        cJSON *iv = cJSON_AddObjectToObject(o, "interval");
        add_num(iv, "level", r->interval.level);
        add_num(iv, "lo", r->interval.lo);
        add_num(iv, "hi", r->interval.hi);
        cJSON_AddStringToObject(iv, "method", r->interval.method);
        add_num(iv, "replicates", r->interval.replicates);
        add_num(iv, "replicate_bias", r->interval.bias);
    } else {
        cJSON_AddNullToObject(o, "interval");
    }
    cJSON *n = cJSON_AddArrayToObject(o, "n");
    for (int k = 0; k < r->n_sides; k++)
        cJSON_AddItemToArray(n, r->n[k] ? cJSON_CreateNumber((double)r->n[k]) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "convention", r->convention);
    cJSON_AddStringToObject(o, "tag", fk_tag_str(&r->tag, 0, ts, sizeof ts));
    cJSON_AddStringToObject(o, "tag_short", fk_tag_str(&r->tag, 1, tshort, sizeof tshort));
    cJSON_AddStringToObject(o, "backbone", r->tag.backbone);
    cJSON *d = r->has_fd ? fd_details(r) : cJSON_CreateObject();
    if (isfinite(r->std))
        add_num(d, "std", r->std);
    if (r->splits)
        add_num(d, "splits", r->splits);
    if (r->subsets) {
        add_num(d, "subsets", r->subsets);
        add_num(d, "subset_size", (double)r->subset_size);
    }
    if (r->has_seed)
        add_num(d, "seed", (double)r->seed);
    else if (!strcmp(r->metric, "is"))
        cJSON_AddNullToObject(d, "seed"); /* file order: no seed was used */
    if (r->extra[0]) {
        cJSON *x = cJSON_Parse(r->extra);
        for (cJSON *it = x ? x->child : NULL; it;) {
            cJSON *next = it->next;
            cJSON_AddItemToObject(d, it->string, cJSON_DetachItemViaPointer(x, it));
            it = next;
        }
        cJSON_Delete(x);
    }
    cJSON_AddItemToObject(o, "details", d);
    return o;
}

static cJSON *top(const char *command)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", FK_RESULT_SCHEMA);
    cJSON_AddStringToObject(j, "command", command ? command : "");
    cJSON_AddStringToObject(j, "fidkit_version", fk_version());
    return j;
}

static char *print(cJSON *j, int pretty)
{
    char *t = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

char *fk_results_json(const fk_results *r, const char *command, int pretty)
{
    cJSON *j = top(command);
    if (r->backbone[0])
        cJSON_AddStringToObject(j, "backbone", r->backbone);
    else
        cJSON_AddNullToObject(j, "backbone");
    cJSON *ds = cJSON_AddArrayToObject(j, "datasets");
    for (int k = 0; k < r->n_sides; k++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "role", r->sides[k].role);
        cJSON_AddStringToObject(s, "path", r->sides[k].path);
        cJSON_AddItemToObject(s, "n", r->sides[k].n ? cJSON_CreateNumber((double)r->sides[k].n)
                                                    : cJSON_CreateNull());
        add_num(s, "skipped", (double)r->sides[k].skipped);
        if (r->sides[k].cache[0])
            cJSON_AddStringToObject(s, "cache", r->sides[k].cache);
        cJSON *sf = r->sides[k].skipped_files ? cJSON_Parse(r->sides[k].skipped_files) : NULL;
        cJSON_AddItemToObject(s, "skipped_files", sf ? sf : cJSON_CreateArray());
        cJSON_AddItemToArray(ds, s);
    }
    cJSON *res = cJSON_AddArrayToObject(j, "results");
    for (int i = 0; i < r->n; i++)
        cJSON_AddItemToArray(res, result_json(&r->items[i]));
    cJSON *notes = cJSON_AddArrayToObject(j, "notes");
    for (int i = 0; i < r->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
    cJSON *t = cJSON_AddObjectToObject(j, "timings");
    add_num(t, "extract_seconds", r->extract_seconds);
    add_num(t, "metric_seconds", r->metric_seconds);
    return print(j, pretty);
}

/* The file an error message names: messages begin "FILE: ..." or
 * "FILE:LINE: ..." by convention (error.h); "" when this one does not. */
static void error_file(const char *msg, char *out, size_t n)
{
    out[0] = 0;
    const char *colon = strstr(msg, ": ");
    if (!colon || colon == msg || msg[0] == '-' || (size_t)(colon - msg) >= n)
        return;
    size_t len = (size_t)(colon - msg);
    for (size_t i = 0; i < len; i++)
        if (msg[i] == ' ')
            return;
    memcpy(out, msg, len);
    out[len] = 0;
    /* FILE:LINE */
    char *c = strrchr(out, ':');
    if (c && c[1]) {
        char *d = c + 1;
        while (*d >= '0' && *d <= '9')
            d++;
        if (!*d)
            *c = 0;
    }
    struct stat sb;
    if (!strchr(out, '/') && !strchr(out, '.') && stat(out, &sb))
        out[0] = 0;
}

/* The exit code's kind (docs/cli.md). */
static const char *exit_kind(int code)
{
    switch (code) {
    case 0: return "ok";
    case 2: return "usage";
    case 3: return "tag-refusal";
    case 4: return "bad-input";
    default: return "runtime";
    }
}

char *fk_error_json(const fk_error *e, const char *command, int exit_code, int pretty)
{
    cJSON *j = top(command);
    cJSON *o = cJSON_AddObjectToObject(j, "error");
    const char *msg = e ? e->msg : "";
    cJSON_AddStringToObject(o, "message", msg);
    char file[1024];
    error_file(msg, file, sizeof file);
    if (file[0])
        cJSON_AddStringToObject(o, "file", file);
    else
        cJSON_AddNullToObject(o, "file");
    cJSON_AddStringToObject(o, "status", fk_status_name(e ? e->code : FK_ERR_INTERNAL));
    add_num(o, "exit_code", exit_code);
    cJSON_AddStringToObject(o, "kind", exit_kind(exit_code));
    return print(j, pretty);
}

char *fk_written_json(const char *command, const char *path, const fk_featset *sets, int n,
                      const fk_stats *stats, int64_t skipped, int pretty)
{
    cJSON *j = top(command);
    cJSON_AddStringToObject(j, "file", path);
    add_num(j, "skipped", (double)skipped);
    cJSON *outs = cJSON_AddArrayToObject(j, "outputs");
    char ts[FK_TAG_STR_MAX];
    for (int k = 0; k < n + (stats ? 1 : 0); k++) {
        const fk_tag *t = k < n ? &sets[k].tag : &stats->tag;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "layer", t->layer);
        add_num(o, "n", (double)(k < n ? sets[k].n : stats->n));
        add_num(o, "d", k < n ? sets[k].d : stats->d);
        cJSON_AddStringToObject(o, "tag", fk_tag_str(t, 0, ts, sizeof ts));
        cJSON_AddStringToObject(o, "tag_short", fk_tag_str(t, 1, ts, sizeof ts));
        cJSON_AddItemToArray(outs, o);
    }
    return print(j, pretty);
}
