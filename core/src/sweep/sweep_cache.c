/* Content keys of datasets: what the sweep cache is keyed on, so that a
 * changed dataset is extracted again and an unchanged one never is. */
#include <errno.h>
#include <libgen.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fidkit/dataset.h"
#include "sweep/sweep_internal.h"

static void hex_of(SHA2_CTX *c, char hex[65])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256Final(d, c);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void sweep_sha256_str(const char *s, char hex[65])
{
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, (const uint8_t *)s, strlen(s));
    hex_of(&c, hex);
}

static void add_stat(SHA2_CTX *c, const char *path)
{
    struct stat st;
    char buf[96];
    if (stat(path, &st))
        snprintf(buf, sizeof buf, "|missing");
    else
        snprintf(buf, sizeof buf, "|%lld|%lld.%09ld", (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    SHA256Update(c, (const uint8_t *)buf, strlen(buf));
}

/* Kind, then per item its name with size and mtime: of the item's own file
 * for folders and lists, of the container file for npy/npz/zip. */
fk_status sweep_dataset_key(const char *path, char hex[65], fk_error *e)
{
    fk_dataset_options o = fk_dataset_default_options();
    fk_dataset *ds;
    fk_status st = fk_dataset_open(path, &o, &ds, e);
    if (st)
        return st;
    struct stat top;
    int is_dir = !stat(path, &top) && S_ISDIR(top.st_mode);
    const char *kind = fk_dataset_kind(ds);
    int per_item = is_dir || !strcmp(kind, "list") || !strcmp(kind, "csv") || !strcmp(kind, "jsonl");
    char base[FK_SWEEP_PATH_MAX];
    snprintf(base, sizeof base, "%s", path);
    const char *dir = is_dir ? path : dirname(base);
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, (const uint8_t *)kind, strlen(kind));
    if (!is_dir)
        add_stat(&c, path);
    int64_t n = fk_dataset_size(ds);
    char full[2 * FK_SWEEP_PATH_MAX];
    for (int64_t i = 0; i < n; i++) {
        const char *name = fk_dataset_item_name(ds, i);
        SHA256Update(&c, (const uint8_t *)"\n", 1);
        SHA256Update(&c, (const uint8_t *)name, strlen(name));
        if (per_item) {
            if (name[0] == '/')
                snprintf(full, sizeof full, "%s", name);
            else
                snprintf(full, sizeof full, "%s/%s", dir, name);
            add_stat(&c, full);
        }
    }
    fk_dataset_close(ds);
    hex_of(&c, hex);
    return FK_OK;
}

void sweep_fmt_double(double v, char *buf, size_t n)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}
