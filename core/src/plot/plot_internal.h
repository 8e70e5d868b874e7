/* Internal: a figure checked, sorted and measured, ready for PLplot. */
#ifndef FK_PLOT_INTERNAL_H
#define FK_PLOT_INTERNAL_H

#include "fidkit/plot.h"

typedef struct fkp_series {
    int style;       /* index into fkp_figure.labels: colour and marker */
    int n;           /* usable points, increasing x */
    double *x, *y;   /* axis coordinates: log10 already taken on log axes */
    double *lo, *hi; /* NULL: no band; NAN where the band is interrupted */
    double *bx, *by; /* 2n doubles each: room for the band's outline */
} fkp_series;

typedef struct fkp_panel {
    const char *tag, *xlabel, *ylabel;
    const char *title;          /* shown over the frame: the panel's title, else its tag */
    int log_x, log_y;
    int n_series;
    fkp_series *series;
    long n_usable;                 /* 0: drawn with a "no usable points" note */
    double xmin, xmax, ymin, ymax; /* axis coordinates, padded */
    double xstep, ystep;           /* tick spacing on linear axes (0 on log axes) */
} fkp_panel;

typedef struct fkp_figure {
    int svg;            /* 0: PNG */
    const char *title;  /* may be NULL */
    int n_panels;
    fkp_panel *panels;
    int n_labels;       /* distinct labels, in order of first appearance */
    const char **labels;
    int *label_band;    /* 1: some series with that label has a band */
    int any_band;
    const char *interval_label;
    int width, height, columns, rows;
    double font_scale;
} fkp_figure;

/* Renders fig into file (which exists and is ours) with PLplot. Serialised:
 * PLplot's state is process-wide. */
fk_status fkp_render(const fkp_figure *fig, const char *file, fk_error *e);

#endif
