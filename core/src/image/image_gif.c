/* fidkit — the first frame of a GIF, as PIL (GifImagePlugin + GifDecode.c)
 * reads it and convert("RGB") turns it into pixels.
 *
 * PIL's rules, which stb_image does not follow (it leaves transparent and
 * uncovered pixels black, or paints them with the background colour):
 * - the canvas is the logical screen, grown to hold the frame if it sticks out;
 * - the canvas starts as palette index 0, or as the transparency index when the
 *   frame's graphic control extension has one; transparency is then ignored,
 *   so transparent pixels show their palette colour;
 * - the local palette wins over the global one; palette entries past the end
 *   of the table, and all entries when there is no table or when the table is
 *   the identity grey ramp, are grey (index, index, index);
 * - an LZW stream that ends early leaves the rest of the canvas as it was, a
 *   file that ends before the frame is complete is an error ("truncated"). */
#include "image/image_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const uint8_t *b;
    size_t len, pos;
} reader;

static int get(reader *r)
{
    return r->pos < r->len ? r->b[r->pos++] : -1;
}

static unsigned u16le(const uint8_t *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

/* Skips data sub-blocks up to and including the terminator; 0 at EOF. */
static int skip_blocks(reader *r)
{
    for (;;) {
        int n = get(r);
        if (n < 0)
            return 0;
        if (n == 0)
            return 1;
        if (r->len - r->pos < (size_t)n)
            return 0;
        r->pos += (size_t)n;
    }
}

/* Streams the bytes of the image's data sub-blocks to the LZW decoder the
 * way PIL's decoder takes them: a block is read only when all of it is in
 * the file, and a zero-length block does not end the data: the bytes that
 * follow are read as further blocks (PIL's decoder stops only when the frame
 * is full, so a stream that ends early runs into the rest of the file). */
typedef struct subblocks {
    reader *r;
    int left;    /* bytes left in the current sub-block */
} subblocks;

static int next_byte(subblocks *s)
{
    while (s->left == 0) {
        int n = get(s->r);
        if (n < 0 || s->r->len - s->r->pos < (size_t)n)
            return -1;
        s->left = n;
    }
    s->left--;
    return get(s->r);
}

/* Walks the frame's rows in GIF order (interlaced: every 8th from 0, every
 * 8th from 4, every 4th from 2, every 2nd from 1). */
typedef struct cursor {
    int w, h, x, y, pass, interlaced, done;
} cursor;

static void advance_row(cursor *c)
{
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    c->x = 0;
    if (!c->interlaced) {
        if (++c->y >= c->h)
            c->done = 1;
        return;
    }
    c->y += step[c->pass];
    while (c->y >= c->h) {
        if (++c->pass >= 4) {
            c->done = 1;
            return;
        }
        c->y = start[c->pass];
    }
}

#define LZW_MAX 4096 /* table entries; also the longest string */

typedef struct lzw {
    uint16_t link[LZW_MAX];
    uint8_t data[LZW_MAX];
    uint8_t stack[LZW_MAX];
} lzw;

/* LZW as PIL's GifDecode.c runs it: an end code is skipped rather than
 * obeyed, a clear code resets the table, a code past the next free entry is
 * an error; decoding stops when the frame is full. Returns 0, or 1 if the
 * file ended first ("truncated"), 2 if the stream is corrupt. */
static int decode_lzw(reader *r, int bits, cursor *c, uint8_t *idx, lzw *t)
{
    subblocks sb = {r, 0};
    const int clear = 1 << bits, end = clear + 1;
    int size = bits + 1, next = clear + 2, last = -1;
    uint8_t lastdata = 0;
    uint32_t acc = 0;
    int nacc = 0;
    while (!c->done) {
        while (nacc < size) {
            int byte = next_byte(&sb);
            if (byte < 0)
                return 1;
            acc |= (uint32_t)byte << nacc;
            nacc += 8;
        }
        int code = (int)(acc & ((1u << size) - 1));
        acc >>= size;
        nacc -= size;
        if (code == clear) {
            size = bits + 1;
            next = clear + 2;
            last = -1;
            continue;
        }
        if (code == end)
            continue;
        int n = 0;
        if (last < 0) {
            if (code > clear)
                return 2;
            lastdata = (uint8_t)code;
            last = code;
            t->stack[n++] = lastdata;
        } else {
            if (code > next)
                return 2;
            int cur = code;
            if (code == next) {
                t->stack[n++] = lastdata;
                cur = last;
            }
            while (cur >= clear) {
                if (n >= LZW_MAX - 1 || cur >= LZW_MAX)
                    return 2;
                t->stack[n++] = t->data[cur];
                cur = t->link[cur];
            }
            lastdata = (uint8_t)cur;
            t->stack[n++] = lastdata;
            if (next < LZW_MAX) {
                t->data[next] = lastdata;
                t->link[next] = (uint16_t)last;
                if (next == (1 << size) - 1 && size < 12)
                    size++;
                next++;
            }
            last = code;
        }
        while (n > 0 && !c->done) {
            idx[(size_t)c->y * c->w + c->x] = t->stack[--n];
            if (++c->x >= c->w)
                advance_row(c);
        }
    }
    return 0;
}

fk_status fk_img_decode_gif(const uint8_t *buf, size_t len, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    reader r = {buf, len, 0};
    if (len < 13)
        return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (header)", name);
    int64_t W = u16le(buf + 6), H = u16le(buf + 8);
    uint8_t pal[256][3];
    for (int i = 0; i < 256; i++)
        pal[i][0] = pal[i][1] = pal[i][2] = (uint8_t)i;
    uint8_t global[256][3];
    int nglobal = 0;
    r.pos = 13;
    if (buf[10] & 0x80) {
        nglobal = 1 << ((buf[10] & 7) + 1);
        if (len - r.pos < (size_t)nglobal * 3)
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (palette)", name);
        memcpy(global, buf + r.pos, (size_t)nglobal * 3);
        r.pos += (size_t)nglobal * 3;
    }
    int transparency = -1;
    for (;;) {
        int tag = get(&r);
        if (tag < 0 || tag == ';')
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file has no image", name);
        if (tag == '!') {
            int label = get(&r);
            int n = get(&r);
            if (label < 0 || n < 0 || r.len - r.pos < (size_t)n)
                return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (extension)",
                               name);
            if (label == 0xF9 && n >= 4)
                transparency = (buf[r.pos] & 1) ? buf[r.pos + 3] : -1;
            r.pos += (size_t)n;
            if (n > 0 && !skip_blocks(&r))
                return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (extension)",
                               name);
            continue;
        }
        if (tag != ',')
            continue; /* PIL skips stray bytes between blocks */
        if (r.len - r.pos < 9)
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (frame header)",
                           name);
        const uint8_t *d = buf + r.pos;
        r.pos += 9;
        int x0 = (int)u16le(d), y0 = (int)u16le(d + 2);
        int fw = (int)u16le(d + 4), fh = (int)u16le(d + 6);
        int flags = d[8];
        if (x0 + fw > W)
            W = x0 + fw;
        if (y0 + fh > H)
            H = y0 + fh;
        const uint8_t(*table)[3] = nglobal ? (const uint8_t(*)[3])global : NULL;
        int ntable = nglobal;
        if (flags & 0x80) {
            ntable = 1 << ((flags & 7) + 1);
            if (len - r.pos < (size_t)ntable * 3)
                return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (palette)",
                               name);
            table = (const uint8_t(*)[3])(buf + r.pos);
            r.pos += (size_t)ntable * 3;
        }
        for (int i = 0; i < ntable; i++)
            memcpy(pal[i], table[i], 3);
        int bits = get(&r);
        if (bits < 0)
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (image data)", name);
        if (bits > 12)
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF LZW code size %d is invalid (0 to 12)",
                           name, bits);
        fk_status s = fk_img_alloc(out, W, H, name, "GIF", o, e);
        if (s != FK_OK)
            return s;
        size_t npix = (size_t)W * (size_t)H;
        uint8_t *canvas = malloc(npix), *frame = malloc((size_t)fw * fh + 1);
        lzw *t = malloc(sizeof *t);
        if (!canvas || !frame || !t) {
            free(canvas), free(frame), free(t);
            return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate GIF buffers", name);
        }
        uint8_t fill = (uint8_t)(transparency >= 0 ? transparency : 0);
        memset(canvas, fill, npix);
        memset(frame, fill, (size_t)fw * fh);
        int rc = 0;
        if (fw > 0 && fh > 0) {
            cursor c = {fw, fh, 0, 0, 0, (flags & 0x40) != 0, 0};
            rc = decode_lzw(&r, bits, &c, frame, t);
        }
        for (int y = 0; y < fh && rc == 0; y++)
            memcpy(canvas + (size_t)(y0 + y) * W + x0, frame + (size_t)y * fw, (size_t)fw);
        for (size_t i = 0; i < npix && rc == 0; i++)
            memcpy(out->rgb + 3 * i, pal[canvas[i]], 3);
        free(canvas), free(frame), free(t);
        if (rc == 1)
            return fk_fail(e, FK_ERR_FORMAT, "%s: GIF file is truncated (image data)", name);
        if (rc == 2)
            return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt GIF image data (bad LZW code)",
                           name);
        return FK_OK;
    }
}
