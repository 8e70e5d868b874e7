/* CLIP-Score of a manifest of (image, caption) pairs; see clipeval.h. */
#include "fidkit/clipeval.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fidkit/bootstrap.h"
#include "fidkit/config.h"
#include "fidkit/dataset.h"
#include "fidkit/fileio.h"
#include "fidkit/loader.h"
#include "fidkit/registry.h"
#include "fidkit/score.h"
#include "fidkit/tokenizer.h"
#include "fidkit/defaults.h"

#define BPE_DEFAULT "bpe_simple_vocab_16e6.txt.gz"

fk_clip_options fk_clip_default_options(void)
{
    fk_clip_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.extract = fk_extract_default_options();
    o.convention = FK_CLIPSCORE_HESSEL;
    o.truncate = 1;
    o.replicates = FK_DEFAULT_REPLICATES_FD;
    o.seed = FK_DEFAULT_SEED;
    return o;
}

/* ---- the merge list --------------------------------------------------- */

static const char *config_option(const fk_config *c, const char *key)
{
    for (int i = 0; i < c->n_options; i++)
        if (!strcmp(c->options[i].key, key))
            return c->options[i].value;
    return "";
}

/* --bpe, else the config's `bpe` (a path, or a name looked for as weights
 * are), else bpe_simple_vocab_16e6.txt.gz beside the weights file, else
 * looked for as weights are. */
static fk_status find_bpe(const fk_config *c, const char *given, char *out, size_t n, fk_error *e)
{
    if (given) {
        snprintf(out, n, "%s", given);
        return FK_OK;
    }
    const char *opt = config_option(c, "bpe");
    if (!opt[0] && !c->random_weights) {
        char w[1024], dir[1024];
        if (fk_config_weights_path(c, w, sizeof w, NULL) == FK_OK) {
            snprintf(dir, sizeof dir, "%s", w);
            snprintf(out, n, "%s/%s", dirname(dir), BPE_DEFAULT);
            if (access(out, R_OK) == 0)
                return FK_OK;
        }
    }
    /* Looked for (and fetched, if the config lists it in side_files) as weights are. */
    fk_status st = fk_config_file_path(c, opt[0] ? opt : BPE_DEFAULT, out, n, e);
    if (st)
        fk_fail_prefix(e, "the CLIP tokenizer's merge list (give it with --bpe FILE or the config "
                       "option bpe)");
    return st;
}

/* ---- output ----------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

typedef struct pairs {
    int64_t n;
    int64_t *index;     /* dataset item of each pair */
    float *img, *txt;
    double *cos, *per, *ref_cos, *ref_per;
    int32_t *tokens;
    int *truncated;
} pairs;

static void pairs_free(pairs *p)
{
    free(p->index);
    free(p->img);
    free(p->txt);
    free(p->cos);
    free(p->per);
    free(p->ref_cos);
    free(p->ref_per);
    free(p->tokens);
    free(p->truncated);
}

/* Written beside the target and renamed over it, as every fidkit output. */
static fk_status write_per_pair(const char *path, fk_dataset *ds, const pairs *p, int has_ref,
                                fk_error *e)
{
    char *tmp = fk_temp_name(path);
    FILE *f = tmp ? fopen(tmp, "w") : NULL;
    if (!f) {
        if (tmp)
            unlink(tmp);
        free(tmp);
        return fk_fail(e, FK_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    fprintf(f, "index,image,caption,cosine,score,truncated%s\n", has_ref ? ",ref_cosine,refclip_score" : "");
    for (int64_t i = 0; i < p->n; i++) {
        fprintf(f, "%lld,", (long long)p->index[i]);
        csv_field(f, fk_dataset_item_name(ds, p->index[i]));
        fputc(',', f);
        csv_field(f, fk_dataset_caption(ds, p->index[i]));
        fprintf(f, ",%.17g,%.17g,%d", p->cos[i], p->per[i], p->truncated[i]);
        if (has_ref)
            fprintf(f, ",%.17g,%.17g", p->ref_cos[i], p->ref_per[i]);
        fputc('\n', f);
    }
    int bad = ferror(f);
    int err = errno;
    if (fclose(f)) {
        bad = 1;
        err = errno;
    }
    fk_status st = bad ? fk_fail(e, FK_ERR_IO, "%s: write failed: %s", path, strerror(err))
                       : fk_commit_file(tmp, path, e);
    if (st)
        unlink(tmp);
    free(tmp);
    return st;
}

/* ---- tokenizing and encoding ----------------------------------------- */

static fk_status tokenize(fk_tokenizer *tok, const char *prefix, const char *caption, int truncate,
                          int32_t *row, int *truncated, fk_error *e)
{
    size_t lp = strlen(prefix), lc = strlen(caption);
    char *text = malloc(lp + lc + 1);
    if (!text)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    memcpy(text, prefix, lp);
    memcpy(text + lp, caption, lc + 1);
    int32_t *ids = NULL;
    size_t n = 0;
    fk_status st = fk_tokenizer_encode_raw(tok, text, lp + lc, &ids, &n, e);
    free(ids);
    *truncated = st == FK_OK && n > FK_CLIP_CONTEXT_LEN - 2;
    if (st == FK_OK)
        st = fk_tokenizer_encode(tok, text, row, FK_CLIP_CONTEXT_LEN, truncate, NULL, e);
    free(text);
    return st;
}

static fk_status encode_texts(fk_backbone *t, const int32_t *tokens, int64_t n, int batch, int dim,
                              float *out, fk_error *e)
{
    for (int64_t at = 0; at < n; at += batch) {
        int m = (int)(n - at < batch ? n - at : batch);
        fk_status st = fk_backbone_encode_text(t, tokens + at * FK_CLIP_CONTEXT_LEN, m,
                                               FK_CLIP_CONTEXT_LEN, out + at * dim, e);
        if (st)
            return st;
    }
    return FK_OK;
}

/* References: rows of the refs manifest whose image column equals a pair's. */
typedef struct refs {
    int64_t *off;       /* n + 1 */
    int32_t *tokens;
    float *emb;
    int64_t count;
    int64_t truncated;
} refs;

typedef struct named {
    const char *name;
    int64_t index;
} named;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

static fk_status load_refs(const char *path, fk_dataset *ds, const pairs *p, fk_tokenizer *tok,
                           const char *prefix, int truncate, refs *r, fk_error *e)
{
    memset(r, 0, sizeof *r);
    fk_dataset_options o = fk_dataset_default_options();
    fk_dataset *rd;
    fk_status st = fk_dataset_open(path, &o, &rd, e);
    if (st)
        return st;
    int64_t m = fk_dataset_size(rd);
    named *order = malloc((size_t)(m ? m : 1) * sizeof *order);
    r->off = calloc((size_t)p->n + 1, sizeof *r->off);
    int64_t cap = m ? m : 1;
    r->tokens = malloc((size_t)cap * FK_CLIP_CONTEXT_LEN * sizeof *r->tokens);
    if (!order || !r->off || !r->tokens) {
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (m > 0 && !fk_dataset_caption(rd, 0)) {
        st = fk_fail(e, FK_ERR_ARG, "%s: references need a CSV or JSONL manifest with captions", path);
        goto done;
    }
    for (int64_t i = 0; i < m; i++)
        order[i] = (named){fk_dataset_item_name(rd, i), i};
    qsort(order, (size_t)m, sizeof *order, cmp_named);
    for (int64_t i = 0; i < p->n && !st; i++) {
        const char *name = fk_dataset_item_name(ds, p->index[i]);
        int64_t lo = 0, hi = m;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (strcmp(order[mid].name, name) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        r->off[i] = r->count;
        for (; lo < m && !strcmp(order[lo].name, name) && !st; lo++) {
            int tr;
            if (r->count == cap) {
                int32_t *grown = realloc(r->tokens, (size_t)cap * 2 * FK_CLIP_CONTEXT_LEN * sizeof *grown);
                if (!grown) {
                    st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
                    break;
                }
                r->tokens = grown;
                cap *= 2;
            }
            st = tokenize(tok, prefix, fk_dataset_caption(rd, order[lo].index), truncate,
                          r->tokens + r->count * FK_CLIP_CONTEXT_LEN, &tr, e);
            if (st)
                fk_fail_prefix(e, "%s: reference for %s", path, name);
            r->truncated += tr;
            r->count++;
        }
    }
    r->off[p->n] = r->count;
done:
    free(order);
    fk_dataset_close(rd);
    return st;
}


/* ---- the evaluation -------------------------------------------------- */

typedef struct clip_run {
    fk_config cfg;
    char bpe[1024];
    const char *prefix;
    fk_backbone *image, *text;
    fk_dataset *ds;
    fk_tokenizer *tok;
    pairs p;
    refs rf;
    int64_t n_trunc, skipped;
    int d, batch;
} clip_run;

static void run_free(clip_run *r)
{
    fk_backbone_close(r->image);
    fk_backbone_close(r->text);
    fk_dataset_close(r->ds);
    fk_tokenizer_close(r->tok);
    pairs_free(&r->p);
    free(r->rf.off);
    free(r->rf.tokens);
    free(r->rf.emb);
}

/* Config, merge list, tokenizer, image tower, manifest. */
static fk_status setup(clip_run *r, const char *manifest, const fk_clip_options *o, fk_error *e)
{
    char path[1024];
    const char *const image_out[1] = {"image"};
    fk_status st = fk_config_find(o->backbone ? o->backbone : FK_CLIPSCORE_DEFAULT_BACKBONE, path,
                                  sizeof path, e);
    if (!st)
        st = fk_config_load(path, &r->cfg, e);
    /* the weights' message (where to get them) comes before the merge list's */
    if (!st && !r->cfg.random_weights)
        st = fk_config_weights_path(&r->cfg, r->bpe, sizeof r->bpe, e);
    if (!st)
        st = find_bpe(&r->cfg, o->bpe, r->bpe, sizeof r->bpe, e);
    if (!st)
        st = fk_tokenizer_open(r->bpe, &r->tok, e);
    if (!st)
        st = fk_backbone_open(&r->cfg, image_out, 1, &r->image, e);
    if (!st)
        st = fk_dataset_open(manifest, &o->extract.dataset, &r->ds, e);
    if (st)
        return st;
    int64_t n = fk_dataset_size(r->ds);
    if (n < 1 || !fk_dataset_caption(r->ds, 0))
        return fk_fail(e, FK_ERR_ARG, "%s: a CSV or JSONL manifest of (image, caption) pairs is "
                       "needed (this is a %s dataset%s)", manifest, fk_dataset_kind(r->ds),
                       n < 1 ? " without items" : "");
    r->d = fk_backbone_output_dim(r->image, 0);
    r->batch = o->extract.loader.batch_size > 0 ? o->extract.loader.batch_size
               : fk_config_batch_size(fk_backbone_config(r->image));
    r->p.index = malloc((size_t)n * sizeof *r->p.index);
    r->p.img = malloc((size_t)n * r->d * sizeof *r->p.img);
    return r->p.index && r->p.img ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "out of memory");
}

/* Images, in dataset order, each row kept with its item. */
static fk_status encode_images(clip_run *r, const char *manifest, const fk_clip_options *o,
                               fk_error *e)
{
    fk_loader *ld = NULL;
    fk_loader_options lo = o->extract.loader;
    lo.batch_size = r->batch;
    int64_t total = fk_dataset_size(r->ds);
    fk_status st = fk_loader_open(r->ds, &r->cfg.input, &lo, &ld, e);
    while (!st) {
        fk_batch bt;
        if ((st = fk_loader_next(ld, &bt, e)) || bt.n == 0)
            break;
        float *out[1] = {r->p.img + r->p.n * r->d};
        if ((st = fk_backbone_extract(r->image, bt.data, bt.n, out, e)))
            break;
        memcpy(r->p.index + r->p.n, bt.index, (size_t)bt.n * sizeof *r->p.index);
        r->p.n += bt.n;
        if (o->extract.progress)
            o->extract.progress(o->extract.progress_user, r->p.n + fk_loader_skipped(ld), total);
    }
    r->skipped = ld ? fk_loader_skipped(ld) : 0;
    if (ld)
        fk_loader_close(ld);
    if (!st && r->p.n < 1)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: no image could be read", manifest);
    return st;
}

/* Captions (and references) through the text tower. */
static fk_status encode_captions(clip_run *r, const char *manifest, const fk_clip_options *o,
                                 fk_error *e)
{
    pairs *p = &r->p;
    p->tokens = malloc((size_t)p->n * FK_CLIP_CONTEXT_LEN * sizeof *p->tokens);
    p->truncated = calloc((size_t)p->n, sizeof *p->truncated);
    p->txt = malloc((size_t)p->n * r->d * sizeof *p->txt);
    p->cos = malloc((size_t)p->n * sizeof *p->cos);
    p->per = malloc((size_t)p->n * sizeof *p->per);
    if (!p->tokens || !p->truncated || !p->txt || !p->cos || !p->per)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_status st = FK_OK;
    for (int64_t i = 0; i < p->n && !st; i++) {
        const char *cap = fk_dataset_caption(r->ds, p->index[i]);
        st = tokenize(r->tok, r->prefix, cap ? cap : "", o->truncate,
                      p->tokens + i * FK_CLIP_CONTEXT_LEN, &p->truncated[i], e);
        if (st)
            fk_fail_prefix(e, "%s: caption of %s", manifest, fk_dataset_item_name(r->ds, p->index[i]));
        r->n_trunc += p->truncated[i];
    }
    if (!st && o->refs)
        st = load_refs(o->refs, r->ds, p, r->tok, r->prefix, o->truncate, &r->rf, e);
    const char *const text_out[1] = {"text"};
    if (!st)
        st = fk_backbone_open(&r->cfg, text_out, 1, &r->text, e);
    if (!st && fk_backbone_output_dim(r->text, 0) != r->d)
        st = fk_fail(e, FK_ERR_PLUGIN, "%s: text embeddings have %d values, image ones %d",
                     r->cfg.path, fk_backbone_output_dim(r->text, 0), r->d);
    if (!st)
        st = encode_texts(r->text, p->tokens, p->n, r->batch, r->d, p->txt, e);
    if (!st && o->refs && r->rf.count > 0) {
        r->rf.emb = malloc((size_t)r->rf.count * r->d * sizeof *r->rf.emb);
        st = r->rf.emb ? encode_texts(r->text, r->rf.tokens, r->rf.count, r->batch, r->d, r->rf.emb, e)
                       : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    return st;
}

/* The bootstrap statistic: the convention's score of resampled pairs. */
typedef struct clip_stat {
    fk_clipscore_convention c;
    int d;
} clip_stat;

static fk_status stat_clip(const fk_features *x, const fk_features *y, void *u, double *v,
                           fk_error *e)
{
    (void)y;
    clip_stat *cs = u;
    /* x rows hold the pair's image embedding then its text embedding. */
    int64_t n = x->n;
    float *img = malloc((size_t)n * cs->d * sizeof *img), *txt = malloc((size_t)n * cs->d * sizeof *txt);
    fk_status st = img && txt ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n && !st; i++) {
        memcpy(img + i * cs->d, x->x + i * x->d, (size_t)cs->d * sizeof(float));
        memcpy(txt + i * cs->d, x->x + i * x->d + cs->d, (size_t)cs->d * sizeof(float));
    }
    fk_clipscore_result r;
    if (!st)
        st = fk_clipscore(img, txt, n, cs->d, cs->c, NULL, NULL, &r, e);
    *v = st ? 0 : r.score;
    free(img);
    free(txt);
    return st;
}

static fk_status pair_interval(const clip_run *r, const fk_clip_options *o, fk_result *res,
                               fk_error *e)
{
    int64_t n = r->p.n;
    int d = r->d;
    float *joint = malloc((size_t)n * 2 * d * sizeof *joint);
    if (!joint)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        memcpy(joint + i * 2 * d, r->p.img + i * d, (size_t)d * sizeof(float));
        memcpy(joint + i * 2 * d + d, r->p.txt + i * d, (size_t)d * sizeof(float));
    }
    fk_features x = fk_features_view(joint, n, 2 * d);
    clip_stat cs = {o->convention, d};
    fk_boot_options bo = fk_boot_default_options();
    bo.replicates = o->replicates;
    bo.seed = o->seed;
    fk_boot_result b;
    fk_status st = fk_bootstrap(&x, &x, stat_clip, &cs, &bo, &b, NULL, e);
    if (!st) {
        res->interval.present = 1;
        res->interval.level = b.level;
        res->interval.lo = b.lo;
        res->interval.hi = b.hi;
        res->interval.replicates = b.replicates;
        res->interval.bias = b.bias;
        snprintf(res->interval.method, sizeof res->interval.method, "percentile bootstrap over pairs");
    }
    free(joint);
    return st;
}

static fk_status add_results(clip_run *r, const fk_clip_options *o, const fk_clipscore_result *cr,
                             fk_results *out, fk_error *e)
{
    fk_tag tag;
    fk_backbone_tag(r->image, 0, &tag);
    int hessel = o->convention == FK_CLIPSCORE_HESSEL;
    fk_result res = fk_result_init("clip_score", hessel ? "CLIP-S" : "CLIPScore", &tag);
    res.value = cr->score;
    res.std = cr->std;
    res.n_sides = 1;
    res.n[0] = cr->n;
    snprintf(res.convention, sizeof res.convention, hessel
             ? "CLIP-S (hessel): 2.5 * max(cos, 0) per pair, mean; population std"
             : "CLIPScore (torchmetrics): max(mean of 100 * cos, 0); population std");
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "convention_name", fk_clipscore_convention_name(o->convention));
    cJSON_AddNumberToObject(x, "mean", cr->mean);
    cJSON_AddNumberToObject(x, "negative_cosines", (double)cr->n_negative);
    cJSON_AddNumberToObject(x, "w", hessel ? FK_CLIPSCORE_HESSEL_W : 100.0);
    cJSON_AddStringToObject(x, "prefix", r->prefix);
    cJSON_AddNumberToObject(x, "truncated", (double)r->n_trunc);
    cJSON_AddNumberToObject(x, "skipped", (double)r->skipped);
    cJSON_AddStringToObject(x, "bpe", r->bpe);
    char *t = cJSON_PrintUnformatted(x);
    cJSON_Delete(x);
    if (t && strlen(t) < sizeof res.extra)
        snprintf(res.extra, sizeof res.extra, "%s", t);
    free(t);
    fk_status st = o->interval ? pair_interval(r, o, &res, e) : FK_OK;
    if (!st)
        st = fk_results_add(out, &res, e);
    if (!st && cr->has_ref) {
        int64_t with = 0;
        for (int64_t i = 0; i < r->p.n; i++)
            with += r->rf.off[i + 1] > r->rf.off[i];
        fk_result rr = fk_result_init("refclip_score", "RefCLIP-S", &tag);
        rr.value = cr->ref_score;
        rr.std = cr->ref_std;
        rr.n_sides = 1;
        rr.n[0] = cr->n;
        snprintf(rr.convention, sizeof rr.convention, "RefCLIP-S (hessel): harmonic mean of CLIP-S "
                 "and the best reference similarity");
        snprintf(rr.extra, sizeof rr.extra, "{\"references\":%lld,\"pairs_with_references\":%lld,"
                 "\"references_truncated\":%lld}", (long long)r->rf.count, (long long)with,
                 (long long)r->rf.truncated);
        st = fk_results_add(out, &rr, e);
    }
    return st;
}

fk_status fk_clipscore_evaluate(const char *manifest, const fk_clip_options *opt, fk_results *out,
                                fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_clip_options o = fk_clip_default_options();
    if (opt)
        memcpy(&o, opt, opt->struct_size && opt->struct_size < sizeof o ? opt->struct_size : sizeof o);
    if (o.refs && o.convention != FK_CLIPSCORE_HESSEL)
        return fk_fail(e, FK_ERR_ARG, "references (RefCLIP-S) are defined in the hessel convention only");
    clip_run r;
    memset(&r, 0, sizeof r);
    r.prefix = o.prefix ? o.prefix : o.convention == FK_CLIPSCORE_HESSEL ? FK_CLIPSCORE_HESSEL_PREFIX : "";
    const char *inputs[3] = {manifest, o.refs, o.bpe};
    fk_status st = o.per_pair ? fk_output_prepare(o.per_pair, inputs, 3, e) : FK_OK;
    if (!st)
        st = setup(&r, manifest, &o, e);
    if (!st)
        st = encode_images(&r, manifest, &o, e);
    if (!st)
        st = encode_captions(&r, manifest, &o, e);
    fk_featset img = {0}, txt = {0};
    fk_clipscore_result cr;
    if (!st) {
        /* Views of the run's embeddings, tagged by their towers. */
        fk_backbone_tag(r.image, 0, &img.tag);
        fk_backbone_tag(r.text, 0, &txt.tag);
        img.has_tag = txt.has_tag = 1;
        img.n = txt.n = r.p.n;
        img.d = txt.d = r.d;
        img.rows = r.p.img;
        txt.rows = r.p.txt;
        snprintf(img.source, sizeof img.source, "%s", manifest);
        snprintf(txt.source, sizeof txt.source, "%s", manifest);
        st = fk_score_clip(&img, &txt, o.convention, r.p.per, r.p.cos, &cr, e);
    }
    if (!st && o.refs) {
        r.p.ref_cos = malloc((size_t)r.p.n * sizeof *r.p.ref_cos);
        r.p.ref_per = malloc((size_t)r.p.n * sizeof *r.p.ref_per);
        st = r.p.ref_cos && r.p.ref_per
                 ? fk_refclipscore(r.p.txt, r.p.per, r.p.n, r.d, r.rf.emb, r.rf.off, r.p.ref_cos,
                                   r.p.ref_per, &cr, e)
                 : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    if (!st && o.per_pair)
        st = write_per_pair(o.per_pair, r.ds, &r.p, cr.has_ref, e);
    if (!st)
        st = add_results(&r, &o, &cr, out, e);
    if (!st) {
        snprintf(out->backbone, sizeof out->backbone, "%s", r.cfg.path);
        out->n_sides = 1;
        snprintf(out->sides[0].role, sizeof out->sides[0].role, "pairs");
        snprintf(out->sides[0].path, sizeof out->sides[0].path, "%s", manifest);
        out->sides[0].n = r.p.n;
        out->sides[0].skipped = r.skipped;
    }
    run_free(&r);
    if (st)
        fk_results_free(out);
    return st;
}
