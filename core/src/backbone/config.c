/* Backbone configs from YAML (libyaml's document API, which keeps line
 * numbers for messages). See config.h for the schema. */
#include "fidkit/config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fidkit/device.h"
#include "formats/yamldoc.h"

typedef struct ctx {
    const char *path;
    yaml_document_t *doc;
    fk_error *e;
} ctx;


static fk_status bad(ctx *c, const yaml_node_t *n, const char *key, const char *fmt, const char *val)
{
    char what[256];
    snprintf(what, sizeof what, fmt, val ? val : "");
    return fk_fail(c->e, FK_ERR_ARG, "%s:%d: '%s' %s", c->path, n ? fk_yaml_line(n) : 0, key, what);
}


/* Names that end up in a tag: letters, digits, '_', '-' and '.'. */
static fk_status check_name(ctx *c, const yaml_node_t *n, const char *key, const char *s)
{
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return bad(c, n, key, "may hold only letters, digits, '_', '-' and '.', got '%s'", s);
    return *s ? FK_OK : bad(c, n, key, "must not be empty", NULL);
}

static fk_status get_str(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t cap)
{
    const char *s = fk_yaml_scalar(n);
    if (!s)
        return bad(c, n, key, "must be a string", NULL);
    if (strlen(s) >= cap)
        return bad(c, n, key, "is too long", NULL);
    strcpy(out, s);
    return FK_OK;
}

static fk_status get_int(ctx *c, const yaml_node_t *n, const char *key, long long lo, long long hi,
                         long long *out)
{
    const char *s = fk_yaml_scalar(n);
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno)
        return bad(c, n, key, "must be an integer, got '%s'", s ? s : "a collection");
    if (v < lo || v > hi) {
        char r[96];
        snprintf(r, sizeof r, "must be between %lld and %lld, got %lld", lo, hi, v);
        return bad(c, n, key, "%s", r);
    }
    *out = v;
    return FK_OK;
}

static fk_status get_float(ctx *c, const yaml_node_t *n, const char *key, float *out)
{
    const char *s = fk_yaml_scalar(n);
    char *end;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || !isfinite(v))
        return bad(c, n, key, "must be a number, got '%s'", s ? s : "a collection");
    *out = (float)v;
    return FK_OK;
}

static fk_status get_triple(ctx *c, const yaml_node_t *n, const char *key, float out[3], int positive)
{
    if (n->type != YAML_SEQUENCE_NODE ||
        n->data.sequence.items.top - n->data.sequence.items.start != 3)
        return bad(c, n, key, "must be a list of 3 numbers (R, G, B)", NULL);
    for (int i = 0; i < 3; i++) {
        yaml_node_t *it = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
        fk_status st = get_float(c, it, key, &out[i]);
        if (st)
            return st;
        if (positive && !(out[i] > 0))
            return bad(c, it, key, "values must be positive", NULL);
    }
    return FK_OK;
}

/* Iterates a mapping, calling fn for each key; unknown keys are refused by
 * fn. Also refuses duplicate keys, which YAML parsers silently merge. */
typedef fk_status (*pair_fn)(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                             int *seen);

static fk_status each_pair(ctx *c, yaml_node_t *map, const char *where, pair_fn fn, void *user,
                           int *seen)
{
    if (map->type != YAML_MAPPING_NODE)
        return bad(c, map, where, "must be a mapping of keys to values", NULL);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = fk_yaml_scalar(k);
        if (!ks)
            return fk_fail(c->e, FK_ERR_ARG, "%s:%d: keys must be plain strings", c->path, fk_yaml_line(k));
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const char *prev = fk_yaml_scalar(yaml_document_get_node(c->doc, q->key));
            if (prev && !strcmp(prev, ks))
                return fk_fail(c->e, FK_ERR_ARG, "%s:%d: key '%s' appears twice in '%s'", c->path,
                               fk_yaml_line(k), ks, where);
        }
        fk_status st = fn(c, ks, k, v, user, seen);
        if (st)
            return st;
    }
    return FK_OK;
}

enum { S_VERSION, S_PLUGIN, S_VARIANT, S_WEIGHTS, S_INPUT, S_OUTPUT, S_N };
enum { I_SIZE, I_RESIZE, I_CROP, I_SCALE, I_MEAN, I_STD, I_N };

static fk_status input_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                            int *seen)
{
    fk_config *cf = user;
    fk_preprocess *p = &cf->input;
    long long x;
    fk_status st;
    (void)k;
    if (!strcmp(key, "size")) {
        if ((st = get_int(c, v, key, 1, 4096, &x)))
            return st;
        p->size = (int)x;
        seen[I_SIZE] = 1;
    } else if (!strcmp(key, "resize")) {
        char s[64];
        if ((st = get_str(c, v, key, s, sizeof s)))
            return st;
        if (fk_resize_parse(s, &p->resize, NULL))
            return bad(c, v, key, "must be clean, legacy_pytorch, legacy_tensorflow, pil_bicubic, "
                                  "none or torch_bicubic_aa, got '%s'", s);
        seen[I_RESIZE] = 1;
    } else if (!strcmp(key, "crop")) {
        char s[64];
        if ((st = get_str(c, v, key, s, sizeof s)))
            return st;
        if (strcmp(s, "none") && strcmp(s, "center"))
            return bad(c, v, key, "must be none or center, got '%s'", s);
        p->center_crop = !strcmp(s, "center");
        seen[I_CROP] = 1;
    } else if (!strcmp(key, "scale")) {
        if ((st = get_float(c, v, key, &p->scale)))
            return st;
        if (!(p->scale > 0))
            return bad(c, v, key, "must be positive", NULL);
        seen[I_SCALE] = 1;
    } else if (!strcmp(key, "mean")) {
        if ((st = get_triple(c, v, key, p->mean, 0)))
            return st;
        seen[I_MEAN] = 1;
    } else if (!strcmp(key, "std")) {
        if ((st = get_triple(c, v, key, p->std, 1)))
            return st;
        seen[I_STD] = 1;
    } else {
        return bad(c, k, key, "is not a key of 'input' (size, resize, crop, scale, mean, std)", NULL);
    }
    return FK_OK;
}

/* 64 hex digits, kept in lower case. */
static fk_status get_sha256(ctx *c, const yaml_node_t *v, const char *key, char out[65])
{
    fk_status st = get_str(c, v, key, out, 65);
    if (st)
        return st;
    size_t n = strlen(out);
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)out[i]))
            return bad(c, v, key, "must be 64 hex digits", NULL);
        out[i] = (char)tolower((unsigned char)out[i]);
    }
    return n == 64 ? FK_OK : bad(c, v, key, "must be 64 hex digits", NULL);
}

/* One entry of weights.side_files: a file the plugin or a command needs
 * beside the weights (CLIP's merge list), fetched and verified as they are. */
static fk_status side_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                           int *seen)
{
    fk_config_file *f = user;
    fk_status st;
    long long x;
    (void)seen;
    if (!strcmp(key, "file")) {
        if ((st = get_str(c, v, key, f->file, sizeof f->file)))
            return st;
        if (!f->file[0] || strchr(f->file, '/'))
            return bad(c, v, key, "must be a bare file name, got '%s'", f->file);
    } else if (!strcmp(key, "sha256")) {
        return get_sha256(c, v, key, f->sha256);
    } else if (!strcmp(key, "source")) {
        return get_str(c, v, key, f->source, sizeof f->source);
    } else if (!strcmp(key, "size")) {
        if ((st = get_int(c, v, key, 1, (long long)1 << 50, &x)))
            return st;
        f->size = (int64_t)x;
    } else {
        return bad(c, k, key, "is not a key of a side file (file, sha256, source, size)", NULL);
    }
    return FK_OK;
}

static fk_status side_files(ctx *c, yaml_node_t *v, fk_config *cf)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return bad(c, v, "side_files", "must be a list of {file, sha256, source}", NULL);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        if (cf->n_side == FK_CONFIG_MAX_SIDE)
            return bad(c, v, "side_files", "has more than 4 entries", NULL);
        yaml_node_t *n = yaml_document_get_node(c->doc, *it);
        fk_config_file *f = &cf->side[cf->n_side];
        fk_status st = each_pair(c, n, "side_files", side_pair, f, NULL);
        if (st)
            return st;
        if (!f->file[0])
            return bad(c, n, "side_files", "entry needs 'file'", NULL);
        cf->n_side++;
    }
    return FK_OK;
}

static fk_status weights_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                              int *seen)
{
    fk_config *cf = user;
    fk_status st;
    long long x;
    (void)seen;
    if (!strcmp(key, "file")) {
        return get_str(c, v, key, cf->weights_file, sizeof cf->weights_file);
    } else if (!strcmp(key, "sha256")) {
        return get_sha256(c, v, key, cf->weights_sha256);
    } else if (!strcmp(key, "source")) {
        return get_str(c, v, key, cf->weights_source, sizeof cf->weights_source);
    } else if (!strcmp(key, "size")) {
        if ((st = get_int(c, v, key, 1, (long long)1 << 50, &x)))
            return st;
        cf->weights_size = (int64_t)x;
    } else if (!strcmp(key, "side_files")) {
        return side_files(c, v, cf);
    } else if (!strcmp(key, "random")) {
        if ((st = get_int(c, v, key, 0, (long long)1 << 62, &x)))
            return st;
        cf->random_weights = 1;
        cf->random_seed = (uint64_t)x;
    } else {
        return bad(c, k, key, "is not a key of 'weights' (file, sha256, source, size, side_files, "
                              "random)", NULL);
    }
    return FK_OK;
}

static fk_status option_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                             int *seen)
{
    fk_config *cf = user;
    (void)seen;
    if (cf->n_options == FK_CONFIG_MAX_OPTIONS)
        return bad(c, k, key, "is one option too many", NULL);
    fk_config_option *o = &cf->options[cf->n_options];
    if (strlen(key) >= sizeof o->key)
        return bad(c, k, key, "is too long a key", NULL);
    strcpy(o->key, key);
    o->line = fk_yaml_line(v);
    fk_status st = get_str(c, v, key, o->value, sizeof o->value);
    if (st)
        return st;
    cf->n_options++;
    return FK_OK;
}

static fk_status top_pair(ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *user,
                          int *seen)
{
    fk_config *cf = user;
    fk_status st;
    long long x;
    if (!strcmp(key, "fidkit_config")) {
        if ((st = get_int(c, v, key, 1, 1000, &x)))
            return st;
        if (x > FK_CONFIG_VERSION)
            return fk_fail(c->e, FK_ERR_UNSUPPORTED,
                           "%s:%d: config format %lld is newer than this fidkit reads (%d)",
                           c->path, fk_yaml_line(v), x, FK_CONFIG_VERSION);
        seen[S_VERSION] = 1;
    } else if (!strcmp(key, "plugin")) {
        if ((st = get_str(c, v, key, cf->plugin, sizeof cf->plugin)) ||
            (st = check_name(c, v, key, cf->plugin)))
            return st;
        seen[S_PLUGIN] = 1;
    } else if (!strcmp(key, "variant")) {
        if ((st = get_str(c, v, key, cf->variant, sizeof cf->variant)) ||
            (st = check_name(c, v, key, cf->variant)))
            return st;
        seen[S_VARIANT] = 1;
    } else if (!strcmp(key, "weights")) {
        if ((st = each_pair(c, v, "weights", weights_pair, cf, NULL)))
            return st;
        if (cf->random_weights && (cf->weights_file[0] || cf->weights_sha256[0]))
            return bad(c, v, key, "takes either 'random' or 'file' (and 'sha256'), not both", NULL);
        if (!cf->random_weights && !cf->weights_file[0])
            return bad(c, v, key, "needs 'file' (with 'sha256') or 'random: SEED'", NULL);
        seen[S_WEIGHTS] = 1;
    } else if (!strcmp(key, "input")) {
        int iseen[I_N] = {0};
        if ((st = each_pair(c, v, "input", input_pair, cf, iseen)))
            return st;
        static const char *const req[] = {"size", "resize", NULL, "scale", "mean", "std"};
        for (int i = 0; i < I_N; i++)
            if (req[i] && !iseen[i])
                return fk_fail(c->e, FK_ERR_ARG, "%s:%d: 'input' is missing the key '%s'", c->path,
                               fk_yaml_line(v), req[i]);
        seen[S_INPUT] = 1;
    } else if (!strcmp(key, "output")) {
        if ((st = get_str(c, v, key, cf->output, sizeof cf->output)) ||
            (st = check_name(c, v, key, cf->output)))
            return st;
        seen[S_OUTPUT] = 1;
    } else if (!strcmp(key, "device")) {
        if ((st = get_str(c, v, key, cf->device, sizeof cf->device)))
            return st;
        if (fk_device_parse(cf->device, NULL, NULL, NULL))
            return bad(c, v, key, "must be cpu, cuda, cuda:N or auto, got '%s'", cf->device);
    } else if (!strcmp(key, "precision")) {
        if ((st = get_str(c, v, key, cf->precision, sizeof cf->precision)))
            return st;
        if (fk_precision_parse(cf->precision, NULL))
            return bad(c, v, key, "must be fp32, tf32 or bf16, got '%s'", cf->precision);
    } else if (!strcmp(key, "cuda_batch_size")) {
        if ((st = get_int(c, v, key, 1, 65536, &x)))
            return st;
        cf->cuda_batch_size = (int)x;
    } else if (!strcmp(key, "matches")) {
        return get_str(c, v, key, cf->matches, sizeof cf->matches);
    } else if (!strcmp(key, "threads")) {
        if ((st = get_int(c, v, key, 0, 1024, &x)))
            return st;
        cf->threads = (int)x;
    } else if (!strcmp(key, "batch_size")) {
        if ((st = get_int(c, v, key, 1, 4096, &x)))
            return st;
        cf->batch_size = (int)x;
    } else if (!strcmp(key, "options")) {
        if (fk_yaml_scalar(v) && !*fk_yaml_scalar(v))
            return FK_OK; /* "options:" left empty */
        return each_pair(c, v, "options", option_pair, cf, NULL);
    } else {
        return bad(c, k, key, "is not a config key (fidkit_config, plugin, variant, weights, "
                              "input, output, device, precision, threads, batch_size, cuda_batch_size, "
                              "options, matches)", NULL);
    }
    return FK_OK;
}

/* $FIDKIT_DEVICE / $FIDKIT_PRECISION (set by --device / --precision). */
static fk_status env_overrides(fk_config *cf, fk_error *e)
{
    const char *d = getenv("FIDKIT_DEVICE"), *p = getenv("FIDKIT_PRECISION");
    if (d && *d) {
        if (fk_device_parse(d, NULL, NULL, e) || strlen(d) >= sizeof cf->device)
            return fk_fail(e, FK_ERR_ARG, "FIDKIT_DEVICE='%s' (or --device) must be cpu, cuda, "
                           "cuda:N or auto", d);
        snprintf(cf->device, sizeof cf->device, "%s", d);
    }
    if (p && *p) {
        if (fk_precision_parse(p, e))
            return fk_fail(e, FK_ERR_ARG, "FIDKIT_PRECISION='%s' (or --precision) must be fp32, "
                           "tf32 or bf16", p);
        snprintf(cf->precision, sizeof cf->precision, "%s", p);
    }
    return FK_OK;
}

fk_status fk_config_load(const char *path, fk_config *cf, fk_error *e)
{
    memset(cf, 0, sizeof *cf);
    snprintf(cf->path, sizeof cf->path, "%s", path);
    strcpy(cf->device, "cpu");
    strcpy(cf->precision, "fp32");
    cf->batch_size = 50;
    cf->input.resize = FK_RESIZE_CLEAN;

    yaml_document_t doc;
    fk_status lst = fk_yaml_load(path, "config", &doc, e);
    if (lst)
        return lst;

    ctx c = {path, &doc, e};
    fk_status st = FK_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int seen[S_N] = {0};
    if (!root)
        st = fk_fail(e, FK_ERR_ARG, "%s: the config is empty", path);
    else
        st = each_pair(&c, root, "the config", top_pair, cf, seen);
    static const char *const req[S_N] = {"fidkit_config", "plugin", "variant", "weights", "input",
                                         "output"};
    for (int i = 0; !st && i < S_N; i++)
        if (!seen[i])
            st = fk_fail(e, FK_ERR_ARG, "%s: missing key '%s'", path, req[i]);
    if (!st)
        st = env_overrides(cf, e);
    if (!st && cf->input.resize == FK_RESIZE_NONE && cf->input.center_crop)
        st = fk_fail(e, FK_ERR_ARG, "%s: 'crop: center' needs a resize mode other than none", path);
    yaml_document_delete(&doc);
    return st;
}

void fk_config_tag(const fk_config *c, const char *sha, fk_tag *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->backbone, sizeof t->backbone, "%s", c->plugin);
    snprintf(t->variant, sizeof t->variant, "%s", c->variant);
    snprintf(t->layer, sizeof t->layer, "%s", c->output);
    if (c->random_weights || !sha)
        snprintf(t->weights, sizeof t->weights, "random-%llu", (unsigned long long)c->random_seed);
    else
        snprintf(t->weights, sizeof t->weights, "%s", sha);
    t->input_size = c->input.size;
    snprintf(t->resize, sizeof t->resize, "%s%s", fk_resize_name(c->input.resize),
             c->input.center_crop ? "+center_crop" : "");
    fk_tag_set_norm(t, c->input.scale, c->input.mean, c->input.std);
    if (c->precision[0] && strcmp(c->precision, "fp32"))
        snprintf(t->prec, sizeof t->prec, "%s", c->precision);
}

int fk_config_batch_size(const fk_config *c)
{
    if (!strncmp(c->device, "cuda", 4))
        return c->cuda_batch_size > 0 ? c->cuda_batch_size : FK_CUDA_DEFAULT_BATCH;
    return c->batch_size > 0 ? c->batch_size : 50;
}

fk_status fk_sha256_file(const char *path, char hex[65], fk_error *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    SHA2_CTX ctx;
    SHA256Init(&ctx);
    static const size_t chunk = 1 << 20;
    unsigned char *buf = malloc(chunk);
    if (!buf) {
        fclose(f);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    size_t n;
    while ((n = fread(buf, 1, chunk, f)) > 0)
        SHA256Update(&ctx, buf, n);
    int err = ferror(f);
    fclose(f);
    free(buf);
    if (err)
        return fk_fail(e, FK_ERR_IO, "%s: read error", path);
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256Final(d, &ctx);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return FK_OK;
}
