/* .npz: the member listing, every member through the loader, and the two
 * readers built on npz files, stats files and features files. */
#include "fuzz_common.h"

#include "fidkit/featfile.h"
#include "fidkit/npz.h"
#include "fidkit/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".npz");
    if (!path)
        return 0;
    fk_error e;
    char **names = NULL;
    int n = 0;
    if (fk_npz_list(path, &names, &n, &e) == FK_OK) {
        for (int i = 0; i < n && i < 16; i++) {
            fk_array a = {0};
            if (fk_npz_load(path, names[i], &a, &e) == FK_OK)
                fk_array_free(&a);
        }
        free(names);
    }
    fk_stats st;
    memset(&st, 0, sizeof st);
    if (fk_stats_read(path, &st, &e) == FK_OK)
        fk_stats_free(&st);
    float *rows = NULL;
    int64_t nr = 0;
    int d = 0, has_tag = 0;
    fk_tag tag;
    if (fk_featfile_read(path, NULL, &rows, &nr, &d, &tag, &has_tag, &e) == FK_OK)
        free(rows);
    return 0;
}
