/* A caption manifest: the first byte picks CSV or JSONL, the rest is the
 * file. Rows are parsed and their captions read (the images they name need
 * not exist: the listing is what is fuzzed). */
#include "fuzz_common.h"

#include "fidkit/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *path = fz_file(data + 1, size - 1, (data[0] & 1) ? ".jsonl" : ".csv");
    if (!path)
        return 0;
    fk_error e;
    fk_dataset_options o = fk_dataset_default_options();
    fk_dataset *ds = NULL;
    if (fk_dataset_open(path, &o, &ds, &e) != FK_OK)
        return 0;
    int64_t n = fk_dataset_size(ds);
    for (int64_t i = 0; i < n && i < 64; i++) {
        fk_dataset_item_name(ds, i);
        fk_dataset_caption(ds, i);
    }
    fk_dataset_close(ds);
    return 0;
}
