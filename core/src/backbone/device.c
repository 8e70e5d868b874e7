/* Device and precision names (device.h); their resolution against the
 * torch shim lives in registry.c, which holds the plugins' handles. */
#include "fidkit/device.h"

#include <stdlib.h>
#include <string.h>

fk_status fk_device_parse(const char *s, fk_device_kind *kind, int *index, fk_error *e)
{
    fk_device_kind k = FK_DEVICE_CPU;
    long i = -1;
    if (!s)
        s = "";
    if (!strcmp(s, "cpu")) {
        k = FK_DEVICE_CPU;
    } else if (!strcmp(s, "auto")) {
        k = FK_DEVICE_AUTO;
    } else if (!strcmp(s, "cuda")) {
        k = FK_DEVICE_CUDA;
        i = 0;
    } else if (!strncmp(s, "cuda:", 5) && s[5] && strspn(s + 5, "0123456789") == strlen(s + 5) &&
               strlen(s + 5) <= 3) {
        k = FK_DEVICE_CUDA;
        i = strtol(s + 5, NULL, 10);
    } else {
        return fk_fail(e, FK_ERR_ARG, "device '%s' is not one of cpu, cuda, cuda:N, auto", s);
    }
    if (kind)
        *kind = k;
    if (index)
        *index = (int)i;
    return FK_OK;
}

fk_status fk_precision_parse(const char *s, fk_error *e)
{
    if (s && (!strcmp(s, "fp32") || !strcmp(s, "tf32") || !strcmp(s, "bf16")))
        return FK_OK;
    return fk_fail(e, FK_ERR_ARG, "precision '%s' is not one of fp32, tf32, bf16", s ? s : "");
}
