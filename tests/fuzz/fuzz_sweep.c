/* A sweep file (YAML): its schema and every point of the product it spans
 * (the points are only enumerated, never run). */
#include "fuzz_common.h"

#include "fidkit/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".yaml");
    if (!path)
        return 0;
    fk_sweep_spec s;
    fk_error e;
    memset(&s, 0, sizeof s);
    if (fk_sweep_load(path, &s, &e) != FK_OK)
        return 0;
    int n = fk_sweep_n_points(&s);
    for (int i = 0; i < n && i < 256; i++) {
        fk_sweep_point p;
        if (fk_sweep_point_at(&s, i, &p, &e) != FK_OK)
            break;
    }
    fk_sweep_free(&s);
    return 0;
}
