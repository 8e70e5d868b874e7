/* .npy: the header parser on the bytes, then the whole-array loader and the
 * row streamer on the same bytes as a file. */
#include "fuzz_common.h"

#include "fidkit/npz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk_npy_header h;
    size_t hl;
    fk_error e;
    fk_npy_parse_header(data, size, &h, &hl, &e);
    const char *path = fz_file(data, size, ".npy");
    if (!path)
        return 0;
    fk_array a = {0};
    if (fk_npz_load(path, NULL, &a, &e) == FK_OK)
        fk_array_free(&a);
    fk_npy_stream *s = NULL;
    if (fk_npy_stream_open(&s, path, NULL, &h, &e) == FK_OK) {
        static uint8_t buf[1 << 16];
        uint64_t row = h.ndim > 0 && h.shape[0] > 0 ? h.data_bytes / (uint64_t)h.shape[0] : 0;
        int64_t rows = row && row <= sizeof buf ? (int64_t)(sizeof buf / row) : 0, got = 0;
        for (int k = 0; rows > 0 && k < 64; k++)
            if (fk_npy_stream_read(s, buf, rows, &got, &e) != FK_OK || got == 0)
                break;
        fk_npy_stream_close(s);
    }
    return 0;
}
