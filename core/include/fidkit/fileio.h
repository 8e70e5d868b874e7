/* fidkit — writing files so that a reader sees the old file or the whole new
 * one, never a part: a temporary file in the same folder, flushed, renamed
 * over the target. Every file fidkit writes goes through here. */
#ifndef FIDKIT_FILEIO_H
#define FIDKIT_FILEIO_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A fresh name "DIR/.BASE.tmp-XXXXXX" beside path, created empty (so it is
 * ours); malloc'ed. NULL on failure. */
FK_API char *fk_temp_name(const char *path);
/* fsyncs tmp, renames it over path, fsyncs the folder. */
FK_API fk_status fk_commit_file(const char *tmp, const char *path, fk_error *e);
/* Writes the concatenation of parts to path atomically. */
FK_API fk_status fk_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                                      int n, fk_error *e);
/* Reads a whole file (at most max bytes) into a malloc'ed buffer with a
 * terminating NUL after the data. */
FK_API fk_status fk_read_file(const char *path, size_t max, char **data, size_t *len, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
