/* A zip archive of images (StyleGAN's dataset_tool, clean-fid): image members
 * sorted bytewise by name, read into memory, never extracted.
 *
 * A libzip archive handle is not thread-safe, so reads are serialised by a
 * mutex; decoding, the expensive part, runs outside it. */
#include "dataset/dataset_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* Bounds on what an archive may make fidkit allocate (docs/robustness.md):
 * a member's inflated size, its inflation ratio once it is past a size
 * where compressing pays, and the number of members. A zip bomb is refused
 * on its declared sizes, before anything is inflated; a member that
 * inflates to more than it declares is never read past its declaration. */
#define MAX_MEMBER_BYTES ((zip_uint64_t)256 << 20)
#define RATIO_FROM_BYTES ((zip_uint64_t)1 << 20)
#define MAX_RATIO 200
#define MAX_MEMBERS ((zip_int64_t)1 << 24)

typedef struct zip_priv {
    zip_t *za;
    pthread_mutex_t lock;
} zip_priv;

typedef struct member {
    const char *name;
    zip_uint64_t index;
} member;

static int cmp_member(const void *a, const void *b)
{
    const member *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Reads member `index` whole, under the archive lock. */
static fk_status read_member(fk_dataset *ds, zip_priv *z, zip_uint64_t index, const char *name,
                             uint8_t **buf, size_t *len, fk_error *e)
{
    fk_status s = FK_OK;
    uint8_t *b = NULL;
    zip_int64_t got = 0;
    pthread_mutex_lock(&z->lock);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z->za, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s: %s", ds->path, name,
                    zip_strerror(z->za));
    } else if (st.size > MAX_MEMBER_BYTES) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s declares %llu bytes, more than the %llu "
                    "an image may have (a zip bomb?)", ds->path, name,
                    (unsigned long long)st.size, (unsigned long long)MAX_MEMBER_BYTES);
    } else if ((st.valid & ZIP_STAT_COMP_SIZE) && st.size > RATIO_FROM_BYTES &&
               st.size / (st.comp_size ? st.comp_size : 1) > MAX_RATIO) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s inflates %llu bytes to %llu, more than %d "
                    "times (a zip bomb?)", ds->path, name, (unsigned long long)st.comp_size,
                    (unsigned long long)st.size, MAX_RATIO);
    } else if (!(b = malloc(st.size ? (size_t)st.size : 1))) {
        s = fk_fail(e, FK_ERR_NOMEM, "%s: member %s: out of memory (%llu bytes)", ds->path,
                    name, (unsigned long long)st.size);
    } else {
        zip_file_t *f = zip_fopen_index(z->za, index, 0);
        if (!f) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s: %s", ds->path, name,
                        zip_strerror(z->za));
        } else {
            got = zip_fread(f, b, st.size);
            if (got < 0 || (zip_uint64_t)got != st.size)
                s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s: %s", ds->path, name,
                            got < 0 ? zip_file_strerror(f) : "shorter than its declared size");
            /* zip_fclose reports a CRC mismatch only here. */
            int rc = zip_fclose(f);
            if (s == FK_OK && rc != 0)
                s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s: damaged (%s)", ds->path, name,
                            zip_error_strerror(zip_get_error(z->za)));
        }
    }
    pthread_mutex_unlock(&z->lock);
    if (s != FK_OK) {
        free(b);
        return s;
    }
    *buf = b;
    *len = (size_t)got;
    return FK_OK;
}

static fk_status zip_load(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e)
{
    zip_priv *z = ds->priv;
    uint8_t *buf;
    size_t len;
    fk_status s = read_member(ds, z, (zip_uint64_t)ds->src[i], ds->names[i], &buf, &len, e);
    if (s != FK_OK)
        return s;
    /* The name for messages carries the archive; it still ends in the
     * member's extension, which the decoder may use. */
    size_t la = strlen(ds->path), lm = strlen(ds->names[i]);
    char *label = malloc(la + lm + 2);
    if (!label) {
        free(buf);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    }
    memcpy(label, ds->path, la);
    label[la] = ':';
    memcpy(label + la + 1, ds->names[i], lm + 1);
    s = fk_image_decode(buf, len, label, &ds->decode, out, e);
    free(label);
    free(buf);
    return s;
}

static void zip_close_priv(fk_dataset *ds)
{
    zip_priv *z = ds->priv;
    if (!z)
        return;
    zip_discard(z->za);
    pthread_mutex_destroy(&z->lock);
    free(z);
    ds->priv = NULL;
}

static const ds_ops zip_ops = {zip_load, zip_close_priv};

fk_status ds_open_zip(fk_dataset *ds, fk_error *e)
{
    ds->kind = "zip";
    int zerr = 0;
    zip_t *za = zip_open(ds->path, ZIP_RDONLY, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        fk_status s = fk_fail(e, FK_ERR_FORMAT, "%s: cannot open zip archive: %s", ds->path,
                              zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return s;
    }
    zip_priv *z = calloc(1, sizeof *z);
    if (!z) {
        zip_discard(za);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    }
    z->za = za;
    pthread_mutex_init(&z->lock, NULL);
    ds->priv = z;
    ds->ops = &zip_ops;

    zip_int64_t count = zip_get_num_entries(za, 0);
    if (count > MAX_MEMBERS)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %lld members, more than the %lld fidkit reads",
                       ds->path, (long long)count, (long long)MAX_MEMBERS);
    member *m = malloc((size_t)(count > 0 ? count : 1) * sizeof *m);
    if (!m)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    int64_t k = 0;
    for (zip_int64_t j = 0; j < count; j++) {
        const char *nm = zip_get_name(za, (zip_uint64_t)j, 0);
        size_t l = nm ? strlen(nm) : 0;
        if (!nm || l == 0 || nm[l - 1] == '/' || !ds_is_image_name(nm))
            continue;
        m[k].name = nm; /* valid while the archive is open and unchanged */
        m[k].index = (zip_uint64_t)j;
        k++;
    }
    qsort(m, (size_t)k, sizeof *m, cmp_member);
    fk_status s = FK_OK;
    ds->names = calloc((size_t)(k ? k : 1), sizeof *ds->names);
    ds->src = malloc((size_t)(k ? k : 1) * sizeof *ds->src);
    if (!ds->names || !ds->src)
        s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    for (int64_t i = 0; s == FK_OK && i < k; i++) {
        ds->names[i] = strdup(m[i].name);
        ds->src[i] = (int64_t)m[i].index;
        ds->n = i + 1; /* so that close frees what exists */
        if (!ds->names[i])
            s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    }
    free(m);
    return s;
}
