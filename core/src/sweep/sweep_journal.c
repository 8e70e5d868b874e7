/* journal.json: the finished points of a sweep, rewritten whole (temporary
 * file + rename) after each point, so that a kill at any moment leaves the
 * previous or the next complete journal and a rerun resumes from it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileutil.h"
#include "sweep/sweep_internal.h"

/* cJSON prints doubles with 15 digits when they read back "close enough";
 * a resumed sweep must reproduce them exactly, so numbers are written as the
 * shortest text that reads back bit for bit. */
static cJSON *exact(double v)
{
    char b[40];
    sweep_fmt_double(v, b, sizeof b);
    return cJSON_CreateRaw(b);
}

static cJSON *num_or_null(int ok, double v)
{
    return ok ? exact(v) : cJSON_CreateNull();
}

fk_status sweep_journal_save(const char *path, const char *sweep_path, const sweep_results *r,
                             const fk_sweep_counters *c, fk_error *e)
{
    cJSON *top = cJSON_CreateObject();
    cJSON_AddNumberToObject(top, "fidkit_sweep_journal", 1);
    cJSON_AddStringToObject(top, "sweep", sweep_path);
    cJSON *run = cJSON_AddObjectToObject(top, "last_run");
    cJSON_AddNumberToObject(run, "points", c->points);
    cJSON_AddNumberToObject(run, "points_resumed", c->points_resumed);
    cJSON_AddNumberToObject(run, "points_computed", c->points_computed);
    cJSON_AddNumberToObject(run, "extractions", c->extractions);
    cJSON_AddNumberToObject(run, "cache_loads", c->cache_loads);
    int finished = 0;
    for (int i = 0; i < r->n_points; i++)
        finished += r->done[i];
    cJSON_AddNumberToObject(top, "finished", finished);
    cJSON *pts = cJSON_AddArrayToObject(top, "points");
    for (int i = 0; i < r->n_points; i++) {
        if (!r->done[i])
            continue;
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "index", i);
        cJSON_AddStringToObject(p, "key", r->key[i]);
        cJSON *rows = cJSON_AddArrayToObject(p, "rows");
        for (int k = 0; k < r->n_rows[i]; k++) {
            const sweep_row *w = &r->rows[i][k];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "metric", fk_sweep_metric_name(w->metric));
            cJSON_AddItemToObject(o, "value", exact(w->value));
            cJSON_AddItemToObject(o, "lo", num_or_null(w->has_ci, w->lo));
            cJSON_AddItemToObject(o, "hi", num_or_null(w->has_ci, w->hi));
            cJSON_AddNumberToObject(o, "n_real", (double)w->n_real);
            cJSON_AddNumberToObject(o, "n_fake", (double)w->n_fake);
            cJSON_AddStringToObject(o, "tag", w->tag);
            cJSON_AddItemToArray(rows, o);
        }
        cJSON_AddItemToArray(pts, p);
    }
    char *text = cJSON_Print(top);
    cJSON_Delete(top);
    if (!text)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory writing %s", path);
    const void *parts[2] = {text, "\n"};
    size_t sizes[2] = {strlen(text), 1};
    fk_status st = fk_write_file_atomic(path, parts, sizes, 2, e);
    cJSON_free(text);
    return st;
}

static int get_num(const cJSON *o, const char *k, double *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x))
        return 0;
    *v = x->valuedouble;
    return 1;
}

fk_status sweep_journal_load(const char *path, sweep_results *r, fk_error *e)
{
    struct stat sb;
    if (stat(path, &sb) && errno == ENOENT)
        return FK_OK;
    char *data;
    size_t len;
    fk_status st = fk_read_file(path, (size_t)1 << 30, &data, &len, e);
    if (st)
        return st;
    cJSON *top = cJSON_Parse(data);
    free(data);
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(top, "points");
    if (!top || !cJSON_IsArray(pts)) {
        cJSON_Delete(top);
        return fk_fail(e, FK_ERR_FORMAT, "%s: not a sweep journal (delete it to start over)", path);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, pts) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(p, "key");
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(p, "rows");
        if (!cJSON_IsString(key) || !cJSON_IsArray(rows))
            continue;
        /* A point is matched by its key, not its index: editing the sweep
         * file keeps every point whose inputs did not change. */
        for (int i = 0; i < r->n_points; i++) {
            if (r->done[i] || strcmp(r->key[i], key->valuestring))
                continue;
            int n = cJSON_GetArraySize(rows);
            sweep_row *w = calloc((size_t)(n ? n : 1), sizeof *w);
            if (!w) {
                cJSON_Delete(top);
                return fk_fail(e, FK_ERR_NOMEM, "out of memory");
            }
            int k = 0, ok = 1;
            const cJSON *o;
            cJSON_ArrayForEach(o, rows) {
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metric");
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tag");
                double nr = 0, nf = 0;
                int mi = 0;
                while (cJSON_IsString(m) && mi < FK_SM_COUNT &&
                       strcmp(fk_sweep_metric_name((fk_sweep_metric)mi), m->valuestring))
                    mi++;
                if (!cJSON_IsString(m) || mi == FK_SM_COUNT || !cJSON_IsString(t) ||
                    !get_num(o, "value", &w[k].value) || !get_num(o, "n_real", &nr) ||
                    !get_num(o, "n_fake", &nf)) {
                    ok = 0;
                    break;
                }
                w[k].point = i;
                w[k].metric = (fk_sweep_metric)mi;
                w[k].has_ci = get_num(o, "lo", &w[k].lo) && get_num(o, "hi", &w[k].hi);
                w[k].n_real = (int64_t)nr;
                w[k].n_fake = (int64_t)nf;
                snprintf(w[k].tag, sizeof w[k].tag, "%s", t->valuestring);
                k++;
            }
            if (!ok) {
                free(w);
                continue;   /* a damaged entry is recomputed, not trusted */
            }
            r->rows[i] = w;
            r->n_rows[i] = k;
            r->done[i] = 1;
        }
    }
    cJSON_Delete(top);
    return FK_OK;
}
