/* fidkit — the feature cache: an extraction done once is not done again.
 *
 * fk_extract looks up every extraction of a whole dataset (not a shard, not
 * under an image hook, not shared among processes) in a cache folder and,
 * on a miss, stores what it computed: per output the tag, N, the moments
 * and, when the caller kept them, the rows. A later extraction of the same
 * content through the same ruler reads the entry instead of running the
 * backbone: `fid`, `score`, `is`, `clipscore`, `stats`, `extract`, sweeps.
 *
 * The key is content, never dates: the dataset's kind and listing (every
 * item's name and size, manifests' captions), a 128-bit hash of every byte
 * of every item file (of the container for zip/npz/npy), the dataset,
 * decode and loader options that change the rows (limit, subset, seed,
 * member, 16-bit greyscale rule, pixel cap, skip-bad, block, batch size),
 * the bytes of the config file, the preprocessing it resolved to, and each
 * output's full tag (weights SHA-256 in 64 digits) and dimension. An edited
 * file with the same size and mtime therefore misses.
 *
 * Folder: $FIDKIT_CACHE_DIR, else $XDG_CACHE_HOME/fidkit, else
 * ~/.cache/fidkit; entries are KEY.npz (npz: `meta` JSON, `mean_K`, `m2_K`,
 * `rows_K`), written atomically. An unreadable entry, or one whose recorded
 * key differs, is ignored with a warning on stderr and recomputed.
 * FIDKIT_NO_CACHE=1 (or fk_extract_options.no_cache) turns it off. */
#ifndef FIDKIT_FCACHE_H
#define FIDKIT_FCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A streaming 128-bit non-cryptographic hash (4 x 64-bit multiply-rotate
 * lanes over 32-byte stripes; memory speed). Not for adversaries: for
 * telling an edited file from its old self. */
typedef struct fk_hash128 {
    uint64_t lane[4];
    uint64_t total;
    uint8_t buf[32];
    int nbuf;
} fk_hash128;

FK_API void fk_hash128_init(fk_hash128 *h);
FK_API void fk_hash128_update(fk_hash128 *h, const void *data, size_t n);
/* 32 hex digits and a NUL. */
FK_API void fk_hash128_hex(const fk_hash128 *h, char hex[33]);
/* Feeds a file's bytes (read in 1 MiB blocks); *bytes += its size. */
FK_API fk_status fk_hash128_file(fk_hash128 *h, const char *path, int64_t *bytes, fk_error *e);

/* The content key of a dataset opened with o (NULL: defaults): kind,
 * listing and the hash of every byte, as 32 hex digits; bytes (may be
 * NULL) receives how many bytes were hashed. */
FK_API fk_status fk_dataset_content_key(const char *path, const fk_dataset_options *o, char hex[33],
                                        int64_t *bytes, fk_error *e);

/* The cache folder (not created). */
FK_API fk_status fk_cache_dir(char *buf, size_t n, fk_error *e);
/* 0 when FIDKIT_NO_CACHE is set to anything but "" or "0". */
FK_API int fk_cache_enabled(void);

typedef struct fk_cache_entry {
    char file[1100];       /* the entry's path */
    char dataset[1024];    /* the dataset it was extracted from */
    char tag[320];         /* the first output's full tag */
    int n_outputs;
    int64_t n;             /* rows of the first output */
    int has_rows;          /* 1: rows stored, 0: moments only */
    int64_t bytes;         /* size of the entry */
    int64_t created;       /* seconds since the epoch */
    int readable;          /* 0: corrupt (ls shows it, the next use rewrites it) */
} fk_cache_entry;

/* Entries of dir (NULL: fk_cache_dir), newest first; *entries malloc'ed.
 * A missing folder is an empty list. */
FK_API fk_status fk_cache_list(const char *dir, fk_cache_entry **entries, int *n, fk_error *e);
/* Removes every entry (and stale temporary file) of dir (NULL: the cache). */
FK_API fk_status fk_cache_clear(const char *dir, int *removed, int64_t *bytes, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
