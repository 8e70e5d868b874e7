/* fidkit — what the resize files share: per-axis resampling plans and the
 * separable passes that use them. Not installed. */
#ifndef FIDKIT_RESIZE_INTERNAL_H
#define FIDKIT_RESIZE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fidkit/error.h"
#include "fidkit/image.h"

/* The plan of one axis: the outputs first..first+count-1 of a resize of in
 * samples to out samples (a centre crop keeps only a window of the outputs).
 * Each output reads len[i] inputs from start[i] with the coefficients at
 * off[i] (PIL filters), or two inputs lo[i], hi[i] (bilinear: weights w0, w1
 * for torch, lerp w1 for TF). Inputs [used0, used1) are the ones touched;
 * maxlen is the widest window (the number of rows a vertical pass keeps). */
typedef struct rs_axis {
    int in, out, first, count;
    int used0, used1, maxlen;
    int *start, *len;
    size_t *off;
    float *kf;     /* PIL float path */
    int32_t *ki;   /* PIL 8-bit path: fixed point with RS_PIL_BITS */
    int *lo, *hi;
    float *w0, *w1;
    int float_sums; /* 1: torch's float32 sums, no clip (antialiased bicubic) */
} rs_axis;

#define RS_PIL_BITS 22 /* Pillow's PRECISION_BITS: 32 - 8 - 2 */

typedef enum rs_kind { RS_PIL_FLOAT, RS_PIL_U8, RS_TORCH, RS_TF } rs_kind;

fk_status rs_axis_pil(rs_axis *a, int in, int out, int first, int count, int fixed8,
                      fk_error *e);
fk_status rs_axis_bilinear(rs_axis *a, int in, int out, int first, int count, int tf,
                           fk_error *e);
/* torch's antialiased bicubic (resize_torch.c): kf weights as the PIL float
 * path uses them, float_sums set. */
fk_status rs_axis_torch_aa(rs_axis *a, int in, int out, int first, int count, fk_error *e);
void rs_axis_free(rs_axis *a);

/* Scratch memory a resizer keeps between images. */
typedef struct rs_scratch {
    void *p;
    size_t cap;
} rs_scratch;
void *rs_scratch_get(rs_scratch *s, size_t bytes);

/* The passes: horizontal over the rows the vertical axis uses, then vertical,
 * written as CHW float planes of side s (ax->count == ay->count == s). */
fk_status rs_run_pil_float(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                           float *out, rs_scratch *tmp, fk_error *e);
fk_status rs_run_pil_u8(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                        float *out, rs_scratch *tmp, fk_error *e);
fk_status rs_run_bilinear(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                          float *out, int tf, rs_scratch *tmp, fk_error *e);

#endif
