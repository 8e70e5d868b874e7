/* fidkit — JPEG through libjpeg-turbo, set up as PIL sets it up.
 *
 * PIL (JpegImagePlugin + JpegDecode.c) keeps libjpeg's defaults: islow DCT,
 * fancy upsampling, no scaling; it picks the mode from the number of
 * components (1: L, 3: RGB, 4: CMYK), refuses other counts and other than
 * 8-bit samples, and reads every 4-component JPEG as Adobe-inverted CMYK
 * ("CMYK;I"), whether or not an Adobe marker says so. CMYK becomes RGB by
 * PIL's cmyk2rgb: with nk = 255 - k, channel = nk - round(c * nk / 255).
 * EXIF orientation is not applied (convert("RGB") does not apply it).
 *
 * PIL feeds libjpeg through a suspending source and fails ("image file is
 * truncated") when libjpeg asks for data past the end of the file before the
 * last row is out, which includes a file missing only its EOI marker (the
 * entropy decoder reads ahead to the marker); past the last row, a missing
 * end is ignored. libjpeg's memory source pads instead, with a warning
 * (JWRN_JPEG_EOF), which is made an error here until the last row is out.
 * Other warnings (corrupt data that libjpeg recovers from) are ignored, as PIL
 * ignores them. */
#include "image/image_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct jpeg_guard {
    struct jpeg_error_mgr pub;  /* first, so libjpeg's pointer is ours */
    jmp_buf jump;
    int finishing;              /* all rows are out: the end of data no longer matters */
    char msg[JMSG_LENGTH_MAX];
} jpeg_guard;

static void on_error(j_common_ptr cinfo)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    g->pub.format_message(cinfo, g->msg);
    longjmp(g->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    if (level < 0) {
        g->pub.num_warnings++;
        if (g->pub.msg_code == JWRN_JPEG_EOF && !g->finishing) {
            g->pub.format_message(cinfo, g->msg);
            longjmp(g->jump, 2);
        }
    }
}

static void on_output(j_common_ptr cinfo)
{
    (void)cinfo; /* the library never prints */
}

static inline uint8_t mul_div255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

/* One row of libjpeg CMYK (Adobe-inverted: stored values are 255 - ink) to
 * RGB, as PIL's "CMYK;I" unpacker followed by cmyk2rgb. */
static void cmyk_row_to_rgb(const uint8_t *in, uint8_t *out, int w)
{
    for (int x = 0; x < w; x++, in += 4, out += 3) {
        unsigned nk = in[3]; /* 255 - (255 - raw k) */
        for (int c = 0; c < 3; c++) {
            unsigned ink = 255u - in[c];
            int v = (int)nk - mul_div255(ink, nk);
            out[c] = (uint8_t)(v < 0 ? 0 : v);
        }
    }
}

typedef struct jpeg_job {
    struct jpeg_decompress_struct cinfo;
    jpeg_guard err;
    uint8_t *row;
} jpeg_job;

static fk_status decode(jpeg_job *j, const uint8_t *buf, size_t len, const char *name,
                        const fk_decode_options *o, fk_image *out, fk_error *e)
{
    struct jpeg_decompress_struct *ci = &j->cinfo;
    jpeg_mem_src(ci, buf, (unsigned long)len);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK)
        return fk_fail(e, FK_ERR_FORMAT, "%s: JPEG file has no image", name);
    int n = ci->num_components;
    if (n != 1 && n != 3 && n != 4)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: JPEG with %d components (PIL reads 1, "
                       "3 or 4)", name, n);
    fk_status s = fk_img_alloc(out, ci->image_width, ci->image_height, name, "JPEG", o, e);
    if (s != FK_OK)
        return s;
    ci->dct_method = JDCT_ISLOW;
    ci->do_fancy_upsampling = TRUE;
    ci->scale_num = ci->scale_denom = 1;
    ci->out_color_space = n == 1 ? JCS_GRAYSCALE : n == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_start_decompress(ci);
    int w = (int)ci->output_width;
    if ((int)ci->output_height != out->h || w != out->w || ci->output_components != n)
        return fk_fail(e, FK_ERR_INTERNAL, "%s: libjpeg output shape differs from header",
                       name);
    if (n != 3) {
        j->row = malloc((size_t)w * n);
        if (!j->row)
            return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate a JPEG row", name);
    }
    while (ci->output_scanline < ci->output_height) {
        uint8_t *dst = out->rgb + (size_t)ci->output_scanline * w * 3;
        JSAMPROW r = n == 3 ? dst : j->row;
        if (jpeg_read_scanlines(ci, &r, 1) != 1)
            return fk_fail(e, FK_ERR_FORMAT, "%s: JPEG data stopped early", name);
        if (n == 1) {
            for (int x = 0; x < w; x++)
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = j->row[x];
        } else if (n == 4) {
            cmyk_row_to_rgb(j->row, dst, w);
        }
    }
    j->err.finishing = 1;
    jpeg_finish_decompress(ci);
    return FK_OK;
}

fk_status fk_img_decode_jpeg(const uint8_t *buf, size_t len, const char *name,
                             const fk_decode_options *o, fk_image *out, fk_error *e)
{
    /* Heap-allocated so that nothing setjmp must preserve lives in registers. */
    jpeg_job *j = calloc(1, sizeof *j);
    if (!j)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate a JPEG decoder", name);
    j->cinfo.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = on_error;
    j->err.pub.emit_message = on_message;
    j->err.pub.output_message = on_output;
    fk_status s;
    int why = setjmp(j->err.jump);
    if (why == 0) {
        jpeg_create_decompress(&j->cinfo);
        s = decode(j, buf, len, name, o, out, e);
    } else if (why == 2) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: JPEG file is truncated (libjpeg: %s)", name,
                    j->err.msg);
    } else {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: corrupt JPEG file (libjpeg: %s)", name,
                    j->err.msg);
    }
    jpeg_destroy_decompress(&j->cinfo);
    free(j->row);
    free(j);
    return s;
}
