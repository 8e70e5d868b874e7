/* torch.save files: the zip container (archive/data.pkl + data/N) and the
 * legacy container (magic, protocol, sys info, pickle, storages), through
 * fk_weights_open, which tells them apart by their bytes; each tensor is
 * read back as float32. */
#include "fuzz_common.h"

#include "fidkit/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".pth");
    if (!path)
        return 0;
    fk_weights *w = NULL;
    fk_error e;
    if (fk_weights_open(path, &w, &e) != FK_OK)
        return 0;
    int n = fk_weights_count(w);
    for (int i = 0; i < n && i < 64; i++) {
        const char *name = fk_weights_name(w, i);
        const fk_array *t = fk_weights_tensor(w, i);
        float *f = NULL;
        if (name && t && fk_weights_get_f32(w, name, t->ndim, t->shape, &f, &e) == FK_OK)
            free(f);
    }
    fk_weights_close(w);
    return 0;
}
