/* fidkit — backbone configs: one YAML file per backbone variant, naming the
 * plugin, its weights and every preprocessing choice, so that a score's tag
 * follows from the file.
 *
 *     fidkit_config: 1              # format version
 *     plugin: inception_v3          # plugin file stem
 *     variant: fid
 *     weights:
 *       file: pt_inception-2015-12-05-6726825d.pth   # or a path
 *       sha256: 6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2
 *       source: https://...         # where `fidkit weights fetch` gets it
 *       size: 95628359              # bytes, optional (a bound on the download)
 *       side_files:                 # optional: files a command needs beside
 *         - file: bpe_simple_vocab_16e6.txt.gz      # the weights, bare names,
 *           sha256: 9246...                          # fetched and looked for
 *           source: https://...                      # as the weights are
 *     # or   weights: {random: 0}   # seeded random weights, tagged random-0
 *     input:
 *       size: 299
 *       resize: legacy_pytorch      # clean | legacy_pytorch | legacy_tensorflow
 *                                   # | pil_bicubic | none
 *       crop: none                  # none | center
 *       scale: 0.00392156862745098  # y = (x * scale - mean) / std, x in 0..255
 *       mean: [0.5, 0.5, 0.5]
 *       std: [0.5, 0.5, 0.5]
 *     output: pool3                 # the layer whose features are scored
 *     device: cpu                   # cpu | cuda | cuda:N | auto (device.h)
 *     precision: fp32               # fp32 | tf32 | bf16 (tf32/bf16: CUDA only)
 *     threads: 0                    # 0: $OMP_NUM_THREADS, else all CPUs
 *     batch_size: 50
 *     cuda_batch_size: 200          # on a CUDA device (default FK_CUDA_DEFAULT_BATCH)
 *     options: {}                   # plugin-specific, checked against the plugin
 *
 * $FIDKIT_DEVICE and $FIDKIT_PRECISION, when set, replace the file's device
 * and precision (they are checked as the keys are).
 *
 * Unknown keys, missing keys and values of the wrong type are errors naming
 * the file, the line and the key.
 *
 * A bare weights file name is looked for in $FIDKIT_WEIGHTS_PATH (a colon
 * list), $XDG_CACHE_HOME/fidkit (or ~/.cache/fidkit), /usr/share/fidkit/weights
 * and the config's folder; a name with a '/' is taken relative to the
 * config's folder. */
#ifndef FIDKIT_CONFIG_H
#define FIDKIT_CONFIG_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "resize.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FK_CONFIG_VERSION 1
#define FK_CONFIG_MAX_OPTIONS 32
#define FK_CONFIG_MAX_SIDE 4

/* A file named by a config: weights.side_files entries. */
typedef struct fk_config_file {
    char file[1024];     /* a bare name (the weights file: as written) */
    char sha256[65];     /* lower case; may be empty (then never fetched) */
    char source[512];    /* URL; may be empty */
    int64_t size;        /* bytes; 0: not given */
} fk_config_file;

typedef struct fk_config_option {
    char key[64];
    char value[512];   /* YAML scalar text */
    int line;
} fk_config_option;

typedef struct fk_config {
    char path[1024];
    char plugin[64];
    char variant[64];
    int random_weights;
    uint64_t random_seed;
    char weights_file[1024];    /* as written */
    char weights_sha256[65];    /* as written, lower case; may be empty */
    char weights_source[512];   /* where users get the file; may be empty */
    int64_t weights_size;       /* bytes; 0: not given */
    int n_side;
    fk_config_file side[FK_CONFIG_MAX_SIDE];
    fk_preprocess input;
    char output[64];
    char device[32];            /* as written (or $FIDKIT_DEVICE); resolved when opened */
    char precision[16];         /* "fp32", "tf32", "bf16" */
    int threads;
    int batch_size;
    int cuda_batch_size;        /* 0: FK_CUDA_DEFAULT_BATCH */
    int n_options;
    fk_config_option options[FK_CONFIG_MAX_OPTIONS];
} fk_config;

FK_API fk_status fk_config_load(const char *path, fk_config *c, fk_error *e);

/* Resolves a config given by path or by name ("inception_v3_random", with or
 * without ".yaml"): an existing file as given, else in $FIDKIT_CONFIG_PATH
 * (a colon list), the install's share/fidkit/configs, and the source tree's
 * configs/ folder of a build. */
FK_API fk_status fk_config_find(const char *name, char *out, size_t n, fk_error *e);

/* Finds the weights file (see above). When it is missing, the config gives
 * its source and sha256, and auto-fetch is on (fk_fetch_auto(): the
 * environment's FIDKIT_AUTO_FETCH=1, which `fidkit` sets on a terminal, and
 * not FIDKIT_OFFLINE=1), it is downloaded, verified and put in the weights
 * cache first (fidkit/fetch.h). Otherwise FK_ERR_IO with a message that says
 * where fidkit looked, where the file comes from, how to fetch it and how to
 * use the random backbone instead. */
FK_API fk_status fk_config_weights_path(const fk_config *c, char *out, size_t n, fk_error *e);

/* The same for a side file or any other file looked for as weights are: name
 * is a bare name (searched as above), an absolute path, or a path relative to
 * the config's folder. A bare name that is one of c's side_files is fetched
 * as the weights are. */
FK_API fk_status fk_config_file_path(const fk_config *c, const char *name, char *out, size_t n,
                                     fk_error *e);

/* The folders a bare weights name is looked for in, in order, as a colon
 * list: $FIDKIT_WEIGHTS_PATH, the cache ($XDG_CACHE_HOME/fidkit, else
 * ~/.cache/fidkit), /usr/share/fidkit/weights, then (if c is not NULL) the
 * config's folder. */
FK_API void fk_weights_search_path(const fk_config *c, char *out, size_t n);

/* Where fetched files go: the first folder of $FIDKIT_WEIGHTS_PATH that
 * exists and is writable, else the cache (created if missing), else
 * /usr/share/fidkit/weights if writable. Never the config's folder. */
FK_API fk_status fk_weights_cache_dir(char *out, size_t n, fk_error *e);

/* Every config on the config search path of fk_config_find, by name, the
 * first of each name: *paths is a malloc'ed array of malloc'ed paths (free
 * with fk_config_list_free). */
FK_API fk_status fk_config_list(char ***paths, int *n, fk_error *e);
FK_API void fk_config_list_free(char **paths, int n);

/* The tag of features from this config; weights_sha256 is the SHA-256
 * actually measured on the weights file (NULL for random weights). */
FK_API void fk_config_tag(const fk_config *c, const char *weights_sha256, fk_tag *t);

/* Images per forward pass for this config's device: cuda_batch_size (else
 * FK_CUDA_DEFAULT_BATCH) on "cuda"/"cuda:N", batch_size (else 50)
 * otherwise. Give it a backbone's config (fk_backbone_config), whose device
 * is resolved ("auto" is then "cpu" or "cuda:N"). */
FK_API int fk_config_batch_size(const fk_config *c);

/* SHA-256 of a file as 64 hex digits. */
FK_API fk_status fk_sha256_file(const char *path, char hex[65], fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
