/* Checks and options of a backbone's open(); see params.h. */
#include "params.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The fields every ABI-2 host fills, through `outputs`; `options` and what
 * comes after are read only when present (FK_PARAMS_HAS). */
#define BK_PARAMS_MIN (offsetof(fk_plugin_params, outputs) + sizeof(const char *const *))

fk_status bk_params_check(const char *label, const fk_plugin_params *p, int weights, fk_error *e)
{
    if (!p)
        return fk_fail(e, FK_ERR_ARG, "%s: open needs params", label);
    if (p->struct_size < BK_PARAMS_MIN)
        return fk_fail(e, FK_ERR_PLUGIN, "%s: the host passed params of %u bytes, fewer than plugin "
                       "ABI %u's %u: rebuild the host against this plugin.h", label,
                       (unsigned)p->struct_size, FK_PLUGIN_ABI_VERSION, (unsigned)BK_PARAMS_MIN);
    if (!p->variant)
        return fk_fail(e, FK_ERR_ARG, "%s: no variant given", label);
    if (weights && !p->random_weights && !p->weights_path)
        return fk_fail(e, FK_ERR_ARG, "%s: no weights file given and random_weights is off", label);
    return FK_OK;
}

static int spec_index(const fk_option_spec *specs, const char *name)
{
    for (int i = 0; specs && specs[i].name; i++)
        if (!strcmp(specs[i].name, name))
            return i;
    return -1;
}

const fk_option_value *bk_option(const fk_option_spec *specs, const fk_plugin_params *p,
                                 const char *name)
{
    int i = spec_index(specs, name);
    if (i < 0 || !FK_PARAMS_HAS(p, options) || !p->options)
        return NULL;
    return &p->options[i];
}

static const char *spec_default(const fk_option_spec *specs, const char *name)
{
    int i = spec_index(specs, name);
    return i >= 0 && specs[i].default_value ? specs[i].default_value : "";
}

int64_t bk_option_int(const fk_option_spec *specs, const fk_plugin_params *p, const char *name)
{
    const fk_option_value *v = bk_option(specs, p, name);
    if (v)
        return v->i;
    const char *d = spec_default(specs, name);
    if (!strcmp(d, "true") || !strcmp(d, "yes"))
        return 1;
    return strtoll(d, NULL, 10);
}

const char *bk_option_str(const fk_option_spec *specs, const fk_plugin_params *p,
                          const char *name)
{
    const fk_option_value *v = bk_option(specs, p, name);
    return v && v->s ? v->s : spec_default(specs, name);
}

const char *bk_precision(const fk_plugin_params *p)
{
    return FK_PARAMS_HAS(p, precision) && p->precision && *p->precision ? p->precision : "fp32";
}
