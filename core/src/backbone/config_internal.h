/* Internal: finding a config's files without fetching them, shared by the
 * resolver (config_paths.c) and the fetcher (weights/fetch_config.c). */
#ifndef FK_CONFIG_INTERNAL_H
#define FK_CONFIG_INTERNAL_H

#include <stddef.h>

#include "fidkit/config.h"

/* Looks for name as fk_config_file_path does, touching no network. Returns 1
 * with the path in out if found; else 0 with out set to where a fetch would
 * put a file named by a path (empty for a bare name) and, if looked is not
 * NULL, the folders searched as a ", " list. */
int fk_config_locate(const fk_config *c, const char *name, char *out, size_t n, char *looked,
                     size_t nl);

/* The config's entry for name: the weights (name == c->weights_file) or one
 * of its side files; NULL if the config names no such file. */
const fk_config_file *fk_config_declared(const fk_config *c, const char *name, fk_config_file *tmp);

#endif
