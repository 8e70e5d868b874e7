/* fidkit — datasets: where images come from, in a deterministic order.
 *
 * fk_dataset_open recognises, by what the path is (fk_dataset_kind):
 *   a folder        "folder": recursive, sorted bytewise (strcmp) by relative
 *                   path, files whose extension (any case) is bmp jpg jpeg png
 *                   ppm pgm tga gif tif tiff webp; other files are ignored;
 *                   links are followed, link loops are not entered twice;
 *   a .zip          "zip": image members (same extensions) sorted by name,
 *                   read in memory (libzip), never extracted;
 *   a .npz / .npy   "npz" / "npy": uint8 samples shaped (N, H, W, 3), also
 *                   (N, H, W) and (N, H, W, 1) as greyscale and (N, H, W, 4)
 *                   with alpha dropped; `arr_0` in an .npz by default, as
 *                   ADM/DiT sampling scripts write them; read a row at a time,
 *                   never loaded whole;
 *   a .txt list     "list": one image path per line, relative to the list's
 *                   folder, in the order written; blank lines and '#' lines
 *                   are ignored;
 *   a .csv / .jsonl "csv" / "jsonl": a manifest of (image, caption) pairs
 *                   (CSV: header row with columns `image` and `caption`, RFC
 *                   4180 quoting; JSONL: objects with "image" and "caption").
 * Items of different sizes are normal: each is resized on its own.
 *
 * limit / random_subset: the subset is chosen by selection sampling driven by
 * splitmix64(seed) (docs/datasets.md gives the exact algorithm), so it is the
 * same on every platform, and its items keep their dataset order.
 *
 * shard_index / shard_count: after limit / subset, the listing is cut into
 * blocks of `block` items (fidkit/partials.h) and shard I of K keeps blocks
 * [floor(I L / K), floor((I+1) L / K)) of the L blocks: contiguous, whole
 * blocks, the same on every machine. A shard may be empty (K > L). */
#ifndef FIDKIT_DATASET_H
#define FIDKIT_DATASET_H

#include "export.h"

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
    int shard_index;        /* keep shard I of shard_count (see above) */
    int shard_count;        /* 0: the whole listing */
    int64_t block;          /* items per block; 0 = FK_BLOCK_DEFAULT */
} fk_dataset_options;

/* What a dataset holds of its listing: a shard's place in the whole. */
typedef struct fk_dataset_listing {
    int64_t items;          /* items of the whole listing (after limit / subset) */
    int64_t block;          /* items per block */
    int64_t blocks;         /* ceil(items / block) */
    int shard_index, shard_count; /* 0 / 1 for the whole listing */
    int64_t first_block, n_blocks; /* the blocks this dataset holds */
    int64_t first_item;     /* first_block * block: item i here is first_item + i there */
    uint64_t fingerprint;   /* FNV-1a of the canonical path, the kind and every
                               item name in order */
} fk_dataset_listing;

FK_API fk_dataset_options fk_dataset_default_options(void);

FK_API fk_status fk_dataset_open(const char *path, const fk_dataset_options *o, fk_dataset **ds,
                                 fk_error *e);
FK_API void fk_dataset_close(fk_dataset *ds);

FK_API int64_t fk_dataset_size(const fk_dataset *ds);
/* The listing and this dataset's share of it. */
FK_API const fk_dataset_listing *fk_dataset_listing_of(const fk_dataset *ds);
FK_API const char *fk_dataset_kind(const fk_dataset *ds);   /* "folder", "zip", "npz", ... */
FK_API const char *fk_dataset_path(const fk_dataset *ds);
/* For messages and reports: the relative path (folder), the path as written
 * (list, manifest), the member (zip) or "arr_0[17]" with the row in the file
 * (npz; "name.npy[17]" for an .npy). NULL when i is out of range. */
FK_API const char *fk_dataset_item_name(const fk_dataset *ds, int64_t i);
/* The caption of item i of a manifest, else NULL. */
FK_API const char *fk_dataset_caption(const fk_dataset *ds, int64_t i);

/* Decodes item i to RGB. Safe to call from several threads at once; cheapest
 * in increasing i. Errors name the dataset item and the reason. */
FK_API fk_status fk_dataset_load(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
