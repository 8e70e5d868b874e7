/* fidkit — the catalog of files the installed configs need: each config's
 * weights file and side files (CLIP's merge list), with the SHA-256 and
 * source the config gives and where each is found. `fidkit weights`
 * lists, fetches and verifies through it; any front end can. */
#ifndef FIDKIT_CATALOG_H
#define FIDKIT_CATALOG_H

#include "export.h"

#include <stdint.h>
#include "config.h"
#include "error.h"
#include "fetch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_catalog_entry {
    char config[256];           /* the config's name (file stem) */
    const fk_config *cfg;       /* owned by the catalog */
    int is_weights;             /* 1: the weights file, 0: a side file */
    fk_config_file file;        /* name, sha256, source, size */
    char path[4096];            /* where it was found, "" when missing */
    int64_t bytes;              /* its size on disk, else the config's, 0: unknown */
} fk_catalog_entry;

typedef struct fk_catalog {
    fk_config *cfgs;
    int n_cfg;
    fk_catalog_entry *v;
    int n;
    int n_skipped;              /* configs that did not load */
    char skipped[4][1024];      /* the first messages */
} fk_catalog;

/* The files of the given configs (paths), or of every installed config
 * when n is 0. Looks files up without fetching anything. */
FK_API fk_status fk_catalog_open(const char *const *configs, int n, fk_catalog *out, fk_error *e);
FK_API void fk_catalog_free(fk_catalog *c);

/* The entries NAME stands for: a config's files (by name or path), or
 * every entry of that file name. Writes at most cap indices; returns how many. */
FK_API int fk_catalog_select(const fk_catalog *c, const char *name, int *pick, int cap);

/* Fetches entry i (checked against its SHA-256) and updates its path. */
FK_API fk_status fk_catalog_fetch(fk_catalog *c, int i, const fk_fetch_options *o, int *fetched,
                                  fk_error *e);

/* The SHA-256 of entry i's file on disk (got, 65 bytes); FK_ERR_IO when missing. */
FK_API fk_status fk_catalog_hash(const fk_catalog *c, int i, char *got, fk_error *e);

/* {"search_path", "cache", "files": [{config, config_path, file, kind, size, sha256, source, path}]} */
FK_API char *fk_catalog_json(const fk_catalog *c, int pretty);

#ifdef __cplusplus
}
#endif
#endif
