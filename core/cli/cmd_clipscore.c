/* fidkit clipscore MANIFEST: CLIP-Score of (image, caption) pairs. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/clipscore.h"
#include "fidkit/fidkit.h"
#include "fidkit/tokenizer.h"

#define BPE_DEFAULT "bpe_simple_vocab_16e6.txt.gz"

static const char usage_text[] =
    "usage: fidkit clipscore MANIFEST [options]\n"
    "\n"
    "CLIP-Score of the (image, caption) pairs of a CSV (columns image, caption)\n"
    "or JSONL manifest ({\"image\": ..., \"caption\": ...} per line): mean and\n"
    "standard deviation (population) of the per-pair values, in a named\n"
    "convention:\n"
    "  hessel        2.5 * max(cos, 0) per pair (Hessel et al. 2021, CLIP-S),\n"
    "                captions prefixed with \"A photo depicts \" as their code does\n"
    "  torchmetrics  100 * cos per pair, averaged, then max(mean, 0) (the clamp\n"
    "                comes after the average), no prefix\n"
    "Images are preprocessed as the backbone's config says (CLIP: PIL bicubic\n"
    "short side to 224, centre crop, CLIP mean/std); captions are tokenized with\n"
    "CLIP's BPE tokenizer (77 tokens, longer ones truncated and counted).\n"
    "\n"
    "options:\n"
    "  --backbone CONFIG       a CLIP config (default clip_vit_b32)\n"
    "  --convention C          hessel (default) or torchmetrics\n"
    "  --prefix TEXT           text put before every caption (and reference)\n"
    "                          (default: the convention's, see above; '' for none)\n"
    "  --refs MANIFEST         reference captions (same format; rows whose image\n"
    "                          column equals a pair's are its references): adds\n"
    "                          RefCLIP-S (hessel convention only)\n"
    "  --per-pair FILE.csv     write every pair's cosine and score\n"
    "  --bpe FILE              the tokenizer's merge list (bpe_simple_vocab_16e6.txt.gz;\n"
    "                          default: the config's `bpe` option, else the file\n"
    "                          beside the weights, else where weights are looked for)\n"
    "  --no-truncate           fail on captions longer than 77 tokens\n"
    "  --batch-size N          images / captions per forward pass\n"
    "  --threads N             decode/resize threads\n"
    "  --limit N               use the first N pairs\n"
    "  --quiet                 (accepted; clipscore prints no progress bar)\n"
    "  --json                  print one JSON object\n";

/* ---- the text encoder ------------------------------------------------
 * The registry exposes no text entry point yet, so the plugin is opened a
 * second time here, for its `text` output only (the plugin then loads only
 * its text tower); the weights file was found and its SHA-256 checked when
 * the image side was opened from the same config. */
typedef struct text_encoder {
    const fk_plugin *p;
    void *inst;
    int dim;
    char weights[1024];
    fk_option_value opts[FK_CONFIG_MAX_OPTIONS];
} text_encoder;

static fk_status bind_option(const fk_config *c, const fk_option_spec *s, fk_option_value *v,
                             fk_error *e)
{
    const char *text = s->default_value ? s->default_value : "";
    for (int i = 0; i < c->n_options; i++)
        if (!strcmp(c->options[i].key, s->name))
            text = c->options[i].value;
    char *end = NULL;
    memset(v, 0, sizeof *v);
    switch (s->type) {
    case FK_OPT_INT: v->i = strtoll(text, &end, 10); break;
    case FK_OPT_FLOAT: v->f = strtod(text, &end); break;
    case FK_OPT_BOOL:
        v->i = !strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "1");
        break;
    default: v->s = text; break;
    }
    if (end && (*end || !*text))
        return fk_fail(e, FK_ERR_ARG, "%s: option '%s' has a bad value '%s'", c->path, s->name, text);
    return FK_OK;
}

static fk_status text_open(const fk_config *c, text_encoder *t, fk_error *e)
{
    memset(t, 0, sizeof *t);
    fk_status st = fk_plugin_load(c->plugin, &t->p, e);
    if (st)
        return st;
    if (!FK_PLUGIN_HAS(t->p, encode_text))
        return fk_fail(e, FK_ERR_ARG, "%s: plugin %s has no text encoder: CLIP-Score needs a CLIP-type backbone",
                       c->path, t->p->name);
    fk_output_desc outs[16];
    int no = t->p->list_outputs(c->variant, outs, 16);
    for (int i = 0; i < no && i < 16; i++)
        if (!strcmp(outs[i].name, "text"))
            t->dim = outs[i].dim;
    if (t->dim <= 0)
        return fk_fail(e, FK_ERR_ARG, "%s: %s/%s lists no 'text' output", c->path, t->p->name, c->variant);
    for (int j = 0; t->p->options && t->p->options[j].name; j++) {
        if (j >= FK_CONFIG_MAX_OPTIONS)
            return fk_fail(e, FK_ERR_PLUGIN, "plugin %s declares too many options", t->p->name);
        if ((st = bind_option(c, &t->p->options[j], &t->opts[j], e)))
            return st;
    }
    if (!c->random_weights && (st = fk_config_weights_path(c, t->weights, sizeof t->weights, e)))
        return st;
    const char *const outputs[1] = {"text"};
    fk_plugin_params pp = {
        .config_path = c->path,
        .variant = c->variant,
        .weights_path = c->random_weights ? NULL : t->weights,
        .random_weights = c->random_weights,
        .random_seed = c->random_seed,
        .device = c->device,
        .threads = c->threads,
        .input_size = c->input.size,
        .n_outputs = 1,
        .outputs = outputs,
        .options = t->opts,
    };
    return t->p->open(&pp, &t->inst, e);
}

static void text_close(text_encoder *t)
{
    if (t->inst)
        t->p->close(t->inst);
    t->inst = NULL;
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

static fk_status write_per_pair(const char *path, fk_dataset *ds, const pairs *p, int has_ref,
                                fk_error *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fk_fail(e, FK_ERR_IO, "%s: cannot write", path);
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
    if (fclose(f))
        return fk_fail(e, FK_ERR_IO, "%s: write failed", path);
    return FK_OK;
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

static fk_status encode_texts(text_encoder *t, const int32_t *tokens, int64_t n, int batch,
                              float *out, fk_error *e)
{
    for (int64_t at = 0; at < n; at += batch) {
        int m = (int)(n - at < batch ? n - at : batch);
        fk_status st = t->p->encode_text(t->inst, tokens + at * FK_CLIP_CONTEXT_LEN, m,
                                         FK_CLIP_CONTEXT_LEN, out + at * t->dim, e);
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

/* ---- the command ------------------------------------------------------ */

int fk_cmd_clipscore(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    o.backbone = "clip_vit_b32";
    const char *manifest = NULL, *prefix = NULL, *refs_path = NULL, *per_path = NULL, *bpe_arg = NULL;
    int truncate = 1;
    fk_clipscore_convention conv = FK_CLIPSCORE_HESSEL;
    fk_error e = {0};
    for (int i = 1; i < argc; i++) {
        int r = fk_cli_extract_option("clipscore", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        const char *a = argv[i];
        if (fk_cli_is_help(a)) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(a, "--convention") && i + 1 < argc) {
            if (fk_clipscore_convention_parse(argv[++i], &conv, &e))
                return fk_cli_usage_error("clipscore", "%s", e.msg);
        } else if (!strcmp(a, "--prefix") && i + 1 < argc) {
            prefix = argv[++i];
        } else if (!strcmp(a, "--refs") && i + 1 < argc) {
            refs_path = argv[++i];
        } else if (!strcmp(a, "--per-pair") && i + 1 < argc) {
            per_path = argv[++i];
        } else if (!strcmp(a, "--bpe") && i + 1 < argc) {
            bpe_arg = argv[++i];
        } else if (!strcmp(a, "--no-truncate")) {
            truncate = 0;
        } else if (a[0] == '-' && a[1]) {
            return fk_cli_usage_error("clipscore", "unknown option '%s' (or missing value)", a);
        } else if (!manifest) {
            manifest = a;
        } else {
            return fk_cli_usage_error("clipscore", "one manifest only (got '%s' too)", a);
        }
    }
    if (!manifest)
        return fk_cli_usage_error("clipscore", "a manifest of (image, caption) pairs is needed");
    if (refs_path && conv != FK_CLIPSCORE_HESSEL)
        return fk_cli_usage_error("clipscore", "--refs (RefCLIP-S) is defined in the hessel convention only");
    if (!prefix)
        prefix = conv == FK_CLIPSCORE_HESSEL ? FK_CLIPSCORE_HESSEL_PREFIX : "";

    char cfg_path[1024], bpe[1024];
    fk_config cfg;
    fk_backbone *b = NULL;
    fk_dataset *ds = NULL;
    fk_loader *ld = NULL;
    fk_tokenizer *tok = NULL;
    text_encoder te = {0};
    pairs p = {0};
    refs rf = {0};
    fk_clipscore_result res;
    int64_t n_trunc = 0;
    const char *const image_out[1] = {"image"};
    fk_status st = fk_config_find(o.backbone, cfg_path, sizeof cfg_path, &e);
    if (!st)
        st = fk_config_load(cfg_path, &cfg, &e);
    /* the weights' message (where to get them) comes before the merge list's */
    if (!st && !cfg.random_weights)
        st = fk_config_weights_path(&cfg, bpe, sizeof bpe, &e);
    if (!st)
        st = find_bpe(&cfg, bpe_arg, bpe, sizeof bpe, &e);
    if (!st)
        st = fk_tokenizer_open(bpe, &tok, &e);
    if (!st)
        st = fk_backbone_open(&cfg, image_out, 1, &b, &e);
    if (!st)
        st = fk_dataset_open(manifest, &o.ex.dataset, &ds, &e);
    if (st)
        goto done;
    int64_t n = fk_dataset_size(ds);
    if (n < 1 || !fk_dataset_caption(ds, 0)) {
        st = fk_fail(&e, FK_ERR_ARG, "%s: a CSV or JSONL manifest of (image, caption) pairs is needed "
                     "(this is a %s dataset%s)", manifest, fk_dataset_kind(ds), n < 1 ? " without items" : "");
        goto done;
    }
    int d = fk_backbone_output_dim(b, 0), batch = o.ex.loader.batch_size > 0 ? o.ex.loader.batch_size
                                                                             : (cfg.batch_size > 0 ? cfg.batch_size : 50);
    p.index = malloc((size_t)n * sizeof *p.index);
    p.img = malloc((size_t)n * d * sizeof *p.img);
    if (!p.index || !p.img) {
        st = fk_fail(&e, FK_ERR_NOMEM, "out of memory");
        goto done;
    }

    /* images, in dataset order, each row kept with its item */
    fk_loader_options lo = o.ex.loader;
    lo.batch_size = batch;
    if ((st = fk_loader_open(ds, &cfg.input, &lo, &ld, &e)))
        goto done;
    for (;;) {
        fk_batch bt;
        if ((st = fk_loader_next(ld, &bt, &e)) || bt.n == 0)
            break;
        float *out[1] = {p.img + p.n * d};
        if ((st = fk_backbone_extract(b, bt.data, bt.n, out, &e)))
            break;
        memcpy(p.index + p.n, bt.index, (size_t)bt.n * sizeof *p.index);
        p.n += bt.n;
    }
    int64_t skipped = ld ? fk_loader_skipped(ld) : 0;
    if (st)
        goto done;
    if (p.n < 1) {
        st = fk_fail(&e, FK_ERR_ARG, "%s: no image could be read", manifest);
        goto done;
    }

    /* captions */
    p.tokens = malloc((size_t)p.n * FK_CLIP_CONTEXT_LEN * sizeof *p.tokens);
    p.truncated = calloc((size_t)p.n, sizeof *p.truncated);
    p.txt = malloc((size_t)p.n * d * sizeof *p.txt);
    p.cos = malloc((size_t)p.n * sizeof *p.cos);
    p.per = malloc((size_t)p.n * sizeof *p.per);
    if (!p.tokens || !p.truncated || !p.txt || !p.cos || !p.per) {
        st = fk_fail(&e, FK_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < p.n && !st; i++) {
        const char *cap = fk_dataset_caption(ds, p.index[i]);
        st = tokenize(tok, prefix, cap ? cap : "", truncate, p.tokens + i * FK_CLIP_CONTEXT_LEN,
                      &p.truncated[i], &e);
        if (st)
            fk_fail_prefix(&e, "%s: caption of %s", manifest, fk_dataset_item_name(ds, p.index[i]));
        n_trunc += p.truncated[i];
    }
    if (!st && refs_path)
        st = load_refs(refs_path, ds, &p, tok, prefix, truncate, &rf, &e);
    if (!st)
        st = text_open(&cfg, &te, &e);
    if (!st && te.dim != d)
        st = fk_fail(&e, FK_ERR_PLUGIN, "%s: text embeddings have %d values, image ones %d", cfg_path,
                     te.dim, d);
    if (!st)
        st = encode_texts(&te, p.tokens, p.n, batch, p.txt, &e);
    if (!st && refs_path && rf.count > 0) {
        rf.emb = malloc((size_t)rf.count * d * sizeof *rf.emb);
        st = rf.emb ? encode_texts(&te, rf.tokens, rf.count, batch, rf.emb, &e)
                    : fk_fail(&e, FK_ERR_NOMEM, "out of memory");
    }
    if (!st)
        st = fk_clipscore(p.img, p.txt, p.n, d, conv, p.per, p.cos, &res, &e);
    if (!st && refs_path) {
        p.ref_cos = malloc((size_t)p.n * sizeof *p.ref_cos);
        p.ref_per = malloc((size_t)p.n * sizeof *p.ref_per);
        st = p.ref_cos && p.ref_per
                 ? fk_refclipscore(p.txt, p.per, p.n, d, rf.emb, rf.off, p.ref_cos, p.ref_per, &res, &e)
                 : fk_fail(&e, FK_ERR_NOMEM, "out of memory");
    }
    if (!st && per_path)
        st = write_per_pair(per_path, ds, &p, res.has_ref, &e);
    if (st)
        goto done;

    fk_tag tag;
    char ts[FK_TAG_STR_MAX];
    fk_backbone_tag(b, 0, &tag);
    fk_tag_str(&tag, 0, ts, sizeof ts);
    int64_t with_refs = 0;
    for (int64_t i = 0; refs_path && i < p.n; i++)
        with_refs += rf.off[i + 1] > rf.off[i];
    if (o.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "metric", "clip_score");
        cJSON_AddStringToObject(j, "convention", fk_clipscore_convention_name(conv));
        cJSON_AddNumberToObject(j, "value", res.score);
        cJSON_AddNumberToObject(j, "mean", res.mean);
        cJSON_AddNumberToObject(j, "std", res.std);
        cJSON_AddNumberToObject(j, "n", (double)res.n);
        cJSON_AddNumberToObject(j, "negative_cosines", (double)res.n_negative);
        cJSON_AddNumberToObject(j, "w", conv == FK_CLIPSCORE_HESSEL ? FK_CLIPSCORE_HESSEL_W : 100.0);
        cJSON_AddStringToObject(j, "prefix", prefix);
        cJSON_AddNumberToObject(j, "truncated", (double)n_trunc);
        cJSON_AddNumberToObject(j, "skipped", (double)skipped);
        cJSON_AddStringToObject(j, "tag", ts);
        cJSON_AddStringToObject(j, "bpe", bpe);
        if (res.has_ref) {
            cJSON_AddNumberToObject(j, "refclip_score", res.ref_score);
            cJSON_AddNumberToObject(j, "refclip_std", res.ref_std);
            cJSON_AddNumberToObject(j, "references", (double)rf.count);
            cJSON_AddNumberToObject(j, "pairs_with_references", (double)with_refs);
            cJSON_AddNumberToObject(j, "references_truncated", (double)rf.truncated);
        }
        char *text = cJSON_Print(j);
        puts(text);
        cJSON_free(text);
        cJSON_Delete(j);
    } else {
        if (conv == FK_CLIPSCORE_HESSEL)
            printf("CLIP-S (hessel: 2.5 * max(cos, 0) per pair): %.6f  (std %.6f)\n", res.score, res.std);
        else
            printf("CLIPScore (torchmetrics: max(mean of 100 * cos, 0)): %.6f  (mean %.6f, std %.6f)\n",
                   res.score, res.mean, res.std);
        if (res.has_ref)
            printf("RefCLIP-S (hessel): %.6f  (std %.6f; %lld references, %lld of %lld pairs have some)\n",
                   res.ref_score, res.ref_std, (long long)rf.count, (long long)with_refs, (long long)p.n);
        printf("  tag          %s\n", ts);
        printf("  pairs        %lld (%lld with a negative cosine)\n", (long long)res.n,
               (long long)res.n_negative);
        printf("  prefix       \"%s\"\n", prefix);
        printf("  truncated    %lld caption%s longer than 77 tokens%s\n", (long long)n_trunc,
               n_trunc == 1 ? "" : "s", n_trunc ? " (cut, end token kept)" : "");
        if (skipped)
            printf("  skipped      %lld unreadable images\n", (long long)skipped);
        if (per_path)
            printf("  per pair     %s\n", per_path);
    }
done:
    if (ld)
        fk_loader_close(ld);
    text_close(&te);
    fk_backbone_close(b);
    fk_dataset_close(ds);
    fk_tokenizer_close(tok);
    pairs_free(&p);
    free(rf.off);
    free(rf.tokens);
    free(rf.emb);
    return st ? fk_cli_report("clipscore", &e) : FK_EXIT_OK;
}
