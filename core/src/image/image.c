/* fidkit — image decoding: picks a decoder by the file's signature, owns the
 * pixel limit and the file reading. The decoders live in image_*.c. */
#include "image/image_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fidkit/fileio.h"

fk_decode_options fk_decode_default_options(void)
{
    fk_decode_options o;
    memset(&o, 0, sizeof o);
    o.gray16_pil_clip = 0;
    o.max_pixels = FK_DEFAULT_MAX_PIXELS;
    return o;
}

void fk_image_free(fk_image *im)
{
    if (!im)
        return;
    free(im->rgb);
    im->rgb = NULL;
    im->w = im->h = 0;
}

fk_status fk_img_alloc(fk_image *out, int64_t w, int64_t h, const char *name,
                       const char *format, const fk_decode_options *o, fk_error *e)
{
    if (w <= 0 || h <= 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s header gives an empty image (%" PRId64
                       " x %" PRId64 " pixels)", name, format, w, h);
    /* Both factors are below 2^32 for every format, so the product fits. */
    if (w > INT32_MAX || h > INT32_MAX || w * h > o->max_pixels)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "%s: %s image of %" PRId64 " x %" PRId64 " pixels exceeds the pixel "
                       "limit of %" PRId64 " (max_pixels; possible decompression bomb)",
                       name, format, w, h, o->max_pixels);
    size_t n = (size_t)w * (size_t)h * 3;
    out->rgb = calloc(n, 1);
    if (!out->rgb)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate %zu bytes for a %" PRId64
                       " x %" PRId64 " image", name, n, w, h);
    out->w = (int)w;
    out->h = (int)h;
    return FK_OK;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcasecmp(name + n - k, suffix) == 0;
}

/* TGA has no signature; PIL finds it by trying every plugin. fidkit trusts the
 * extensions PIL registers for it, so random bytes are never read as TGA. */
static int is_tga_name(const char *name)
{
    return has_suffix(name, ".tga") || has_suffix(name, ".icb") ||
           has_suffix(name, ".vda") || has_suffix(name, ".vst");
}

static fk_img_decoder pick_decoder(const uint8_t *b, size_t len, const char *name)
{
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return fk_img_decode_png;
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return fk_img_decode_jpeg;
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return fk_img_decode_gif;
    if (len >= 2 && b[0] == 'B' && b[1] == 'M')
        return fk_img_decode_bmp;
    if (len >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6')
        return fk_img_decode_pnm;
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return fk_img_decode_webp;
    if (len >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0 ||
                     memcmp(b, "II+\0", 4) == 0 || memcmp(b, "MM\0+", 4) == 0))
        return fk_img_decode_tiff;
    if (is_tga_name(name))
        return fk_img_decode_tga;
    return NULL;
}

fk_status fk_image_decode(const uint8_t *buf, size_t len, const char *name,
                          const fk_decode_options *o, fk_image *out, fk_error *e)
{
    if (!name)
        name = "<memory>";
    if (!out || (!buf && len))
        return fk_fail(e, FK_ERR_ARG, "%s: fk_image_decode needs a buffer and an output",
                       name);
    out->w = out->h = 0;
    out->rgb = NULL;
    fk_decode_options opt = o ? *o : fk_decode_default_options();
    if (opt.max_pixels == 0)
        opt.max_pixels = FK_DEFAULT_MAX_PIXELS;
    if (opt.max_pixels < 0)
        return fk_fail(e, FK_ERR_ARG, "%s: max_pixels must be positive (got %" PRId64 ")",
                       name, opt.max_pixels);
    if (len == 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: empty file (0 bytes), not an image", name);
    fk_img_decoder dec = pick_decoder(buf, len, name);
    if (!dec) {
        char sig[3 * 8 + 1] = "";
        for (size_t i = 0; i < len && i < 8; i++)
            snprintf(sig + 3 * i, sizeof sig - 3 * i, "%s%02x", i ? " " : "", buf[i]);
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: unknown image format (not an image file? it starts with "
                       "bytes %s; fidkit reads PNG, JPEG, GIF, BMP, PNM, WebP, TIFF and "
                       "files named .tga)", name, sig);
    }
    fk_status s = dec(buf, len, name, &opt, out, e);
    if (s != FK_OK)
        fk_image_free(out);
    return s;
}

/* An image file is a regular file of at most FK_IMAGE_MAX_FILE_BYTES: a
 * FIFO never hangs the loader, /dev/zero is never read without end. */
static fk_status read_file(const char *path, uint8_t **data, size_t *len, fk_error *e)
{
    char *b;
    fk_status s = fk_read_file(path, FK_IMAGE_MAX_FILE_BYTES, &b, len, e);
    *data = (uint8_t *)b;
    return s;
}

fk_status fk_image_load(const char *path, const fk_decode_options *o, fk_image *out,
                        fk_error *e)
{
    if (!path || !out)
        return fk_fail(e, FK_ERR_ARG, "fk_image_load needs a path and an output");
    out->w = out->h = 0;
    out->rgb = NULL;
    uint8_t *data;
    size_t len;
    fk_status s = read_file(path, &data, &len, e);
    if (s != FK_OK)
        return s;
    s = fk_image_decode(data, len, path, o, out, e);
    free(data);
    return s;
}
