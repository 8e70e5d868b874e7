/* fidkit — fetching weights files: downloaded over HTTP(S) (libcurl, TLS
 * verified, redirects followed) or copied from a local mirror, written to
 * DEST.part (a cut download resumes from it with a Range request), verified
 * against the SHA-256 the config gives, and only then renamed to DEST. A file
 * whose hash does not match is deleted; nothing reads it before. One process
 * at a time fetches a given DEST (flock on DEST.lock); another one waits and
 * then finds the file there.
 *
 * The environment (read by fk_fetch_options_init and fk_fetch_auto):
 *   FIDKIT_OFFLINE=1          never touch the network
 *   FIDKIT_AUTO_FETCH=1       fk_config_weights_path fetches a missing file
 *                             (`fidkit` sets it when stderr is a terminal
 *                             unless it is set already; 0 turns it off)
 *   FIDKIT_WEIGHTS_MIRROR     a base URL that replaces scheme and host of
 *                             every source (the path is kept; on a 404 the
 *                             bare file name under the base is tried), or a
 *                             local folder holding the files by name
 *   FIDKIT_FETCH_RETRIES      retries after a failed try (default 4)
 *   FIDKIT_FETCH_BACKOFF_MS   the first wait between tries (default 1000,
 *                             doubled each time, at most 30 s)
 *   FIDKIT_FETCH_TIMEOUT      seconds to connect, and seconds below 1 kB/s
 *                             before a try is abandoned (default 30) */
#ifndef FIDKIT_FETCH_H
#define FIDKIT_FETCH_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_fetch_options {
    int offline;            /* 1: fail instead of opening a connection (a local mirror still works) */
    int progress;           /* 1: a progress bar on stderr */
    int quiet;              /* 1: no messages on stderr */
    int retries;            /* tries after the first */
    int backoff_ms;         /* first wait between tries */
    long timeout_s;         /* connect timeout, and the low-speed (< 1 kB/s) limit */
    char mirror[1024];      /* "" for none */
} fk_fetch_options;

/* Defaults, then the environment above; progress is on when stderr is a
 * terminal. */
FK_API void fk_fetch_options_init(fk_fetch_options *o);

/* 1 if FIDKIT_OFFLINE is set to anything but "" or "0". */
FK_API int fk_fetch_offline(void);
/* 1 if FIDKIT_AUTO_FETCH=1 and not offline: the resolver may fetch. */
FK_API int fk_fetch_auto(void);

/* Makes dest the file url names, with SHA-256 sha256 (64 hex digits,
 * required: fidkit fetches nothing it cannot verify). size, if > 0, is the
 * expected byte count: a download longer than that is cut off. If dest is
 * there already it is only verified (*fetched = 0; a mismatch is an
 * FK_ERR_FORMAT error and the file is left alone). name is what messages
 * call the file. Errors: FK_ERR_IO (offline, network, HTTP status, disk),
 * FK_ERR_FORMAT (the downloaded bytes have another SHA-256: both hashes are
 * named), FK_ERR_ARG (no or a bad sha256, a URL that is not http(s)). */
FK_API fk_status fk_fetch_file(const char *name, const char *url, const char *sha256, int64_t size,
                               const char *dest, const fk_fetch_options *o, int *fetched, fk_error *e);

/* Fetches a file config c names (its weights file, or one of its side files
 * by name) unless it is already on the weights search path: into the path
 * the config gives if it is a path, else into fk_weights_cache_dir(). out
 * gets where the file is; a file already there is verified. */
FK_API fk_status fk_fetch_config_file(const fk_config *c, const char *name, const fk_fetch_options *o,
                                      char *out, size_t n, int *fetched, fk_error *e);

/* The URL or local file fetched for source under mirror ("" : source
 * itself); i picks the candidate (0, 1); returns 0 when there is no
 * candidate i. *local is set to 1 for a local file. */
FK_API int fk_fetch_candidate(const char *source, const char *mirror, int i, char *out, size_t n,
                              int *local);

#ifdef __cplusplus
}
#endif
#endif
