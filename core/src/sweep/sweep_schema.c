/* Sweep files from YAML (libyaml's document API, for line numbers) and the
 * points of their Cartesian product. See sweep.h for the schema. */
#include "fidkit/sweep.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "formats/yamldoc.h"

#include "fidkit/resize.h"

static const char *const axis_names[FK_AXIS_COUNT] = {"backbone", "resize", "n", "perturbation",
                                                      "level", "seed", "fake"};
static const char *const metric_names[FK_SM_COUNT] = {
    "fid", "kid", "fd-inf", "cmmd", "precision", "recall",
    "prdc_precision", "prdc_recall", "density", "coverage"};

const char *fk_sweep_axis_name(fk_sweep_axis_kind k)
{
    return (unsigned)k < FK_AXIS_COUNT ? axis_names[k] : NULL;
}

int fk_sweep_axis_numeric(fk_sweep_axis_kind k)
{
    return k == FK_AXIS_N || k == FK_AXIS_LEVEL || k == FK_AXIS_SEED;
}

const char *fk_sweep_metric_name(fk_sweep_metric m)
{
    return (unsigned)m < FK_SM_COUNT ? metric_names[m] : NULL;
}

typedef struct ctx {
    const char *path;
    char dir[FK_SWEEP_PATH_MAX];
    yaml_document_t *doc;
    fk_error *e;
} ctx;


static fk_status bad(ctx *c, const yaml_node_t *n, const char *key, const char *fmt, const char *val)
{
    char what[2200];
    snprintf(what, sizeof what, fmt, val ? val : "");
    return fk_fail(c->e, FK_ERR_ARG, "%s:%d: '%s' %s", c->path, n ? fk_yaml_line(n) : 0, key, what);
}


static fk_status get_str(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t cap)
{
    const char *s = fk_yaml_scalar(n);
    if (!s || !*s)
        return bad(c, n, key, "must be a non-empty string", NULL);
    if (strlen(s) >= cap)
        return bad(c, n, key, "is too long", NULL);
    strcpy(out, s);
    return FK_OK;
}

/* A dataset path as written, made relative to the sweep file's folder. */
static fk_status get_path(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t cap)
{
    char s[FK_SWEEP_PATH_MAX];
    fk_status st = get_str(c, n, key, s, sizeof s);
    if (st)
        return st;
    int w = s[0] == '/' ? snprintf(out, cap, "%s", s) : snprintf(out, cap, "%s/%s", c->dir, s);
    return w < 0 || (size_t)w >= cap ? bad(c, n, key, "is too long a path", NULL) : FK_OK;
}

/* A backbone: a name (found by fk_config_find later) or a path to a YAML
 * file, which is taken relative to the sweep file's folder. */
static fk_status get_backbone(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t cap)
{
    const char *s = fk_yaml_scalar(n);
    if (s && (strchr(s, '/') || strstr(s, ".yaml") || strstr(s, ".yml")))
        return get_path(c, n, key, out, cap);
    return get_str(c, n, key, out, cap);
}

static fk_status get_i64(ctx *c, const yaml_node_t *n, const char *key, long long lo, long long *out)
{
    const char *s = fk_yaml_scalar(n);
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno)
        return bad(c, n, key, "must be an integer, got '%s'", s ? s : "a collection");
    if (v < lo) {
        char r[64];
        snprintf(r, sizeof r, "%lld", lo);
        return bad(c, n, key, "must be at least %s", r);
    }
    *out = v;
    return FK_OK;
}

static fk_status get_level(ctx *c, const yaml_node_t *n, const char *key, double *out)
{
    const char *s = fk_yaml_scalar(n);
    char *end;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || !isfinite(v))
        return bad(c, n, key, "must be a number, got '%s'", s ? s : "a collection");
    if (v < 0 || v > 1)
        return bad(c, n, key, "must be between 0 and 1, got '%s'", s);
    *out = v;
    return FK_OK;
}

static fk_status get_kind(ctx *c, const yaml_node_t *n, const char *key, fk_perturb_kind *k)
{
    char s[64];
    fk_status st = get_str(c, n, key, s, sizeof s);
    if (st)
        return st;
    fk_error pe = {0};
    if (fk_perturb_parse(s, k, &pe))
        return bad(c, n, key, "%s", pe.msg);
    return FK_OK;
}

static fk_status get_resize(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t cap)
{
    fk_status st = get_str(c, n, key, out, cap);
    fk_resize_mode m;
    if (!st && fk_resize_parse(out, &m, NULL))
        return bad(c, n, key, "must be clean, legacy_pytorch, legacy_tensorflow, pil_bicubic or "
                              "none or torch_bicubic_aa, got '%s'", out);
    return st;
}

/* One axis value, checked and normalised to text. */
static fk_status axis_value(ctx *c, fk_sweep_axis_kind k, const yaml_node_t *n, char *out, size_t cap)
{
    const char *key = axis_names[k];
    long long x;
    double v;
    fk_perturb_kind pk;
    fk_status st;
    switch (k) {
    case FK_AXIS_BACKBONE: return get_backbone(c, n, key, out, cap);
    case FK_AXIS_RESIZE: return get_resize(c, n, key, out, cap);
    case FK_AXIS_FAKE: return get_path(c, n, key, out, cap);
    case FK_AXIS_N:
    case FK_AXIS_SEED:
        if ((st = get_i64(c, n, key, k == FK_AXIS_N ? 2 : 0, &x)))
            return st;
        snprintf(out, cap, "%lld", x);
        return FK_OK;
    case FK_AXIS_LEVEL:
        if ((st = get_level(c, n, key, &v)))
            return st;
        snprintf(out, cap, "%.17g", v);
        return FK_OK;
    case FK_AXIS_PERTURBATION:
        if ((st = get_kind(c, n, key, &pk)))
            return st;
        snprintf(out, cap, "%s", fk_perturb_name(pk));
        return FK_OK;
    default: return bad(c, n, key, "is not an axis", NULL);
    }
}

static fk_status list_items(ctx *c, const yaml_node_t *n, const char *key, int min)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return bad(c, n, key, "must be a list", NULL);
    int cnt = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt < min) {
        char m[32];
        snprintf(m, sizeof m, "%d", min);
        return bad(c, n, key, "needs at least %s value(s)", m);
    }
    return FK_OK;
}

static yaml_node_t *item(ctx *c, const yaml_node_t *n, int i)
{
    return yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
}

static int n_items(const yaml_node_t *n)
{
    return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static fk_status parse_axes(ctx *c, yaml_node_t *map, fk_sweep_spec *s)
{
    if (map->type != YAML_MAPPING_NODE)
        return bad(c, map, "axes", "must be a mapping of axis names to lists of values", NULL);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = fk_yaml_scalar(k);
        if (!ks)
            return fk_fail(c->e, FK_ERR_ARG, "%s:%d: axis names must be plain strings", c->path,
                           fk_yaml_line(k));
        int kind = 0;
        while (kind < FK_AXIS_COUNT && strcmp(axis_names[kind], ks))
            kind++;
        if (kind == FK_AXIS_COUNT)
            return bad(c, k, ks, "is not an axis (backbone, resize, n, perturbation, level, seed, "
                                 "fake)", NULL);
        for (int i = 0; i < s->n_axes; i++)
            if (s->axes[i].kind == (fk_sweep_axis_kind)kind)
                return bad(c, k, ks, "appears twice in 'axes'", NULL);
        fk_status st = list_items(c, v, ks, 1);
        if (st)
            return st;
        fk_sweep_axis *a = &s->axes[s->n_axes++];
        a->kind = (fk_sweep_axis_kind)kind;
        a->line = fk_yaml_line(k);
        a->n_values = n_items(v);
        a->values = calloc((size_t)a->n_values, sizeof(char *));
        if (!a->values)
            return fk_fail(c->e, FK_ERR_NOMEM, "out of memory");
        for (int i = 0; i < a->n_values; i++) {
            char buf[FK_SWEEP_PATH_MAX];
            yaml_node_t *it = item(c, v, i);
            if ((st = axis_value(c, a->kind, it, buf, sizeof buf)))
                return st;
            for (int j = 0; j < i; j++)
                if (!strcmp(a->values[j], buf))
                    return bad(c, it, ks, "lists the value '%s' twice", buf);
            if (!(a->values[i] = strdup(buf)))
                return fk_fail(c->e, FK_ERR_NOMEM, "out of memory");
        }
    }
    return FK_OK;
}

/* plot: {title, x_label, y_label, labels: {fidkit's legend entry: text}} */
static fk_status parse_plot(ctx *c, yaml_node_t *map, fk_sweep_spec *s)
{
    if (map->type != YAML_MAPPING_NODE)
        return bad(c, map, "plot", "must be a mapping (title, x_label, y_label, labels)", NULL);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = fk_yaml_scalar(k);
        fk_status st = FK_OK;
        if (!ks)
            return bad(c, k, "plot", "keys must be plain strings", NULL);
        if (!strcmp(ks, "title"))
            st = get_str(c, v, "plot.title", s->plot_title, sizeof s->plot_title);
        else if (!strcmp(ks, "x_label"))
            st = get_str(c, v, "plot.x_label", s->plot_xlabel, sizeof s->plot_xlabel);
        else if (!strcmp(ks, "y_label"))
            st = get_str(c, v, "plot.y_label", s->plot_ylabel, sizeof s->plot_ylabel);
        else if (!strcmp(ks, "labels")) {
            if (v->type != YAML_MAPPING_NODE)
                return bad(c, v, "plot.labels", "must map legend entries to labels", NULL);
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                 q < v->data.mapping.pairs.top && !st; q++) {
                if (s->n_series_labels == FK_SWEEP_MAX_LABELS)
                    return bad(c, v, "plot.labels", "has too many entries (at most 32)", NULL);
                int i = s->n_series_labels++;
                st = get_str(c, yaml_document_get_node(c->doc, q->key), "plot.labels",
                             s->series_key[i], sizeof s->series_key[i]);
                if (!st)
                    st = get_str(c, yaml_document_get_node(c->doc, q->value), "plot.labels",
                                 s->series_label[i], sizeof s->series_label[i]);
            }
        } else
            return bad(c, k, ks, "is not a plot key (title, x_label, y_label, labels)", NULL);
        if (st)
            return st;
    }
    return FK_OK;
}

enum { K_VERSION, K_REAL, K_FAKE, K_BACKBONES, K_METRICS, K_N };

static fk_status top_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, fk_sweep_spec *s,
                          int *seen, yaml_node_t **axes)
{
    fk_status st;
    long long x;
    if (!strcmp(key, "fidkit_sweep")) {
        if ((st = get_i64(c, v, key, 1, &x)))
            return st;
        if (x > FK_SWEEP_VERSION)
            return fk_fail(c->e, FK_ERR_UNSUPPORTED, "%s:%d: sweep format %lld is newer than this "
                           "fidkit reads (%d)", c->path, fk_yaml_line(v), x, FK_SWEEP_VERSION);
        seen[K_VERSION] = 1;
    } else if (!strcmp(key, "name")) {
        if ((st = get_str(c, v, key, s->name, sizeof s->name)))
            return st;
        /* It names the default output folder sweep-NAME: one plain
         * component, never a way out of the working folder. */
        for (const unsigned char *p = (const unsigned char *)s->name; *p; p++)
            if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
                return bad(c, v, key, "must not hold a path separator or a control character",
                           NULL);
        if (strstr(s->name, "..") || s->name[0] == '.')
            return bad(c, v, key, "must not hold '..' or begin with '.'", NULL);
    } else if (!strcmp(key, "description")) {
        return get_str(c, v, key, s->description, sizeof s->description);
    } else if (!strcmp(key, "real")) {
        seen[K_REAL] = 1;
        return get_path(c, v, key, s->real, sizeof s->real);
    } else if (!strcmp(key, "fake")) {
        seen[K_FAKE] = 1;
        return get_path(c, v, key, s->fake, sizeof s->fake);
    } else if (!strcmp(key, "other")) {
        return get_path(c, v, key, s->other, sizeof s->other);
    } else if (!strcmp(key, "backbones") || !strcmp(key, "backbone")) {
        if (v->type == YAML_SCALAR_NODE) {
            s->n_backbones = 1;
            st = get_backbone(c, v, key, s->backbones[0], sizeof s->backbones[0]);
        } else if (!(st = list_items(c, v, key, 1))) {
            if (n_items(v) > FK_SWEEP_MAX_BACKBONES)
                return bad(c, v, key, "lists too many backbones (at most 16)", NULL);
            s->n_backbones = n_items(v);
            for (int i = 0; i < s->n_backbones && !st; i++)
                st = get_backbone(c, item(c, v, i), key, s->backbones[i], sizeof s->backbones[i]);
        }
        seen[K_BACKBONES] = 1;
        return st;
    } else if (!strcmp(key, "metrics")) {
        if ((st = list_items(c, v, key, 1)))
            return st;
        if (n_items(v) > FK_SWEEP_MAX_METRICS)
            return bad(c, v, key, "lists too many metrics", NULL);
        for (int i = 0; i < n_items(v); i++) {
            yaml_node_t *it = item(c, v, i);
            const char *m = fk_yaml_scalar(it);
            if (m && (!strcmp(m, "sfid") || !strcmp(m, "is")))
                return bad(c, it, key, "'%s' needs an output sweeps do not extract (sfid: the "
                           "spatial features, is: the logits); use `fidkit score`", m);
            /* score's names: pr and prdc give several rows each */
            int first = -1, count = 1;
            if (m && !strcmp(m, "pr"))
                first = FK_SM_PRECISION, count = 2;
            else if (m && !strcmp(m, "prdc"))
                first = FK_SM_PRDC_PRECISION, count = 4;
            else {
                int j = 0;
                while (m && j < FK_SM_COUNT && strcmp(m, metric_names[j]))
                    j++;
                if (!m || j == FK_SM_COUNT)
                    return bad(c, it, key, "must be fid, kid, fd-inf, cmmd, pr or prdc, got '%s'",
                               m ? m : "a collection");
                first = j;
            }
            for (int j = first; j < first + count; j++) {
                for (int q = 0; q < s->n_metrics; q++)
                    if ((int)s->metrics[q] == j)
                        return bad(c, it, key, "lists '%s' twice", m);
                if (s->n_metrics == FK_SWEEP_MAX_METRICS)
                    return bad(c, v, key, "lists too many metrics", NULL);
                s->metrics[s->n_metrics++] = (fk_sweep_metric)j;
            }
        }
        seen[K_METRICS] = 1;
    } else if (!strcmp(key, "n")) {
        if ((st = get_i64(c, v, key, 0, &x)))
            return st;
        if (x == 1)
            return bad(c, v, key, "must be 0 (all) or at least 2", NULL);
        s->n = x;
    } else if (!strcmp(key, "seed")) {
        if ((st = get_i64(c, v, key, 0, &x)))
            return st;
        s->seed = (uint64_t)x;
    } else if (!strcmp(key, "ci")) {
        const char *m = fk_yaml_scalar(v);
        if (!m || (strcmp(m, "bootstrap") && strcmp(m, "none")))
            return bad(c, v, key, "must be bootstrap or none, got '%s'", m ? m : "a collection");
        s->ci = !strcmp(m, "bootstrap");
    } else if (!strcmp(key, "replicates")) {
        if ((st = get_i64(c, v, key, 10, &x)))
            return st;
        if (x > 100000)
            return bad(c, v, key, "must be at most 100000", NULL);
        s->replicates = (int)x;
    } else if (!strcmp(key, "kid_subsets")) {
        if ((st = get_i64(c, v, key, 1, &x)))
            return st;
        if (x > 100000)
            return bad(c, v, key, "must be at most 100000", NULL);
        s->kid_subsets = (int)x;
    } else if (!strcmp(key, "kid_subset_size")) {
        if ((st = get_i64(c, v, key, 2, &x)))
            return st;
        s->kid_subset_size = x;
    } else if (!strcmp(key, "perturbation")) {
        return get_kind(c, v, key, &s->perturbation);
    } else if (!strcmp(key, "level")) {
        return get_level(c, v, key, &s->level);
    } else if (!strcmp(key, "resize")) {
        return get_resize(c, v, key, s->resize, sizeof s->resize);
    } else if (!strcmp(key, "axes")) {
        *axes = v;
    } else if (!strcmp(key, "plot")) {
        return parse_plot(c, v, s);
    } else {
        return bad(c, k, key, "is not a sweep key (fidkit_sweep, name, description, real, fake, "
                              "other, backbones, metrics, n, seed, ci, replicates, kid_subsets, "
                              "kid_subset_size, perturbation, level, resize, axes, plot)", NULL);
    }
    return FK_OK;
}

static fk_status parse(ctx *c, yaml_node_t *root, fk_sweep_spec *s)
{
    if (!root)
        return fk_fail(c->e, FK_ERR_ARG, "%s: empty sweep file", c->path);
    if (root->type != YAML_MAPPING_NODE)
        return bad(c, root, "(top level)", "must be a mapping of keys to values", NULL);
    int seen[K_N] = {0};
    yaml_node_t *axes = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = fk_yaml_scalar(k);
        if (!ks)
            return fk_fail(c->e, FK_ERR_ARG, "%s:%d: keys must be plain strings", c->path, fk_yaml_line(k));
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
            const char *prev = fk_yaml_scalar(yaml_document_get_node(c->doc, q->key));
            if (prev && !strcmp(prev, ks))
                return fk_fail(c->e, FK_ERR_ARG, "%s:%d: key '%s' appears twice", c->path,
                               fk_yaml_line(k), ks);
        }
        fk_status st = top_pair(c, ks, k, v, s, seen, &axes);
        if (st)
            return st;
    }
    static const char *const req[K_N] = {"fidkit_sweep", "real", "fake", "backbones", "metrics"};
    for (int i = 0; i < K_N; i++)
        if (!seen[i] && !(i == K_FAKE && axes))
            return fk_fail(c->e, FK_ERR_ARG, "%s:%d: the key '%s' is missing", c->path,
                           fk_yaml_line(root), req[i]);
    /* A list of backbones is the first axis; an explicit axis replaces it. */
    if (s->n_backbones > 1) {
        s->n_axes = 1;
        fk_sweep_axis *a = &s->axes[0];
        a->kind = FK_AXIS_BACKBONE;
        a->n_values = s->n_backbones;
        a->line = fk_yaml_line(root);
        if (!(a->values = calloc((size_t)s->n_backbones, sizeof(char *))))
            return fk_fail(c->e, FK_ERR_NOMEM, "out of memory");
        for (int i = 0; i < s->n_backbones; i++)
            if (!(a->values[i] = strdup(s->backbones[i])))
                return fk_fail(c->e, FK_ERR_NOMEM, "out of memory");
    }
    fk_status st = axes ? parse_axes(c, axes, s) : FK_OK;
    if (st)
        return st;
    int has[FK_AXIS_COUNT] = {0};
    for (int i = 0; i < s->n_axes; i++) {
        if (has[s->axes[i].kind])
            return fk_fail(c->e, FK_ERR_ARG, "%s:%d: 'backbone' is both a list under 'backbones' and "
                           "an axis: give it once", c->path, s->axes[i].line);
        has[s->axes[i].kind] = 1;
    }
    if (!seen[K_FAKE] && !has[FK_AXIS_FAKE])
        return fk_fail(c->e, FK_ERR_ARG, "%s: the key 'fake' is missing (or an axis 'fake')", c->path);
    int contam = s->perturbation == FK_PERTURB_CONTAMINATION;
    for (int i = 0; i < s->n_axes; i++)
        if (s->axes[i].kind == FK_AXIS_PERTURBATION)
            for (int j = 0; j < s->axes[i].n_values; j++)
                contam |= !strcmp(s->axes[i].values[j], "contamination");
    if (contam && !s->other[0])
        return fk_fail(c->e, FK_ERR_ARG, "%s: contamination needs the key 'other' (the dataset whose "
                       "images replace a fraction of the fake set)", c->path);
    long long total = 1;
    for (int i = 0; i < s->n_axes; i++)
        if ((total *= s->axes[i].n_values) > 100000)
            return fk_fail(c->e, FK_ERR_ARG, "%s: more than 100000 points", c->path);
    return FK_OK;
}

fk_status fk_sweep_load(const char *path, fk_sweep_spec *s, fk_error *e)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->ci = 1;
    s->replicates = 50;
    ctx c = {path, "", NULL, e};
    char tmp[FK_SWEEP_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(c.dir, sizeof c.dir, "%s", dirname(tmp));
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(s->name, sizeof s->name, "%.*s", (int)strcspn(base, "."), base);

    yaml_document_t doc;
    fk_status lst = fk_yaml_load(path, "sweep file", &doc, e);
    if (lst)
        return lst;
    c.doc = &doc;
    fk_status st = parse(&c, yaml_document_get_root_node(&doc), s);
    yaml_document_delete(&doc);
    if (st)
        fk_sweep_free(s);
    return st;
}

void fk_sweep_free(fk_sweep_spec *s)
{
    for (int i = 0; i < s->n_axes; i++) {
        for (int j = 0; j < s->axes[i].n_values; j++)
            free(s->axes[i].values[j]);
        free(s->axes[i].values);
        s->axes[i].values = NULL;
    }
    s->n_axes = 0;
}

int fk_sweep_n_points(const fk_sweep_spec *s)
{
    int n = 1;
    for (int i = 0; i < s->n_axes; i++)
        n *= s->axes[i].n_values;
    return n;
}

fk_status fk_sweep_point_at(const fk_sweep_spec *s, int index, fk_sweep_point *p, fk_error *e)
{
    if (index < 0 || index >= fk_sweep_n_points(s))
        return fk_fail(e, FK_ERR_ARG, "point %d is outside the sweep (%d points)", index,
                       fk_sweep_n_points(s));
    memset(p, 0, sizeof *p);
    p->index = index;
    snprintf(p->backbone, sizeof p->backbone, "%s", s->backbones[0]);
    snprintf(p->resize, sizeof p->resize, "%s", s->resize);
    snprintf(p->fake, sizeof p->fake, "%s", s->fake);
    p->n = s->n;
    p->perturbation.kind = s->perturbation;
    p->perturbation.level = s->level;
    p->perturbation.seed = s->seed;
    int rest = index;
    for (int i = s->n_axes - 1; i >= 0; i--) {   /* the last axis varies fastest */
        const fk_sweep_axis *a = &s->axes[i];
        int j = rest % a->n_values;
        rest /= a->n_values;
        p->coord[i] = j;
        const char *v = a->values[j];
        switch (a->kind) {
        case FK_AXIS_BACKBONE: snprintf(p->backbone, sizeof p->backbone, "%s", v); break;
        case FK_AXIS_RESIZE: snprintf(p->resize, sizeof p->resize, "%s", v); break;
        case FK_AXIS_N: p->n = strtoll(v, NULL, 10); break;
        case FK_AXIS_PERTURBATION: fk_perturb_parse(v, &p->perturbation.kind, NULL); break;
        case FK_AXIS_LEVEL: p->perturbation.level = strtod(v, NULL); break;
        case FK_AXIS_SEED: p->perturbation.seed = strtoull(v, NULL, 10); break;
        case FK_AXIS_FAKE: snprintf(p->fake, sizeof p->fake, "%s", v); break;
        default: break;
        }
    }
    return FK_OK;
}
