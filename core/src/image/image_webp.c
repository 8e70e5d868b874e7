/* fidkit — WebP through libwebp.
 *
 * PIL 9.4 reads WebP through WebPAnimDecoder, which decodes a still image
 * with libwebp's defaults (fancy upsampling, no dithering) into non-
 * premultiplied RGBA on a cleared canvas; convert("RGB") drops alpha. Decoding
 * straight to RGB with the same defaults gives the same colour values.
 *
 * For an animation PIL shows the first frame on a canvas cleared to
 * transparent black: no blending or disposal applies to a first frame. The
 * frame (its ALPH and VP8/VP8L chunks, which WebPDecode accepts without a RIFF
 * header) is found here by walking the chunks, so that libwebpdemux is not
 * needed. */
#include "image/image_internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

static const char *vp8_status(VP8StatusCode c)
{
    switch (c) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data: truncated file";
    default: return "unknown error";
    }
}

static uint32_t u24le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static fk_status decode_rgb(const uint8_t *buf, size_t len, uint8_t *dst, int w, int h,
                            const char *name, fk_error *e)
{
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg))
        return fk_fail(e, FK_ERR_INTERNAL, "%s: libwebp version mismatch", name);
    cfg.output.colorspace = MODE_RGB;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = dst;
    cfg.output.u.RGBA.stride = w * 3;
    cfg.output.u.RGBA.size = (size_t)w * h * 3;
    VP8StatusCode st = WebPDecode(buf, len, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (st != VP8_STATUS_OK)
        return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated WebP image (libwebp: %s)",
                       name, vp8_status(st));
    return FK_OK;
}

/* The first ANMF chunk's frame, pasted onto the zeroed canvas in out. */
static fk_status first_frame(const uint8_t *buf, size_t len, const char *name,
                             fk_image *out, fk_error *e)
{
    size_t pos = 12;
    while (len - pos >= 8) {
        uint32_t n = (uint32_t)buf[pos + 4] | (uint32_t)buf[pos + 5] << 8 |
                     (uint32_t)buf[pos + 6] << 16 | (uint32_t)buf[pos + 7] << 24;
        const uint8_t *p = buf + pos + 8;
        if (n > len - pos - 8)
            break;
        if (memcmp(buf + pos, "ANMF", 4) == 0 && n >= 16) {
            int64_t x = 2 * (int64_t)u24le(p), y = 2 * (int64_t)u24le(p + 3);
            /* libwebp's demuxer sizes a frame by its bitstream, not by the
             * ANMF fields, and so does PIL. */
            WebPBitstreamFeatures f;
            VP8StatusCode st = WebPGetFeatures(p + 16, n - 16, &f);
            if (st != VP8_STATUS_OK)
                return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt WebP frame (libwebp: %s)", name,
                               vp8_status(st));
            int64_t w = f.width, h = f.height;
            if (x + w > out->w || y + h > out->h)
                return fk_fail(e, FK_ERR_FORMAT, "%s: WebP frame lies outside the canvas",
                               name);
            /* Decoded in place: the canvas row stride frames the rectangle. */
            uint8_t *dst = out->rgb + ((size_t)y * out->w + x) * 3;
            WebPDecoderConfig cfg;
            if (!WebPInitDecoderConfig(&cfg))
                return fk_fail(e, FK_ERR_INTERNAL, "%s: libwebp version mismatch", name);
            cfg.output.colorspace = MODE_RGB;
            cfg.output.is_external_memory = 1;
            cfg.output.u.RGBA.rgba = dst;
            cfg.output.u.RGBA.stride = out->w * 3;
            cfg.output.u.RGBA.size = (size_t)(h - 1) * out->w * 3 + (size_t)w * 3;
            st = WebPDecode(p + 16, n - 16, &cfg);
            WebPFreeDecBuffer(&cfg.output);
            if (st != VP8_STATUS_OK)
                return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated WebP frame "
                               "(libwebp: %s)", name, vp8_status(st));
            return FK_OK;
        }
        pos += 8 + (size_t)n + (n & 1);
    }
    return fk_fail(e, FK_ERR_FORMAT, "%s: animated WebP without a complete first frame "
                   "(truncated?)", name);
}

fk_status fk_img_decode_webp(const uint8_t *buf, size_t len, const char *name,
                             const fk_decode_options *o, fk_image *out, fk_error *e)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(buf, len, &f);
    if (st != VP8_STATUS_OK)
        return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated WebP header (libwebp: %s)",
                       name, vp8_status(st));
    fk_status s = fk_img_alloc(out, f.width, f.height, name, "WebP", o, e);
    if (s != FK_OK)
        return s;
    if (f.has_animation)
        return first_frame(buf, len, name, out, e);
    return decode_rgb(buf, len, out->rgb, out->w, out->h, name, e);
}
