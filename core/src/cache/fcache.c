/* The feature cache (fcache.h): keys, entries, listing and clearing. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "cache/fcache_internal.h"
#include "fidkit/fcache.h"
#include "fidkit/npz.h"
#include "fidkit/resize.h"

int fk_cache_enabled(void)
{
    const char *v = getenv("FIDKIT_NO_CACHE");
    return !v || !*v || !strcmp(v, "0");
}

fk_status fk_cache_dir(char *buf, size_t n, fk_error *e)
{
    if (!fk_user_dir("FIDKIT_CACHE_DIR", "XDG_CACHE_HOME", ".cache", "fidkit", buf, n))
        return fk_fail(e, FK_ERR_IO, "no cache folder: set FIDKIT_CACHE_DIR (or HOME), or it "
                       "is too long");
    return FK_OK;
}

/* ---- keys ------------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char line[2048];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap ? 2 * t->cap : 1024) + (size_t)n;
        char *s = realloc(t->s, cap);
        if (!s)
            return;
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

int fk__cache_wanted(const fk_extract_options *o)
{
    /* Disturbed images are not the dataset's: the key would not tell them
     * apart (perturbations are options of fk_extract, not only hooks). */
    return !o->no_cache && fk_cache_enabled() && o->dataset.shard_count == 0 && !o->parallel &&
           !o->loader.hook && (o->perturb.kind == FK_PERTURB_NONE || o->perturb.level == 0);
}

fk_status fk__cache_key(fk_backbone *b, const char *dataset, const fk_extract_options *o,
                        int batch_size, fk_cache_key *k, fk_error *e)
{
    memset(k, 0, sizeof *k);
    char dir[1024], hex[33], cfg_hex[33];
    int64_t bytes = 0, cfg_bytes = 0;
    fk_status st = fk_cache_dir(dir, sizeof dir, e);
    if (!st)
        st = fk_dataset_content_key(dataset, &o->dataset, hex, &bytes, e);
    const fk_config *c = fk_backbone_config(b);
    fk_hash128 ch;
    fk_hash128_init(&ch);
    if (!st)
        st = fk_hash128_file(&ch, c->path, &cfg_bytes, e);
    if (st)
        return st;
    fk_hash128_hex(&ch, cfg_hex);
    const fk_dataset_options *d = &o->dataset;
    const fk_preprocess *p = &c->input;
    text t = {0};
    add(&t, "fidkit-fcache/1\ndataset %s\n", hex);
    add(&t, "limit %lld subset %d seed %llu member %s block %lld\n", (long long)d->limit,
        d->random_subset, (unsigned long long)d->seed, d->member ? d->member : "arr_0",
        (long long)d->block);
    add(&t, "decode gray16_pil %d max_pixels %lld skip_bad %d batch %d\n",
        d->decode.gray16_pil_clip, (long long)d->decode.max_pixels, o->loader.skip_bad,
        batch_size);
    add(&t, "config %s\n", cfg_hex);
    add(&t, "input %d %s crop %d scale %.9g mean %.9g %.9g %.9g std %.9g %.9g %.9g device %s\n",
        p->size, fk_resize_name(p->resize), p->center_crop, p->scale, p->mean[0], p->mean[1],
        p->mean[2], p->std[0], p->std[1], p->std[2], c->device);
    int nout = fk_backbone_n_outputs(b);
    for (int i = 0; i < nout; i++) {
        fk_tag tag;
        char ts[FK_TAG_STR_MAX];
        fk_backbone_tag(b, i, &tag);
        add(&t, "output %s d %d tag %s\n", fk_backbone_output_name(b, i),
            fk_backbone_output_dim(b, i), fk_tag_str(&tag, 0, ts, sizeof ts));
    }
    if (!t.s)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    SHA2_CTX sc;
    uint8_t dg[SHA256_DIGEST_LENGTH];
    SHA256Init(&sc);
    SHA256Update(&sc, (const uint8_t *)t.s, t.len);
    SHA256Final(dg, &sc);
    char name[65];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(name + 2 * i, 3, "%02x", dg[i]);
    snprintf(k->dir, sizeof k->dir, "%s", dir);
    snprintf(k->file, sizeof k->file, "%s/%.40s.npz", dir, name);
    k->text = t.s;
    k->bytes_hashed = bytes;
    return FK_OK;
}

void fk__cache_key_free(fk_cache_key *k)
{
    free(k->text);
    k->text = NULL;
}

/* ---- entries ---------------------------------------------------------- */

static void warn(const char *file, const fk_error *e, const char *what)
{
    fprintf(stderr, "fidkit: warning: feature cache entry %s %s (%s): %s\n", file, what,
            e ? e->msg : "", "extracting again");
}

static cJSON *read_meta(const char *file, fk_error *e)
{
    fk_array a;
    if (fk_npz_load(file, "meta", &a, e))
        return NULL;
    cJSON *j = NULL;
    if (a.dtype == FK_U8 && a.ndim == 1)
        j = cJSON_ParseWithLength((const char *)a.data, (size_t)a.shape[0]);
    if (!j)
        fk_fail(e, FK_ERR_FORMAT, "%s: the entry's meta is not JSON", file);
    fk_array_free(&a);
    return j;
}

static int64_t num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

static fk_status load_array(const char *file, const char *name, int k, fk_dtype dt, int64_t n0,
                            int64_t n1, void **data, fk_error *e)
{
    char m[32];
    snprintf(m, sizeof m, "%s_%d", name, k);
    fk_array a;
    fk_status st = fk_npz_load(file, m, &a, e);
    if (st)
        return st;
    int ok = a.dtype == dt && ((n1 < 0 && a.ndim == 1 && a.shape[0] == n0) ||
                               (n1 >= 0 && a.ndim == 2 && a.shape[0] == n0 && a.shape[1] == n1));
    if (!ok) {
        fk_array_free(&a);
        return fk_fail(e, FK_ERR_FORMAT, "%s: member %s has the wrong type or shape", file, m);
    }
    *data = a.data;
    return FK_OK;
}

int fk__cache_load(const fk_cache_key *k, fk_backbone *b, int keep_rows, fk_feature_set *sets)
{
    struct stat sb;
    if (stat(k->file, &sb))
        return 0;
    fk_error e = {0};
    cJSON *j = read_meta(k->file, &e);
    if (!j) {
        warn(k->file, &e, "is unreadable");
        return 0;
    }
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(j, "key");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(j, "outputs");
    int nout = fk_backbone_n_outputs(b);
    int has_rows = num(j, "rows") == 1;
    if (!cJSON_IsString(key) || strcmp(key->valuestring, k->text) || !cJSON_IsArray(outs) ||
        cJSON_GetArraySize(outs) != nout) {
        cJSON_Delete(j);
        fk_fail(&e, FK_ERR_FORMAT, "its recorded key differs");
        warn(k->file, &e, "does not match");
        return 0;
    }
    if (keep_rows && !has_rows) { /* moments only: extract again, with rows */
        cJSON_Delete(j);
        return 0;
    }
    memset(sets, 0, (size_t)nout * sizeof *sets);
    fk_status st = FK_OK;
    for (int i = 0; i < nout && !st; i++) {
        fk_feature_set *s = &sets[i];
        const cJSON *oi = cJSON_GetArrayItem(outs, i);
        fk_backbone_tag(b, i, &s->tag);
        s->d = fk_backbone_output_dim(b, i);
        s->n = num(oi, "n");
        s->skipped = num(oi, "skipped");
        const cJSON *L = cJSON_GetObjectItemCaseSensitive(oi, "listing");
        s->listing.items = num(L, "items");
        s->listing.block = num(L, "block");
        s->listing.blocks = num(L, "blocks");
        s->listing.shard_count = 1;
        s->listing.n_blocks = s->listing.blocks;
        const cJSON *fp = cJSON_GetObjectItemCaseSensitive(L, "fingerprint");
        if (cJSON_IsString(fp))
            s->listing.fingerprint = strtoull(fp->valuestring, NULL, 16);
        if (s->n < 1 || num(oi, "d") != s->d) {
            st = fk_fail(&e, FK_ERR_FORMAT, "output %d: bad n or d", i);
            break;
        }
        void *mean = NULL, *m2 = NULL, *rows = NULL;
        if ((st = fk_moments_init(&s->moments, s->d, &e)) ||
            (st = fk_partials_init(&s->parts, s->d, &e)) ||
            (st = load_array(k->file, "mean", i, FK_F64, s->d, -1, &mean, &e)) ||
            (st = load_array(k->file, "m2", i, FK_F64, s->d, s->d, &m2, &e))) {
            free(mean);
            break;
        }
        memcpy(s->moments.mean, mean, (size_t)s->d * sizeof(double));
        memcpy(s->moments.m2, m2, (size_t)s->d * s->d * sizeof(double));
        s->moments.n = s->n;
        free(mean);
        free(m2);
        if (keep_rows) {
            if ((st = load_array(k->file, "rows", i, FK_F32, s->n, s->d, &rows, &e)))
                break;
            s->rows = rows;
        }
        s->cache = FK_CACHE_HIT;
    }
    cJSON_Delete(j);
    if (st) {
        for (int i = 0; i < nout; i++)
            fk_feature_set_free(&sets[i]);
        warn(k->file, &e, "is unreadable");
        return 0;
    }
    return 1;
}

void fk__cache_store(const fk_cache_key *k, fk_backbone *b, const char *dataset,
                     fk_feature_set *sets)
{
    fk_error e = {0};
    int nout = fk_backbone_n_outputs(b);
    int has_rows = 1;
    for (int i = 0; i < nout; i++)
        has_rows &= sets[i].rows != NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "fidkit-fcache/1");
    cJSON_AddStringToObject(j, "key", k->text);
    cJSON_AddStringToObject(j, "dataset", dataset);
    cJSON_AddNumberToObject(j, "created", (double)time(NULL));
    cJSON_AddNumberToObject(j, "rows", has_rows);
    cJSON_AddNumberToObject(j, "bytes_hashed", (double)k->bytes_hashed);
    cJSON *outs = cJSON_AddArrayToObject(j, "outputs");
    for (int i = 0; i < nout; i++) {
        const fk_feature_set *s = &sets[i];
        char ts[FK_TAG_STR_MAX], fp[20];
        cJSON *oi = cJSON_CreateObject();
        cJSON_AddStringToObject(oi, "output", fk_backbone_output_name(b, i));
        cJSON_AddStringToObject(oi, "tag", fk_tag_str(&s->tag, 0, ts, sizeof ts));
        cJSON_AddNumberToObject(oi, "n", (double)s->n);
        cJSON_AddNumberToObject(oi, "d", s->d);
        cJSON_AddNumberToObject(oi, "skipped", (double)s->skipped);
        cJSON *L = cJSON_AddObjectToObject(oi, "listing");
        cJSON_AddNumberToObject(L, "items", (double)s->listing.items);
        cJSON_AddNumberToObject(L, "block", (double)s->listing.block);
        cJSON_AddNumberToObject(L, "blocks", (double)s->listing.blocks);
        snprintf(fp, sizeof fp, "%016llx", (unsigned long long)s->listing.fingerprint);
        cJSON_AddStringToObject(L, "fingerprint", fp);
        cJSON_AddItemToArray(outs, oi);
    }
    char *meta = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    fk_npz_writer *w = NULL;
    fk_status st = meta ? fk_mkdir_p(k->dir, 0777, &e) : fk_fail(&e, FK_ERR_NOMEM, "out of memory");
    if (!st)
        st = fk_npz_writer_open(&w, k->file, 0, &e);
    fk_array ma = {FK_U8, 1, {meta ? (int64_t)strlen(meta) : 0}, meta};
    if (!st)
        st = fk_npz_writer_add(w, "meta", &ma, &e);
    char names[3][16][32];
    for (int i = 0; i < nout && !st; i++) {
        const fk_feature_set *s = &sets[i];
        fk_array a[3] = {{FK_F64, 1, {s->d}, s->moments.mean},
                         {FK_F64, 2, {s->d, s->d}, s->moments.m2},
                         {FK_F32, 2, {s->n, s->d}, s->rows}};
        static const char *const base[3] = {"mean", "m2", "rows"};
        for (int q = 0; q < (has_rows ? 3 : 2) && !st; q++) {
            snprintf(names[q][i], sizeof names[q][i], "%s_%d", base[q], i);
            st = fk_npz_writer_add(w, names[q][i], &a[q], &e);
        }
    }
    if (w)
        st = st ? (fk_npz_writer_abort(w), st) : fk_npz_writer_commit(w, &e);
    free(meta);
    if (st)
        fprintf(stderr, "fidkit: warning: cannot write the feature cache entry %s: %s\n", k->file,
                e.msg);
    else
        for (int i = 0; i < nout; i++)
            sets[i].cache = FK_CACHE_STORED;
}

/* ---- ls and clear ----------------------------------------------------- */

static int is_entry(const char *name)
{
    size_t l = strlen(name);
    return l == 44 && !strcmp(name + 40, ".npz") && strspn(name, "0123456789abcdef") == 40;
}

static int newest_first(const void *a, const void *b)
{
    const fk_cache_entry *x = a, *y = b;
    return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->file, y->file);
}

fk_status fk_cache_list(const char *dir, fk_cache_entry **entries, int *n, fk_error *e)
{
    *entries = NULL;
    *n = 0;
    char def[1024];
    if (!dir) {
        fk_status st = fk_cache_dir(def, sizeof def, e);
        if (st)
            return st;
        dir = def;
    }
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? FK_OK
                               : fk_fail(e, FK_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *de;
    int cap = 0;
    fk_status st = FK_OK;
    while ((de = readdir(d)) && !st) {
        if (!is_entry(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            fk_cache_entry *v = realloc(*entries, (size_t)cap * sizeof *v);
            if (!v) {
                st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
                break;
            }
            *entries = v;
        }
        fk_cache_entry *x = &(*entries)[(*n)++];
        memset(x, 0, sizeof *x);
        snprintf(x->file, sizeof x->file, "%.1000s/%.44s", dir, de->d_name);
        struct stat sb;
        if (!stat(x->file, &sb)) {
            x->bytes = (int64_t)sb.st_size;
            x->created = (int64_t)sb.st_mtime;
        }
        fk_error ig;
        cJSON *j = read_meta(x->file, &ig);
        const cJSON *outs = j ? cJSON_GetObjectItemCaseSensitive(j, "outputs") : NULL;
        const cJSON *o0 = cJSON_GetArrayItem(outs, 0);
        const cJSON *ds = j ? cJSON_GetObjectItemCaseSensitive(j, "dataset") : NULL;
        const cJSON *tg = o0 ? cJSON_GetObjectItemCaseSensitive(o0, "tag") : NULL;
        if (cJSON_IsString(ds) && cJSON_IsString(tg)) {
            x->readable = 1;
            snprintf(x->dataset, sizeof x->dataset, "%s", ds->valuestring);
            snprintf(x->tag, sizeof x->tag, "%s", tg->valuestring);
            x->n_outputs = cJSON_GetArraySize(outs);
            x->n = num(o0, "n");
            x->has_rows = num(j, "rows") == 1;
            if (num(j, "created") > 0)
                x->created = num(j, "created");
        }
        cJSON_Delete(j);
    }
    closedir(d);
    if (st) {
        free(*entries);
        *entries = NULL;
        *n = 0;
        return st;
    }
    if (*n > 1)
        qsort(*entries, (size_t)*n, sizeof **entries, newest_first);
    return FK_OK;
}

fk_status fk_cache_clear(const char *dir, int *removed, int64_t *bytes, fk_error *e)
{
    *removed = 0;
    *bytes = 0;
    char def[1024];
    if (!dir) {
        fk_status st = fk_cache_dir(def, sizeof def, e);
        if (st)
            return st;
        dir = def;
    }
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? FK_OK
                               : fk_fail(e, FK_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *de;
    char path[1400];
    fk_status st = FK_OK;
    while ((de = readdir(d))) {
        int temp = de->d_name[0] == '.' && strstr(de->d_name, ".npz.tmp-");
        if (!is_entry(de->d_name) && !temp)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        int64_t sz = stat(path, &sb) ? 0 : (int64_t)sb.st_size;
        if (unlink(path)) {
            st = fk_fail(e, FK_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
            break;
        }
        if (!temp)
            (*removed)++;
        *bytes += sz;
    }
    closedir(d);
    return st;
}
