/* See randfill.h. */
#include "randfill.h"

#include <math.h>

void rf_fill_normal(fk_rng *rng, float *v, int64_t n, double std, double constant)
{
    for (int64_t i = 0; i < n; i += 2) {
        if (std <= 0) {
            v[i] = (float)constant;
            if (i + 1 < n)
                v[i + 1] = (float)constant;
            continue;
        }
        double r = sqrt(-2.0 * log(1.0 - fk_rng_uniform(rng)));
        double t = 6.283185307179586 * fk_rng_uniform(rng);
        v[i] = (float)(std * r * cos(t));
        if (i + 1 < n)
            v[i + 1] = (float)(std * r * sin(t));
    }
}
