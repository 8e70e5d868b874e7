/* fidkit — what the image decoders (core/src/image_*.c) share; not installed.
 *
 * Each decoder takes the whole encoded file in memory and fills an fk_image
 * with RGB uint8 exactly as PIL's Image.open(f).convert("RGB") would, or fails
 * with a message that begins with the file name. */
#ifndef FIDKIT_IMAGE_INTERNAL_H
#define FIDKIT_IMAGE_INTERNAL_H

#include "fidkit/image.h"

#if defined(__GNUC__)
#define FK_IMG_HIDDEN __attribute__((visibility("hidden")))
#else
#define FK_IMG_HIDDEN
#endif

typedef fk_status (*fk_img_decoder)(const uint8_t *buf, size_t len, const char *name,
                                    const fk_decode_options *o, fk_image *out,
                                    fk_error *e);

/* Checks the size read from a header against the pixel limit and allocates
 * out->rgb (zeroed). Called before any allocation that scales with the image. */
FK_IMG_HIDDEN fk_status fk_img_alloc(fk_image *out, int64_t w, int64_t h, const char *name,
                                     const char *format, const fk_decode_options *o,
                                     fk_error *e);

/* 16-bit greyscale to 8 bits: v >> 8 by default, min(v, 255) when PIL's
 * clipping is asked for (PIL converts its "I"/"I;16" modes to RGB that way). */
static inline uint8_t fk_img_gray16(unsigned v, const fk_decode_options *o)
{
    if (o->gray16_pil_clip)
        return (uint8_t)(v > 255 ? 255 : v);
    return (uint8_t)(v >> 8);
}

/* zlib inflate (stb_image's) for image_png.c; see image_stb.c. Returns 1 if
 * the stream ended cleanly. */
typedef struct fk_inflate_result {
    size_t produced;     /* bytes out before the end, or before cap (full);
                            unknown after other errors */
    size_t trailer_at;   /* offset of the bytes after the last deflate block */
    size_t trailer_len;  /* how many of them the input holds (>= 4: a checksum) */
    int at_end;          /* the input ran out */
    int full;            /* stopped because more output than cap was coming */
    const char *why;     /* the error, when the stream did not end cleanly */
} fk_inflate_result;
FK_IMG_HIDDEN int fk_img_inflate(const uint8_t *d, size_t n, uint8_t *out, size_t cap,
                                 fk_inflate_result *r);
FK_IMG_HIDDEN fk_status fk_img_decode_png(const uint8_t *buf, size_t len, const char *name,
                                          const fk_decode_options *o, fk_image *out,
                                          fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_tga(const uint8_t *buf, size_t len, const char *name,
                                          const fk_decode_options *o, fk_image *out,
                                          fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_bmp(const uint8_t *buf, size_t len, const char *name,
                                            const fk_decode_options *o, fk_image *out,
                                            fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_jpeg(const uint8_t *buf, size_t len, const char *name,
                                           const fk_decode_options *o, fk_image *out,
                                           fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_gif(const uint8_t *buf, size_t len, const char *name,
                                          const fk_decode_options *o, fk_image *out,
                                          fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_pnm(const uint8_t *buf, size_t len, const char *name,
                                          const fk_decode_options *o, fk_image *out,
                                          fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_webp(const uint8_t *buf, size_t len, const char *name,
                                           const fk_decode_options *o, fk_image *out,
                                           fk_error *e);
FK_IMG_HIDDEN fk_status fk_img_decode_tiff(const uint8_t *buf, size_t len, const char *name,
                                           const fk_decode_options *o, fk_image *out,
                                           fk_error *e);

#endif
