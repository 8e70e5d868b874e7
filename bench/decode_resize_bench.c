/* Benchmark (not a test): per core, fidkit's decode of a 256x256 JPEG plus
 * its clean resize to 299 against PIL's Image.open().convert('RGB') plus
 * clean-fid's resize, on the same file in the same run, as ratios. Process
 * CPU time, one core pinned, medians over many runs.
 *
 *   bench/decode_resize_bench.sh BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fidkit/image.h"
#include "fidkit/resize.h"

enum { REPS = 400 };

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

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: decode_resize_bench FILE.jpg PYTHON SCRIPT\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fk_decode_options dopt = fk_decode_default_options();
    fk_preprocess p = {299, FK_RESIZE_CLEAN, 0, 1.0f / 255, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}};
    float *out = malloc(sizeof(float) * 3 * 299 * 299);
    double *dec = malloc(sizeof(double) * REPS), *res = malloc(sizeof(double) * REPS);
    fk_error e;
    fk_resizer *rz;
    if (fk_resizer_new(&p, &rz, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    for (int i = 0; i < REPS; i++) {
        fk_image im;
        double t0 = now();
        if (fk_image_decode(buf, len, argv[1], &dopt, &im, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        double t1 = now();
        if (fk_resizer_resize(rz, &im, out, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        double t2 = now();
        dec[i] = t1 - t0;
        res[i] = t2 - t1;
        fk_image_free(&im);
    }
    fk_resizer_free(rz);
    qsort(dec, REPS, sizeof *dec, cmp);
    qsort(res, REPS, sizeof *res, cmp);
    double fd = 1e3 * dec[REPS / 2], fr = 1e3 * res[REPS / 2];

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s time %s %d", argv[2], argv[3], argv[1], REPS / 2);
    FILE *py = popen(cmd, "r");
    double pd = 0, pr = 0;
    if (!py || fscanf(py, "%lf %lf", &pd, &pr) != 2) {
        fprintf(stderr, "the PIL side failed: %s\n", cmd);
        return 1;
    }
    pclose(py);
    printf("256x256 JPEG (quality 90) -> 299x299 clean, ms per image, one core (median):\n");
    printf("              decode   resize   total\n");
    printf("  PIL       %8.3f %8.3f %8.3f\n", pd, pr, pd + pr);
    printf("  fidkit    %8.3f %8.3f %8.3f\n", fd, fr, fd + fr);
    printf("  PIL / fidkit: decode %.2fx, resize %.2fx, total %.2fx\n", pd / fd, pr / fr,
           (pd + pr) / (fd + fr));
    free(out);
    free(dec);
    free(res);
    return 0;
}
