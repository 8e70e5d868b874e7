/* The evaluation engine: resolves each input into tagged features once,
 * then runs the requested metrics on them; see eval.h. */
#include "fidkit/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval_internal.h"
#include "fidkit/config.h"
#include "fidkit/featfile.h"
#include "fidkit/npz.h"
#include "fidkit/defaults.h"

static const char *const metric_names[FK_METRIC_COUNT] = {"fid",  "sfid", "kid",    "pr",
                                                          "prdc", "is",   "fd-inf", "cmmd"};

const char *fk_metric_name(fk_metric m)
{
    return m >= 0 && m < FK_METRIC_COUNT ? metric_names[m] : "unknown";
}

fk_status fk_metric_parse_list(const char *list, unsigned *mask, fk_error *e)
{
    *mask = 0;
    const char *p = list;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int j = 0;
        while (j < FK_METRIC_COUNT && (strlen(metric_names[j]) != len || strncmp(p, metric_names[j], len)))
            j++;
        if (j == FK_METRIC_COUNT)
            return fk_fail(e, FK_ERR_ARG, "unknown metric '%.*s' (fid, sfid, kid, pr, prdc, is, "
                           "fd-inf, cmmd)", (int)len, p);
        *mask |= FK_METRIC_BIT(j);
        p = end ? end + 1 : NULL;
    }
    if (!*mask)
        return fk_fail(e, FK_ERR_ARG, "no metric requested");
    return FK_OK;
}

fk_eval_options fk_eval_default_options(void)
{
    fk_eval_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.extract = fk_extract_default_options();
    o.metrics = FK_METRIC_BIT(FK_METRIC_FD);
    o.interval = 1;
    o.replicates_fd = FK_DEFAULT_REPLICATES_FD;
    o.replicates_other = FK_DEFAULT_REPLICATES_OTHER;
    o.seed = FK_DEFAULT_SEED;
    o.kid_convention = FK_KID_TORCH_FIDELITY;
    o.is_convention = FK_IS_TORCH_FIDELITY;
    o.fd = fk_fd_default_options();
    return o;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* An .npz holding `mu` and `sigma`. */
static int is_stats_file(const char *p)
{
    size_t l = strlen(p);
    return l > 4 && !strcmp(p + l - 4, ".npz") && fk_npz_has(p, "mu") && fk_npz_has(p, "sigma");
}

static int needs_rows(const fk_eval_options *o)
{
    unsigned beyond_fd = o->metrics & ~(FK_METRIC_BIT(FK_METRIC_FD) | FK_METRIC_BIT(FK_METRIC_SFID));
    return beyond_fd || o->interval;
}

static void side_free(eval_side *s)
{
    for (int i = 0; i < FK_EVAL_MAX_LAYERS; i++) {
        fk_featset_free(&s->sets[i]);
        fk_stats_free(&s->stats[i]);
    }
    free(s->skipped_files);
    memset(s, 0, sizeof *s);
}

/* Copies a stats object so the side owns what it frees. */
static fk_status copy_stats(const fk_stats *in, fk_stats *out, fk_error *e)
{
    *out = *in;
    out->meta_json = NULL;
    out->mu = malloc((size_t)in->d * sizeof(double));
    out->sigma = malloc((size_t)in->d * (size_t)in->d * sizeof(double));
    if (!out->mu || !out->sigma) {
        fk_stats_free(out);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    memcpy(out->mu, in->mu, (size_t)in->d * sizeof(double));
    memcpy(out->sigma, in->sigma, (size_t)in->d * (size_t)in->d * sizeof(double));
    return FK_OK;
}

typedef struct engine {
    const fk_eval_options *o;
    eval_layers L;
    fk_config cfg;
    int have_cfg;
    fk_backbone *b;
    int keep_rows;
    double extract_seconds;
} engine;

static fk_status from_stats(engine *g, const char *label, eval_side *s, fk_error *e)
{
    /* Statistics only: good for the FD of the main output, nothing else. */
    unsigned others = g->o->metrics & ~FK_METRIC_BIT(FK_METRIC_FD);
    if (others) {
        int j = 0;
        while (!(others & FK_METRIC_BIT(j)))
            j++;
        return fk_fail(e, FK_ERR_ARG, "%s is statistics (mu and sigma) only, and %s needs feature "
                       "rows: keep them with `fidkit extract` (only fid works from stats)", label,
                       metric_names[j]);
    }
    fk_stats *st = &s->stats[g->L.i_main];
    fk_stats_assume_tag(st, g->o->assume);
    s->has_stats[g->L.i_main] = 1;
    s->stats_only = 1;
    s->n = st->n;
    return fk_stats_require_tag(st, e);
}

static fk_status from_sets(engine *g, const fk_featset *sets, int n, eval_side *s, fk_error *e)
{
    fk_status st = FK_OK;
    for (int i = 0; i < g->L.n && !st; i++) {
        const fk_featset *hit = NULL;
        for (int k = 0; k < n && !hit; k++)
            if (i == g->L.i_main ? (k == 0 || !strcmp(sets[k].tag.layer, g->L.name[i]))
                                 : !strcmp(sets[k].tag.layer, g->L.name[i]))
                hit = &sets[k];
        if (i == g->L.i_main && g->L.name[i][0] == 0)
            hit = &sets[0];
        if (!hit)
            return fk_fail(e, FK_ERR_ARG, "%s: no feature set of the '%s' output was given",
                           sets[0].source, g->L.name[i]);
        st = fk_featset_from_rows(hit->rows, hit->n, hit->d, hit->has_tag ? &hit->tag : g->o->assume,
                                  hit->source, &s->sets[i], e);
        if (!st)
            s->sets[i].skipped = hit->skipped;
    }
    if (!st) {
        s->has_rows = 1;
        s->n = s->sets[g->L.i_main].n;
        s->skipped = s->sets[g->L.i_main].skipped;
    }
    return st;
}

static fk_status from_featfile(engine *g, const char *path, eval_side *s, fk_error *e)
{
    fk_status st = FK_OK;
    for (int i = 0; i < g->L.n && !st; i++)
        /* The main output is the file's `feats` whatever its layer: a
         * foreign one is then refused by its tag, not by its name. */
        st = fk_featset_read(path, i == g->L.i_main && i != g->L.i_logits ? NULL : g->L.name[i],
                             g->o->assume, &s->sets[i], e);
    if (!st) {
        s->has_rows = 1;
        s->n = s->sets[g->L.i_main].n;
    }
    return st;
}

static fk_status open_backbone(engine *g, fk_error *e)
{
    if (g->b)
        return FK_OK;
    const char *names[FK_EVAL_MAX_LAYERS];
    for (int i = 0; i < g->L.n; i++)
        names[i] = g->L.name[i][0] ? g->L.name[i] : g->cfg.output;
    return fk_backbone_open(&g->cfg, names, g->L.n, &g->b, e);
}

static fk_status from_dataset(engine *g, const char *path, eval_side *s, fk_error *e)
{
    fk_status st = open_backbone(g, e);
    if (st)
        return st;
    fk_feature_set sets[FK_EVAL_MAX_LAYERS];
    fk_extract_options ex = g->o->extract;
    ex.keep_rows = g->keep_rows;
    double t0 = now();
    if ((st = fk_extract(g->b, path, &ex, sets, e)))
        return st;
    g->extract_seconds += now() - t0;
    for (int i = 0; i < g->L.n && !st; i++) {
        /* Kept rows give the stats later (fill_stats), from all rows at
         * once, exactly as for a features file of the same rows. */
        if (g->keep_rows)
            st = fk_featset_take(&sets[i], path, &s->sets[i], e);
        else if (g->L.i_main == i || g->L.i_spatial == i) {
            st = fk_stats_from_moments(&sets[i].moments, &sets[i].tag, path, &s->stats[i], e);
            s->has_stats[i] = !st;
        }
    }
    s->has_rows = g->keep_rows;
    s->extracted = 1;
    s->cache = sets[0].cache;
    s->n = sets[0].n;
    s->skipped = sets[0].skipped;
    s->skipped_files = sets[0].skipped_files;
    sets[0].skipped_files = NULL;
    for (int i = 0; i < g->L.n; i++)
        fk_feature_set_free(&sets[i]);
    return st;
}

static fk_status resolve(engine *g, const fk_eval_input *in, eval_side *s, fk_error *e)
{
    if (in->stats) {
        fk_status st = copy_stats(in->stats, &s->stats[g->L.i_main], e);
        return st ? st : from_stats(g, in->stats->source[0] ? in->stats->source : "a stats object",
                                    s, e);
    }
    if (in->sets)
        return from_sets(g, in->sets, in->n_sets, s, e);
    if (!in->path)
        return fk_fail(e, FK_ERR_ARG, "an input names no path, stats or features");
    if (is_stats_file(in->path)) {
        fk_status st = fk_stats_read(in->path, &s->stats[g->L.i_main], e);
        return st ? st : from_stats(g, in->path, s, e);
    }
    if (fk_featfile_is(in->path))
        return from_featfile(g, in->path, s, e);
    return from_dataset(g, in->path, s, e);
}

/* Stats of every FD layer from the kept rows, where the input gave rows. */
static fk_status fill_stats(engine *g, eval_side *s, fk_error *e)
{
    int want[2] = {g->L.i_main, g->L.i_spatial};
    for (int k = 0; k < 2; k++) {
        int i = want[k];
        if (i < 0 || s->has_stats[i] || !s->has_rows)
            continue;
        if (k == 0 && !(g->o->metrics & FK_METRIC_BIT(FK_METRIC_FD)))
            continue;
        fk_status st = fk_stats_from_featset(&s->sets[i], &s->stats[i], e);
        if (st)
            return st;
        s->has_stats[i] = 1;
    }
    return FK_OK;
}

/* The tag of the first input that is tagged statistics or features (not a
 * dataset); 0 when none is. */
static int tag_of_inputs(const fk_eval_input *in, int n, fk_tag *t, char *from, size_t cap)
{
    for (int k = 0; k < n; k++) {
        if (in[k].stats && in[k].stats->has_tag) {
            *t = in[k].stats->tag;
            snprintf(from, cap, "%s", in[k].stats->source[0] ? in[k].stats->source : "stats");
            return 1;
        }
        if (in[k].sets && in[k].n_sets > 0 && in[k].sets[0].has_tag) {
            *t = in[k].sets[0].tag;
            snprintf(from, cap, "%s", in[k].sets[0].source);
            return 1;
        }
        if (!in[k].path)
            continue;
        int tagged = 0;
        if (is_stats_file(in[k].path)) {
            fk_stats s;
            if (!fk_stats_read(in[k].path, &s, NULL)) {
                if ((tagged = s.has_tag))
                    *t = s.tag;
                fk_stats_free(&s);
            }
        } else if (fk_featfile_is(in[k].path)) {
            fk_featset f;
            if (!fk_featset_read(in[k].path, NULL, NULL, &f, NULL)) {
                if ((tagged = f.has_tag))
                    *t = f.tag;
                fk_featset_free(&f);
            }
        }
        if (tagged) {
            snprintf(from, cap, "%s", in[k].path);
            return 1;
        }
    }
    return 0;
}

static int input_is_dataset(const fk_eval_input *in);

/* KID's subset size is settled before any extraction: an explicit size
 * larger than a dataset (after --limit/--subset) is refused at once, not
 * after minutes of work. The default (0) shrinks to the smaller set. */
static fk_status check_kid_size(const fk_eval_input *in, int n, const fk_eval_options *o,
                                fk_error *e)
{
    if (!(o->metrics & FK_METRIC_BIT(FK_METRIC_KID)) || o->kid_subset_size <= 0)
        return FK_OK;
    for (int k = 0; k < n; k++) {
        int64_t count = -1;
        if (in[k].sets && in[k].n_sets > 0) {
            count = in[k].sets[0].n;
        } else if (input_is_dataset(&in[k])) {
            fk_dataset *ds;
            if (fk_dataset_open(in[k].path, &o->extract.dataset, &ds, NULL))
                continue;   /* the extraction reports what is wrong with it */
            count = fk_dataset_size(ds);
            fk_dataset_close(ds);
        }
        if (count >= 0 && count < o->kid_subset_size)
            return fk_fail(e, FK_ERR_ARG, "%s: KID subset size %lld is larger than its %lld "
                           "images; give a subset size <= %lld (fidkit: --kid-subset-size), or "
                           "none: by default it is min(1000, the smaller set's size)",
                           in[k].path ? in[k].path : in[k].sets[0].source,
                           (long long)o->kid_subset_size, (long long)count, (long long)count);
    }
    return FK_OK;
}

static int input_is_dataset(const fk_eval_input *in)
{
    return in->path && !in->stats && !in->sets && !is_stats_file(in->path) &&
           !fk_featfile_is(in->path);
}

fk_status fk_evaluate(const fk_eval_input *inputs, int n_inputs, const fk_eval_options *opt,
                      fk_results *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    if (n_inputs < 1 || n_inputs > 2)
        return fk_fail(e, FK_ERR_ARG, "an evaluation takes one or two inputs, not %d", n_inputs);
    fk_eval_options o = fk_eval_default_options();
    if (opt)
        memcpy(&o, opt, opt->struct_size && opt->struct_size < sizeof o ? opt->struct_size : sizeof o);
    if (n_inputs == 1 && (o.metrics & ~FK_METRIC_BIT(FK_METRIC_IS)))
        return fk_fail(e, FK_ERR_ARG, "one input: only the Inception Score can be computed");
    engine g = {.o = &o};
    g.L.i_main = g.L.i_logits = g.L.i_spatial = -1;
    g.keep_rows = needs_rows(&o);
    fk_status st = FK_OK;
    int any_dataset = 0;
    for (int k = 0; k < n_inputs; k++)
        any_dataset |= input_is_dataset(&inputs[k]);
    if ((st = check_kid_size(inputs, n_inputs, &o, e)))
        return st;
    if (any_dataset) {
        char path[1024], from[FK_SOURCE_MAX] = "";
        fk_tag inferred;
        int infer = !o.backbone && tag_of_inputs(inputs, n_inputs, &inferred, from, sizeof from);
        if (!o.backbone && !infer && o.assume) {
            inferred = *o.assume;
            snprintf(from, sizeof from, "--assume-backbone");
            infer = 1;
        }
        if (infer) {
            /* A tagged stats or features file names the backbone. */
            if ((st = fk_config_for_tag(&inferred, path, sizeof path, e))) {
                fk_fail_prefix(e, "%s", from);
                return st;
            }
            char ts[FK_TAG_STR_MAX];
            snprintf(out->notes[out->n_notes++], sizeof out->notes[0],
                     "backbone %.100s: inferred from the tag %.100s (%.20s)",
                     strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
                     fk_tag_str(&inferred, 1, ts, sizeof ts),
                     strcmp(from, "--assume-backbone") ? "of the other input" : "--assume-backbone");
        } else if ((st = fk_config_find(o.backbone ? o.backbone : FK_DEFAULT_BACKBONE, path,
                                        sizeof path, e))) {
            return st;
        }
        if ((st = fk_config_load(path, &g.cfg, e)))
            return st;
        g.have_cfg = 1;
        snprintf(out->backbone, sizeof out->backbone, "%s", g.cfg.path);
    }
    /* The layers: the main output unless only IS is wanted, then the extras. */
    if (o.metrics & ~FK_METRIC_BIT(FK_METRIC_IS) || n_inputs == 2) {
        g.L.i_main = g.L.n;
        g.L.name[g.L.n++] = g.have_cfg ? g.cfg.output : "";
    }
    if (o.metrics & FK_METRIC_BIT(FK_METRIC_IS)) {
        g.L.i_logits = g.L.n;
        g.L.name[g.L.n++] = o.is_output ? o.is_output : FK_IS_DEFAULT_OUTPUT;
    }
    if (o.metrics & FK_METRIC_BIT(FK_METRIC_SFID)) {
        g.L.i_spatial = g.L.n;
        g.L.name[g.L.n++] = FK_SFID_OUTPUT;
    }
    if (g.L.i_main < 0) { /* IS alone: its layer stands in as the main one */
        g.L.i_main = g.L.i_logits;
    }
    eval_side sides[2];
    memset(sides, 0, sizeof sides);
    static const char *const roles[2][2] = {{"generated", NULL}, {"real", "generated"}};
    for (int k = 0; k < n_inputs && !st; k++) {
        st = resolve(&g, &inputs[k], &sides[k], e);
        if (!st)
            st = fill_stats(&g, &sides[k], e);
        fk_side_info *si = &out->sides[k];
        snprintf(si->role, sizeof si->role, "%s",
                 inputs[k].role ? inputs[k].role : roles[n_inputs - 1][k]);
        snprintf(si->path, sizeof si->path, "%s",
                 inputs[k].path ? inputs[k].path
                 : inputs[k].stats ? inputs[k].stats->source
                 : inputs[k].sets ? inputs[k].sets[0].source : "memory");
        si->n = sides[k].n;
        si->skipped = sides[k].skipped;
        static const char *const cache_names[] = {"off", "hit", "stored"};
        if (sides[k].extracted)
            snprintf(si->cache, sizeof si->cache, "%s", cache_names[sides[k].cache % 3]);
        si->skipped_files = sides[k].skipped_files;
        sides[k].skipped_files = NULL;
    }
    out->n_sides = n_inputs;
    out->extract_seconds = g.extract_seconds;
    fk_backbone_close(g.b);
    double t0 = now();
    for (int m = 0; m < FK_METRIC_COUNT && !st; m++)
        if (o.metrics & FK_METRIC_BIT(m))
            st = fk__eval_metric((fk_metric)m, &o, &g.L, sides, n_inputs, out, e);
    out->metric_seconds = now() - t0;
    for (int k = 0; k < 2; k++)
        side_free(&sides[k]);
    if (st)
        fk_results_free(out);
    return st;
}
