/* Internal name kept for the modules that include it: the atomic file
 * helpers are public now (fidkit/fileio.h). */
#ifndef FK_FILEUTIL_H
#define FK_FILEUTIL_H
#include <stddef.h>

#include "fidkit/fileio.h"

/* A per-user folder as the XDG base-directory rules give it: $OVERRIDE when
 * set (e.g. FIDKIT_CACHE_DIR), else $XDG_VAR/SUB, else $HOME/HOME_REL/SUB
 * (XDG_CACHE_HOME: ".cache"; XDG_DATA_HOME: ".local/share"; XDG_CONFIG_HOME:
 * ".config"). Returns 1 with out filled, 0 when none is set or out is too
 * small. */
int fk_user_dir(const char *override, const char *xdg_var, const char *home_rel,
                const char *sub, char *out, size_t n);
#endif
