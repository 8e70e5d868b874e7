/* fidkit — reference statistics: reading the published formats, and a local
 * registry of named references.
 *
 * fk_ref_read reads the mu and sigma of
 *   - a fidkit stats file (tagged: it keeps its tag),
 *   - a pytorch-fid or EDM .npz (`mu`, `sigma`),
 *   - a clean-fid .npz (`mu`, `sigma`; named NAME_MODE_SPLIT_RES.npz, MODE
 *     clean / legacy_tensorflow / legacy_pytorch, which gives a hint of the
 *     config that matches),
 *   - an ADM evaluator reference batch (.npz with `mu`, `sigma`, `mu_s`,
 *     `sigma_s` and usually `arr_0`; the pool3 statistics are read),
 *   - a pickled dict (.pkl, EDM2's reference statistics): {'mu', 'sigma'} or
 *     {'fid': {'mu', 'sigma'}, 'fd_dinov2': {...}}; key picks the entry
 *     (NULL: 'fid', else the only one). Read by the restricted unpickler:
 *     numpy arrays are rebuilt without calling anything.
 * Only fidkit files carry a tag; the others must be given one.
 *
 * The registry is a folder ($FIDKIT_REFS_DIR, else $XDG_DATA_HOME/fidkit/refs,
 * else ~/.local/share/fidkit/refs) of NAME.npz fidkit stats files, each
 * tagged, with where it came from in its metadata (`reference`). */
#ifndef FIDKIT_REFS_H
#define FIDKIT_REFS_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "stats.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_ref_info {
    char name[128];
    char path[1200];        /* the registry's file */
    char source[1024];      /* the file it was added from */
    char format[48];        /* "fidkit", "pytorch-fid", "clean-fid", "ADM reference batch",
                               "pickle" */
    char key[64];           /* the pickle entry read, "" otherwise */
    char hint[160];         /* what the format says of the backbone, "" when nothing */
    char tag[FK_TAG_STR_MAX];
    char config[1024];      /* the config that measures this space: given with the tag,
                               or recorded by fidkit; "" when unknown */
    int assumed;            /* 1: the tag was given by the user (--assume-backbone) */
    int d;
    int64_t n;              /* 0: unknown */
    int64_t added;          /* seconds since the epoch */
} fk_ref_info;

/* Reads a reference file (any format above) into out; info (may be NULL)
 * receives format, key and hint. out->has_tag only for fidkit files. */
FK_API fk_status fk_ref_read(const char *path, const char *key, fk_stats *out, fk_ref_info *info,
                             fk_error *e);

FK_API fk_status fk_refs_dir(char *buf, size_t n, fk_error *e);
/* The registry file of NAME; FK_ERR_ARG naming the registry when absent. */
FK_API fk_status fk_refs_path(const char *name, char *buf, size_t n, fk_error *e);
/* Adds file as NAME (atomically; an existing NAME is replaced only when
 * replace). assume: the tag of an untagged file; required for those
 * (FK_ERR_TAG otherwise), and must agree with a tagged file's own tag. */
FK_API fk_status fk_refs_add(const char *name, const char *file, const char *key, const fk_tag *assume,
                             const char *config, int replace, fk_ref_info *info, fk_error *e);
/* The registry's entry NAME: its file (info->path), tag and config. */
FK_API fk_status fk_refs_lookup(const char *name, fk_ref_info *info, fk_error *e);

/* (eval library) The tag a config's main output gives, or a tag as written:
 * what --assume-backbone takes. A config that declares its weights' SHA-256
 * (or uses random weights) is not opened; others are (the weights are
 * hashed). config_path (may be NULL) receives the config found, "" for a tag. */
FK_API fk_status fk_assumed_tag(const char *config_or_tag, fk_tag *t, char *config_path, size_t n,
                                fk_error *e);
/* Every reference, sorted by name; *v malloc'ed. */
FK_API fk_status fk_refs_list(fk_ref_info **v, int *n, fk_error *e);
FK_API fk_status fk_refs_remove(const char *name, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
