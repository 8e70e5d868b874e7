/* fidkit — error codes and the caller-owned error buffer.
 *
 * Every fallible function returns an fk_status (FK_OK == 0) and, on failure,
 * writes a message into an fk_error the caller owns. The message names the
 * file, the object and the problem; it never ends in a newline. Passing a NULL
 * fk_error is allowed: the code is still returned. */
#ifndef FIDKIT_ERROR_H
#define FIDKIT_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_status {
    FK_OK = 0,
    FK_ERR_IO,          /* a file is missing, unreadable or unwritable */
    FK_ERR_FORMAT,      /* a file was read but its contents are invalid */
    FK_ERR_ARG,         /* a bad argument, option or config value */
    FK_ERR_NOMEM,       /* an allocation failed */
    FK_ERR_NUMERIC,     /* NaN/Inf, too few samples, a matrix that cannot be used */
    FK_ERR_TAG,         /* refusing to compare scores of different backbones */
    FK_ERR_PLUGIN,      /* a plugin is missing, of the wrong ABI, or failed */
    FK_ERR_UNSUPPORTED, /* valid input that fidkit does not handle */
    FK_ERR_INTERNAL     /* a bug in fidkit */
} fk_status;

#define FK_ERROR_MSG_MAX 1024

typedef struct fk_error {
    fk_status code;
    char msg[FK_ERROR_MSG_MAX];
} fk_error;

/* Sets *e (if not NULL) and returns code, so that `return fk_fail(...)` reads
 * naturally. */
FK_API fk_status fk_fail(fk_error *e, fk_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes the message already in *e with "context: " (file names, indices). */
FK_API fk_status fk_fail_prefix(fk_error *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

FK_API void fk_error_clear(fk_error *e);
FK_API const char *fk_status_name(fk_status s);

#ifdef __cplusplus
}
#endif
#endif
