/* The content key of a dataset (fcache.h): what the feature cache and the
 * sweep cache are keyed on, so an edited file is never served stale
 * whatever its size and mtime. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset/dataset_impl.h"
#include "fidkit/fcache.h"

static void put(fk_hash128 *h, const char *s)
{
    fk_hash128_update(h, s, strlen(s) + 1); /* with the NUL: "ab"+"c" differs from "a"+"bc" */
}

fk_status fk_dataset_content_key(const char *path, const fk_dataset_options *o, char hex[33],
                                 int64_t *bytes, fk_error *e)
{
    fk_dataset_options d = o ? *o : fk_dataset_default_options();
    d.shard_count = 0; /* the whole listing */
    fk_dataset *ds;
    fk_status st = fk_dataset_open(path, &d, &ds, e);
    if (st)
        return st;
    int64_t total = 0;
    fk_hash128 h;
    fk_hash128_init(&h);
    put(&h, "fidkit-dataset-key/1");
    put(&h, ds->kind);
    char num[64];
    snprintf(num, sizeof num, "%lld", (long long)ds->n);
    put(&h, num);
    /* Containers (zip, npz, npy): the whole file; the items are inside. */
    if (!ds->files)
        st = fk_hash128_file(&h, path, &total, e);
    for (int64_t i = 0; i < ds->n && !st; i++) {
        put(&h, ds->names[i]);
        if (ds->captions)
            put(&h, ds->captions[i] ? ds->captions[i] : "");
        if (ds->src) {
            snprintf(num, sizeof num, "%lld", (long long)ds->src[i]);
            put(&h, num);
        }
        if (ds->files) {
            int64_t before = total;
            st = fk_hash128_file(&h, ds->files[i], &total, e);
            snprintf(num, sizeof num, "%lld", (long long)(total - before));
            put(&h, num);
        }
    }
    fk_dataset_close(ds);
    if (st)
        return st;
    fk_hash128_hex(&h, hex);
    if (bytes)
        *bytes = total;
    return FK_OK;
}
