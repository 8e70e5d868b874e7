/* safetensors: the JSON header, the tensor table, each tensor read back as
 * float32. */
#include "fuzz_common.h"

#include "fidkit/weights.h"

static void walk(fk_weights *w)
{
    int n = fk_weights_count(w);
    fk_weights_format(w);
    fk_weights_inner_prefix(w);
    for (int i = 0; i < n && i < 64; i++) {
        const char *name = fk_weights_name(w, i);
        const fk_array *t = fk_weights_tensor(w, i);
        if (!name || !t)
            continue;
        fk_weights_find(w, name);
        float *f = NULL;
        fk_error e;
        if (fk_weights_get_f32(w, name, t->ndim, t->shape, &f, &e) == FK_OK)
            free(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".safetensors");
    if (!path)
        return 0;
    fk_weights *w = NULL;
    fk_error e;
    if (fk_weights_open(path, &w, &e) == FK_OK) {
        walk(w);
        fk_weights_close(w);
    }
    return 0;
}
