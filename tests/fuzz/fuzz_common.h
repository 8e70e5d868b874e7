/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md).
 *
 * Each harness is a libFuzzer target, LLVMFuzzerTestOneInput. Readers that
 * take a path get the input written to a file of the right extension in a
 * private temporary folder (fz_file); readers of memory get the bytes. A
 * harness ignores the status it gets back: only crashes and sanitizer
 * reports are findings. Nothing here prints, downloads or runs a network. */
#ifndef FK_FUZZ_COMMON_H
#define FK_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to <tmpdir>/input<ext> and returns that path (static storage,
 * rewritten by every call). NULL if it cannot (the input is then skipped). */
static inline const char *fz_file(const uint8_t *data, size_t size, const char *ext)
{
    static char dir[256], path[400];
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/fidkit-fuzz-XXXXXX", base);
        if (!mkdtemp(dir)) {
            dir[0] = 0;
            return NULL;
        }
        setenv("FIDKIT_OFFLINE", "1", 1); /* never touch the network */
        setenv("FIDKIT_NO_CACHE", "1", 1);
    }
    snprintf(path, sizeof path, "%s/input%s", dir, ext);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t w = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || w != size)
        return NULL;
    return path;
}

#endif
