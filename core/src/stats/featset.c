/* Feature sets; see featset.h. */
#include "fidkit/featset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/featfile.h"

static void set_source(fk_featset *s, const char *source)
{
    snprintf(s->source, sizeof s->source, "%s", source ? source : "memory");
}

fk_status fk_featset_from_rows(const float *rows, int64_t n, int d, const fk_tag *tag,
                               const char *source, fk_featset *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    if (!tag)
        return fk_fail(e, FK_ERR_TAG, "features from %s need a tag: fidkit must know which ruler "
                       "measured them", source ? source : "memory");
    fk_features v = fk_features_view(rows, n, d);
    fk_status st = fk_features_check(&v, source ? source : "features", 1, e);
    if (st)
        return st;
    out->rows = malloc((size_t)n * (size_t)d * sizeof(float));
    if (!out->rows)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory copying %lld x %d features", (long long)n, d);
    memcpy(out->rows, rows, (size_t)n * (size_t)d * sizeof(float));
    out->tag = *tag;
    out->has_tag = 1;
    out->d = d;
    out->n = n;
    set_source(out, source);
    return FK_OK;
}

fk_status fk_featset_read(const char *path, const char *layer, const fk_tag *assumed,
                          fk_featset *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_status st = fk_featfile_read(path, layer, &out->rows, &out->n, &out->d, &out->tag,
                                    &out->has_tag, e);
    if (st)
        return st;
    if (!out->has_tag && assumed) {
        out->tag = *assumed;
        out->has_tag = 1;
    }
    set_source(out, path);
    return FK_OK;
}

fk_status fk_featset_write(const char *path, const fk_featset *sets, int n,
                           const char *extra_json, fk_error *e)
{
    if (n < 1 || n > 16)
        return fk_fail(e, FK_ERR_ARG, "%s: between 1 and 16 feature sets can be written, not %d",
                       path, n);
    for (int k = 0; k < n; k++) {
        fk_status st = fk_featset_require_tag(&sets[k], e);
        if (st)
            return st;
        if (sets[k].n != sets[0].n)
            return fk_fail(e, FK_ERR_ARG, "%s: the outputs hold %lld and %lld rows", path,
                           (long long)sets[0].n, (long long)sets[k].n);
    }
    return fk_featfile_write(path, sets, n, extra_json, e);
}

void fk_featset_free(fk_featset *s)
{
    if (!s)
        return;
    free(s->rows);
    memset(s, 0, sizeof *s);
}

fk_status fk_featset_require_tag(const fk_featset *s, fk_error *e)
{
    if (s->has_tag)
        return FK_OK;
    return fk_fail(e, FK_ERR_TAG, "%s carries no backbone tag (clean-fid features?): fidkit cannot "
                   "tell which ruler measured it; declare one (--assume-backbone TAG)", s->source);
}
