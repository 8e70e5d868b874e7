/* Draws a prepared figure with PLplot: a grid of panels (one per tag), one
 * legend on the right, Okabe-Ito colours, translucent interval bands.
 *
 * PLplot keeps its streams, the current stream and its exit handler in
 * process-wide variables, so every call runs under one mutex, on a stream of
 * its own that it ends before returning.
 *
 * PLplot reports trouble three ways: plabort (a message; we route it into a
 * per-stream buffer with plsError, so nothing reaches stderr), plwarn (always
 * printed; avoided by never passing it anything it would warn about), and
 * plexit, which calls exit() after its handler returns. Our handler never
 * returns: it jumps back here and the failure becomes an fk_error.
 *
 * Layout is computed in page pixels (y down from the top) and turned into
 * PLplot's normalised coordinates. PLplot's page units are points (both
 * devices assume 72 dpi) and both devices draw a font of PLplot character
 * height h mm with an em of about 1.335*h points, which is how font sizes in
 * pixels are turned into character heights. PLplot exports no text measure,
 * so text widths are estimated (0.6 em per character, DejaVu Sans' mean). */
#include <locale.h>
#include <math.h>
#include <plplot/plplot.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_internal.h"

/* Until the build defines FK_HAVE_PLPLOT (and links libplplot), PLplot is
 * bound weakly: libfidkit still links and loads without it, and
 * fk_plot_write says what is missing. Weak references alone would not do for
 * good: the toolchain links with --as-needed, which drops a library that
 * only weak references use. */
#ifndef FK_HAVE_PLPLOT
#pragma weak c_pladv
#pragma weak c_plbox
#pragma weak c_plcol0
#pragma weak c_plend1
#pragma weak c_plfill
#pragma weak c_plgspa
#pragma weak c_plgstrm
#pragma weak c_plinit
#pragma weak c_pljoin
#pragma weak c_plline
#pragma weak c_plmkstrm
#pragma weak c_plmtex
#pragma weak c_plptex
#pragma weak c_plschr
#pragma weak c_plscmap0n
#pragma weak c_plscol0a
#pragma weak c_plscolbga
#pragma weak c_plsdev
#pragma weak c_plsfnam
#pragma weak c_plsfont
#pragma weak c_plslabelfunc
#pragma weak c_plspage
#pragma weak c_plsstrm
#pragma weak c_plvpor
#pragma weak c_plwidth
#pragma weak c_plwind
#pragma weak plgDevs
#pragma weak plsError
#pragma weak plsexit
#endif

#define EM_PER_CHRHT 1.335
#define CHAR_W 0.6 /* mean advance of a character, in em */
#define N_COLOURS 8
#define N_MARKERS 6
#define MAX_MARKED 100 /* series with more points get no markers */

/* cmap0 slots */
enum { C_BG = 0, C_INK = 1, C_GRID = 2, C_FRAME = 3, C_NOTE = 4, C_BANDKEY = 5, C_SERIES = 8,
       C_BAND = C_SERIES + N_COLOURS, C_COUNT = C_BAND + N_COLOURS };

/* Okabe & Ito's colour-blind-safe palette, yellow last (faint on white). */
static const int palette[N_COLOURS][3] = {
    {0, 114, 178},   /* blue */
    {213, 94, 0},    /* vermillion */
    {0, 158, 115},   /* bluish green */
    {204, 121, 167}, /* reddish purple */
    {230, 159, 0},   /* orange */
    {86, 180, 233},  /* sky blue */
    {0, 0, 0},       /* black */
    {240, 228, 66},  /* yellow */
};

static pthread_mutex_t plplot_lock = PTHREAD_MUTEX_INITIALIZER;
/* Valid only while plplot_lock is held: where plexit's handler jumps. */
static jmp_buf *exit_jump;
static char exit_msg[512];

static int on_plexit(const char *msg)
{
    snprintf(exit_msg, sizeof exit_msg, "%s", msg ? msg : "");
    longjmp(*exit_jump, 1);
}

typedef struct ctx {
    const fkp_figure *fig;
    double W, H;  /* page, px */
    double ppmm;  /* page px per mm */
    double f;     /* base font em, px */
    double legend_w;
} ctx;

/* ---- coordinates and text ------------------------------------------------ */

static void viewport_px(const ctx *c, double x0, double y0, double x1, double y1)
{
    plvpor(x0 / c->W, x1 / c->W, 1.0 - y1 / c->H, 1.0 - y0 / c->H);
}

/* A whole-page viewport whose world coordinates are page pixels, y up. */
static void page_world(const ctx *c)
{
    plvpor(0, 1, 0, 1);
    plwind(0, c->W, 0, c->H);
}

static void font(const ctx *c, double em_px, int bold)
{
    plschr(em_px / (EM_PER_CHRHT * c->ppmm), 1.0);
    plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, bold ? PL_FCI_BOLD : PL_FCI_MEDIUM);
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static double text_w(const char *s, double em_px)
{
    return (double)utf8_len(s) * CHAR_W * em_px;
}

/* PLplot reads '#' as its escape character; double it. Long strings are cut
 * with an ellipsis at max_chars (0: no limit). */
static const char *esc(const char *s, char *out, size_t cap, size_t max_chars)
{
    size_t j = 0, chars = 0;
    for (; *s && j + 8 < cap; s++) {
        int lead = ((unsigned char)*s & 0xC0) != 0x80;
        if (lead && max_chars && chars + 1 >= max_chars && utf8_len(s) > 1) {
            memcpy(out + j, "\xe2\x80\xa6", 3); /* … */
            j += 3;
            break;
        }
        chars += lead;
        if (*s == '#')
            out[j++] = '#';
        out[j++] = *s;
    }
    out[j] = 0;
    return out;
}

/* ---- ticks ---------------------------------------------------------------- */

typedef struct axis_fmt {
    int is_log;
    double step;
} axis_fmt;

/* Linear axes: PLplot places the ticks (every `step`) and asks us for the
 * text. */
static void tick_label(double v, const axis_fmt *a, char *out, size_t cap)
{
    if (fabs(v) < 1e-9 * a->step)
        v = 0;
    if (fabs(v) >= 1e6 || a->step < 1e-4) {
        /* Enough digits to tell neighbouring ticks apart (1e8 + 0.2k). */
        int digits = v == 0 ? 1 : (int)ceil(log10(fabs(v) / a->step) - 1e-9) + 1;
        snprintf(out, cap, "%.*g", digits < 3 ? 3 : digits > 15 ? 15 : digits, v);
    }
    else
        snprintf(out, cap, "%.*f", a->step >= 1 ? 0 : (int)ceil(-log10(a->step) - 1e-9), v);
}

static void label_cb(PLINT axis, PLFLT value, char *out, PLINT len, PLPointer data)
{
    const axis_fmt *a = data;
    tick_label(value, &a[axis == PL_Y_AXIS], out, (size_t)len);
}

/* Log axes: PLplot labels decades only, which leaves a range of one or two
 * decades with one number; we label 1, 2 and 5 times the decades then, and
 * write the numbers ourselves. */
#define MAX_LOG_TICKS 24
typedef struct log_tick {
    double at; /* log10 of the value */
    char text[40];
    int width; /* characters shown */
} log_tick;

static int log_ticks(double lo, double hi, log_tick *t)
{
    static const double mult[3] = {1, 2, 5};
    int decades = 0;
    for (double k = ceil(lo - 1e-9); k <= hi + 1e-9; k++)
        decades++;
    int every = decades > 7 ? (decades + 6) / 7 : 1; /* at most about 7 labels */
    int n = 0;
    for (long k = (long)floor(lo); k <= (long)ceil(hi) && n < MAX_LOG_TICKS; k++) {
        for (int m = 0; m < 3 && n < MAX_LOG_TICKS; m++) {
            double at = (double)k + log10(mult[m]);
            if (at < lo - 1e-9 || at > hi + 1e-9)
                continue;
            if (m > 0 && decades >= 2)
                continue;
            if (m == 0 && every > 1 && k % every)
                continue;
            log_tick *q = &t[n++];
            q->at = at;
            if (k >= -3 && k <= 5) {
                snprintf(q->text, sizeof q->text, "%g", mult[m] * pow(10.0, (double)k));
                q->width = (int)strlen(q->text);
            } else if (m == 0) {
                snprintf(q->text, sizeof q->text, "10#u%ld#d", k);
                q->width = (int)strlen(q->text) - 4;
            } else {
                snprintf(q->text, sizeof q->text, "%g\xc3\x97" "10#u%ld#d", mult[m], k);
                q->width = (int)strlen(q->text) - 5;
            }
        }
    }
    return n;
}

/* Widest y tick label (in characters, as displayed). */
static size_t widest_tick(double lo, double hi, const axis_fmt *a)
{
    char b[64];
    size_t w = 1;
    if (a->is_log) {
        log_tick t[MAX_LOG_TICKS];
        int n = log_ticks(lo, hi, t);
        for (int i = 0; i < n; i++)
            if ((size_t)t[i].width > w)
                w = (size_t)t[i].width;
        return w;
    }
    for (double v = ceil(lo / a->step - 1e-9) * a->step; v <= hi + 1e-9 * a->step; v += a->step) {
        tick_label(v, a, b, sizeof b);
        if (strlen(b) > w)
            w = strlen(b);
    }
    return w;
}

/* Writes the numbers of a log axis beside its bottom (x) or left (y) edge. */
static void write_log_ticks(int y_axis, double lo, double hi, double disp)
{
    log_tick t[MAX_LOG_TICKS];
    int n = log_ticks(lo, hi, t);
    for (int i = 0; i < n; i++) {
        double pos = (t[i].at - lo) / (hi - lo);
        if (y_axis)
            plmtex("lv", disp, pos, 1.0, t[i].text);
        else
            plmtex("b", disp, pos, 0.5, t[i].text);
    }
}

/* ---- series pieces ----------------------------------------------------------- */

static void marker(int shape, double x, double y, double rx, double ry)
{
    PLFLT px[16], py[16];
    int n = 0;
    switch (shape) {
    case 0: /* circle */
        for (n = 0; n < 14; n++) {
            px[n] = x + rx * cos(2 * M_PI * n / 14);
            py[n] = y + ry * sin(2 * M_PI * n / 14);
        }
        break;
    case 1: { /* square */
        double s = 0.85;
        double q[4][2] = {{-s, -s}, {s, -s}, {s, s}, {-s, s}};
        for (n = 0; n < 4; n++) {
            px[n] = x + rx * q[n][0];
            py[n] = y + ry * q[n][1];
        }
        break;
    }
    case 2: { /* diamond */
        double q[4][2] = {{0, -1.2}, {1.2, 0}, {0, 1.2}, {-1.2, 0}};
        for (n = 0; n < 4; n++) {
            px[n] = x + rx * q[n][0];
            py[n] = y + ry * q[n][1];
        }
        break;
    }
    case 3: /* triangle up */
    case 4: /* triangle down */
        for (n = 0; n < 3; n++) {
            double t = M_PI / 2 + 2 * M_PI * n / 3 + (shape == 4 ? M_PI : 0);
            px[n] = x + 1.2 * rx * cos(t);
            py[n] = y + 1.2 * ry * sin(t) - (shape == 4 ? -0.2 : 0.2) * ry;
        }
        break;
    default: /* hexagon */
        for (n = 0; n < 6; n++) {
            px[n] = x + 1.05 * rx * cos(2 * M_PI * n / 6);
            py[n] = y + 1.05 * ry * sin(2 * M_PI * n / 6);
        }
        break;
    }
    plfill(n, px, py);
    /* A white rim keeps overlapping markers apart. */
    px[n] = px[0];
    py[n] = py[0];
    plcol0(C_BG);
    plline(n + 1, px, py);
}

static void marker_rimmed(int style, double x, double y, double rx, double ry)
{
    plcol0(C_SERIES + style % N_COLOURS);
    marker(style % N_MARKERS, x, y, rx, ry);
}

static void draw_band(const fkp_series *s, double cap_w)
{
    int i = 0;
    plcol0(C_BAND + s->style % N_COLOURS);
    while (i < s->n) {
        if (!isfinite(s->lo[i])) {
            i++;
            continue;
        }
        int j = i;
        while (j < s->n && isfinite(s->lo[j]))
            j++;
        int m = j - i;
        if (m == 1) {
            /* A lone interval: an error bar with caps, opaque (a translucent
             * hairline would vanish). */
            plcol0(C_SERIES + s->style % N_COLOURS);
            pljoin(s->x[i], s->lo[i], s->x[i], s->hi[i]);
            pljoin(s->x[i] - cap_w, s->lo[i], s->x[i] + cap_w, s->lo[i]);
            pljoin(s->x[i] - cap_w, s->hi[i], s->x[i] + cap_w, s->hi[i]);
            plcol0(C_BAND + s->style % N_COLOURS);
        } else {
            PLFLT *bx = s->bx, *by = s->by;
            for (int k = 0; k < m; k++) {
                bx[k] = s->x[i + k];
                by[k] = s->hi[i + k];
                bx[2 * m - 1 - k] = s->x[i + k];
                by[2 * m - 1 - k] = s->lo[i + k];
            }
            plfill(2 * m, bx, by);
        }
        i = j;
    }
}

/* ---- a panel ---------------------------------------------------------------- */

static void draw_panel(const ctx *c, const fkp_panel *P, double cx0, double cy0, double cw,
                       double ch)
{
    const double f = c->f;
    char buf[1024];
    axis_fmt fmt[2] = {{P->log_x, P->xstep}, {P->log_y, P->ystep}};
    double tick_em = 0.92 * f, label_em = f, title_em = 1.08 * f;

    double ytw = (double)widest_tick(P->ymin, P->ymax, &fmt[1]) * CHAR_W * tick_em;
    double left = 0.5 * f + (P->ylabel ? 1.9 * label_em : 0) + ytw + 0.6 * f;
    double right = 1.4 * f;
    double top = 2.3 * title_em;
    double bottom = 1.0 * f + 1.5 * tick_em + (P->xlabel ? 1.6 * label_em : 0);
    double x0 = cx0 + left, x1 = cx0 + cw - right, y0 = cy0 + top, y1 = cy0 + ch - bottom;
    if (x1 - x0 < 40 || y1 - y0 < 40) {
        /* A very small page: keep a drawable frame. */
        x0 = cx0 + 0.1 * cw;
        x1 = cx0 + 0.95 * cw;
        y0 = cy0 + 0.15 * ch;
        y1 = cy0 + 0.85 * ch;
    }
    viewport_px(c, x0, y0, x1, y1);
    plwind(P->xmin, P->xmax, P->ymin, P->ymax);
    plslabelfunc(label_cb, fmt);
    const char *lx = P->log_x ? "l" : "", *ly = P->log_y ? "l" : "";
    char xopt[16], yopt[16];

    /* Grid under everything. */
    plcol0(C_GRID);
    plwidth(1.0);
    snprintf(xopt, sizeof xopt, "g%s", lx);
    snprintf(yopt, sizeof yopt, "g%s", ly);
    plbox(xopt, P->xstep, 0, yopt, P->ystep, 0);

    double wx = (P->xmax - P->xmin) / (x1 - x0), wy = (P->ymax - P->ymin) / (y1 - y0);
    double r = 0.30 * f;
    for (int s = 0; s < P->n_series; s++)
        if (P->series[s].lo && P->series[s].n)
            draw_band(&P->series[s], 0.35 * f * wx);
    for (int s = 0; s < P->n_series; s++) {
        const fkp_series *S = &P->series[s];
        if (S->n < 2)
            continue;
        plcol0(C_SERIES + S->style % N_COLOURS);
        plwidth(2.0);
        plline(S->n, S->x, S->y);
    }
    plwidth(1.0);
    for (int s = 0; s < P->n_series; s++) {
        const fkp_series *S = &P->series[s];
        if (S->n > MAX_MARKED)
            continue; /* a dense series: markers would hide the line */
        for (int i = 0; i < S->n; i++)
            marker_rimmed(S->style, S->x[i], S->y[i], r * wx, r * wy);
    }
    if (!P->n_usable) {
        font(c, label_em, 0);
        plcol0(C_NOTE);
        plptex(0.5 * (P->xmin + P->xmax), 0.5 * (P->ymin + P->ymax), 1, 0, 0.5,
               "no finite values to draw");
    }

    /* Ticks and numbers on the bottom and left edges, then the frame as one
     * closed line (tests/ref/plot.py finds the panels by it in SVG files). */
    font(c, tick_em, 0);
    plcol0(C_FRAME);
    snprintf(xopt, sizeof xopt, "bt%s", P->log_x ? "ls" : "no");
    snprintf(yopt, sizeof yopt, "bt%s", P->log_y ? "ls" : "nvo");
    plbox(xopt, P->xstep, 0, yopt, P->ystep, 0);
    if (P->log_x)
        write_log_ticks(0, P->xmin, P->xmax, 1.9);
    if (P->log_y)
        write_log_ticks(1, P->ymin, P->ymax, 0.6);
    PLFLT fx[5] = {P->xmin, P->xmax, P->xmax, P->xmin, P->xmin};
    PLFLT fy[5] = {P->ymin, P->ymin, P->ymax, P->ymax, P->ymin};
    plline(5, fx, fy);

    plcol0(C_INK);
    font(c, label_em, 0);
    double chr_px = label_em / EM_PER_CHRHT; /* plmtex's unit of displacement */
    if (P->xlabel)
        plmtex("b", (0.9 * f + 1.5 * tick_em + 0.9 * label_em) / chr_px, 0.5, 0.5,
               esc(P->xlabel, buf, sizeof buf, 0));
    if (P->ylabel)
        plmtex("l", (ytw + 0.6 * f + 0.75 * label_em) / chr_px, 0.5, 0.5,
               esc(P->ylabel, buf, sizeof buf, 0));

    /* The tag: shrunk (down to 70 %) and then cut to fit over the frame. */
    double avail = (x1 - x0) + 0.6 * left;
    double em = title_em;
    double w = text_w(P->title, em);
    if (w > avail)
        em = fmax(0.7 * title_em, em * avail / w);
    size_t max_chars = (size_t)(avail / (CHAR_W * em));
    font(c, em, 1);
    plmtex("t", (0.8 * title_em) / (em / EM_PER_CHRHT), 0.5, 0.5,
           esc(P->title, buf, sizeof buf, max_chars < 4 ? 4 : max_chars));
    font(c, f, 0);
}

/* ---- the legend ----------------------------------------------------------- */

static void draw_legend(const ctx *c, double gx1, double gy0)
{
    const fkp_figure *fig = c->fig;
    const double f = c->f;
    char buf[512];
    page_world(c);
    double em = f;
    double x = gx1 + 0.8 * f;                /* left edge of the swatches */
    double sw = 2.4 * f;                     /* swatch width */
    double row = 1.7 * em;
    double y = gy0 + 2.3 * 1.08 * f + 0.5 * row; /* level with the first frame's top */
    size_t max_chars = (size_t)((c->legend_w - sw - 1.8 * f) / (CHAR_W * em));
    int n_rows = fig->n_labels + (fig->any_band && fig->interval_label ? 1 : 0);
    double box_h = n_rows * row + 0.6 * em;

    /* A light frame around the entries. */
    plcol0(C_GRID);
    PLFLT bx[5] = {x - 0.5 * f, c->W - 0.6 * f, c->W - 0.6 * f, x - 0.5 * f, x - 0.5 * f};
    PLFLT by[5] = {c->H - (y - 0.8 * row), c->H - (y - 0.8 * row),
                   c->H - (y - 0.8 * row + box_h), c->H - (y - 0.8 * row + box_h),
                   c->H - (y - 0.8 * row)};
    plline(5, bx, by);

    font(c, em, 0);
    for (int k = 0; k < fig->n_labels; k++, y += row) {
        double yy = c->H - y;
        if (fig->label_band[k]) {
            plcol0(C_BAND + k % N_COLOURS);
            PLFLT rx[4] = {x, x + sw, x + sw, x}, ry[4] = {yy - 0.45 * em, yy - 0.45 * em,
                                                          yy + 0.45 * em, yy + 0.45 * em};
            plfill(4, rx, ry);
        }
        plcol0(C_SERIES + k % N_COLOURS);
        plwidth(2.0);
        pljoin(x, yy, x + sw, yy);
        plwidth(1.0);
        marker_rimmed(k, x + 0.5 * sw, yy, 0.30 * f, 0.30 * f);
        plcol0(C_INK);
        plptex(x + sw + 0.6 * f, yy, 1, 0, 0, esc(fig->labels[k], buf, sizeof buf, max_chars));
    }
    if (fig->any_band && fig->interval_label) {
        double yy = c->H - y;
        plcol0(C_BANDKEY);
        PLFLT rx[4] = {x, x + sw, x + sw, x}, ry[4] = {yy - 0.45 * em, yy - 0.45 * em,
                                                      yy + 0.45 * em, yy + 0.45 * em};
        plfill(4, rx, ry);
        plcol0(C_INK);
        plptex(x + sw + 0.6 * f, yy, 1, 0, 0,
               esc(fig->interval_label, buf, sizeof buf, max_chars));
    }
}

/* ---- the page -------------------------------------------------------------------- */

static double legend_width(const fkp_figure *fig, double f, double W)
{
    if (!fig->n_labels)
        return 0;
    size_t chars = fig->any_band && fig->interval_label ? utf8_len(fig->interval_label) : 0;
    for (int k = 0; k < fig->n_labels; k++)
        if (utf8_len(fig->labels[k]) > chars)
            chars = utf8_len(fig->labels[k]);
    double w = 2.4 * f + 2.4 * f + (double)chars * CHAR_W * f;
    return fmin(w, 0.35 * W);
}

static void draw_page(ctx *c)
{
    const fkp_figure *fig = c->fig;
    char buf[1024];
    double f = c->f;
    double margin = 0.6 * f;
    c->legend_w = legend_width(fig, f, c->W);
    double gx0 = margin, gx1 = c->W - c->legend_w - margin;
    double gy0 = margin, gy1 = c->H - margin;
    if (fig->title) {
        page_world(c);
        font(c, 1.3 * f, 1);
        plcol0(C_INK);
        size_t max_chars = (size_t)(c->W / (CHAR_W * 1.3 * f));
        plptex(0.5 * c->W, c->H - 1.3 * f, 1, 0, 0.5,
               esc(fig->title, buf, sizeof buf, max_chars));
        gy0 += 2.4 * f;
    }
    double cw = (gx1 - gx0) / fig->columns, ch = (gy1 - gy0) / fig->rows;
    for (int p = 0; p < fig->n_panels; p++) {
        int col = p % fig->columns, row = p / fig->columns;
        draw_panel(c, &fig->panels[p], gx0 + col * cw, gy0 + row * ch, cw, ch);
    }
    if (fig->n_labels)
        draw_legend(c, gx1, gy0);
}

static int device_present(const char *name)
{
    const char **menu = NULL, **devs = NULL;
    int n = 64;
    const char *m[64], *d[64];
    menu = m;
    devs = d;
    plgDevs(&menu, &devs, &n);
    for (int i = 0; i < n; i++)
        if (devs[i] && !strcmp(devs[i], name))
            return 1;
    return 0;
}

static void set_colours(void)
{
    plscmap0n(C_COUNT);
    plscolbga(255, 255, 255, 1.0);
    plscol0a(C_INK, 34, 34, 34, 1.0);
    plscol0a(C_GRID, 226, 226, 226, 1.0);
    plscol0a(C_FRAME, 90, 90, 90, 1.0);
    plscol0a(C_NOTE, 150, 150, 150, 1.0);
    plscol0a(C_BANDKEY, 140, 140, 140, 0.35);
    for (int i = 0; i < N_COLOURS; i++) {
        plscol0a(C_SERIES + i, palette[i][0], palette[i][1], palette[i][2], 1.0);
        plscol0a(C_BAND + i, palette[i][0], palette[i][1], palette[i][2], 0.2);
    }
}

/* Everything between setjmp and the end runs with exit_jump pointing here. */
static fk_status render_locked(const fkp_figure *fig, const char *file, fk_error *e)
{
    jmp_buf jump;
    PLINT prev = 0, strm = -1;
    /* volatile: read after a longjmp */
    volatile int stage = 0;
    PLINT errcode = 0;
    char errmsg[1024] = "";
    const char *dev = fig->svg ? "svg" : "pngcairo";

#ifndef FK_HAVE_PLPLOT
    if (!c_plinit || !plsexit || !plsError || !plgDevs)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "fidkit was built without PLplot (libplplot): plots are not available");
#endif
    plgstrm(&prev);
    exit_jump = &jump;
    plsexit(on_plexit);
    if (setjmp(jump)) {
        fk_status st = fk_fail(e, FK_ERR_INTERNAL, "PLplot failed (%s): %s",
                               stage < 2 ? "while starting" : "while drawing", exit_msg);
        plsexit(NULL);
        /* The stream is left half-made: ending it could fail again. */
        plsstrm(prev);
        return st;
    }
    if (!device_present(dev)) {
        plsexit(NULL);
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "PLplot's %s device is not installed (Debian: plplot-driver-cairo)", dev);
    }
    plmkstrm(&strm);
    if (strm < 0) {
        plsexit(NULL);
        plsstrm(prev);
        return fk_fail(e, FK_ERR_INTERNAL, "PLplot has no free stream left");
    }
    stage = 1;
    plsError(&errcode, errmsg);
    plsdev(dev);
    plsfnam(file);
    plspage(0, 0, fig->width, fig->height, 0, 0);
    set_colours();
    plinit();
    stage = 2;
    fk_status st = FK_OK;
    if (errcode) {
        st = fk_fail(e, FK_ERR_INTERNAL, "PLplot could not start its %s device: %s", dev,
                     errmsg);
    } else {
        pladv(0);
        PLFLT mx0, mx1, my0, my1;
        plgspa(&mx0, &mx1, &my0, &my1);
        ctx c = {fig, fig->width, fig->height, fig->width / (mx1 - mx0), 14.0 * fig->font_scale,
                 0};
        draw_page(&c);
        if (errcode)
            st = fk_fail(e, FK_ERR_INTERNAL, "PLplot: %s", errmsg);
    }
    plend1();
    plsexit(NULL);
    plsstrm(prev);
    return st;
}

fk_status fkp_render(const fkp_figure *fig, const char *file, fk_error *e)
{
    /* PLplot's svg device prints coordinates with %f: under a locale with a
     * decimal comma the file would not parse. This thread draws in "C". */
    locale_t c_num = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c_num ? uselocale(c_num) : (locale_t)0;
    pthread_mutex_lock(&plplot_lock);
    fk_status st = render_locked(fig, file, e);
    exit_jump = NULL;
    pthread_mutex_unlock(&plplot_lock);
    if (c_num) {
        uselocale(old);
        freelocale(c_num);
    }
    return st;
}
