/* Times a backbone opened through the registry from a YAML config: images
 * per second of its config's output. Built and driven by
 * bench/backbones_bench.sh, which runs the Python reference (eager
 * torchvision, NCHW) on the same weights and inputs and prints the ratio.
 *
 *   backbones_bench CONFIG.yaml RAW.f32 N BATCH REPS DUMP.f32 [DIM]
 *
 * RAW.f32 holds N x 3 x S x S little-endian float32 values (S: the config's
 * input size). DIM overrides the output dimension (torchscript, whose
 * dimension the registry learns only from options). Prints images_per_s
 * (wall clock, best of REPS passes) and cpu_images_per_s. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fidkit/config.h"
#include "fidkit/registry.h"

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s CONFIG.yaml RAW.f32 N BATCH REPS DUMP.f32 [DIM]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[3]), batch = atoi(argv[4]), reps = atoi(argv[5]);
    fk_config c;
    fk_error e = {0};
    fk_backbone *b = NULL;
    if (fk_config_load(argv[1], &c, &e) || fk_backbone_open(&c, NULL, 0, &b, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    int side = c.input.size;
    int dim = argc > 7 ? atoi(argv[7]) : fk_backbone_output_dim(b, 0);
    size_t per = (size_t)3 * side * side;
    float *x = malloc((size_t)n * per * sizeof *x);
    float *f = malloc((size_t)n * dim * sizeof *f);
    FILE *in = fopen(argv[2], "rb");
    if (!x || !f || !in || fread(x, sizeof *x, (size_t)n * per, in) != (size_t)n * per) {
        fprintf(stderr, "cannot read %d images of %dx%d from %s\n", n, side, side, argv[2]);
        return 1;
    }
    fclose(in);
    double best = 1e300, best_cpu = 1e300;
    for (int r = 0; r < reps; r++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (int s = 0; s < n; s += batch) {
            int m = n - s < batch ? n - s : batch;
            float *o[1] = {f + (size_t)s * dim};
            if (fk_backbone_extract(b, x + (size_t)s * per, m, o, &e)) {
                fprintf(stderr, "%s\n", e.msg);
                return 1;
            }
        }
        double w = clock_s(CLOCK_MONOTONIC) - w0, cp = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best = w < best ? w : best;
        best_cpu = cp < best_cpu ? cp : best_cpu;
    }
    FILE *out = fopen(argv[6], "wb");
    if (!out || fwrite(f, sizeof *f, (size_t)n * dim, out) != (size_t)n * dim) {
        fprintf(stderr, "cannot write %s\n", argv[6]);
        return 1;
    }
    fclose(out);
    printf("images_per_s %.4f cpu_images_per_s %.4f\n", n / best, n / best_cpu);
    fk_backbone_close(b);
    free(x);
    free(f);
    return 0;
}
