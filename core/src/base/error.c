#include "fidkit/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

fk_status fk_fail(fk_error *e, fk_status code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

fk_status fk_fail_prefix(fk_error *e, const char *fmt, ...)
{
    if (!e)
        return FK_ERR_INTERNAL;
    char prefix[FK_ERROR_MSG_MAX], old[FK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Truncation of an over-long message is acceptable here. */
    size_t k = strlen(prefix);
    if (k > sizeof e->msg - 3)
        k = sizeof e->msg - 3;
    memcpy(e->msg, prefix, k);
    memcpy(e->msg + k, ": ", 2);
    size_t room = sizeof e->msg - k - 3;
    size_t m = strnlen(old, room);
    memcpy(e->msg + k + 2, old, m);
    e->msg[k + 2 + m] = 0;
    return e->code;
}

void fk_error_clear(fk_error *e)
{
    if (e) {
        e->code = FK_OK;
        e->msg[0] = 0;
    }
}

const char *fk_status_name(fk_status s)
{
    switch (s) {
    case FK_OK: return "ok";
    case FK_ERR_IO: return "i/o error";
    case FK_ERR_FORMAT: return "invalid file";
    case FK_ERR_ARG: return "invalid argument";
    case FK_ERR_NOMEM: return "out of memory";
    case FK_ERR_NUMERIC: return "numerical error";
    case FK_ERR_TAG: return "backbone mismatch";
    case FK_ERR_PLUGIN: return "plugin error";
    case FK_ERR_UNSUPPORTED: return "unsupported";
    case FK_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}
