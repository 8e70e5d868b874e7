/* Seeded random weights for the ViT backbones (clip, dinov2): Box-Muller
 * keeping both values of each pair of uniforms (sqrt(-2 ln(1 - u1)) times
 * cos, then sin, of 2 pi u2), half the draws of fk_rng_normal, which
 * matters for hundreds of millions of parameters. The draw order is part of
 * each plugin's random-weights tag: never change it.
 *
 * Compiled into each plugin that lists it; every name stays hidden. */
#ifndef FK_BACKBONES_RANDFILL_H
#define FK_BACKBONES_RANDFILL_H

#include <stdint.h>

#include "fidkit/rng.h"

/* v[0..n): normal(0, std) values, or `constant` everywhere when std <= 0
 * (drawing nothing). */
void rf_fill_normal(fk_rng *rng, float *v, int64_t n, double std, double constant);

#endif
