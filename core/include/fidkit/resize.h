/* fidkit — from a decoded image to the backbone's input: resize (and crop) in
 * one of the field's named conventions, then normalise.
 *
 * The conventions, each matching its reference:
 *   clean              PIL BICUBIC on each channel in float ('F') mode, then
 *                      clipped to [0, 255], not re-quantised (clean-fid).
 *                      Within 1e-3 of Pillow on the 0..255 scale (fidkit sums
 *                      in float where Pillow sums in double).
 *   legacy_pytorch     torch.nn.functional.interpolate(mode='bilinear',
 *                      align_corners=False), no antialias (pytorch-fid).
 *   legacy_tensorflow  TF1 resize_bilinear without half-pixel centres:
 *                      src = dst * in / out, upper index clamped (TF FID graph,
 *                      ADM evaluator, torch-fidelity).
 *   pil_bicubic        PIL BICUBIC on the uint8 image, rounded to uint8, as
 *                      torchvision transforms on PIL images do (CLIP, CMMD).
 *                      Equal to Pillow's 8-bit path value for value.
 *   torch_bicubic_aa   torch.nn.functional.interpolate(x.float(), mode='bicubic',
 *                      antialias=True, align_corners=False) on the 0..255
 *                      values, not clipped or rounded (EDM2's FD_DINOv2).
 *                      Within 3e-4 of torch 1.13 on the 0..255 scale (float
 *                      weights rounded a few ulps apart from torch's).
 *   none               no resize: the image must already have the input size
 *                      (center_crop has no effect then).
 * Without center_crop the image is resized to size x size whatever its aspect
 * ratio (as clean-fid and pytorch-fid do). center_crop resizes the short side
 * to the input size, the long side to int(size * long / short) (torchvision's
 * Resize), and keeps the centre size x size square at torchvision's
 * CenterCrop offsets int(round((side - size) / 2.0)), Python rounding half to
 * even, as CLIP preprocesses. Only the kept square is computed: each output
 * pixel equals the one the full resize would give.
 *
 * Normalisation is data, not code: y = (x * scale - mean[c]) / std[c] for x
 * in 0..255, with the numbers from the backbone's YAML:
 *   pytorch-fid  scale 1/255, mean 0.5, std 0.5   (2 * x/255 - 1)
 *   TF / ADM     scale 1,     mean 128, std 128   ((x - 128) / 128)
 *   CLIP         scale 1/255, CLIP's mean and std */
#ifndef FIDKIT_RESIZE_H
#define FIDKIT_RESIZE_H

#include "export.h"

#include "error.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_resize_mode {
    FK_RESIZE_CLEAN = 0,
    FK_RESIZE_LEGACY_PYTORCH,
    FK_RESIZE_LEGACY_TENSORFLOW,
    FK_RESIZE_PIL_BICUBIC,
    FK_RESIZE_NONE,
    FK_RESIZE_TORCH_BICUBIC_AA
} fk_resize_mode;

#define FK_RESIZE_MAX_SIZE 16384 /* largest accepted output side */

typedef struct fk_preprocess {
    int size;                 /* square output side, 1..FK_RESIZE_MAX_SIZE */
    fk_resize_mode resize;
    int center_crop;
    float scale;
    float mean[3], std[3];
} fk_preprocess;

FK_API const char *fk_resize_name(fk_resize_mode m);   /* "clean", ...; "unknown" */
FK_API fk_status fk_resize_parse(const char *name, fk_resize_mode *m, fk_error *e);

/* in: HWC uint8 RGB; out: CHW float32, 3 x size x size, values on the 0..255
 * scale (not normalised). */
FK_API fk_status fk_resize(const fk_image *in, const fk_preprocess *p, float *out, fk_error *e);
/* In place on a CHW block of 3 x size x size. */
FK_API void fk_normalize(const fk_preprocess *p, float *chw);
/* fk_resize then fk_normalize: what the loader runs per image. Refuses a
 * zero or non-finite std, mean or scale. */
FK_API fk_status fk_preprocess_image(const fk_image *in, const fk_preprocess *p, float *out,
                                     fk_error *e);

/* A reusable resizer: keeps the filter coefficients of the last input size
 * and its scratch buffers, so a stream of same-sized images (the usual
 * dataset) computes coefficients once and allocates nothing per image.
 * Results are identical to fk_resize / fk_preprocess_image. One resizer per
 * thread: it is not safe to share while running. */
typedef struct fk_resizer fk_resizer;
FK_API fk_status fk_resizer_new(const fk_preprocess *p, fk_resizer **out, fk_error *e);
FK_API fk_status fk_resizer_resize(fk_resizer *r, const fk_image *in, float *out, fk_error *e);
FK_API fk_status fk_resizer_preprocess(fk_resizer *r, const fk_image *in, float *out,
                                       fk_error *e);
FK_API void fk_resizer_free(fk_resizer *r);

#ifdef __cplusplus
}
#endif
#endif
