/* Internal: the pieces of fetching that fetch.c and fetch_http.c share. */
#ifndef FK_FETCH_INTERNAL_H
#define FK_FETCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fidkit/fetch.h"

/* Downloads url into part, resuming from the bytes part already holds, with
 * o->retries retries and backoff. *used_range is set when bytes from before a
 * try were kept; *http gets the last HTTP status (404: try another source). */
fk_status fk_fetch_http(const char *name, const char *url, int64_t size, const char *part,
                        const fk_fetch_options *o, int *used_range, long *http, fk_error *e);

/* "fidkit: ..." on stderr unless o->quiet. */
void fk_fetch_say(const fk_fetch_options *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "95.6 MB", "1.4 kB", "size unknown". */
void fk_fetch_size_text(int64_t bytes, char *out, size_t n);

#endif
