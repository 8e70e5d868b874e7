/* What a sweep leaves behind: results.csv and results.json (one row per
 * point and metric, no timestamps, so that reruns are byte-identical),
 * plots against the numeric axes (one panel per backbone tag), and
 * report.md, readable without the YAML. Rankings are formed within one tag
 * only; across tags the report compares orderings, never scores. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/plot.h"
#include "fidkit/rankstats.h"
#include "fidkit/tag.h"
#include "base/fileutil.h"
#include "sweep/sweep_internal.h"

/* ---- a growing text ------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || t->oom) {
        va_end(ap2);
        return;
    }
    if (t->n + (size_t)n + 1 > t->cap) {
        size_t nc = (t->n + (size_t)n + 1) * 2 + 256;
        char *np = realloc(t->p, nc);
        if (!np) {
            t->oom = 1;
            va_end(ap2);
            return;
        }
        t->p = np;
        t->cap = nc;
    }
    vsnprintf(t->p + t->n, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    t->n += (size_t)n;
}

static fk_status save(const char *dir, const char *name, text *t, fk_error *e)
{
    if (t->oom)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory writing %s", name);
    char path[FK_SWEEP_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const void *parts[1] = {t->p ? t->p : ""};
    size_t sizes[1] = {t->n};
    return fk_write_file_atomic(path, parts, sizes, 1, e);
}

/* ---- labels -------------------------------------------------------------- */

/* Paths become their last component for tables and legends. */
static const char *short_value(const fk_sweep_spec *s, int axis, int j)
{
    const char *v = s->axes[axis].values[j];
    fk_sweep_axis_kind k = s->axes[axis].kind;
    if (k != FK_AXIS_FAKE && k != FK_AXIS_BACKBONE)
        return v;
    size_t n = strlen(v);
    while (n > 1 && v[n - 1] == '/')
        n--;
    const char *b = v + n;
    while (b > v && b[-1] != '/')
        b--;
    return b;
}

static int point_coord(const fk_sweep_spec *s, int point, int axis)
{
    fk_sweep_point p;
    fk_sweep_point_at(s, point, &p, NULL);
    return p.coord[axis];
}

/* Axes that change the tag (backbone, resize) are panels, not series. */
static int tag_axis(fk_sweep_axis_kind k) { return k == FK_AXIS_BACKBONE || k == FK_AXIS_RESIZE; }

/* The label of a point built from every axis except `skip1`, `skip2` and the
 * tag axes; "" when none is left. */
static void context_label_x(const fk_sweep_spec *s, int point, int skip1, int skip2, int names,
                            char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (int a = 0; a < s->n_axes && k < n; a++) {
        if (a == skip1 || a == skip2 || tag_axis(s->axes[a].kind))
            continue;
        k += (size_t)snprintf(out + k, n - k, "%s%s%s%s", k ? (names ? ", " : " / ") : "",
                              names ? fk_sweep_axis_name(s->axes[a].kind) : "", names ? "=" : "",
                              short_value(s, a, point_coord(s, point, a)));
    }
}

static void context_label(const fk_sweep_spec *s, int point, int skip1, int skip2, char *out, size_t n)
{
    context_label_x(s, point, skip1, skip2, 1, out, n);
}

static const char *metric_title(fk_sweep_metric m)
{
    static const char *const t[FK_SM_COUNT] = {
        "FD", "KID", "FD-inf", "CMMD", "precision", "recall",
        "precision (k=5)", "recall (k=5)", "density", "coverage"};
    return (unsigned)m < FK_SM_COUNT ? t[m] : "?";
}

/* Distinct tags in order of first appearance. */
static int tags_of(const sweep_results *r, char (**tags)[FK_TAG_STR_MAX])
{
    int n = 0;
    *tags = calloc((size_t)r->n_points + 1, FK_TAG_STR_MAX);
    if (!*tags)
        return 0;
    for (int i = 0; i < r->n_points; i++) {
        if (!r->done[i] || !r->n_rows[i])
            continue;
        const char *t = r->rows[i][0].tag;
        int j = 0;
        while (j < n && !fk_tag_str_comparable((*tags)[j], t))
            j++;
        if (j == n)
            snprintf((*tags)[n++], FK_TAG_STR_MAX, "%s", t);
    }
    return n;
}

static const sweep_row *row_of(const sweep_results *r, int point, fk_sweep_metric m)
{
    for (int k = 0; r->done[point] && k < r->n_rows[point]; k++)
        if (r->rows[point][k].metric == m)
            return &r->rows[point][k];
    return NULL;
}

static void fmt(double v, char *b, size_t n) { sweep_fmt_double(v, b, n); }

/* Exact numbers in JSON (cJSON's own printing rounds to 15 digits). */
static cJSON *exact(double v)
{
    char b[40];
    sweep_fmt_double(v, b, sizeof b);
    return cJSON_CreateRaw(b);
}

/* ---- CSV and JSON -------------------------------------------------------- */

static void csv_field(text *t, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        put(t, "%s", s);
        return;
    }
    put(t, "\"");
    for (const char *p = s; *p; p++)
        put(t, *p == '"' ? "\"\"" : "%c", *p);
    put(t, "\"");
}

/* A row's label by its space (docs/cli.md): FID only for the FID
 * Inception's pool3, FD_<space> otherwise; KID stays KID. */
static const char *row_label(const sweep_row *w, char *buf, size_t n)
{
    fk_tag t;
    const char *m = fk_sweep_metric_name(w->metric);
    int fd = !strcmp(m, "fid"), fdinf = !strcmp(m, "fd-inf");
    if ((!fd && !fdinf) || fk_tag_parse(w->tag, &t, NULL)) {
        snprintf(buf, n, "%s", !strcmp(m, "kid") ? "KID" : m);
        return buf;
    }
    char l[64];
    fk_tag_fd_label(&t, l, sizeof l);
    snprintf(buf, n, "%s%s", l, fdinf ? "-inf" : "");
    return buf;
}

static fk_status write_tables(const fk_sweep_spec *s, const sweep_results *r, const char *dir,
                              fk_error *e)
{
    text csv = {0};
    put(&csv, "point");
    for (int a = 0; a < s->n_axes; a++)
        put(&csv, ",%s", fk_sweep_axis_name(s->axes[a].kind));
    put(&csv, ",metric,value,lo,hi,n_real,n_fake,tag,name\n");
    cJSON *top = cJSON_CreateObject();
    cJSON_AddNumberToObject(top, "fidkit_sweep_results", 1);
    cJSON_AddStringToObject(top, "name", s->name);
    cJSON *ax = cJSON_AddArrayToObject(top, "axes");
    for (int a = 0; a < s->n_axes; a++)
        cJSON_AddItemToArray(ax, cJSON_CreateString(fk_sweep_axis_name(s->axes[a].kind)));
    cJSON *rows = cJSON_AddArrayToObject(top, "rows");
    for (int i = 0; i < r->n_points; i++) {
        for (int k = 0; r->done[i] && k < r->n_rows[i]; k++) {
            const sweep_row *w = &r->rows[i][k];
            char v[40], lo[40] = "", hi[40] = "";
            fmt(w->value, v, sizeof v);
            if (w->has_ci) {
                fmt(w->lo, lo, sizeof lo);
                fmt(w->hi, hi, sizeof hi);
            }
            put(&csv, "%d", i);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "point", i);
            cJSON *av = cJSON_AddObjectToObject(o, "axes");
            for (int a = 0; a < s->n_axes; a++) {
                const char *val = s->axes[a].values[point_coord(s, i, a)];
                put(&csv, ",");
                csv_field(&csv, val);
                if (fk_sweep_axis_numeric(s->axes[a].kind))
                    cJSON_AddItemToObject(av, fk_sweep_axis_name(s->axes[a].kind), cJSON_CreateRaw(val));
                else
                    cJSON_AddStringToObject(av, fk_sweep_axis_name(s->axes[a].kind), val);
            }
            put(&csv, ",%s,%s,%s,%s,%lld,%lld,", fk_sweep_metric_name(w->metric), v, lo, hi,
                (long long)w->n_real, (long long)w->n_fake);
            char label[80];
            csv_field(&csv, w->tag);
            put(&csv, ",%s\n", row_label(w, label, sizeof label));
            cJSON_AddStringToObject(o, "metric", fk_sweep_metric_name(w->metric));
            cJSON_AddStringToObject(o, "name", label);
            cJSON_AddItemToObject(o, "value", exact(w->value));
            cJSON_AddItemToObject(o, "lo", w->has_ci ? exact(w->lo) : cJSON_CreateNull());
            cJSON_AddItemToObject(o, "hi", w->has_ci ? exact(w->hi) : cJSON_CreateNull());
            cJSON_AddNumberToObject(o, "n_real", (double)w->n_real);
            cJSON_AddNumberToObject(o, "n_fake", (double)w->n_fake);
            cJSON_AddStringToObject(o, "tag", w->tag);
            cJSON_AddItemToArray(rows, o);
        }
    }
    char *js = cJSON_Print(top);
    cJSON_Delete(top);
    text jt = {0};
    if (js)
        put(&jt, "%s\n", js);
    else
        jt.oom = 1;
    cJSON_free(js);
    fk_status st = save(dir, "results.csv", &csv, e);
    if (!st)
        st = save(dir, "results.json", &jt, e);
    free(csv.p);
    free(jt.p);
    return st;
}

/* ---- plots --------------------------------------------------------------- */

typedef struct series_buf {
    char label[512];
    int n;
    double *x, *y, *lo, *hi;
} series_buf;

/* A panel's title people read: "inception_v3 (fid), pool3, 299 px
 * legacy_pytorch, weights 6726825d" rather than the tag's grammar. */
static void readable_tag(const char *tag, char *out, size_t n)
{
    fk_tag t;
    fk_error e;
    if (fk_tag_parse(tag, &t, &e)) {
        snprintf(out, n, "%s", tag);
        return;
    }
    snprintf(out, n, "%s%s%s%s, %s, %d px %s, weights %.8s", t.backbone, t.variant[0] ? " (" : "",
             t.variant, t.variant[0] ? ")" : "", t.layer, t.input_size, t.resize, t.weights);
}

static const char *series_label(const fk_sweep_spec *s, const char *lab)
{
    for (int i = 0; i < s->n_series_labels; i++)
        if (!strcmp(s->series_key[i], lab))
            return s->series_label[i];
    return lab;
}

/* Score against numeric axis `xa` for metric m: one panel per tag, one series
 * per combination of the other non-tag axes. Adds the file names to md. */
static fk_status plot_axis(const fk_sweep_spec *s, const sweep_results *r, fk_sweep_metric m, int xa,
                           const char *dir, text *md, fk_error *e)
{
    char (*tags)[FK_TAG_STR_MAX];
    int nt = tags_of(r, &tags);
    int np = r->n_points;
    fk_plot_panel *panels = calloc((size_t)nt + 1, sizeof *panels);
    series_buf *sb = calloc((size_t)nt * np + 1, sizeof *sb);
    fk_plot_series *ps = calloc((size_t)nt * np + 1, sizeof *ps);
    int *ns = calloc((size_t)nt + 1, sizeof(int));
    char (*titles)[FK_TAG_STR_MAX] = calloc((size_t)nt + 1, FK_TAG_STR_MAX);
    char (*ylab)[80] = calloc((size_t)nt + 1, sizeof *ylab);   /* each panel's label by its space */
    fk_status st = FK_OK;
    if (!tags || !panels || !sb || !ps || !ns || !titles || !ylab) {
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        goto out;
    }
    int nsb = 0, has_ci = 0;
    for (int t = 0; t < nt; t++) {
        int first = nsb;
        for (int i = 0; i < np; i++) {
            const sweep_row *w = row_of(r, i, m);
            if (!w || !fk_tag_str_comparable(w->tag, tags[t]))
                continue;
            /* Legends are narrow: values only (the report names the axes). */
            char lab[512];
            context_label_x(s, i, xa, -1, 0, lab, sizeof lab);
            if (!lab[0])
                snprintf(lab, sizeof lab, "%s", metric_title(m));
            int j = first;
            while (j < nsb && strcmp(sb[j].label, series_label(s, lab)))
                j++;
            if (j == nsb) {
                snprintf(sb[nsb].label, sizeof sb[nsb].label, "%s", series_label(s, lab));
                sb[nsb].x = malloc(sizeof(double) * 4 * (size_t)np);
                if (!sb[nsb].x) {
                    st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
                    goto out;
                }
                sb[nsb].y = sb[nsb].x + np;
                sb[nsb].lo = sb[nsb].y + np;
                sb[nsb].hi = sb[nsb].lo + np;
                nsb++;
            }
            series_buf *b = &sb[j];
            b->x[b->n] = strtod(s->axes[xa].values[point_coord(s, i, xa)], NULL);
            b->y[b->n] = w->value;
            b->lo[b->n] = w->has_ci ? w->lo : w->value;
            b->hi[b->n] = w->has_ci ? w->hi : w->value;
            has_ci |= w->has_ci;
            b->n++;
        }
        for (int j = first; j < nsb; j++) {
            fk_plot_series q = {sb[j].label, sb[j].n, sb[j].x, sb[j].y, has_ci ? sb[j].lo : NULL,
                                has_ci ? sb[j].hi : NULL};
            ps[j] = q;
        }
        panels[t].tag = tags[t];
        readable_tag(tags[t], titles[t], sizeof titles[t]);
        panels[t].title = titles[t];
        panels[t].xlabel = s->plot_xlabel[0] ? s->plot_xlabel : fk_sweep_axis_name(s->axes[xa].kind);
        sweep_row probe = {0};
        probe.metric = m;
        snprintf(probe.tag, sizeof probe.tag, "%s", tags[t]);
        panels[t].ylabel = s->plot_ylabel[0] ? s->plot_ylabel
                                             : row_label(&probe, ylab[t], sizeof ylab[t]);
        panels[t].log_x = s->axes[xa].kind == FK_AXIS_N;
        panels[t].n_series = nsb - first;
        panels[t].series = ps + first;
        ns[t] = nsb - first;
    }
    fk_plot_options po = fk_plot_default_options();
    po.interval_label = has_ci ? "95 % interval" : NULL;
    char title[512];
    if (s->plot_title[0])
        snprintf(title, sizeof title, "%s%s%s", s->plot_title, s->n_metrics > 1 ? ": " : "",
                 s->n_metrics > 1 ? metric_title(m) : "");
    else
        snprintf(title, sizeof title, "%s: %s against %s", s->name, metric_title(m),
                 fk_sweep_axis_name(s->axes[xa].kind));
    const char *ext[2] = {"png", "svg"};
    for (int k = 0; k < 2 && !st; k++) {
        char name[128], path[FK_SWEEP_PATH_MAX + 160];
        snprintf(name, sizeof name, "plot_%s_vs_%s.%s", fk_sweep_metric_name(m),
                 fk_sweep_axis_name(s->axes[xa].kind), ext[k]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        fk_plot_info info;
        st = fk_plot_write(path, title, panels, nt, &po, &info, e);
        if (!st && k == 0)
            put(md, "![%s](%s)\n\n", title, name);
    }
out:
    for (int j = 0; sb && j < nt * np; j++)
        free(sb[j].x);
    free(sb);
    free(ps);
    free(ns);
    free(titles);
    free(ylab);
    free(panels);
    free(tags);
    return st;
}

/* ---- report.md ----------------------------------------------------------- */

static int find_axis(const fk_sweep_spec *s, fk_sweep_axis_kind k)
{
    for (int a = 0; a < s->n_axes; a++)
        if (s->axes[a].kind == k)
            return a;
    return -1;
}

static void describe(const fk_sweep_spec *s, const sweep_results *r, text *md)
{
    put(md, "# Sweep: %s\n\n", s->name);
    if (s->description[0])
        put(md, "%s\n\n", s->description);
    put(md, "## What was swept\n\n");
    put(md, "Every point compares a **real** image set with a **fake** (generated or disturbed) "
            "set in the feature space of one backbone and reports each metric with %s.\n\n",
        s->ci ? "a 95 % interval" : "no interval (`ci: none`)");
    put(md, "- Real set: `%s`\n", s->real);
    if (find_axis(s, FK_AXIS_FAKE) < 0)
        put(md, "- Fake set: `%s`\n", s->fake);
    if (s->other[0])
        put(md, "- Contamination source (`other`): `%s`\n", s->other);
    put(md, "- Sample count: %s\n", s->n ? "the first `n` items of each set" : "every item");
    if (s->n && find_axis(s, FK_AXIS_N) < 0)
        put(md, "  (n = %lld)\n", (long long)s->n);
    put(md, "- Seed %llu (perturbations, bootstrap resamples, KID subsets, FD-inf subsets)\n",
        (unsigned long long)s->seed);
    put(md, "- Metrics:\n");
    for (int i = 0; i < s->n_metrics; i++) {
        switch (s->metrics[i]) {
        case FK_SM_FID:
            put(md, "  - `fid`: Fréchet distance of the feature means and unbiased covariances "
                    "(FID when the backbone is FID Inception)%s\n",
                s->ci ? "; interval: percentile bootstrap over images" : "");
            break;
        case FK_SM_KID:
            put(md, "  - `kid`: KID, cubic polynomial kernel, unbiased MMD^2, 100 subsets of "
                    "min(n_real, n_fake, 1000) (clean-fid's size rule)%s\n",
                s->ci ? "; interval: percentile bootstrap over images" : "");
            break;
        case FK_SM_CMMD:
            put(md, "  - `cmmd`: CMMD, RBF kernel (sigma 10) on L2-normalised embeddings, "
                    "x1000%s\n", s->ci ? "; interval: percentile bootstrap over images" : "");
            break;
        case FK_SM_PRECISION:
        case FK_SM_RECALL:
            put(md, "  - `%s`: improved %s, k = 3 nearest neighbours (the ADM evaluator's "
                    "convention)%s\n", fk_sweep_metric_name(s->metrics[i]),
                fk_sweep_metric_name(s->metrics[i]),
                s->ci ? "; interval: percentile bootstrap over images" : "");
            break;
        case FK_SM_PRDC_PRECISION:
        case FK_SM_PRDC_RECALL:
        case FK_SM_DENSITY:
        case FK_SM_COVERAGE:
            put(md, "  - `%s`: of precision, recall, density and coverage with k = 5 "
                    "(dgm-eval's convention)%s\n", fk_sweep_metric_name(s->metrics[i]),
                s->ci ? "; interval: percentile bootstrap over images" : "");
            break;
        default:
            put(md, "  - `fd-inf`: FD extrapolated to infinitely many samples (linear fit of FD "
                    "against 1/N over 15 subset sizes, dgm-eval)%s\n",
                s->ci ? "; interval: intercept +- 1.96 standard errors of the fit" : "");
        }
    }
    if (s->ci) {
        put(md, "- Bootstrap: %d replicates, 95 %% percentile interval\n", s->replicates);
        for (int i = 0; i < s->n_metrics; i++)
            if (s->metrics[i] == FK_SM_FID)
                put(md, "  (a resample repeats images, which adds FD's small-sample bias once "
                        "more; the replicates are centred on the estimate by subtracting their "
                        "mean bias, so the interval is the spread another sample of the same "
                        "size would give; see fidkit/bootstrap.h)\n");
    }
    put(md, "- Perturbations act on the fake set's decoded images before resizing "
            "(docs/perturbations.md); level 0 is the undisturbed set.\n");
    put(md, "\nThe sweep is the Cartesian product of these axes (the last varies fastest), "
            "%d points:\n\n", r->n_points);
    for (int a = 0; a < s->n_axes; a++) {
        put(md, "- **%s**:", fk_sweep_axis_name(s->axes[a].kind));
        for (int j = 0; j < s->axes[a].n_values; j++)
            put(md, "%s `%s`", j ? "," : "", short_value(s, a, j));
        put(md, "\n");
    }
    if (!s->n_axes)
        put(md, "- (no axes: the base job alone)\n");
    put(md, "\nScores measured with different backbones (different **tags**: network, layer, "
            "weights, input size, resize) live in different spaces. Every table below holds one "
            "tag; rankings are formed within a tag only.\n\n");
}

static void tables(const fk_sweep_spec *s, const sweep_results *r, text *md)
{
    char (*tags)[FK_TAG_STR_MAX];
    int nt = tags_of(r, &tags);
    put(md, "## Results\n\n");
    for (int t = 0; t < nt; t++) {
        put(md, "### `%s`\n\n|", tags[t]);
        int ncol = 0;
        for (int a = 0; a < s->n_axes; a++)
            if (!tag_axis(s->axes[a].kind)) {
                put(md, " %s |", fk_sweep_axis_name(s->axes[a].kind));
                ncol++;
            }
        put(md, " metric | score | 95 %% interval | N real | N fake |\n|");
        for (int c = 0; c < ncol + 5; c++)
            put(md, "---|");
        put(md, "\n");
        for (int i = 0; i < r->n_points; i++)
            for (int k = 0; r->done[i] && k < r->n_rows[i]; k++) {
                const sweep_row *w = &r->rows[i][k];
                if (!fk_tag_str_comparable(w->tag, tags[t]))
                    continue;
                put(md, "|");
                for (int a = 0; a < s->n_axes; a++)
                    if (!tag_axis(s->axes[a].kind))
                        put(md, " %s |", short_value(s, a, point_coord(s, i, a)));
                char label[80];
                put(md, " %s | %.6g |", row_label(w, label, sizeof label), w->value);
                if (w->has_ci)
                    put(md, " [%.6g, %.6g] |", w->lo, w->hi);
                else
                    put(md, " — |");
                put(md, " %lld | %lld |\n", (long long)w->n_real, (long long)w->n_fake);
            }
        put(md, "\n");
    }
    free(tags);
}

/* Whether each tag's score rises with the level, per series. */
static void monotonic(const fk_sweep_spec *s, const sweep_results *r, text *md)
{
    int la = find_axis(s, FK_AXIS_LEVEL);
    if (la < 0 || s->axes[la].n_values < 2)
        return;
    char (*tags)[FK_TAG_STR_MAX];
    int nt = tags_of(r, &tags);
    put(md, "## Does the score rise with the disturbance level?\n\n"
            "For each backbone tag, metric and series (the other axes fixed), the scores in "
            "increasing level; *monotone* means every step up in level raised the score.\n\n"
            "| tag | metric | series | scores by level | monotone |\n|---|---|---|---|---|\n");
    int np = r->n_points;
    int *used = calloc((size_t)np, sizeof(int));
    for (int m = 0; m < s->n_metrics && used; m++)
        for (int t = 0; t < nt; t++) {
            memset(used, 0, sizeof(int) * (size_t)np);
            for (int i = 0; i < np; i++) {
                const sweep_row *w = row_of(r, i, s->metrics[m]);
                if (used[i] || !w || !fk_tag_str_comparable(w->tag, tags[t]))
                    continue;
                char lab[512];
                context_label(s, i, la, -1, lab, sizeof lab);
                /* Gather this series, sorted by level (values are listed in
                 * file order, which need not be increasing). */
                double lv[256], sc[256];
                int n = 0;
                for (int j = i; j < np && n < 256; j++) {
                    const sweep_row *v = row_of(r, j, s->metrics[m]);
                    char l2[512];
                    if (used[j] || !v || !fk_tag_str_comparable(v->tag, tags[t]))
                        continue;
                    context_label(s, j, la, -1, l2, sizeof l2);
                    if (strcmp(l2, lab))
                        continue;
                    used[j] = 1;
                    double x = strtod(s->axes[la].values[point_coord(s, j, la)], NULL);
                    int q = n++;
                    while (q > 0 && lv[q - 1] > x) {
                        lv[q] = lv[q - 1];
                        sc[q] = sc[q - 1];
                        q--;
                    }
                    lv[q] = x;
                    sc[q] = v->value;
                }
                int falls = 0;
                for (int q = 1; q < n; q++)
                    falls += !(sc[q] > sc[q - 1]);
                put(md, "| `%s` | %s | %s |", tags[t], fk_sweep_metric_name(s->metrics[m]),
                    lab[0] ? lab : "—");
                for (int q = 0; q < n; q++)
                    put(md, "%s%.4g", q ? " → " : " ", sc[q]);
                if (falls)
                    put(md, " | no (%d of %d steps do not rise) |\n", falls, n - 1);
                else
                    put(md, " | yes |\n");
            }
        }
    put(md, "\n");
    free(used);
    free(tags);
}

/* Across tags: each tag's ordering of the fake sets, and how far the
 * orderings agree (never the scores themselves). */
static void agreement(const fk_sweep_spec *s, const sweep_results *r, text *md)
{
    int fa = find_axis(s, FK_AXIS_FAKE);
    if (fa < 0 || s->axes[fa].n_values < 2)
        return;
    char (*tags)[FK_TAG_STR_MAX];
    int nt = tags_of(r, &tags);
    int nf = s->axes[fa].n_values, np = r->n_points;
    double *sc = malloc(sizeof(double) * (size_t)(nt * nf + 1));
    double *rk = malloc(sizeof(double) * (size_t)(nf + 1));
    int *ok = calloc((size_t)nt + 1, sizeof(int));
    int *used = calloc((size_t)np + 1, sizeof(int));
    if (!sc || !rk || !ok || !used)
        goto out;
    put(md, "## Rankings of the fake sets and their agreement across backbones\n\n"
            "Within each tag the fake sets are ranked by score (rank 1 = lowest = closest to the "
            "real set; ties share the mean rank). Scores of different tags are never compared; "
            "their *orderings* are, by Spearman's rho and Kendall's tau-b (1: the same order, "
            "-1: reversed).\n\n");
    for (int m = 0; m < s->n_metrics; m++) {
        memset(used, 0, sizeof(int) * (size_t)np);
        for (int i = 0; i < np; i++) {
            if (used[i])
                continue;
            char ctxl[512];
            context_label(s, i, fa, -1, ctxl, sizeof ctxl);
            for (int t = 0; t < nt; t++)
                ok[t] = 0;
            for (int j = i; j < np; j++) {
                char l2[512];
                context_label(s, j, fa, -1, l2, sizeof l2);
                if (strcmp(l2, ctxl))
                    continue;
                used[j] = 1;
                const sweep_row *w = row_of(r, j, s->metrics[m]);
                if (!w)
                    continue;
                int t = 0;
                while (t < nt && !fk_tag_str_comparable(tags[t], w->tag))
                    t++;
                if (t == nt)
                    continue;
                sc[t * nf + point_coord(s, j, fa)] = w->value;
                ok[t]++;
            }
            put(md, "### %s%s%s\n\n| fake set |", fk_sweep_metric_name(s->metrics[m]),
                ctxl[0] ? ", " : "", ctxl);
            for (int t = 0; t < nt; t++)
                put(md, " `%s` |", tags[t]);
            put(md, "\n|---|");
            for (int t = 0; t < nt; t++)
                put(md, "---|");
            put(md, "\n");
            for (int f = 0; f < nf; f++) {
                put(md, "| %s |", short_value(s, fa, f));
                for (int t = 0; t < nt; t++) {
                    if (ok[t] != nf) {
                        put(md, " — |");
                        continue;
                    }
                    fk_rank_average(sc + t * nf, nf, rk, NULL);
                    put(md, " %.6g (rank %g) |", sc[t * nf + f], rk[f]);
                }
                put(md, "\n");
            }
            put(md, "\n");
            if (nt < 2) {
                put(md, "(one backbone only: no agreement to measure)\n\n");
                continue;
            }
            if (nf < FK_SWEEP_MIN_RANK_POINTS) {
                put(md, "(%d fake sets: Spearman's rho and Kendall's tau-b of fewer than %d "
                    "ranked items are too coarse to mean anything, and are not reported)\n\n",
                    nf, FK_SWEEP_MIN_RANK_POINTS);
                continue;
            }
            put(md, "| tag A | tag B | Spearman rho | Kendall tau-b |\n|---|---|---|---|\n");
            for (int a = 0; a < nt; a++)
                for (int b = a + 1; b < nt; b++) {
                    if (ok[a] != nf || ok[b] != nf)
                        continue;
                    double rho, tau;
                    fk_error e1 = {0}, e2 = {0};
                    int s1 = fk_spearman(sc + a * nf, sc + b * nf, nf, &rho, &e1);
                    int s2 = fk_kendall_tau_b(sc + a * nf, sc + b * nf, nf, &tau, &e2);
                    put(md, "| `%s` | `%s` |", tags[a], tags[b]);
                    if (s1)
                        put(md, " undefined (%s) |", e1.msg);
                    else
                        put(md, " %.4f |", rho);
                    if (s2)
                        put(md, " undefined (%s) |\n", e2.msg);
                    else
                        put(md, " %.4f |\n", tau);
                }
            put(md, "\n");
        }
    }
out:
    free(sc);
    free(rk);
    free(ok);
    free(used);
    free(tags);
}

fk_status sweep_write_outputs(const fk_sweep_spec *s, const sweep_results *r, const char *dir,
                              fk_error *e)
{
    fk_status st = write_tables(s, r, dir, e);
    if (st)
        return st;
    text md = {0};
    describe(s, r, &md);
    tables(s, r, &md);
    text plots = {0};
    for (int a = 0; a < s->n_axes && !st; a++) {
        fk_sweep_axis_kind k = s->axes[a].kind;
        if ((k != FK_AXIS_LEVEL && k != FK_AXIS_N) || s->axes[a].n_values < 2)
            continue;
        for (int m = 0; m < s->n_metrics && !st; m++)
            st = plot_axis(s, r, s->metrics[m], a, dir, &plots, e);
    }
    if (!st && plots.n) {
        char series[512] = "";
        size_t k = 0;
        for (int a = 0; a < s->n_axes; a++) {
            fk_sweep_axis_kind ak = s->axes[a].kind;
            if (!tag_axis(ak) && ak != FK_AXIS_LEVEL && ak != FK_AXIS_N && k < sizeof series)
                k += (size_t)snprintf(series + k, sizeof series - k, "%s%s", k ? " / " : "",
                                      fk_sweep_axis_name(ak));
        }
        put(&md, "## Plots\n\nOne panel per backbone tag (its title); %s%s%s. "
                 "Bands are the 95 %% intervals. Each plot is also written as SVG beside the "
                 "PNG.\n\n%s", series[0] ? "one line per value of " : "one line per metric",
            series, series[0] ? " (legend)" : "", plots.p);
    }
    if (!st) {
        monotonic(s, r, &md);
        agreement(s, r, &md);
        put(&md, "---\nFiles: `results.csv` and `results.json` (one row per point and metric), "
                 "`journal.json` (finished points, for resuming), `cache/` (feature sets).\n");
        st = save(dir, "report.md", &md, e);
    }
    free(plots.p);
    free(md.p);
    return st;
}
