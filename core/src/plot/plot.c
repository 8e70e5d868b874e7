/* fk_plot_write: checks the figure, keeps the usable points in x order,
 * measures the axes, then hands the result to plot_render.c. Everything that
 * can be refused is refused here, before PLplot is touched. */
#include "fidkit/plot.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/tag.h"
#include "base/fileutil.h"
#include "plot/plot_internal.h"

#define MAX_SIDE 16384
#define MIN_SIDE 160

fk_plot_options fk_plot_default_options(void)
{
    fk_plot_options o;
    memset(&o, 0, sizeof o);
    o.font_scale = 1.0;
    return o;
}

static int format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    if (!strcasecmp(dot, ".png"))
        return 0;
    if (!strcasecmp(dot, ".svg"))
        return 1;
    return -1;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

typedef struct pt {
    double x, y, lo, hi;
} pt;

static int cmp_pt(const void *a, const void *b)
{
    const pt *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

/* A round tick spacing (1, 2 or 5 times a power of ten) giving about five
 * intervals over span. */
static double nice_step(double span)
{
    double raw = span / 5.0;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

/* Pads [*lo, *hi] (axis coordinates) so that markers at the ends stay
 * inside the frame, and widens a range of a single value. */
static void pad_range(double *lo, double *hi, int is_log)
{
    double a = *lo, b = *hi;
    if (!(b > a)) {
        double w = is_log ? 0.5 : (fabs(a) > 0 ? 0.1 * fabs(a) : 1.0);
        a -= w;
        b += w;
    }
    if (is_log && b - a < 1.0) {
        /* Less than a decade shows no labelled tick: widen to one. */
        double mid = 0.5 * (a + b);
        a = mid - 0.5;
        b = mid + 0.5;
    }
    double p = 0.05 * (b - a);
    *lo = a - p;
    *hi = b + p;
}

static int usable(double v, int is_log)
{
    return isfinite(v) && (!is_log || v > 0);
}

static double axis_coord(double v, int is_log)
{
    return is_log ? log10(v) : v;
}

static int find_label(const fkp_figure *f, const char *s)
{
    for (int i = 0; i < f->n_labels; i++)
        if (!strcmp(f->labels[i], s))
            return i;
    return -1;
}

static fk_status check_panels(const char *path, const fk_plot_panel *panels, int n_panels,
                              fk_error *e)
{
    if (!panels || n_panels <= 0)
        return fk_fail(e, FK_ERR_ARG, "%s: no panels to draw", path);
    for (int p = 0; p < n_panels; p++) {
        const fk_plot_panel *P = &panels[p];
        if (!P->tag || !P->tag[0])
            return fk_fail(e, FK_ERR_ARG,
                           "%s: panel %d has no tag: each panel shows the scores of one "
                           "backbone tag",
                           path, p + 1);
        for (int q = 0; q < p; q++)
            if (fk_tag_str_comparable(panels[q].tag, P->tag))
                return fk_fail(e, FK_ERR_ARG,
                               "%s: tag %s is in panels %d and %d: draw one panel per tag", path,
                               P->tag, q + 1, p + 1);
        if (P->n_series < 0 || (P->n_series > 0 && !P->series))
            return fk_fail(e, FK_ERR_ARG, "%s: panel %d (%s): bad series list (%d series)", path,
                           p + 1, P->tag, P->n_series);
        long total = 0;
        for (int s = 0; s < P->n_series; s++) {
            const fk_plot_series *S = &P->series[s];
            if (S->n < 0 || (S->n > 0 && (!S->x || !S->y)))
                return fk_fail(e, FK_ERR_ARG,
                               "%s: panel %d (%s), series %d (%s): %d points but x or y is NULL",
                               path, p + 1, P->tag, s + 1, nz(S->label), S->n);
            if (!S->lo != !S->hi)
                return fk_fail(e, FK_ERR_ARG,
                               "%s: panel %d (%s), series %d (%s): lo and hi must both be "
                               "given or both be NULL",
                               path, p + 1, P->tag, s + 1, nz(S->label));
            for (int i = 0; S->lo && i < S->n; i++)
                if (isfinite(S->lo[i]) && isfinite(S->hi[i]) && S->lo[i] > S->hi[i])
                    return fk_fail(e, FK_ERR_ARG,
                                   "%s: panel %d (%s), series %d (%s), point %d: interval lo "
                                   "%g > hi %g",
                                   path, p + 1, P->tag, s + 1, nz(S->label), i + 1, S->lo[i],
                                   S->hi[i]);
            total += S->n;
        }
        if (total == 0)
            return fk_fail(e, FK_ERR_ARG, "%s: panel %d (%s) is empty: it has no %s", path, p + 1,
                           P->tag, P->n_series ? "points" : "series");
    }
    return FK_OK;
}

static void free_figure(fkp_figure *f)
{
    for (int p = 0; f->panels && p < f->n_panels; p++) {
        fkp_panel *P = &f->panels[p];
        for (int s = 0; P->series && s < P->n_series; s++)
            free(P->series[s].x); /* one block per series: x, y, lo, hi, bx, by */
        free(P->series);
    }
    free(f->panels);
    free(f->labels);
    free(f->label_band);
}

/* Copies one series' usable points in x order; counts what is left out. */
static fk_status prepare_series(fkp_figure *f, fkp_panel *P, const fk_plot_series *S,
                                fkp_series *out, fk_plot_info *info)
{
    const char *label = nz(S->label);
    out->style = -1;
    if (label[0]) {
        int k = find_label(f, label);
        if (k < 0) {
            k = f->n_labels++;
            f->labels[k] = label;
            f->label_band[k] = 0;
        }
        out->style = k;
        if (S->lo)
            f->label_band[k] = 1;
    } else {
        /* Unlabelled series still need a colour of their own: they take the
         * styles after the labelled ones (see the renderer). */
        out->style = -2;
    }
    if (S->n == 0)
        return FK_OK;
    pt *tmp = malloc((size_t)S->n * sizeof *tmp);
    double *block = malloc((size_t)S->n * 8 * sizeof *block);
    if (!tmp || !block) {
        free(tmp);
        free(block);
        return FK_ERR_NOMEM;
    }
    int m = 0;
    for (int i = 0; i < S->n; i++) {
        if (!usable(S->x[i], P->log_x) || !usable(S->y[i], P->log_y)) {
            info->n_skipped++;
            continue;
        }
        pt q = {axis_coord(S->x[i], P->log_x), axis_coord(S->y[i], P->log_y), NAN, NAN};
        if (S->lo) {
            if (usable(S->lo[i], P->log_y) && usable(S->hi[i], P->log_y)) {
                q.lo = axis_coord(S->lo[i], P->log_y);
                q.hi = axis_coord(S->hi[i], P->log_y);
            } else {
                info->n_band_skipped++;
            }
        }
        tmp[m++] = q;
    }
    qsort(tmp, (size_t)m, sizeof *tmp, cmp_pt);
    out->n = m;
    out->x = block;
    out->y = block + S->n;
    if (S->lo) {
        out->lo = block + 2 * (size_t)S->n;
        out->hi = block + 3 * (size_t)S->n;
        out->bx = block + 4 * (size_t)S->n;
        out->by = block + 6 * (size_t)S->n;
    }
    for (int i = 0; i < m; i++) {
        out->x[i] = tmp[i].x;
        out->y[i] = tmp[i].y;
        if (out->lo) {
            out->lo[i] = tmp[i].lo;
            out->hi[i] = tmp[i].hi;
        }
    }
    free(tmp);
    info->n_points += m;
    P->n_usable += m;
    return FK_OK;
}

static void measure_panel(fkp_panel *P)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int s = 0; s < P->n_series; s++) {
        const fkp_series *S = &P->series[s];
        for (int i = 0; i < S->n; i++) {
            x0 = fmin(x0, S->x[i]);
            x1 = fmax(x1, S->x[i]);
            y0 = fmin(y0, S->y[i]);
            y1 = fmax(y1, S->y[i]);
            if (S->lo && isfinite(S->lo[i])) {
                y0 = fmin(y0, S->lo[i]);
                y1 = fmax(y1, S->hi[i]);
            }
        }
    }
    if (!P->n_usable) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    pad_range(&x0, &x1, P->log_x);
    pad_range(&y0, &y1, P->log_y);
    P->xmin = x0;
    P->xmax = x1;
    P->ymin = y0;
    P->ymax = y1;
    P->xstep = P->log_x ? 0 : nice_step(x1 - x0);
    P->ystep = P->log_y ? 0 : nice_step(y1 - y0);
}

static fk_status prepare(const char *path, const char *title, const fk_plot_panel *panels,
                         int n_panels, const fk_plot_options *o, fkp_figure *f,
                         fk_plot_info *info, fk_error *e)
{
    long n_series = 0;
    for (int p = 0; p < n_panels; p++)
        n_series += panels[p].n_series;
    f->title = title && title[0] ? title : NULL;
    f->interval_label = o->interval_label && o->interval_label[0] ? o->interval_label : NULL;
    f->font_scale = o->font_scale;
    f->n_panels = n_panels;
    f->panels = calloc((size_t)n_panels, sizeof *f->panels);
    f->labels = calloc((size_t)n_series + 1, sizeof *f->labels);
    f->label_band = calloc((size_t)n_series + 1, sizeof *f->label_band);
    if (!f->panels || !f->labels || !f->label_band)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory for %d panels", path, n_panels);
    for (int p = 0; p < n_panels; p++) {
        const fk_plot_panel *In = &panels[p];
        fkp_panel *P = &f->panels[p];
        P->tag = In->tag;
        P->xlabel = In->xlabel;
        P->ylabel = In->ylabel;
        P->log_x = !!In->log_x;
        P->log_y = !!In->log_y;
        P->series = calloc((size_t)In->n_series, sizeof *P->series);
        if (!P->series)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
        P->n_series = In->n_series;
        for (int s = 0; s < In->n_series; s++)
            if (prepare_series(f, P, &In->series[s], &P->series[s], info))
                return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory for panel %d (%s)", path,
                               p + 1, P->tag);
        measure_panel(P);
        /* PLplot's window must have a finite, representable width. */
        double wx = P->xmax - P->xmin, wy = P->ymax - P->ymin;
        if (!isfinite(wx) || !isfinite(wy) || wx < 1e-300 * fmax(1, fabs(P->xmax)) ||
            wy < 1e-300 * fmax(1, fabs(P->ymax)) || !(wx > 0) || !(wy > 0))
            return fk_fail(e, FK_ERR_NUMERIC,
                           "%s: panel %d (%s): the values span [%g, %g] x [%g, %g], which "
                           "cannot be drawn",
                           path, p + 1, P->tag, P->xmin, P->xmax, P->ymin, P->ymax);
        for (int s = 0; s < P->n_series; s++)
            if (P->series[s].lo)
                f->any_band = 1;
    }
    /* Unlabelled series: styles after the labelled ones, one each. */
    int next = f->n_labels;
    for (int p = 0; p < n_panels; p++)
        for (int s = 0; s < f->panels[p].n_series; s++)
            if (f->panels[p].series[s].style == -2)
                f->panels[p].series[s].style = next++;
    return FK_OK;
}

static fk_status layout(const char *path, const fk_plot_options *o, fkp_figure *f, fk_error *e)
{
    if (!(o->font_scale > 0.2 && o->font_scale < 10))
        return fk_fail(e, FK_ERR_ARG, "%s: font_scale %g is out of range (0.2, 10)", path,
                       o->font_scale);
    if (o->columns < 0)
        return fk_fail(e, FK_ERR_ARG, "%s: columns %d is negative", path, o->columns);
    int n = f->n_panels;
    int cols = o->columns ? o->columns : (int)ceil(sqrt((double)n));
    if (cols > n)
        cols = n;
    f->columns = cols;
    f->rows = (n + cols - 1) / cols;
    double fs = o->font_scale;
    /* Wide enough for the longest tag in the title font (15 px, 0.6 em per
     * character) with room for the axis numbers beside it. */
    size_t tag_chars = 0;
    for (int p = 0; p < n; p++)
        if (strlen(f->panels[p].tag) > tag_chars)
            tag_chars = strlen(f->panels[p].tag);
    double col_w = fmax(520.0, 9.0 * (double)tag_chars + 100.0) * fs;
    int legend = f->n_labels > 0 ? (int)(220 * fs) : 0;
    f->width = o->width ? o->width : (int)(cols * col_w) + legend;
    f->height = o->height ? o->height : (int)(f->rows * 400 * fs + (f->title ? 50 * fs : 0));
    if (f->width < MIN_SIDE || f->height < MIN_SIDE || f->width > MAX_SIDE ||
        f->height > MAX_SIDE)
        return fk_fail(e, FK_ERR_ARG, "%s: page size %dx%d is out of range [%d, %d]", path,
                       f->width, f->height, MIN_SIDE, MAX_SIDE);
    return FK_OK;
}

/* PLplot's own writes are not checked: read the whole file back. A PNG
 * must end in its IEND chunk, an SVG in "</svg>"; a file cut short by a
 * full disk fails here and is never committed. */
static fk_status check_written(const char *tmp, const char *path, int svg, fk_error *e)
{
    FILE *fp = fopen(tmp, "rb");
    unsigned char head[8] = {0}, tail[64] = {0};
    size_t got = 0, tl = 0;
    if (fp) {
        got = fread(head, 1, sizeof head, fp);
        if (!fseek(fp, 0, SEEK_END)) {
            long size = ftell(fp);
            long from = size > (long)sizeof tail ? size - (long)sizeof tail : 0;
            if (size > 0 && !fseek(fp, from, SEEK_SET))
                tl = fread(tail, 1, (size_t)(size - from), fp);
        }
        if (ferror(fp))
            got = tl = 0;
        fclose(fp);
    }
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    int ok;
    if (svg) {
        while (tl && (tail[tl - 1] == '\n' || tail[tl - 1] == '\r' || tail[tl - 1] == ' '))
            tl--;
        ok = got > 0 && head[0] == '<' && tl >= 6 && !memcmp(tail + tl - 6, "</svg>", 6);
    } else {
        ok = got == 8 && !memcmp(head, png_sig, 8) && tl >= 12 && !memcmp(tail + tl - 12, iend, 12);
    }
    if (!ok)
        return fk_fail(e, FK_ERR_IO, "%s: PLplot wrote no complete %s image (disk full?)", path,
                       svg ? "SVG" : "PNG");
    return FK_OK;
}

fk_status fk_plot_write(const char *path, const char *title, const fk_plot_panel *panels,
                        int n_panels, const fk_plot_options *o, fk_plot_info *info,
                        fk_error *e)
{
    fk_plot_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!path || !path[0])
        return fk_fail(e, FK_ERR_ARG, "plot: no output path");
    int fmt = format_of(path);
    if (fmt < 0)
        return fk_fail(e, FK_ERR_ARG, "%s: unknown plot format: the name must end in .png or .svg",
                       path);
    fk_plot_options defaults = fk_plot_default_options();
    if (!o)
        o = &defaults;
    fk_status st = check_panels(path, panels, n_panels, e);
    if (!st)
        st = fk_output_prepare(path, NULL, 0, e);
    if (st)
        return st;

    fkp_figure fig;
    memset(&fig, 0, sizeof fig);
    fig.svg = fmt;
    st = prepare(path, title, panels, n_panels, o, &fig, info, e);
    if (!st)
        st = layout(path, o, &fig, e);
    char *tmp = NULL;
    if (!st) {
        tmp = fk_temp_name(path);
        if (!tmp)
            st = fk_fail(e, FK_ERR_IO, "%s: cannot create a file in its folder: %s", path,
                         strerror(errno));
    }
    if (!st)
        st = fkp_render(&fig, tmp, e);
    if (st && e && tmp)
        fk_fail_prefix(e, "%s", path);
    if (!st)
        st = check_written(tmp, path, fig.svg, e);
    if (!st)
        st = fk_commit_file(tmp, path, e);
    if (st && tmp)
        unlink(tmp);
    free(tmp);
    if (!st) {
        info->n_panels = n_panels;
        info->width = fig.width;
        info->height = fig.height;
    } else {
        memset(info, 0, sizeof *info); /* nothing was drawn */
    }
    free_figure(&fig);
    return st;
}
