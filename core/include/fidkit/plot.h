/* fidkit — plots of a score against a numeric axis (noise level, sample
 * count, checkpoint step), with an interval band, one panel per backbone tag.
 *
 * Scores measured with different backbones share no axis, so a figure is a
 * grid of panels and each panel belongs to exactly one tag: fk_plot_write
 * refuses a figure in which two panels carry the same tag, and a panel has
 * room for one tag only (its title). Within a panel, each series is a line
 * with a marker at every point and, when lo/hi are given, a translucent band
 * from lo to hi (e.g. a 95 % bootstrap interval). Series are matched across
 * panels by label: the same label gets the same colour and marker in every
 * panel, and the figure has one legend, on the right, listing every label.
 * A series of more than 100 points is drawn without markers (they would hide
 * the line). Colours are Okabe & Ito's colour-blind-safe eight; markers
 * cycle through six shapes, so 24 labels get distinct pairs.
 *
 * The format follows the extension: ".png" (PLplot's pngcairo device) or
 * ".svg" (PLplot's own svg device, which writes every string as a <text>
 * element, so panel titles can be found in the file). The file is written to
 * a temporary name beside `path` and renamed into place: a reader sees the
 * old file or the whole new one.
 *
 * Points whose x or y is NaN or infinite (or <= 0 on a log axis) are not
 * drawn; the band is interrupted where lo or hi is not usable. Both are
 * counted in fk_plot_info, never silently dropped. Points are drawn in
 * increasing x whatever their order in the arrays.
 *
 * PLplot keeps process-wide state, so calls are serialised inside fidkit;
 * each call uses a stream of its own and ends it, leaving any stream of the
 * caller's current as it was. fidkit installs PLplot's exit handler for the
 * duration of a call (PLplot has one per process) so that a PLplot failure
 * becomes an fk_error instead of ending the program. */
#ifndef FIDKIT_PLOT_H
#define FIDKIT_PLOT_H

#include "export.h"

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_plot_series {
    const char *label;     /* legend entry; NULL or "": no entry */
    int n;                 /* number of points */
    const double *x, *y;   /* n values each */
    const double *lo, *hi; /* n values each (lo <= hi), or both NULL: no band */
} fk_plot_series;

typedef struct fk_plot_panel {
    const char *tag;       /* the backbone tag, shown as the panel's title */
    const char *xlabel;    /* may be NULL */
    const char *ylabel;    /* may be NULL */
    int log_x, log_y;      /* 1: logarithmic axis */
    int n_series;
    const fk_plot_series *series;
} fk_plot_panel;

typedef struct fk_plot_options {
    int width, height;          /* pixels (PNG) or SVG units; 0: sized from the grid */
    int columns;                /* panels per row; 0: a near-square grid */
    double font_scale;          /* 1 = default text size */
    const char *interval_label; /* legend entry for the bands, e.g. "95 % interval";
                                   NULL: none */
} fk_plot_options;

/* What was drawn (all zero after a failure). */
typedef struct fk_plot_info {
    int n_panels;        /* panels drawn */
    long n_points;       /* points drawn */
    long n_skipped;      /* points not drawn: x or y NaN/infinite, or <= 0 on a log axis */
    long n_band_skipped; /* points drawn without their interval: lo or hi unusable */
    int width, height;   /* size of the page written */
} fk_plot_info;

/* Defaults: automatic size and grid, font_scale 1, no interval label. */
FK_API fk_plot_options fk_plot_default_options(void);

/* Draws panels[0..n_panels) into path (.png or .svg, case-insensitive) under
 * an optional figure title. o may be NULL (defaults); info may be NULL.
 * Errors: FK_ERR_ARG for an unknown extension, no panels, a panel without a
 * tag or without points, two panels with the same tag, lo > hi, a size out of
 * range; FK_ERR_IO when the folder cannot be written; FK_ERR_UNSUPPORTED when
 * PLplot's device for the format is not installed. */
FK_API fk_status fk_plot_write(const char *path, const char *title, const fk_plot_panel *panels,
                               int n_panels, const fk_plot_options *o, fk_plot_info *info,
                               fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
