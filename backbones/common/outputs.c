#include "outputs.h"

#include <string.h>

fk_status bk_bind_outputs(const char *label, int n_requested, const char *const *requested,
                          const char *const *names, int count, const char *known, int *want,
                          int *kind, int *n_out, fk_error *e)
{
    *n_out = 0;
    if (n_requested < 1 || n_requested > count || !requested)
        return fk_fail(e, FK_ERR_ARG, "%s: between 1 and %d outputs must be requested, got %d",
                       label, count, n_requested);
    for (int i = 0; i < n_requested; i++) {
        int k = 0;
        while (k < count && !(requested[i] && strcmp(requested[i], names[k]) == 0))
            k++;
        if (k == count)
            return fk_fail(e, FK_ERR_ARG, "%s: unknown output '%s' (known: %s)", label,
                           requested[i] ? requested[i] : "(null)", known);
        if (want[k])
            return fk_fail(e, FK_ERR_ARG, "%s: output '%s' requested twice", label, names[k]);
        want[k] = 1;
        kind[(*n_out)++] = k;
    }
    return FK_OK;
}

fk_status bk_route_outputs(const char *label, const float *nchw, int n, float *const *out,
                           int n_out, const int *kind, float **results, int count, int *nothing,
                           fk_error *e)
{
    *nothing = 0;
    if (n < 0 || (n > 0 && (!nchw || !out)))
        return fk_fail(e, FK_ERR_ARG, "%s: extract needs n >= 0 images, an input and outputs", label);
    if (n == 0) {
        *nothing = 1;
        return FK_OK;
    }
    for (int k = 0; k < count; k++)
        results[k] = NULL;
    for (int i = 0; i < n_out; i++) {
        if (!out[i])
            return fk_fail(e, FK_ERR_ARG, "%s: output buffer %d is NULL", label, i);
        results[kind[i]] = out[i];
    }
    return FK_OK;
}
