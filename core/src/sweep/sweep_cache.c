/* Content keys of datasets: what the sweep cache is keyed on, so that a
 * changed dataset is extracted again and an unchanged one never is. */
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/dataset.h"
#include "fidkit/fcache.h"
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

/* The SHA-256 of the dataset's content key (fcache.h): kind, listing and a
 * hash of every byte of its files, never sizes or dates, so an edited file
 * with the same size and mtime is extracted again. */
fk_status sweep_dataset_key(const char *path, char hex[65], fk_error *e)
{
    char content[33], text[64];
    fk_status st = fk_dataset_content_key(path, NULL, content, NULL, e);
    if (st)
        return st;
    snprintf(text, sizeof text, "sweep-dataset/2 %s", content);
    sweep_sha256_str(text, hex);
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
