/* Decoding against PIL: tests/ref/image.py writes images of every kind and
 * np.asarray(Image.open(f).convert("RGB")) for each; every pixel must be equal
 * (zero tolerance). Broken files must fail with the right code and a message
 * naming the file and the reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fidkit/image.h"
#include "fk_test.h"

/* The expected pixels: a uint8 (h, w, 3) .npy. Parsed here rather than with
 * fk_npz_load so that this test depends on the image code only. */
typedef struct expected {
    int h, w;
    uint8_t *px;
} expected;

static int load_expected(const char *path, expected *x)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t pre[10];
    int ok = fread(pre, 1, 10, f) == 10 && memcmp(pre, "\x93NUMPY\x01", 7) == 0;
    size_t hl = ok ? (size_t)(pre[8] | pre[9] << 8) : 0;
    char hdr[1024] = "";
    ok = ok && hl < sizeof hdr && fread(hdr, 1, hl, f) == hl;
    const char *shape = ok ? strstr(hdr, "'shape': (") : NULL;
    int c = 0;
    ok = ok && strstr(hdr, "'descr': '|u1'") && shape &&
         sscanf(shape, "'shape': (%d, %d, %d)", &x->h, &x->w, &c) == 3 && c == 3;
    size_t n = ok ? (size_t)x->h * x->w * 3 : 0;
    x->px = ok ? malloc(n + 1) : NULL;
    ok = ok && x->px && fread(x->px, 1, n, f) == n && fgetc(f) == EOF;
    fclose(f);
    if (!ok) {
        free(x->px);
        x->px = NULL;
    }
    return ok;
}

/* Compares one case; returns the number of differing bytes (or -1 on a
 * decoding or shape failure), with a description in why. */
static long compare_case(const char *file, const char *npy, const char *option, char *why,
                         size_t cap)
{
    char path[4096], epath[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture(file));
    snprintf(epath, sizeof epath, "%s", fk_test_fixture(npy));
    expected x;
    if (!load_expected(epath, &x)) {
        snprintf(why, cap, "%s: cannot read the reference %s", file, npy);
        return -1;
    }
    fk_decode_options o = fk_decode_default_options();
    o.gray16_pil_clip = strcmp(option, "pilclip") == 0;
    fk_image im;
    fk_error e;
    fk_status s = fk_image_load(path, &o, &im, &e);
    long diff = -1;
    if (s != FK_OK) {
        snprintf(why, cap, "%s", e.msg);
    } else if (im.w != x.w || im.h != x.h) {
        snprintf(why, cap, "%s: %dx%d, PIL %dx%d", file, im.w, im.h, x.w, x.h);
    } else {
        diff = 0;
        int worst = 0;
        for (size_t i = 0; i < (size_t)x.w * x.h * 3; i++) {
            int d = abs(im.rgb[i] - x.px[i]);
            diff += d != 0;
            worst = d > worst ? d : worst;
        }
        snprintf(why, cap, "%s (%s): %ld values differ, up to %d", file, option, diff, worst);
    }
    fk_image_free(&im);
    free(x.px);
    return diff;
}

Test(image, every_pixel_matches_pil)
{
    FILE *f = fopen(fk_test_fixture("good.txt"), "r");
    cr_assert(f, "missing %s: run tests/ref/image.py", fk_test_fixture("good.txt"));
    char file[512], npy[512], option[32], why[2048], failures[8192] = "";
    int cases = 0, failed = 0;
    while (fscanf(f, "%511s %511s %31s", file, npy, option) == 3) {
        cases++;
        if (compare_case(file, npy, option, why, sizeof why) != 0) {
            failed++;
            size_t k = strlen(failures);
            snprintf(failures + k, sizeof failures - k, "\n  %s", why);
        }
    }
    fclose(f);
    cr_assert_gt(cases, 150, "only %d cases in good.txt", cases);
    cr_assert_eq(failed, 0, "%d of %d images differ from PIL:%s", failed, cases, failures);
}

/* The two 16-bit greyscale behaviours must really differ on the fixture, or
 * the test of the option proves nothing. */
Test(image, gray16_options_differ)
{
    expected clip, scaled;
    cr_assert(load_expected(fk_test_fixture("good/gray16.png.npy"), &clip));
    cr_assert(load_expected(fk_test_fixture("good/gray16.png.scaled.npy"), &scaled));
    size_t n = (size_t)clip.w * clip.h * 3, differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += clip.px[i] != scaled.px[i];
    cr_assert_gt(differ, n / 2);
    fk_image a, b;
    fk_decode_options o = fk_decode_default_options();
    cr_assert_eq(fk_image_load(fk_test_fixture("good/gray16.png"), &o, &a, NULL), FK_OK);
    o.gray16_pil_clip = 1;
    cr_assert_eq(fk_image_load(fk_test_fixture("good/gray16.png"), &o, &b, NULL), FK_OK);
    cr_assert(memcmp(a.rgb, scaled.px, n) == 0, "default is not v >> 8");
    cr_assert(memcmp(b.rgb, clip.px, n) == 0, "gray16_pil_clip is not PIL's clipping");
    fk_image_free(&a);
    fk_image_free(&b);
    free(clip.px);
    free(scaled.px);
}

static void expect_failure(const char *name, fk_status code, const char *phrase)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture(name));
    fk_image im = {1, 1, NULL};
    fk_error e;
    fk_error_clear(&e);
    fk_status s = fk_image_load(path, NULL, &im, &e);
    cr_expect_eq(s, code, "%s: status %s, expected %s (%s)", name, fk_status_name(s),
                 fk_status_name(code), e.msg);
    cr_expect_eq(e.code, code, "%s: error code not set", name);
    cr_expect(strstr(e.msg, path), "%s: message does not name the file: %s", name, e.msg);
    cr_expect(strstr(e.msg, phrase), "%s: message lacks \"%s\": %s", name, phrase, e.msg);
    cr_expect(im.rgb == NULL && im.w == 0 && im.h == 0, "%s: output not cleared", name);
}

Test(image, broken_files_fail_with_reason)
{
    expect_failure("broken/empty.png", FK_ERR_FORMAT, "empty file");
    expect_failure("broken/truncated.png", FK_ERR_FORMAT, "corrupt or truncated PNG");
    expect_failure("broken/truncated.jpg", FK_ERR_FORMAT, "JPEG file is truncated");
    expect_failure("broken/no_eoi.jpg", FK_ERR_FORMAT, "JPEG file is truncated");
    expect_failure("broken/truncated.gif", FK_ERR_FORMAT, "GIF file is truncated");
    expect_failure("broken/random.png", FK_ERR_FORMAT, "unknown image format");
    expect_failure("broken/text.jpg", FK_ERR_FORMAT, "unknown image format");
    expect_failure("broken/bomb.png", FK_ERR_UNSUPPORTED, "exceeds the pixel limit");
    expect_failure("broken/no_such_file.png", FK_ERR_IO, "cannot open");
    expect_failure("broken", FK_ERR_IO, "is a folder");
}

/* Damaged files that PIL refuses (tests/ref/image.py checked): fidkit must
 * refuse them too, never return made-up pixels. */
Test(image, refuses_what_pil_refuses)
{
    FILE *f = fopen(fk_test_fixture("refused.txt"), "r");
    cr_assert(f, "missing %s: run tests/ref/image.py", fk_test_fixture("refused.txt"));
    char name[512], path[4096], accepted[4096] = "";
    int count = 0, wrong = 0;
    while (fscanf(f, "%511s", name) == 1) {
        snprintf(path, sizeof path, "%s", fk_test_fixture(name));
        fk_image im;
        fk_error e;
        fk_status s = fk_image_load(path, NULL, &im, &e);
        count++;
        int ok = (s == FK_ERR_FORMAT || s == FK_ERR_UNSUPPORTED) && strstr(e.msg, path);
        if (!ok) {
            wrong++;
            size_t k = strlen(accepted);
            snprintf(accepted + k, sizeof accepted - k, "\n  %s: %s", name,
                     s == FK_OK ? "decoded" : e.msg);
        }
        if (s == FK_OK)
            fk_image_free(&im);
    }
    fclose(f);
    cr_assert_gt(count, 30, "only %d refused files", count);
    cr_assert_eq(wrong, 0, "%d of %d files PIL refuses were not refused:%s", wrong, count,
                 accepted);
}

Test(image, pixel_limit_is_checked_before_decoding)
{
    fk_decode_options o = fk_decode_default_options();
    cr_assert_eq(o.max_pixels, 89478485);
    /* jpeg_q90_444.jpg is 80 x 64 = 5120 pixels. */
    const char *jpg = fk_test_fixture("good/jpeg_q90_444.jpg");
    fk_image im;
    fk_error e;
    o.max_pixels = 5120;
    cr_assert_eq(fk_image_load(jpg, &o, &im, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(im.w * im.h, 5120);
    fk_image_free(&im);
    o.max_pixels = 5119;
    cr_assert_eq(fk_image_load(jpg, &o, &im, &e), FK_ERR_UNSUPPORTED);
    cr_assert(strstr(e.msg, "5119"), "%s", e.msg);
    const char *limited[] = {"good/png_rgb_17x5.png", "good/gif_p.gif", "good/tiff_lzw.tif",
                             "good/webp_lossy.webp", "good/ppm_rgb.ppm", "good/bmp_rgb.bmp",
                             "good/tga_rgb.tga"};
    o.max_pixels = 84;
    for (size_t i = 0; i < sizeof limited / sizeof *limited; i++)
        cr_expect_eq(fk_image_load(fk_test_fixture(limited[i]), &o, &im, &e), FK_ERR_UNSUPPORTED,
                     "%s not limited", limited[i]);
    o.max_pixels = -1;
    cr_assert_eq(fk_image_load(jpg, &o, &im, &e), FK_ERR_ARG);
}

Test(image, decode_from_memory_equals_load)
{
    const char *path = fk_test_fixture("good/webp_lossy_rgba.webp");
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_gt(n, 0);
    fk_image a, b;
    fk_error e;
    cr_assert_eq(fk_image_decode(buf, n, "mem.webp", NULL, &a, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_image_load(path, NULL, &b, &e), FK_OK, "%s", e.msg);
    cr_assert(a.w == b.w && a.h == b.h && memcmp(a.rgb, b.rgb, (size_t)a.w * a.h * 3) == 0);
    fk_image_free(&a);
    fk_image_free(&b);
    /* Every prefix of a file is refused, never decoded into garbage or a crash. */
    int refused = 0;
    for (size_t k = 0; k < n; k += 97)
        refused += fk_image_decode(buf, k, "mem.webp", NULL, &a, &e) != FK_OK;
    cr_assert_eq(refused, (int)((n + 96) / 97));
}

/* Every prefix of every good file either fails cleanly or (for formats whose
 * tail PIL ignores) decodes; none crashes. Run under the sanitizer build. */
Test(image, prefixes_never_crash)
{
    FILE *list = fopen(fk_test_fixture("good.txt"), "r");
    cr_assert(list);
    char file[512], npy[512], option[32];
    int tried = 0;
    static uint8_t buf[1 << 20];
    while (fscanf(list, "%511s %511s %31s", file, npy, option) == 3) {
        FILE *f = fopen(fk_test_fixture(file), "rb");
        cr_assert(f, "%s", file);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t k = 0; k < n; k += 1 + n / 23) {
            fk_image im;
            fk_error e;
            if (fk_image_decode(buf, k, file, NULL, &im, &e) == FK_OK)
                fk_image_free(&im);
            tried++;
        }
    }
    fclose(list);
    cr_assert_gt(tried, 3000);
}
