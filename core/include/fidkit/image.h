/* fidkit — decoding image files to RGB uint8, pixel for pixel as PIL's
 * Image.open(f).convert("RGB") does (the reference every peer uses).
 *
 * PNG, BMP, TGA, PPM/PGM and GIF (first frame) go through stb_image; JPEG
 * through libjpeg-turbo configured as PIL configures it (islow DCT, fancy
 * upsampling, CMYK and Adobe-inverted CMYK converted as PIL converts them,
 * EXIF orientation ignored); WebP through libwebp and TIFF through libtiff.
 * Alpha is dropped, not composited, as PIL's convert("RGB") does.
 *
 * One deliberate difference: 16-bit greyscale is scaled (v >> 8), where PIL
 * clips at 255; gray16_pil_clip = 1 reproduces PIL. */
#ifndef FIDKIT_IMAGE_H
#define FIDKIT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_image {
    int w, h;
    uint8_t *rgb;  /* h * w * 3, row-major HWC; malloc'ed, fk_image_free */
} fk_image;

#define FK_DEFAULT_MAX_PIXELS 89478485LL /* PIL's Image.MAX_IMAGE_PIXELS */

typedef struct fk_decode_options {
    int gray16_pil_clip;  /* 1: clip 16-bit greyscale at 255 like PIL */
    int64_t max_pixels;   /* refuse larger images before allocating; 0 = default */
} fk_decode_options;

fk_decode_options fk_decode_default_options(void);

/* Decodes an encoded image held in memory. name is used in messages and,
 * with the magic bytes, to pick the decoder. */
fk_status fk_image_decode(const uint8_t *buf, size_t len, const char *name,
                          const fk_decode_options *o, fk_image *out, fk_error *e);
fk_status fk_image_load(const char *path, const fk_decode_options *o, fk_image *out,
                        fk_error *e);
void fk_image_free(fk_image *im);

#ifdef __cplusplus
}
#endif
#endif
