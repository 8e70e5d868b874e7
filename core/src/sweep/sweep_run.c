/* The sweep runner: points in order, feature sets from memory, the disk
 * cache or one extraction, metrics, and the journal after every point. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/bootstrap.h"
#include "fidkit/config.h"
#include "fidkit/extract.h"
#include "fidkit/fdinf.h"
#include "fidkit/featfile.h"
#include "fidkit/fileio.h"
#include "fidkit/kid.h"
#include "fidkit/moments.h"
#include "fidkit/registry.h"
#include "fidkit/resize.h"
#include "fidkit/eval.h"
#include "sweep/sweep_internal.h"

#define MEM_SLOTS 4

fk_sweep_options fk_sweep_default_options(void)
{
    fk_sweep_options o;
    memset(&o, 0, sizeof o);
    o.out_dir = "sweep-out";
    return o;
}

typedef struct bb_info {
    char name[FK_SWEEP_PATH_MAX];
    char resize[32];
    fk_config cfg;
    char cfg_sha[65];
    char tag[FK_TAG_STR_MAX];
} bb_info;

typedef struct ds_info {
    char path[FK_SWEEP_PATH_MAX];
    char key[65];
} ds_info;

typedef struct feat {
    char key[65];
    float *rows;
    int64_t n;
    int d;
    char tag[FK_TAG_STR_MAX];
} feat;

typedef struct runner {
    const fk_sweep_spec *s;
    const fk_sweep_options *o;
    fk_sweep_counters *c;
    bb_info *bbs;
    int n_bbs;
    ds_info *dss;
    int n_dss;
    feat mem[MEM_SLOTS];
    int next_slot;
    fk_backbone *open_b;
    int open_bb;
    char cache_dir[FK_SWEEP_PATH_MAX + 16];
    fk_sweep_progress prog;
} runner;

static int is_random_kind(fk_perturb_kind k)
{
    return k == FK_PERTURB_GAUSSIAN_NOISE || k == FK_PERTURB_BLACK_RECTANGLES ||
           k == FK_PERTURB_SWIRL || k == FK_PERTURB_SALT_AND_PEPPER ||
           k == FK_PERTURB_CONTAMINATION;
}

static int active(const fk_perturbation *p)
{
    return p->kind != FK_PERTURB_NONE && p->level > 0;
}

static fk_status backbone_of(runner *R, const char *name, const char *resize, int *idx, fk_error *e)
{
    for (int i = 0; i < R->n_bbs; i++)
        if (!strcmp(R->bbs[i].name, name) && !strcmp(R->bbs[i].resize, resize)) {
            *idx = i;
            return FK_OK;
        }
    bb_info *nb = realloc(R->bbs, sizeof *nb * (size_t)(R->n_bbs + 1));
    if (!nb)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    R->bbs = nb;
    bb_info *b = &nb[R->n_bbs];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->resize, sizeof b->resize, "%s", resize);
    char path[FK_SWEEP_PATH_MAX];
    fk_status st = fk_config_find(name, path, sizeof path, e);
    if (!st)
        st = fk_config_load(path, &b->cfg, e);
    if (!st)
        st = fk_sha256_file(path, b->cfg_sha, e);
    if (!st && resize[0] && fk_resize_parse(resize, &b->cfg.input.resize, e))
        st = FK_ERR_ARG;
    /* The tag as the backbone will report it: the weights' SHA-256 as the
     * config declares it (the registry refuses a file that differs), or as
     * measured when the config declares none. */
    char wsha[65] = "", wpath[FK_SWEEP_PATH_MAX];
    if (!st && !b->cfg.random_weights) {
        if (b->cfg.weights_sha256[0])
            snprintf(wsha, sizeof wsha, "%s", b->cfg.weights_sha256);
        else if (!(st = fk_config_weights_path(&b->cfg, wpath, sizeof wpath, e)))
            st = fk_sha256_file(wpath, wsha, e);
    }
    if (st)
        return fk_fail_prefix(e, "backbone '%s'", name);
    fk_tag t;
    fk_config_tag(&b->cfg, wsha[0] ? wsha : NULL, &t);
    fk_tag_str(&t, 1, b->tag, sizeof b->tag);
    *idx = R->n_bbs++;
    return FK_OK;
}

static fk_status dataset_key(runner *R, const char *path, const char **key, fk_error *e)
{
    for (int i = 0; i < R->n_dss; i++)
        if (!strcmp(R->dss[i].path, path)) {
            *key = R->dss[i].key;
            return FK_OK;
        }
    ds_info *nd = realloc(R->dss, sizeof *nd * (size_t)(R->n_dss + 1));
    if (!nd)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    R->dss = nd;
    snprintf(nd[R->n_dss].path, sizeof nd[R->n_dss].path, "%s", path);
    fk_status st = sweep_dataset_key(path, nd[R->n_dss].key, e);
    if (st)
        return st;
    *key = nd[R->n_dss++].key;
    return FK_OK;
}

/* The cache key of a feature set (see sweep.h for what enters it). */
static fk_status set_key(runner *R, int bbi, const char *dataset, const fk_perturbation *p,
                         int64_t limit, char hex[65], fk_error *e)
{
    /* Copies: a second dataset_key call may move the table. */
    char dk[65], ok[65] = "";
    const char *k1, *k2;
    fk_status st = dataset_key(R, dataset, &k1, e);
    if (!st)
        snprintf(dk, sizeof dk, "%s", k1);
    if (!st && active(p) && p->kind == FK_PERTURB_CONTAMINATION &&
        !(st = dataset_key(R, R->s->other, &k2, e)))
        snprintf(ok, sizeof ok, "%s", k2);
    if (st)
        return st;
    char pert[160] = "none";
    if (active(p)) {
        char lv[40];
        sweep_fmt_double(p->level, lv, sizeof lv);
        if (is_random_kind(p->kind))
            snprintf(pert, sizeof pert, "%s:%s:%llu", fk_perturb_name(p->kind), lv,
                     (unsigned long long)p->seed);
        else
            snprintf(pert, sizeof pert, "%s:%s", fk_perturb_name(p->kind), lv);
    }
    const bb_info *b = &R->bbs[bbi];
    char text[1024];
    snprintf(text, sizeof text,
             "fidkit-sweep-set 1\ndataset=%s\nlimit=%lld\nperturbation=%s\nother=%s\nconfig=%s\n"
             "resize=%s\ntag=%s\n", dk, (long long)limit, pert, ok, b->cfg_sha, b->resize, b->tag);
    sweep_sha256_str(text, hex);
    return FK_OK;
}

static void cache_path(const runner *R, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.npz", R->cache_dir, key);
}

static int file_exists(const char *p)
{
    struct stat sb;
    return !stat(p, &sb);
}

static void on_images(void *user, int64_t done, int64_t total)
{
    runner *R = user;
    R->prog.done = done;
    R->prog.total = total;
    if (R->o->progress)
        R->o->progress(R->o->progress_user, &R->prog);
}

static void phase(runner *R, const char *what)
{
    R->prog.phase = what;
    R->prog.done = R->prog.total = 0;
    if (R->o->progress)
        R->o->progress(R->o->progress_user, &R->prog);
}

static fk_status extract(runner *R, int bbi, const char *dataset, const fk_perturbation *p,
                         int64_t limit, const char *path, feat *f, fk_error *e)
{
    fk_status st = FK_OK;
    if (!R->open_b || R->open_bb != bbi) {
        fk_backbone_close(R->open_b);
        R->open_b = NULL;
        if ((st = fk_backbone_open(&R->bbs[bbi].cfg, NULL, 0, &R->open_b, e)))
            return st;
        R->open_bb = bbi;
    }
    fk_extract_options xo = fk_extract_default_options();
    xo.dataset.limit = limit;
    xo.loader.threads = R->o->threads;
    xo.keep_rows = 1;
    xo.progress = on_images;
    xo.progress_user = R;
    xo.parallel = R->o->parallel;
    xo.dataset.block = R->o->block;
    /* The perturbation as data (extract.h): ranks disturb their shares as
     * one process would. */
    if (active(p)) {
        xo.perturb = *p;
        xo.contaminant = R->s->other;
    }
    fk_feature_set sets[8];
    int ns = fk_backbone_n_outputs(R->open_b);
    if (!st && ns > 8)
        st = fk_fail(e, FK_ERR_INTERNAL, "too many outputs");
    if (!st && !(st = fk_extract(R->open_b, dataset, &xo, sets, e))) {
        char extra[128];
        snprintf(extra, sizeof extra, "{\"sweep_set_key\": \"%s\"}", f->key);
        fk_featset view = {.tag = sets[0].tag, .has_tag = 1, .d = sets[0].d, .n = sets[0].n,
                           .rows = sets[0].rows};
        st = fk_featset_write(path, &view, 1, extra, e);
        if (!st) {
            f->rows = sets[0].rows;
            sets[0].rows = NULL;
            f->n = sets[0].n;
            f->d = sets[0].d;
            fk_tag_str(&sets[0].tag, 1, f->tag, sizeof f->tag);
            /* The feature cache (fcache.h) served it: no network ran. */
            if (sets[0].cache == FK_CACHE_HIT)
                R->c->cache_loads++;
            else
                R->c->extractions++;
        }
        for (int i = 0; i < ns; i++)
            fk_feature_set_free(&sets[i]);
    }
    return st;
}

/* The feature set of (backbone, dataset, perturbation, limit): from memory,
 * else the disk cache, else extracted once and cached. */
static fk_status get_set(runner *R, int bbi, const char *dataset, const fk_perturbation *p,
                         int64_t limit, const char *what, const feat *keep, const feat **out,
                         fk_error *e)
{
    char key[65];
    fk_status st = set_key(R, bbi, dataset, p, limit, key, e);
    if (st)
        return st;
    for (int i = 0; i < MEM_SLOTS; i++)
        if (R->mem[i].rows && !strcmp(R->mem[i].key, key)) {
            *out = &R->mem[i];
            return FK_OK;
        }
    /* Never evict `keep` (the real set of the point being scored). */
    if (&R->mem[R->next_slot] == keep)
        R->next_slot = (R->next_slot + 1) % MEM_SLOTS;
    feat *f = &R->mem[R->next_slot];
    R->next_slot = (R->next_slot + 1) % MEM_SLOTS;
    free(f->rows);
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    char path[FK_SWEEP_PATH_MAX + 96];
    cache_path(R, key, path, sizeof path);
    if (file_exists(path)) {
        phase(R, what[0] == 'r' ? "loading real" : "loading fake");
        fk_tag t;
        int has_tag;
        st = fk_featfile_read(path, NULL, &f->rows, &f->n, &f->d, &t, &has_tag, e);
        if (!st) {
            fk_tag_str(&t, 1, f->tag, sizeof f->tag);
            R->c->cache_loads++;
        }
    } else {
        phase(R, what[0] == 'r' ? "extracting real" : "extracting fake");
        st = extract(R, bbi, dataset, p, limit, path, f, e);
        if (st)
            fk_fail_prefix(e, "%s set %s", what, dataset);
    }
    if (st) {
        free(f->rows);
        memset(f, 0, sizeof *f);
        return st;
    }
    *out = f;
    return FK_OK;
}

/* ---- metrics ------------------------------------------------------------ */

/* A sweep point's metric is one evaluation of the library on the two sets
 * of rows, so a sweep gives exactly what `fidkit score` gives. */
static fk_status metric(const fk_sweep_spec *s, fk_sweep_metric m, uint64_t seed, const feat *rf,
                        const feat *ff, sweep_row *w, fk_error *e)
{
    fk_featset sets[2];
    const feat *f[2] = {rf, ff};
    memset(sets, 0, sizeof sets);
    for (int k = 0; k < 2; k++) {
        fk_status st = fk_tag_parse(f[k]->tag, &sets[k].tag, e);
        if (st)
            return fk_fail_prefix(e, "sweep cache");
        /* A view of the runner's rows: fk_evaluate copies what it keeps. */
        sets[k].has_tag = 1;
        sets[k].rows = f[k]->rows;
        sets[k].n = f[k]->n;
        sets[k].d = f[k]->d;
        snprintf(sets[k].source, sizeof sets[k].source, "%s", k ? "generated" : "real");
    }
    fk_eval_options o = fk_eval_default_options();
    /* the library's metric, and which of its results is this row */
    static const struct { fk_metric lib; int item; } map[FK_SM_COUNT] = {
        {FK_METRIC_FD, 0}, {FK_METRIC_KID, 0}, {FK_METRIC_FDINF, 0}, {FK_METRIC_CMMD, 0},
        {FK_METRIC_PR, 0}, {FK_METRIC_PR, 1},
        {FK_METRIC_PRDC, 0}, {FK_METRIC_PRDC, 1}, {FK_METRIC_PRDC, 2}, {FK_METRIC_PRDC, 3}};
    o.metrics = FK_METRIC_BIT(map[m].lib);
    o.interval = s->ci;
    o.replicates_fd = o.replicates_other = s->replicates;
    o.seed = seed;
    /* clean-fid's KID draws and subsets of min(n1, n2, 1000), so that small
     * sweeps run; the report names it. */
    o.kid_convention = FK_KID_CLEAN_FID;
    o.kid_subsets = s->kid_subsets;
    o.kid_subset_size = s->kid_subset_size;
    fk_eval_input in[2] = {{.sets = &sets[0], .n_sets = 1}, {.sets = &sets[1], .n_sets = 1}};
    fk_results res;
    fk_status st = fk_evaluate(in, 2, &o, &res, e);
    w->metric = m;
    w->n_real = rf->n;
    w->n_fake = ff->n;
    snprintf(w->tag, sizeof w->tag, "%s", rf->tag);
    if (!st && res.n <= map[m].item) {
        int got = res.n;
        fk_results_free(&res);
        st = fk_fail(e, FK_ERR_INTERNAL, "%s gave %d results", fk_sweep_metric_name(m), got);
    } else if (!st) {
        const fk_result *it = &res.items[map[m].item];
        w->value = it->value;
        w->has_ci = it->interval.present;
        w->lo = it->interval.lo;
        w->hi = it->interval.hi;
        fk_results_free(&res);
    }
    if (!st && (!isfinite(w->value) || (w->has_ci && (!isfinite(w->lo) || !isfinite(w->hi)))))
        st = fk_fail(e, FK_ERR_NUMERIC, "%s is not finite", fk_sweep_metric_name(m));
    if (st)
        fk_fail_prefix(e, "%s", fk_sweep_metric_name(m));
    return st;
}

/* ---- the run ------------------------------------------------------------ */

typedef struct point_keys {
    int bb;
    char real[65], fake[65];
} point_keys;

static fk_status keys_of(runner *R, const fk_sweep_point *p, point_keys *k, char point_key[65],
                         fk_error *e)
{
    static const fk_perturbation none = {FK_PERTURB_NONE, 0, 0};
    fk_status st = backbone_of(R, p->backbone, p->resize, &k->bb, e);
    if (!st)
        st = set_key(R, k->bb, R->s->real, &none, p->n, k->real, e);
    if (!st)
        st = set_key(R, k->bb, p->fake, &p->perturbation, p->n, k->fake, e);
    if (st)
        return st;
    char metrics[128] = "";
    for (int i = 0; i < R->s->n_metrics; i++) {
        strcat(metrics, fk_sweep_metric_name(R->s->metrics[i]));
        strcat(metrics, ",");
    }
    char text[512];
    snprintf(text, sizeof text, "fidkit-sweep-point 1\nreal=%s\nfake=%s\nmetrics=%s\nci=%d\n"
             "replicates=%d\nseed=%llu\n", k->real, k->fake, metrics, R->s->ci, R->s->replicates,
             (unsigned long long)p->perturbation.seed);
    /* Only when given, so the points of sweeps without them keep their keys
     * (and their journals resume). */
    if (R->s->kid_subsets || R->s->kid_subset_size) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "kid_subsets=%d\nkid_subset_size=%lld\n",
                 R->s->kid_subsets, (long long)R->s->kid_subset_size);
    }
    sweep_sha256_str(text, point_key);
    return FK_OK;
}

/* Appends a line to a growing text. */
static void say(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#include <stdarg.h>
static void say(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char line[4096];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (*len + (size_t)n + 1 > *cap) {
        size_t nc = (*cap + (size_t)n + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, line, (size_t)n + 1);
    *len += (size_t)n;
}

static void describe_point(const fk_sweep_spec *s, const fk_sweep_point *p, char *out, size_t n)
{
    out[0] = 0;
    size_t k = 0;
    for (int i = 0; i < s->n_axes && k < n; i++)
    {
        const char *v = s->axes[i].values[p->coord[i]];
        if (s->axes[i].kind == FK_AXIS_FAKE || s->axes[i].kind == FK_AXIS_BACKBONE)
            v = strrchr(v, '/') && strrchr(v, '/')[1] ? strrchr(v, '/') + 1 : v;
        k += (size_t)snprintf(out + k, n - k, "%s%s=%s", i ? " " : "",
                              fk_sweep_axis_name(s->axes[i].kind), v);
    }
    if (!s->n_axes)
        snprintf(out, n, "(the base job)");
}

/* Temporary files of an interrupted run (".NAME.tmp-XXXXXX", fileutil.h):
 * a killed extraction can leave one as large as a whole feature set. */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[2 * FK_SWEEP_PATH_MAX];
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
}

/* One run per output folder at a time: two would race on the journal. The
 * lock goes with the process, however it ends. */
static fk_status lock_out(const char *dir, int *fd, fk_error *e)
{
    char path[FK_SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB)) {
        close(*fd);
        *fd = -1;
        return fk_fail(e, FK_ERR_IO, "%s: another sweep is running in this folder", dir);
    }
    return FK_OK;
}

static void results_free(sweep_results *r)
{
    for (int i = 0; i < r->n_points; i++)
        free(r->rows[i]);
    free(r->rows);
    free(r->done);
    free(r->n_rows);
    free(r->key);
}

fk_status fk_sweep_run(const fk_sweep_spec *s, const fk_sweep_options *o, fk_sweep_counters *c,
                       char **plan_text, fk_error *e)
{
    fk_sweep_options dflt = fk_sweep_default_options();
    if (!o)
        o = &dflt;
    fk_sweep_counters cnt;
    memset(&cnt, 0, sizeof cnt);
    if (!c)
        c = &cnt;
    memset(c, 0, sizeof *c);
    if (plan_text)
        *plan_text = NULL;
    runner R;
    memset(&R, 0, sizeof R);
    R.s = s;
    R.o = o;
    R.c = c;
    R.open_bb = -1;
    snprintf(R.cache_dir, sizeof R.cache_dir, "%s/cache", o->out_dir);
    int np = fk_sweep_n_points(s);
    c->points = np;
    R.prog.n_points = np;
    sweep_results res = {np, calloc((size_t)np, sizeof(int)), calloc((size_t)np, sizeof(int)),
                         calloc((size_t)np, sizeof(sweep_row *)), calloc((size_t)np, 65)};
    point_keys *pk = calloc((size_t)np, sizeof *pk);
    int lock_fd = -1;
    char journal[FK_SWEEP_PATH_MAX + 32];
    snprintf(journal, sizeof journal, "%s/journal.json", o->out_dir);
    fk_status st = FK_OK;
    if (!res.done || !res.n_rows || !res.rows || !res.key || !pk)
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
    /* Plan: every point's keys (this resolves configs and hashes datasets,
     * so a bad backbone or a missing dataset stops the sweep before work). */
    for (int i = 0; i < np && !st; i++) {
        fk_sweep_point p;
        if (!(st = fk_sweep_point_at(s, i, &p, e)))
            st = keys_of(&R, &p, &pk[i], res.key[i], e);
    }
    if (!st)
        st = sweep_journal_load(journal, &res, e);
    for (int i = 0; i < np && !st; i++)
        c->points_resumed += res.done[i];

    if (!st && o->dry_run) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        say(&buf, &len, &cap, "sweep %s: %d points (axes in file order, the last varies fastest)\n",
            s->name, np);
        char (*seen)[65] = calloc((size_t)np * 2 + 1, 65);
        int n_seen = 0;
        for (int i = 0; i < np; i++) {
            fk_sweep_point p;
            fk_sweep_point_at(s, i, &p, NULL);
            char d[2048], path[FK_SWEEP_PATH_MAX + 96];
            describe_point(s, &p, d, sizeof d);
            const char *ks[2] = {pk[i].real, pk[i].fake};
            const char *state[2];
            for (int k = 0; k < 2; k++) {
                cache_path(&R, ks[k], path, sizeof path);
                int cached = file_exists(path), dup = 0;
                for (int j = 0; j < n_seen && seen; j++)
                    dup |= !strcmp(seen[j], ks[k]);
                if (!dup && seen) {
                    snprintf(seen[n_seen++], 65, "%s", ks[k]);
                    if (cached)
                        c->sets_cached++;
                    else
                        c->sets_missing++;
                }
                state[k] = cached ? "cached" : dup ? "shared" : "to extract";
            }
            say(&buf, &len, &cap, "%4d  %-8s %s  [real: %s, fake: %s; %s]\n", i,
                res.done[i] ? "done" : "todo", d, state[0], state[1], R.bbs[pk[i].bb].tag);
        }
        free(seen);
        say(&buf, &len, &cap, "%d of %d points finished; feature sets: %d cached, %d to extract\n",
            c->points_resumed, np, c->sets_cached, c->sets_missing);
        if (plan_text)
            *plan_text = buf;
        else
            free(buf);
    } else if (!st) {
        st = fk_mkdir_p(R.cache_dir, 0777, e);
        if (!st && !(st = lock_out(o->out_dir, &lock_fd, e))) {
            remove_stale_temps(o->out_dir);
            remove_stale_temps(R.cache_dir);
        }
        for (int i = 0; i < np && !st; i++) {
            R.prog.point = i;
            R.prog.points_done = c->points_resumed + c->points_computed;
            if (res.done[i])
                continue;
            if (o->stop_after && c->points_computed >= o->stop_after) {
                st = fk_fail(e, FK_ERR_INTERNAL, "stopped after %d points, as asked", o->stop_after);
                break;
            }
            /* A point equal to a finished one (level 0 of every kind is the
             * same job) takes its rows: the computation is deterministic. */
            int twin = -1;
            for (int j = 0; j < np && twin < 0; j++)
                if (j != i && res.done[j] && !strcmp(res.key[j], res.key[i]))
                    twin = j;
            if (twin >= 0) {
                size_t nr = (size_t)res.n_rows[twin];
                sweep_row *copy = malloc(sizeof *copy * (nr ? nr : 1));
                if (!copy) {
                    st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
                    break;
                }
                memcpy(copy, res.rows[twin], sizeof *copy * nr);
                for (int k = 0; k < res.n_rows[twin]; k++)
                    copy[k].point = i;
                res.rows[i] = copy;
                res.n_rows[i] = res.n_rows[twin];
                res.done[i] = 1;
                c->points_computed++;
                st = sweep_journal_save(journal, s->path, &res, c, e);
                continue;
            }
            fk_sweep_point p;
            fk_sweep_point_at(s, i, &p, NULL);
            static const fk_perturbation none = {FK_PERTURB_NONE, 0, 0};
            const feat *rf = NULL, *ff = NULL;
            st = get_set(&R, pk[i].bb, s->real, &none, p.n, "real", NULL, &rf, e);
            if (!st)
                st = get_set(&R, pk[i].bb, p.fake, &p.perturbation, p.n, "fake", rf, &ff, e);
            sweep_row *rows = calloc((size_t)s->n_metrics, sizeof *rows);
            if (!st && !rows)
                st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
            if (!st)
                phase(&R, "scoring");
            for (int m = 0; m < s->n_metrics && !st; m++) {
                rows[m].point = i;
                st = metric(s, s->metrics[m], p.perturbation.seed, rf, ff, &rows[m], e);
            }
            if (st) {
                char d[2048];
                describe_point(s, &p, d, sizeof d);
                fk_fail_prefix(e, "point %d (%s)", i, d);
                free(rows);
                break;
            }
            res.rows[i] = rows;
            res.n_rows[i] = s->n_metrics;
            res.done[i] = 1;
            c->points_computed++;
            st = sweep_journal_save(journal, s->path, &res, c, e);
        }
        R.prog.points_done = c->points_resumed + c->points_computed;
        if (!st) {
            /* A finished sweep still records this run's counters. */
            st = sweep_journal_save(journal, s->path, &res, c, e);
        }
        if (!st) {
            phase(&R, "writing results");
            st = sweep_write_outputs(s, &res, o->out_dir, e);
        }
    }
    if (lock_fd >= 0)
        close(lock_fd);
    fk_backbone_close(R.open_b);
    for (int i = 0; i < MEM_SLOTS; i++)
        free(R.mem[i].rows);
    free(R.bbs);
    free(R.dss);
    free(pk);
    results_free(&res);
    return st;
}
