/* fidkit — datasets: where images come from, in a deterministic order.
 *
 * fk_dataset_open recognises, by what the path is:
 *   a folder        recursive, sorted by path (bytewise), files whose
 *                   extension (any case) is bmp jpg jpeg png ppm pgm tga gif
 *                   tif tiff webp;
 *   a .zip          image members sorted by name, read in memory (libzip),
 *                   never extracted;
 *   a .npz / .npy   uint8 NHWC samples (`arr_0` in an .npz, as ADM/DiT
 *                   sampling scripts write them), streamed, never loaded whole;
 *   a .txt list     one image path per line (relative to the list's folder);
 *   a .csv / .jsonl manifest of (image, caption) pairs for CLIP-Score.
 * Items of different sizes are normal: each is resized on its own. */
#ifndef FIDKIT_DATASET_H
#define FIDKIT_DATASET_H

#include <stdint.h>
#include "error.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_dataset fk_dataset;

typedef struct fk_dataset_options {
    int64_t limit;          /* keep at most this many items; 0 = all */
    int random_subset;      /* 1: the `limit` items are a seeded random subset
                               (kept in dataset order), else the first ones */
    uint64_t seed;
    const char *member;     /* .npz member holding samples; NULL = "arr_0" */
    fk_decode_options decode;
} fk_dataset_options;

fk_dataset_options fk_dataset_default_options(void);

fk_status fk_dataset_open(const char *path, const fk_dataset_options *o, fk_dataset **ds,
                          fk_error *e);
void fk_dataset_close(fk_dataset *ds);

int64_t fk_dataset_size(const fk_dataset *ds);
const char *fk_dataset_kind(const fk_dataset *ds);   /* "folder", "zip", "npz", ... */
const char *fk_dataset_path(const fk_dataset *ds);
/* For messages and reports: a file path, a zip member, or "arr_0[17]". */
const char *fk_dataset_item_name(const fk_dataset *ds, int64_t i);
/* The caption of item i of a manifest, else NULL. */
const char *fk_dataset_caption(const fk_dataset *ds, int64_t i);

/* Decodes item i to RGB. Safe to call from several threads at once; cheapest
 * in increasing i. Errors name the dataset item and the reason. */
fk_status fk_dataset_load(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
