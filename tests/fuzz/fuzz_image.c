/* The image decoders (PNG, JPEG, GIF, BMP, TIFF, WebP, PNM, TGA and stb's)
 * on the bytes. The first byte picks the name the decoder is told (only TGA
 * is chosen by name; the others by their signatures) and a pixel cap, so
 * that the fuzzer reaches the size checks too. */
#include "fuzz_common.h"

#include "fidkit/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const names[] = {"x.png", "x.jpg", "x.gif", "x.bmp",
                                        "x.tif", "x.webp", "x.ppm", "x.tga"};
    const char *name = names[data[0] & 7];
    fk_decode_options o = fk_decode_default_options();
    if (data[0] & 8)
        o.max_pixels = 1 << 16;
    o.gray16_pil_clip = (data[0] >> 4) & 1;
    fk_image im = {0};
    fk_error e;
    if (fk_image_decode(data + 1, size - 1, name, &o, &im, &e) == FK_OK)
        fk_image_free(&im);
    return 0;
}
