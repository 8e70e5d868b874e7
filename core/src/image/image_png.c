/* fidkit — PNG as PIL's PngImagePlugin and ZipDecode.c read it.
 *
 * stb_image decodes valid PNGs exactly as PIL does, but not damaged ones: it
 * ignores chunk CRCs and the zlib Adler-32 checksum (PIL, through zlib,
 * refuses both), refuses any unknown critical chunk and any damage after the
 * image data (PIL reads neither), and shows palette indices past the palette
 * from uninitialised memory (PIL: grey). So the chunks, the filters and the
 * pixel formats are handled here, following PIL; only inflate is stb's
 * (fk_img_inflate). PIL's rules:
 * - before the first IDAT every chunk must be whole, named by four word
 *   characters and carry a correct CRC; PLTE (up to 256 entries) and the size
 *   of tRNS matter, other chunks are skipped;
 * - the image data is the run of consecutive IDAT chunks; after it PIL reads
 *   on to IEND only to fail on a chunk longer than the rest of the file;
 * - rows are inflated one at a time and decoding stops at the last row: data
 *   after it is never looked at (nor checked), the checksum is checked when
 *   it follows the last row at once; a stream that ends (checksum correct) on
 *   a row boundary leaves the rest of the image 0 (index 0 for palettes);
 *   data that stops anywhere else is "truncated";
 * - 1/2/4-bit grey is scaled to 0..255, 16-bit samples keep their high byte
 *   except 16-bit greyscale (mode "I": see gray16_pil_clip), alpha and tRNS
 *   are dropped, palette entries past the PLTE are grey (i, i, i). */
#include "image/image_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n > 0) {
        size_t k = n < 5552 ? n : 5552; /* no overflow before the modulo */
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

static int is_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

static int is_name(const uint8_t *t)
{
    return is_word(t[0]) && is_word(t[1]) && is_word(t[2]) && is_word(t[3]);
}

typedef struct png {
    uint32_t w, h;
    int depth, ctype, interlaced, channels;
    uint8_t pal[256][3];
    uint8_t *data;     /* the IDAT payloads, concatenated */
    size_t ndata;
} png;

static fk_status fail(fk_error *e, const char *name, const char *why)
{
    return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated PNG file (%s)", name, why);
}

/* Walks the chunks; fills p (p->data malloc'ed). */
static fk_status read_chunks(const uint8_t *b, size_t len, const char *name, png *p,
                             fk_error *e)
{
    size_t pos = 8;
    int have_ihdr = 0;
    for (;;) {
        if (len - pos < 8)
            return fail(e, name, "it ends before the image data");
        uint32_t n = be32(b + pos);
        const uint8_t *t = b + pos + 4;
        if (!is_name(t))
            return fail(e, name, "invalid chunk name");
        if (memcmp(t, "IDAT", 4) == 0)
            break;
        if (n > len - pos - 8 || len - pos - 8 - n < 4)
            return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated PNG file (chunk %.4s "
                           "runs past the end)", name, (const char *)t);
        if (crc32_png(t, 4 + (size_t)n) != be32(b + pos + 8 + n))
            return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt PNG file (bad checksum in chunk "
                           "%.4s)", name, (const char *)t);
        const uint8_t *d = b + pos + 8;
        if (memcmp(t, "IHDR", 4) == 0) {
            if (n < 13)
                return fail(e, name, "short IHDR");
            p->w = be32(d);
            p->h = be32(d + 4);
            p->depth = d[8];
            p->ctype = d[9];
            if (d[11])
                return fail(e, name, "unknown filter method");
            p->interlaced = d[12] != 0;
            have_ihdr = 1;
        } else if (memcmp(t, "PLTE", 4) == 0 && have_ihdr && p->ctype == 3) {
            if (n > 768)
                return fail(e, name, "palette of more than 256 entries");
            for (uint32_t i = 0; i < n / 3; i++)
                memcpy(p->pal[i], d + 3 * i, 3);
        } else if (memcmp(t, "tRNS", 4) == 0 && have_ihdr &&
                   ((p->ctype == 0 && n < 2) || (p->ctype == 2 && n < 6))) {
            return fail(e, name, "short tRNS");
        }
        pos += 12 + (size_t)n;
    }
    if (!have_ihdr)
        return fail(e, name, "no IHDR before the image data");
    static const struct { int ctype, channels, depths; } modes[] = {
        {0, 1, 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8 | 1 << 16}, {2, 3, 1 << 8 | 1 << 16},
        {3, 1, 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8}, {4, 2, 1 << 8 | 1 << 16},
        {6, 4, 1 << 8 | 1 << 16}};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (modes[i].ctype == p->ctype && p->depth <= 16 && (modes[i].depths >> p->depth & 1))
            p->channels = modes[i].channels;
    if (!p->channels)
        return fk_fail(e, FK_ERR_FORMAT, "%s: PNG colour type %d with %d-bit samples is "
                       "invalid", name, p->ctype, p->depth);
    /* The IDAT run; a file ending inside it is passed on short. */
    p->data = malloc(len - pos + 1);
    if (!p->data)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, len - pos);
    while (len - pos >= 8 && memcmp(b + pos + 4, "IDAT", 4) == 0) {
        size_t n = be32(b + pos), have = len - pos - 8 < n ? len - pos - 8 : n;
        memcpy(p->data + p->ndata, b + pos + 8, have);
        p->ndata += have;
        if (have < n)
            return FK_OK;
        pos += 8 + n + (len - pos - 8 - n < 4 ? len - pos - 8 - n : 4);
    }
    for (size_t q = pos; len - q >= 8;) {
        uint32_t n = be32(b + q);
        if (!is_name(b + q + 4) || memcmp(b + q + 4, "IEND", 4) == 0)
            break;
        if (n > len - q - 8)
            return fail(e, name, "a chunk after the image data runs past the end");
        q += 8 + (size_t)n + (len - q - 8 - n < 4 ? len - q - 8 - n : 4);
    }
    return FK_OK;
}

/* Adam7: column/row start and step of each pass; a plain image is pass 7. */
static const int X0[8] = {0, 4, 0, 2, 0, 1, 0, 0}, DX[8] = {8, 8, 4, 4, 2, 2, 1, 1};
static const int Y0[8] = {0, 0, 4, 0, 2, 0, 1, 0}, DY[8] = {8, 8, 8, 4, 4, 2, 2, 1};

static size_t pass_cols(const png *p, int k)
{
    return ((size_t)p->w + DX[k] - 1 - X0[k]) / DX[k] * (p->w > (uint32_t)X0[k]);
}

static size_t pass_rows(const png *p, int k)
{
    return ((size_t)p->h + DY[k] - 1 - Y0[k]) / DY[k] * (p->h > (uint32_t)Y0[k]);
}

static size_t row_bytes(const png *p, size_t cols)
{
    return (cols * p->depth * p->channels + 7) / 8;
}

static void unfilter(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp, int type)
{
    switch (type) {
    case 1:
        for (size_t i = bpp; i < n; i++)
            row[i] = (uint8_t)(row[i] + row[i - bpp]);
        break;
    case 2:
        for (size_t i = 0; i < n; i++)
            row[i] = (uint8_t)(row[i] + prev[i]);
        break;
    case 3:
        for (size_t i = 0; i < n; i++)
            row[i] = (uint8_t)(row[i] + ((i >= bpp ? row[i - bpp] : 0) + prev[i]) / 2);
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
            row[i] = (uint8_t)(row[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
        }
        break;
    default:
        break;
    }
}

/* One unfiltered row of a pass into the RGB image. */
static void put_row(const png *p, const fk_decode_options *o, const uint8_t *row, int k,
                    size_t y, size_t cols, fk_image *out)
{
    for (size_t i = 0; i < cols; i++) {
        uint8_t *d = out->rgb + (y * p->w + X0[k] + i * DX[k]) * 3;
        if (p->depth < 8) {
            size_t bit = i * p->depth;
            unsigned v = (row[bit / 8] >> (8 - p->depth - bit % 8)) & ((1u << p->depth) - 1);
            if (p->ctype == 3) {
                memcpy(d, p->pal[v], 3);
            } else {
                d[0] = d[1] = d[2] = (uint8_t)(v * 255 / ((1u << p->depth) - 1));
            }
            continue;
        }
        size_t bytes = (size_t)p->depth / 8, px = i * p->channels * bytes;
        if (p->ctype == 3) {
            memcpy(d, p->pal[row[px]], 3);
        } else if (p->ctype == 0 && bytes == 2) {
            d[0] = d[1] = d[2] = fk_img_gray16((unsigned)row[px] << 8 | row[px + 1], o);
        } else if (p->channels <= 2) {
            d[0] = d[1] = d[2] = row[px];
        } else {
            d[0] = row[px];
            d[1] = row[px + bytes];
            d[2] = row[px + 2 * bytes];
        }
    }
}

static fk_status decode(const png *p, const char *name, const fk_decode_options *o,
                        fk_image *out, fk_error *e)
{
    int first = p->interlaced ? 0 : 7, last = p->interlaced ? 6 : 7;
    size_t need = 0;
    for (int k = first; k <= last; k++)
        if (pass_cols(p, k))
            need += pass_rows(p, k) * (1 + row_bytes(p, pass_cols(p, k)));
    /* Room past the image for one deflate match or stored block, so that stb
     * stops where zlib would have, without growing the buffer. */
    size_t cap = need + 65536;
    if (cap > INT32_MAX)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: PNG data of %zu bytes is too large",
                       name, need);
    /* Zeroed: stb 2.27 copies from distance 0 for the invalid distance codes
     * 30 and 31 (zlib refuses them), which would read unset bytes. */
    uint8_t *raw = calloc(cap, 1), *prev = calloc(row_bytes(p, p->w) + 1, 1);
    if (!raw || !prev) {
        free(raw), free(prev);
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, cap);
    }
    /* Inflated up to what the rows need, as PIL inflates row by row: data
     * after the last row is never decoded. A stream that goes on past it
     * (stb stops: "full") has all rows; when stb stopped short of the end, at
     * a match or stored block that crosses it, a second run with room to
     * spare writes those bytes (whatever happens after them). */
    fk_inflate_result z;
    int ok = fk_img_inflate(p->data, p->ndata, raw, need, &z);
    if (z.full && z.produced < need)
        fk_img_inflate(p->data, p->ndata, raw, cap, &(fk_inflate_result){0});
    size_t got = ok ? z.produced : z.full ? need : 0;
    int checksum_ok =
        ok && z.trailer_len >= 4 && adler32(raw, got) == be32(p->data + z.trailer_at);
    fk_status s = FK_OK;
    /* A stream that ends with the last row: zlib checks a checksum that
     * follows at once (it does not need more output room). */
    if (ok && got == need && z.trailer_len >= 4 && !checksum_ok)
        s = fail(e, name, "broken data stream: zlib checksum mismatch");
    else if (!ok && !z.full)
        s = fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated PNG file (image data: %s)",
                    name, z.at_end ? "it ends early" : z.why ? z.why : "corrupt");
    /* Rows, pass by pass, while complete rows remain. */
    size_t at = 0;
    int stopped_mid_row = 0;
    if (p->ctype == 3)
        for (size_t i = 0; i < (size_t)p->w * p->h; i++)
            memcpy(out->rgb + 3 * i, p->pal[0], 3);
    for (int k = first; k <= last && s == FK_OK; k++) {
        size_t cols = pass_cols(p, k), rows = pass_rows(p, k), n = row_bytes(p, cols);
        if (!cols || !rows)
            continue;
        size_t bpp = ((size_t)p->depth * p->channels + 7) / 8;
        memset(prev, 0, n);
        for (size_t r = 0; r < rows && s == FK_OK; r++) {
            if (got - at < n + 1) {
                stopped_mid_row = got > at;
                goto end;
            }
            uint8_t *row = raw + at + 1;
            if (raw[at] > 4) {
                s = fk_fail(e, FK_ERR_FORMAT, "%s: corrupt PNG file (unknown row filter %d)",
                            name, raw[at]);
                break;
            }
            unfilter(row, prev, n, bpp, raw[at]);
            put_row(p, o, row, k, Y0[k] + r * DY[k], cols, out);
            memcpy(prev, row, n);
            at += n + 1;
        }
    }
end:
    /* PIL accepts a stream that ended cleanly on a row boundary (rest 0). */
    if (s == FK_OK && got < need && (stopped_mid_row || !checksum_ok))
        s = fail(e, name, "image data is truncated");
    free(raw);
    free(prev);
    return s;
}

fk_status fk_img_decode_png(const uint8_t *buf, size_t len, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    png *p = calloc(1, sizeof *p);
    if (!p)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate a PNG reader", name);
    for (int i = 0; i < 256; i++)
        p->pal[i][0] = p->pal[i][1] = p->pal[i][2] = (uint8_t)i;
    fk_status s = read_chunks(buf, len, name, p, e);
    if (s == FK_OK)
        s = fk_img_alloc(out, p->w, p->h, name, "PNG", o, e);
    if (s == FK_OK)
        s = decode(p, name, o, out, e);
    free(p->data);
    free(p);
    return s;
}
