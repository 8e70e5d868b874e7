/* Datasets: opening by kind, limit / seeded subset, accessors, shared helpers. */
#include "dataset/dataset_impl.h"
#include "fidkit/fileio.h"
#include "fidkit/partials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

fk_dataset_options fk_dataset_default_options(void)
{
    fk_dataset_options o;
    memset(&o, 0, sizeof o);
    o.decode = fk_decode_default_options();
    return o;
}

/* ---- shared helpers ------------------------------------------------------ */

fk_status ds_strvec_push(ds_strvec *s, char *owned, fk_error *e)
{
    if (!owned)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory listing dataset items");
    if (s->n == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 64;
        char **v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(owned);
            return fk_fail(e, FK_ERR_NOMEM, "out of memory listing dataset items");
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    return FK_OK;
}

fk_status ds_strvec_pushdup(ds_strvec *s, const char *str, size_t len, fk_error *e)
{
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, str, len);
        c[len] = 0;
    }
    return ds_strvec_push(s, c, e);
}

void ds_strvec_free(ds_strvec *s)
{
    for (int64_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static const char *const image_exts[] = {"bmp", "jpg", "jpeg", "png", "ppm", "pgm",
                                         "tga", "gif", "tif", "tiff", "webp"};

int ds_is_image_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) /* ".png" is a hidden file without extension */
        return 0;
    for (size_t k = 0; k < sizeof image_exts / sizeof *image_exts; k++)
        if (strcasecmp(dot + 1, image_exts[k]) == 0)
            return 1;
    return 0;
}

char *ds_resolve(const char *listpath, const char *rel)
{
    if (rel[0] == '/')
        return strdup(rel);
    const char *slash = strrchr(listpath, '/');
    size_t dl = slash ? (size_t)(slash - listpath) : 0;
    size_t rl = strlen(rel);
    char *out = malloc(dl + rl + 3);
    if (!out)
        return NULL;
    if (slash) {
        memcpy(out, listpath, dl);
        out[dl] = '/';
        memcpy(out + dl + 1, rel, rl + 1);
    } else {
        memcpy(out, rel, rl + 1);
    }
    return out;
}

/* Lists and manifests: regular files (a FIFO is refused, not waited on) of
 * at most 1 GiB. */
fk_status ds_read_file(const char *path, char **buf, size_t *len, fk_error *e)
{
    return fk_read_file(path, (size_t)1 << 30, buf, len, e);
}

fk_status ds_load_file(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e)
{
    return fk_image_load(ds->files[i], &ds->decode, out, e);
}

/* ---- the seeded subset ----------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias: reject the low 2^64 mod bound
 * values, so the remaining range is a multiple of bound. */
static uint64_t uniform_below(uint64_t *state, uint64_t bound)
{
    uint64_t reject_below = (0 - bound) % bound;
    for (;;) {
        uint64_t r = splitmix64(state);
        if (r >= reject_below)
            return r % bound;
    }
}

void ds_select_subset(int64_t n, int64_t k, uint64_t seed, int64_t *keep)
{
    /* Knuth's selection sampling (Algorithm S): one pass, picks in increasing
     * order, each k-subset equally likely; integer-only so it is bit-exact on
     * every platform. */
    uint64_t state = seed;
    int64_t need = k, got = 0;
    for (int64_t i = 0; i < n && need > 0; i++) {
        if ((int64_t)uniform_below(&state, (uint64_t)(n - i)) < need) {
            keep[got++] = i;
            need--;
        }
    }
}

static void compact(char **v, const int64_t *keep, int64_t k, int64_t n)
{
    if (!v)
        return;
    int64_t j = 0;
    for (int64_t i = 0; i < n; i++) {
        if (j < k && keep[j] == i)
            v[j++] = v[i];
        else
            free(v[i]);
    }
}

static fk_status apply_selection(fk_dataset *ds, const fk_dataset_options *o, fk_error *e)
{
    if (o->limit < 0)
        return fk_fail(e, FK_ERR_ARG, "%s: limit %lld is negative", ds->path,
                       (long long)o->limit);
    if (o->limit == 0 || o->limit >= ds->n)
        return FK_OK;
    int64_t k = o->limit, n = ds->n;
    int64_t *keep = malloc((size_t)k * sizeof *keep);
    if (!keep)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory choosing a subset", ds->path);
    if (o->random_subset)
        ds_select_subset(n, k, o->seed, keep);
    else
        for (int64_t i = 0; i < k; i++)
            keep[i] = i;
    compact(ds->names, keep, k, n);
    compact(ds->files, keep, k, n);
    compact(ds->captions, keep, k, n);
    if (ds->src)
        for (int64_t j = 0; j < k; j++)
            ds->src[j] = ds->src[keep[j]];
    ds->n = k;
    free(keep);
    return FK_OK;
}

/* ---- shards ------------------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The listing's fingerprint, block count and this dataset's share; keeps
 * only the share's items. */
static fk_status apply_shard(fk_dataset *ds, const fk_dataset_options *o, fk_error *e)
{
    fk_dataset_listing *l = &ds->listing;
    /* Where the listing is (the canonical path: real and generated folders
     * often hold the same file names), what kind, and every name in order. */
    uint64_t h = 0xcbf29ce484222325ULL;
    char *where = realpath(ds->path, NULL);
    const char *w = where ? where : ds->path;
    h = fnv1a(h, w, strlen(w) + 1);
    free(where);
    h = fnv1a(h, ds->kind, strlen(ds->kind) + 1);
    for (int64_t i = 0; i < ds->n; i++) {
        const char *nm = ds->names ? ds->names[i] : "";
        h = fnv1a(h, nm, strlen(nm) + 1);
    }
    if (o->block < 0)
        return fk_fail(e, FK_ERR_ARG, "%s: block size %lld is negative", ds->path,
                       (long long)o->block);
    l->items = ds->n;
    l->block = o->block ? o->block : FK_BLOCK_DEFAULT;
    l->blocks = (ds->n + l->block - 1) / l->block;
    l->fingerprint = h;
    l->shard_index = 0;
    l->shard_count = 1;
    l->first_block = 0;
    l->n_blocks = l->blocks;
    l->first_item = 0;
    if (o->shard_count == 0)
        return FK_OK;
    if (o->shard_count < 0 || o->shard_index < 0 || o->shard_index >= o->shard_count)
        return fk_fail(e, FK_ERR_ARG, "%s: shard %d/%d: the index must be in 0..%d", ds->path,
                       o->shard_index, o->shard_count, o->shard_count - 1);
    int64_t b0 = (int64_t)o->shard_index * l->blocks / o->shard_count;
    int64_t b1 = ((int64_t)o->shard_index + 1) * l->blocks / o->shard_count;
    l->shard_index = o->shard_index;
    l->shard_count = o->shard_count;
    l->first_block = b0;
    l->n_blocks = b1 - b0;
    l->first_item = b0 * l->block;
    int64_t end = b1 * l->block < ds->n ? b1 * l->block : ds->n;
    int64_t k = end - l->first_item, n = ds->n;
    int64_t *keep = calloc((size_t)(k > 0 ? k : 1), sizeof *keep);
    if (!keep)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory choosing a shard", ds->path);
    for (int64_t i = 0; i < k; i++)
        keep[i] = l->first_item + i;
    compact(ds->names, keep, k, n);
    compact(ds->files, keep, k, n);
    compact(ds->captions, keep, k, n);
    if (ds->src)
        for (int64_t j = 0; j < k; j++)
            ds->src[j] = ds->src[keep[j]];
    ds->n = k;
    free(keep);
    return FK_OK;
}

/* ---- open / close ----------------------------------------------------------- */

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    return n > k && strcasecmp(path + n - k, ext) == 0;
}

fk_status fk_dataset_open(const char *path, const fk_dataset_options *o, fk_dataset **out,
                          fk_error *e)
{
    *out = NULL;
    fk_dataset_options defaults = fk_dataset_default_options();
    if (!o)
        o = &defaults;
    if (!path || !*path)
        return fk_fail(e, FK_ERR_ARG, "dataset path is empty");
    struct stat st;
    if (stat(path, &st) != 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open dataset: %s", path, strerror(errno));

    fk_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->path = strdup(path))) {
        free(ds);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    }
    ds->decode = o->decode;
    /* Strip trailing slashes so item paths read "dir/x.png", not "dir//x.png". */
    for (size_t l = strlen(ds->path); l > 1 && ds->path[l - 1] == '/'; l--)
        ds->path[l - 1] = 0;

    fk_status s;
    int is_npy = 0;
    if (S_ISDIR(st.st_mode))
        s = ds_open_folder(ds, e);
    else if (has_ext(path, ".zip"))
        s = ds_open_zip(ds, e);
    else if (has_ext(path, ".npz") || has_ext(path, ".npy")) {
        s = ds_open_npy(ds, o->member, e);
        is_npy = 1;
    } else if (has_ext(path, ".txt"))
        s = ds_open_list(ds, e);
    else if (has_ext(path, ".csv"))
        s = ds_open_csv(ds, e);
    else if (has_ext(path, ".jsonl"))
        s = ds_open_jsonl(ds, e);
    else
        s = fk_fail(e, FK_ERR_ARG,
                    "%s: not a dataset: expected a folder, .zip, .npz, .npy, .txt list, "
                    ".csv or .jsonl manifest",
                    path);
    if (s == FK_OK && ds->n == 0)
        s = fk_fail(e, FK_ERR_FORMAT, "%s: contains no images", path);
    if (s == FK_OK)
        s = apply_selection(ds, o, e);
    if (s == FK_OK && is_npy)
        s = ds_npy_name_items(ds, e);
    if (s == FK_OK)
        s = apply_shard(ds, o, e);
    if (s != FK_OK) {
        fk_dataset_close(ds);
        return s;
    }
    *out = ds;
    return FK_OK;
}

static void free_strings(char **v, int64_t n)
{
    if (!v)
        return;
    for (int64_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void fk_dataset_close(fk_dataset *ds)
{
    if (!ds)
        return;
    if (ds->ops && ds->ops->close)
        ds->ops->close(ds);
    free_strings(ds->names, ds->names ? ds->n : 0);
    free_strings(ds->files, ds->n);
    free_strings(ds->captions, ds->n);
    free(ds->src);
    free(ds->path);
    free(ds);
}

/* ---- accessors ------------------------------------------------------------ */

int64_t fk_dataset_size(const fk_dataset *ds) { return ds ? ds->n : 0; }
const fk_dataset_listing *fk_dataset_listing_of(const fk_dataset *ds) { return &ds->listing; }
const char *fk_dataset_kind(const fk_dataset *ds) { return ds ? ds->kind : NULL; }
const char *fk_dataset_path(const fk_dataset *ds) { return ds ? ds->path : NULL; }

const char *fk_dataset_item_name(const fk_dataset *ds, int64_t i)
{
    if (!ds || i < 0 || i >= ds->n || !ds->names)
        return NULL;
    return ds->names[i];
}

const char *fk_dataset_caption(const fk_dataset *ds, int64_t i)
{
    if (!ds || i < 0 || i >= ds->n || !ds->captions)
        return NULL;
    return ds->captions[i];
}

fk_status fk_dataset_load(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (!ds)
        return fk_fail(e, FK_ERR_ARG, "fk_dataset_load: no dataset");
    if (i < 0 || i >= ds->n)
        return fk_fail(e, FK_ERR_ARG, "%s: item %lld is out of range (%lld items)", ds->path,
                       (long long)i, (long long)ds->n);
    return ds->ops->load(ds, i, out, e);
}
