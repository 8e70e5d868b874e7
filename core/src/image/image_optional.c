/* Image formats left out of a build (cmake -DFIDKIT_TIFF=OFF or
 * -DFIDKIT_WEBP=OFF, for machines without libtiff-dev or libwebp-dev): the
 * format is still recognised, and decoding it says how to get it. */
#include "image/image_internal.h"

#ifdef FK_NO_WEBP
fk_status fk_img_decode_webp(const uint8_t *buf, size_t len, const char *name,
                             const fk_decode_options *o, fk_image *out, fk_error *e)
{
    (void)buf, (void)len, (void)o, (void)out;
    return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: a WebP image, but this fidkit was built without "
                   "WebP (cmake -DFIDKIT_WEBP=OFF): rebuild with FIDKIT_WEBP=ON and libwebp-dev",
                   name);
}
#endif

#ifdef FK_NO_TIFF
fk_status fk_img_decode_tiff(const uint8_t *buf, size_t len, const char *name,
                             const fk_decode_options *o, fk_image *out, fk_error *e)
{
    (void)buf, (void)len, (void)o, (void)out;
    return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: a TIFF image, but this fidkit was built without "
                   "TIFF (cmake -DFIDKIT_TIFF=OFF): rebuild with FIDKIT_TIFF=ON and libtiff-dev",
                   name);
}
#endif

typedef int fk_img_optional_formats; /* not an empty translation unit */
