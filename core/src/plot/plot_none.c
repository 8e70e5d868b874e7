/* Plots in a build without PLplot (cmake -DFIDKIT_PLOTS=OFF, for machines
 * without libplplot-dev): plot_render.c is left out and every plot says so. */
#include "plot/plot_internal.h"

#ifdef FK_NO_PLOTS
fk_status fkp_render(const fkp_figure *fig, const char *file, fk_error *e)
{
    (void)fig;
    return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: this fidkit was built without plots "
                   "(cmake -DFIDKIT_PLOTS=OFF): rebuild with FIDKIT_PLOTS=ON and libplplot-dev "
                   "to draw it; tables and reports are written as usual", file);
}
#else
typedef int fkp_plots_are_built; /* plot_render.c draws them */
#endif
