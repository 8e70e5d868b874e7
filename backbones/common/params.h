/* What the host hands a backbone's open(): the checks every backbone makes
 * on it, and the plugin's options looked up by name in its own spec table
 * (never by position), with the spec's default when the host passed none.
 *
 * Compiled into each plugin that lists it, like the other common files. */
#ifndef FK_BACKBONES_PARAMS_H
#define FK_BACKBONES_PARAMS_H

#include <stdint.h>

#include "fidkit/plugin.h"

/* The params are usable: a struct of at least ABI 2's first size, a
 * variant, and, when weights is 1, a weights file or random weights. */
fk_status bk_params_check(const char *label, const fk_plugin_params *p, int weights, fk_error *e);

/* The bound value of option `name`, or NULL when the host bound none (an
 * older host, or a host that passes no options). */
const fk_option_value *bk_option(const fk_option_spec *specs, const fk_plugin_params *p,
                                 const char *name);
/* The precision the host asks for ("fp32" when an older host passes none). */
const char *bk_precision(const fk_plugin_params *p);

/* Integer or boolean options; the spec's default when unbound. */
int64_t bk_option_int(const fk_option_spec *specs, const fk_plugin_params *p, const char *name);
/* String options; the spec's default ("" for none) when unbound. */
const char *bk_option_str(const fk_option_spec *specs, const fk_plugin_params *p,
                          const char *name);

#endif
