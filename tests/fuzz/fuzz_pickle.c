/* The restricted unpickler on the bytes (internal: links libfidkit_static).
 * A pickle must never call anything; it may only be refused. */
#include "fuzz_common.h"

#include "formats/pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_ctx *c = pk_new("fuzz.pkl");
    if (!c)
        return 0;
    size_t used = 0, off = 0;
    pk_obj *root = NULL;
    fk_error e;
    /* up to three pickles back to back, as the legacy container holds */
    for (int k = 0; k < 3 && off < size; k++) {
        if (pk_load(c, data + off, size - off, off, "pickle", &used, &root, &e) != FK_OK)
            break;
        if (root && root->kind == PK_DICT)
            pk_dict_get(root, "state_dict");
        pk_kind_name(root ? root->kind : PK_NONE);
        if (used == 0)
            break;
        off += used;
    }
    pk_count(c);
    pk_free(c);
    return 0;
}
