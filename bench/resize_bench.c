/* Benchmark (not a test): fidkit's clean resize of a 256x256 image to 299x299
 * against clean-fid's way with PIL on the same pixels, both on one core, in
 * the same run. Prints median milliseconds per image and the ratio. Times are
 * CPU time of the process (both sides single-threaded), so other jobs on a
 * shared machine do not inflate either side.
 *
 *   bench/resize_bench.sh BUILD_DIR      (builds and runs this) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fidkit/resize.h"

enum { W = 256, H = 256, S = 299, WARM = 50, REPS = 500, ROUNDS = 3 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_ms(fk_resizer *rz, const fk_preprocess *p, const fk_image *im, float *out)
{
    static double t[REPS];
    fk_error e;
    for (int i = 0; i < WARM + REPS; i++) {
        double t0 = now();
        fk_status st = rz ? fk_resizer_resize(rz, im, out, &e) : fk_resize(im, p, out, &e);
        if (st) {
            fprintf(stderr, "resize failed: %s\n", e.msg);
            exit(1);
        }
        if (i >= WARM)
            t[i - WARM] = now() - t0;
    }
    qsort(t, REPS, sizeof t[0], cmp);
    return 1e3 * t[REPS / 2];
}

int main(int argc, char **argv)
{
    const char *script = argc > 1 ? argv[1] : "bench/resize_bench.py";
    const char *py = getenv("FK_PYTHON") ? getenv("FK_PYTHON") : "/usr/bin/python3";
    static uint8_t px[W * H * 3];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof px; i++) {
        s = s * 1664525u + 1013904223u;
        px[i] = (uint8_t)(s >> 24);
    }
    fk_image im = {.w = W, .h = H, .rgb = px};
    fk_preprocess p = {.size = S, .resize = FK_RESIZE_CLEAN, .scale = 1, .std = {1, 1, 1}};
    float *out = malloc(3 * S * S * sizeof(float));
    fk_resizer *rz = NULL;
    fk_error e;
    if (!out || fk_resizer_new(&p, &rz, &e)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    char tmp[] = "/tmp/fk-resize-bench-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f || fwrite(px, 1, sizeof px, f) != sizeof px || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", tmp);
        return 1;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' %d %d %d", py, script, tmp, W, H, S);
    /* The machine is shared: alternate the two sides and keep each one's
     * best median, so a burst of load on one side does not make the ratio. */
    double one_shot = 1e30, reused = 1e30, pil = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        double t = median_ms(NULL, &p, &im, out);
        one_shot = t < one_shot ? t : one_shot;
        t = median_ms(rz, &p, &im, out);
        reused = t < reused ? t : reused;
        FILE *pp = popen(cmd, "r");
        double got = -1;
        char line[256];
        while (pp && fgets(line, sizeof line, pp))
            got = atof(line);
        int rc = pp ? pclose(pp) : -1;
        if (rc != 0 || got <= 0) {
            fprintf(stderr, "the PIL reference failed: %s\n", cmd);
            remove(tmp);
            return 1;
        }
        pil = got < pil ? got : pil;
    }
    remove(tmp);
    printf("clean resize %dx%d -> %d, one core, best of %d medians of %d:\n", W, H, S, ROUNDS,
           REPS);
    printf("  PIL (clean-fid's per-channel F mode + clip)  %8.3f ms\n", pil);
    printf("  fidkit fk_resize (one-shot)                  %8.3f ms  PIL/fidkit = %.2fx\n",
           one_shot, pil / one_shot);
    printf("  fidkit fk_resizer (coefficients reused)      %8.3f ms  PIL/fidkit = %.2fx\n",
           reused, pil / reused);
    fk_resizer_free(rz);
    free(out);
    return 0;
}
