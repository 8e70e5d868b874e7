/* Fetching the files a config names into the weights cache. */
#include <stdio.h>
#include <string.h>

#include "backbone/config_internal.h"
#include "fidkit/fetch.h"

fk_status fk_fetch_config_file(const fk_config *c, const char *name, const fk_fetch_options *o,
                               char *out, size_t n, int *fetched, fk_error *e)
{
    int dummy;
    if (!fetched)
        fetched = &dummy;
    *fetched = 0;
    fk_config_file tmp;
    const fk_config_file *d = fk_config_declared(c, name, &tmp);
    if (!d)
        return fk_fail(e, FK_ERR_ARG, "%s names no file '%s'", c->path, name);
    if (!d->sha256[0])
        return fk_fail(e, FK_ERR_ARG, "%s: the config gives no sha256 for '%s', and fidkit fetches "
                       "only files it can verify: download it%s%s yourself and put it in %s",
                       c->path, name, d->source[0] ? " from " : "", d->source,
                       "a folder of the weights search path (docs/weights.md)");
    if (!d->source[0])
        return fk_fail(e, FK_ERR_ARG, "%s: the config gives no source URL for '%s'", c->path, name);
    char dest[4096];
    if (fk_config_locate(c, name, dest, sizeof dest, NULL, 0)) {
        snprintf(out, n, "%s", dest);
        return fk_fetch_file(name, d->source, d->sha256, d->size, dest, o, fetched, e);
    }
    if (!dest[0]) {   /* a bare name: into the cache */
        char dir[2048];
        fk_status st = fk_weights_cache_dir(dir, sizeof dir, e);
        if (st)
            return st;
        snprintf(dest, sizeof dest, "%s/%s", dir, name);
    }
    if (strlen(dest) >= n)
        return fk_fail(e, FK_ERR_ARG, "%s: path too long", dest);
    snprintf(out, n, "%s", dest);
    return fk_fetch_file(name, d->source, d->sha256, d->size, dest, o, fetched, e);
}
