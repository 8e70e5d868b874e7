/* Shared by the network plugins (inception_v3, resnet, mobilenet_v3): the
 * bookkeeping between the outputs a host requests, in its order, and a
 * plugin's own output table. Compiled into each plugin that lists it; the
 * names stay hidden inside the plugin. */
#ifndef FK_BACKBONES_OUTPUTS_H
#define FK_BACKBONES_OUTPUTS_H

#include "fidkit/error.h"

/* The outputs open() was asked for, mapped onto a plugin's output table
 * names[0..count): want[k] = 1 for each output k requested, kind[] the
 * table index of each request in order, *n_out their number. Unknown and
 * repeated names are errors naming them and the known ones (`known`). */
fk_status bk_bind_outputs(const char *label, int n_requested, const char *const *requested,
                          const char *const *names, int count, const char *known, int *want,
                          int *kind, int *n_out, fk_error *e);

/* extract()'s argument checks, then the caller's per-request buffers routed
 * to per-output slots results[0..count) (NULL where not requested). Returns
 * FK_OK with *nothing = 1 when n == 0. */
fk_status bk_route_outputs(const char *label, const float *nchw, int n, float *const *out,
                           int n_out, const int *kind, float **results, int count, int *nothing,
                           fk_error *e);

#endif
