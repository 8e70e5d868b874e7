/* A .zip of images as a dataset: the listing, then the first members
 * decoded (the loader's own path: inflate, then the image decoders). */
#include "fuzz_common.h"

#include "fidkit/dataset.h"
#include "fidkit/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".zip");
    if (!path)
        return 0;
    fk_error e;
    fk_dataset_options o = fk_dataset_default_options();
    fk_dataset *ds = NULL;
    if (fk_dataset_open(path, &o, &ds, &e) != FK_OK)
        return 0;
    int64_t n = fk_dataset_size(ds);
    for (int64_t i = 0; i < n && i < 8; i++) {
        fk_image im = {0};
        fk_dataset_item_name(ds, i);
        if (fk_dataset_load(ds, i, &im, &e) == FK_OK)
            fk_image_free(&im);
    }
    fk_dataset_close(ds);
    return 0;
}
