/* fidkit — decoding image files to RGB uint8, pixel for pixel as PIL's
 * Image.open(f).convert("RGB") does (the reference every peer uses; Pillow
 * 9.4 here). docs/images.md lists every variant and the few differences.
 *
 * JPEG goes through libjpeg-turbo configured as PIL configures it (islow DCT,
 * fancy upsampling, every 4-component JPEG read as Adobe-inverted CMYK and
 * converted with PIL's formula, EXIF orientation ignored); WebP through
 * libwebp (first frame of animations); TIFF through libtiff (first page); TGA
 * through stb_image; PNG (inflated by stb_image), BMP, GIF (first frame) and
 * PBM/PGM/PPM by fidkit's own decoders, which follow PIL's rules where
 * stb_image does not, on damaged files too. The format is
 * recognised by its signature (TGA, which has none, by its file name).
 * Alpha is dropped, not composited, as PIL's convert("RGB") does.
 *
 * One deliberate difference: 16-bit greyscale is scaled (v >> 8), where PIL
 * clips at 255; gray16_pil_clip = 1 reproduces PIL.
 *
 * Errors (the message always starts with the file name):
 *   FK_ERR_IO           the file cannot be opened or read, or is a folder;
 *   FK_ERR_FORMAT       empty, not an image, truncated or corrupt;
 *   FK_ERR_UNSUPPORTED  over max_pixels (checked on the header, before any
 *                       large allocation), or a variant fidkit does not read;
 *   FK_ERR_ARG          NULL arguments or a negative max_pixels.
 * On failure *out is left empty ({0, 0, NULL}). Thread-safe: no global state. */
#ifndef FIDKIT_IMAGE_H
#define FIDKIT_IMAGE_H

#include "export.h"

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
/* fk_image_load reads regular files of at most this many bytes. */
#define FK_IMAGE_MAX_FILE_BYTES ((size_t)256 << 20)

typedef struct fk_decode_options {
    int gray16_pil_clip;  /* 1: clip 16-bit greyscale at 255 like PIL */
    int64_t max_pixels;   /* refuse more pixels than this (PIL only warns up to
                             2x its limit); 0 = FK_DEFAULT_MAX_PIXELS */
} fk_decode_options;

FK_API fk_decode_options fk_decode_default_options(void);

/* Decodes an encoded image held in memory (o may be NULL: defaults). name is
 * used in messages and, for TGA only, to pick the decoder. */
FK_API fk_status fk_image_decode(const uint8_t *buf, size_t len, const char *name,
                                 const fk_decode_options *o, fk_image *out, fk_error *e);
/* Reads the whole file at path (any size) and decodes it. */
FK_API fk_status fk_image_load(const char *path, const fk_decode_options *o, fk_image *out,
                               fk_error *e);
FK_API void fk_image_free(fk_image *im);

#ifdef __cplusplus
}
#endif
#endif
