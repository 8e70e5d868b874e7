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

/* A fresh name "DIR/.BASE.tmp-PID-XXXXXX" beside path, created empty (so it
 * is ours); malloc'ed. NULL on failure, with errno set. */
FK_API char *fk_temp_name(const char *path);
/* Puts tmp in place of path. A regular file (or nothing) at path: fsyncs
 * tmp, renames it over path (over the file a symlink names, keeping the
 * link), fsyncs the folder. A character device or FIFO (-o /dev/stdout):
 * writes tmp's bytes through to it, every write and the close checked, and
 * removes tmp. A directory, socket, block device or dangling symlink:
 * refused, nothing replaced. On failure tmp is left for the caller to
 * remove. */
FK_API fk_status fk_commit_file(const char *tmp, const char *path, fk_error *e);
/* The check every command makes on each output before any work
 * (docs/robustness.md): refuses what fk_commit_file refuses, and an output
 * that is the same file (device and inode) as one of inputs (NULL entries
 * and missing files are skipped) with FK_ERR_ARG; proves the folder takes a
 * new file (so a read-only or missing folder is reported now, with its
 * errno); removes stale temporaries of this output left by a killed run. */
FK_API fk_status fk_output_prepare(const char *path, const char *const *inputs, int n_inputs,
                                   fk_error *e);
/* Writes the concatenation of parts to path atomically. */
FK_API fk_status fk_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                                      int n, fk_error *e);
/* Reads a whole file (at most max bytes) into a malloc'ed buffer with a
 * terminating NUL after the data. */
FK_API fk_status fk_read_file(const char *path, size_t max, char **data, size_t *len, fk_error *e);
/* mkdir -p: creates dir and every missing parent with mode (less the
 * umask); an existing folder is fine. FK_ERR_IO names the part that failed. */
FK_API fk_status fk_mkdir_p(const char *dir, unsigned mode, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
