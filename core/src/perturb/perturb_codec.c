/* fidkit — the perturbations that go through another codec or size: JPEG
 * re-encoding as PIL's Image.save(f, "JPEG", quality=q) encodes and
 * Image.open decodes, and a PIL BICUBIC downscale followed by an upscale.
 *
 * PIL's encoder (JpegEncode.c) keeps libjpeg's defaults apart from
 * jpeg_set_quality(q, force_baseline=TRUE): RGB input converted to YCbCr,
 * 2x2/1x1/1x1 sampling (4:2:0), the standard tables scaled by q, islow DCT,
 * no smoothing, no optimised Huffman tables (which change bytes, not pixels).
 * The same libjpeg-turbo encodes here, and fk_image_decode decodes as PIL
 * does, so the pixels are PIL's. */
#include "perturb/perturb_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "image/resize_internal.h"

typedef struct enc_guard {
    struct jpeg_error_mgr pub; /* first, so libjpeg's pointer is ours */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} enc_guard;

static void enc_error(j_common_ptr cinfo)
{
    enc_guard *g = (enc_guard *)cinfo->err;
    g->pub.format_message(cinfo, g->msg);
    longjmp(g->jump, 1);
}

static void enc_silent(j_common_ptr cinfo, int level)
{
    (void)cinfo;
    (void)level;
}

static void enc_no_output(j_common_ptr cinfo) { (void)cinfo; }

/* Kept out of pt_jpeg so that no local there is live across setjmp. */
static int encode(const fk_image *im, int quality, unsigned char **buf, unsigned long *len,
                  enc_guard *g)
{
    struct jpeg_compress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&g->pub);
    g->pub.error_exit = enc_error;
    g->pub.emit_message = enc_silent;
    g->pub.output_message = enc_no_output;
    if (setjmp(g->jump)) {
        jpeg_destroy_compress(&cinfo);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, buf, len);
    cinfo.image_width = (JDIMENSION)im->w;
    cinfo.image_height = (JDIMENSION)im->h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    /* PIL's default subsampling (-1) keeps these; set them to say so. */
    cinfo.comp_info[0].h_samp_factor = 2;
    cinfo.comp_info[0].v_samp_factor = 2;
    cinfo.comp_info[1].h_samp_factor = 1;
    cinfo.comp_info[1].v_samp_factor = 1;
    cinfo.comp_info[2].h_samp_factor = 1;
    cinfo.comp_info[2].v_samp_factor = 1;
    cinfo.optimize_coding = FALSE;
    cinfo.smoothing_factor = 0;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(im->rgb + (size_t)cinfo.next_scanline * (size_t)im->w * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

fk_status pt_jpeg(fk_image *im, int quality, fk_error *e)
{
    if (im->w > 65500 || im->h > 65500)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "jpeg: a %dx%d image is larger than JPEG allows",
                       im->w, im->h);
    enc_guard g;
    memset(&g, 0, sizeof g);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    if (encode(im, quality, &buf, &len, &g) != 0) {
        free(buf);
        return fk_fail(e, FK_ERR_INTERNAL, "jpeg: encoding a %dx%d image at quality %d: %s",
                       im->w, im->h, quality, g.msg);
    }
    fk_decode_options o = fk_decode_default_options();
    fk_image out = {0};
    fk_status s = fk_image_decode(buf, (size_t)len, "re-encoded JPEG", &o, &out, e);
    free(buf);
    if (s != FK_OK) {
        if (e)
            fk_fail_prefix(e, "jpeg perturbation");
        return s;
    }
    if (out.w != im->w || out.h != im->h) {
        fk_image_free(&out);
        return fk_fail(e, FK_ERR_INTERNAL, "jpeg: re-encoded image changed size");
    }
    fk_image_free(im);
    *im = out;
    return FK_OK;
}

/* PIL's 8-bit BICUBIC resize of src to dw x dh, into dst (HWC, allocated). */
static fk_status pil_resize_u8(const fk_image *src, int dw, int dh, fk_image *dst, fk_error *e)
{
    rs_axis ax, ay;
    rs_scratch tmp = {0};
    fk_status s = rs_axis_pil(&ax, src->w, dw, 0, dw, 1, e);
    if (s != FK_OK)
        return s;
    s = rs_axis_pil(&ay, src->h, dh, 0, dh, 1, e);
    if (s != FK_OK) {
        rs_axis_free(&ax);
        return s;
    }
    const size_t plane = (size_t)dw * (size_t)dh;
    float *chw = malloc(plane * 3 * sizeof *chw);
    dst->rgb = malloc(plane * 3);
    if (!chw || !dst->rgb) {
        s = fk_fail(e, FK_ERR_NOMEM, "downscale_upscale: no memory for %dx%d", dw, dh);
    } else {
        s = rs_run_pil_u8(&ax, &ay, src, chw, &tmp, e);
    }
    if (s == FK_OK) {
        dst->w = dw;
        dst->h = dh;
        /* The 8-bit path's planes hold integers 0..255 already. */
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                dst->rgb[3 * p + (size_t)c] = (uint8_t)chw[(size_t)c * plane + p];
    } else {
        free(dst->rgb);
        dst->rgb = NULL;
    }
    free(chw);
    free(tmp.p);
    rs_axis_free(&ax);
    rs_axis_free(&ay);
    return s;
}

fk_status pt_downscale_upscale(fk_image *im, int dw, int dh, fk_error *e)
{
    if (dw == im->w && dh == im->h)
        return FK_OK; /* PIL's resize to the same size is a copy */
    fk_image small = {0}, back = {0};
    fk_status s = pil_resize_u8(im, dw, dh, &small, e);
    if (s != FK_OK)
        return s;
    s = pil_resize_u8(&small, im->w, im->h, &back, e);
    fk_image_free(&small);
    if (s != FK_OK)
        return s;
    memcpy(im->rgb, back.rgb, (size_t)im->w * (size_t)im->h * 3);
    fk_image_free(&back);
    return FK_OK;
}
