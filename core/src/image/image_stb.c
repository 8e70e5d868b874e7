/* fidkit — TGA through stb_image, and stb_image's inflate for image_png.c.
 *
 * stb_image's 8-bit TGA output equals PIL's convert("RGB") (colour maps
 * looked up, 16-bit pixels scaled by v * 255 / 31, alpha dropped), apart from
 * two things done here: PIL flips rows stored right to left and refuses short
 * files, which stb pads. PNG, which stb also reads, is decoded by
 * image_png.c, which follows PIL on damaged files; it borrows stb's inflate. */
#include "image/image_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_TGA
#define STBI_SUPPORT_ZLIB
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wshift-negative-value"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
/* stb declares every API function static; the unused ones are reported at the
 * end of the file, so this one stays off for the whole file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* stb_image pads a short TGA with zeros; PIL fails ("image file is
 * truncated"), and so must fidkit: the pixel data is measured first, walking
 * the packets of an RLE file. PIL also refuses an RLE packet that runs past
 * the end of a row. */
static fk_status tga_check(const uint8_t *b, size_t len, const char *name, fk_error *e)
{
    if (len < 18)
        return fk_fail(e, FK_ERR_FORMAT, "%s: TGA file is truncated (header)", name);
    size_t entry = ((size_t)b[7] + 7) / 8, ncmap = b[5] | b[6] << 8;
    size_t pos = 18 + (size_t)b[0] + (b[1] ? ncmap * entry : 0);
    size_t w = b[12] | b[13] << 8, h = b[14] | b[15] << 8, px = ((size_t)b[16] + 7) / 8;
    if (px == 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: TGA with 0 bits per pixel", name);
    if (b[2] < 8) {
        if (pos > len || (len - pos) / px / (w ? w : 1) < h)
            return fk_fail(e, FK_ERR_FORMAT, "%s: TGA file is truncated (pixel data)", name);
        return FK_OK;
    }
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w;) {
            if (pos >= len)
                return fk_fail(e, FK_ERR_FORMAT, "%s: TGA file is truncated (RLE data)",
                               name);
            size_t n = (size_t)(b[pos] & 0x7F) + 1, need = b[pos] & 0x80 ? px : n * px;
            pos++;
            if (x + n > w)
                return fk_fail(e, FK_ERR_FORMAT, "%s: TGA RLE packet runs past the end of a "
                               "row", name);
            if (len - pos < need)
                return fk_fail(e, FK_ERR_FORMAT, "%s: TGA file is truncated (RLE data)",
                               name);
            pos += need;
            x += n;
        }
    return FK_OK;
}

fk_status fk_img_decode_tga(const uint8_t *buf, size_t len, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    fk_status s = tga_check(buf, len, name, e);
    if (s != FK_OK)
        return s;
    if (len > INT32_MAX)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: TGA file larger than 2 GiB", name);
    /* The limit is checked on the header before stb allocates anything. */
    s = fk_img_alloc(out, buf[12] | buf[13] << 8, buf[14] | buf[15] << 8, name, "TGA", o, e);
    if (s != FK_OK)
        return s;
    int w = 0, h = 0, c = 0;
    stbi_uc *p = stbi_load_from_memory(buf, (int)len, &w, &h, &c, 3);
    if (!p) {
        const char *why = stbi_failure_reason();
        return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt TGA file (stb_image: %s)", name,
                       why ? why : "unknown reason");
    }
    if (w != out->w || h != out->h) {
        stbi_image_free(p);
        return fk_fail(e, FK_ERR_INTERNAL, "%s: stb_image size differs from the header",
                       name);
    }
    memcpy(out->rgb, p, (size_t)w * h * 3);
    stbi_image_free(p);
    if (buf[17] & 0x10) { /* stored right to left */
        for (int y = 0; y < h; y++) {
            uint8_t *r = out->rgb + (size_t)y * w * 3;
            for (int a = 0, b = w - 1; a < b; a++, b--)
                for (int k = 0; k < 3; k++) {
                    uint8_t t = r[3 * a + k];
                    r[3 * a + k] = r[3 * b + k];
                    r[3 * b + k] = t;
                }
        }
    }
    return FK_OK;
}

/* Runs stb_image's inflate (its internals: this file holds the implementation)
 * so that image_png.c can follow PIL's reading of the stream: out has room for
 * cap bytes and is never grown, so a stream that expands past what the image
 * needs cannot take more memory, and decoding stops there as PIL's does. */
int fk_img_inflate(const uint8_t *d, size_t n, uint8_t *out, size_t cap, fk_inflate_result *r)
{
    stbi__zbuf a;
    memset(&a, 0, sizeof a);
    a.zbuffer = (stbi_uc *)(uintptr_t)d; /* read only */
    a.zbuffer_end = a.zbuffer + n;
    int ok = stbi__do_zlib(&a, (char *)out, (int)cap, 0, 1);
    /* On an error stb does not always store its output position; when the
     * output was full (its "output buffer limit") it does. */
    r->produced = (size_t)(a.zout - a.zout_start);
    r->at_end = a.zbuffer >= a.zbuffer_end;
    r->why = ok ? NULL : stbi_failure_reason();
    r->full = !ok && r->why && strcmp(r->why, "output buffer limit") == 0;
    /* The checksum starts at the byte after the last block: whole bytes still
     * in the bit buffer were read ahead. At the end of the input the buffer
     * may hold made-up zeros, but then fewer than 4 real bytes were left. */
    size_t at = (size_t)(a.zbuffer - (const stbi_uc *)d), ahead = (size_t)a.num_bits >> 3;
    r->trailer_at = at >= ahead ? at - ahead : 0;
    r->trailer_len = n - r->trailer_at;
    if (r->at_end && r->trailer_len > 3)
        r->trailer_len = 3;
    return ok;
}
