/* The demo's synthetic image sets (cmd_demo.c): seeded, so every run and
 * every machine draws the same pictures, and a set already on disk at the
 * right size is kept (its content key, and so the sweep cache, stays). */
#include <math.h>
#include <stdlib.h>

#include "cli.h"
#include "fidkit/fidkit.h"

/* splitmix64: reproducible everywhere. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(next(s) >> 11) * (1.0 / 9007199254740992.0); }

double fk_cli_demo_normal(uint64_t *s)
{
    double u = uniform(s) + 1e-300, v = uniform(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* A picture: a two-colour gradient background with a few filled ellipses. */
static int draw(uint8_t *img, int side, uint64_t *s, int fake)
{
    double c0[3], c1[3];
    for (int k = 0; k < 3; k++) {
        c0[k] = 40 + 150 * uniform(s) + (fake ? 30 : 0) * (k == 0);
        c1[k] = 40 + 150 * uniform(s);
    }
    double *px = malloc(sizeof(double) * side * side * 3);
    if (!px)
        return -1;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int k = 0; k < 3; k++) {
                double t = (double)(x + y) / (2.0 * side);
                px[(y * side + x) * 3 + k] = c0[k] * (1 - t) + c1[k] * t;
            }
    int shapes = fake ? 1 + (int)(next(s) % 2) : 2 + (int)(next(s) % 3);
    for (int q = 0; q < shapes; q++) {
        double cx = side * uniform(s), cy = side * uniform(s);
        double rx = side * (0.08 + 0.2 * uniform(s)), ry = side * (0.08 + 0.2 * uniform(s));
        double col[3] = {255 * uniform(s), 255 * uniform(s), 255 * uniform(s)};
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                double dx = (x - cx) / rx, dy = (y - cy) / ry;
                if (dx * dx + dy * dy <= 1)
                    for (int k = 0; k < 3; k++)
                        px[(y * side + x) * 3 + k] = col[k];
            }
    }
    for (int i = 0; i < side * side * 3; i++) {
        double v = px[i] + (fake ? 12.0 : 4.0) * fk_cli_demo_normal(s);
        img[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
    }
    free(px);
    return 0;
}

fk_status fk_cli_demo_write_set(const char *path, int n, int side, uint64_t seed, int fake, fk_error *e)
{
    /* Keep a set already there at this size: rewriting it would change its
     * content key and make a rerun of the sweep recompute everything. */
    fk_npy_stream *old;
    fk_npy_header h;
    if (!fk_npy_stream_open(&old, path, NULL, &h, NULL)) {
        fk_npy_stream_close(old);
        if (h.dtype == FK_U8 && h.ndim == 4 && h.shape[0] == n && h.shape[1] == side &&
            h.shape[2] == side && h.shape[3] == 3)
            return FK_OK;
    }
    uint8_t *data = malloc((size_t)n * side * side * 3);
    if (!data)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    uint64_t s = seed;
    for (int i = 0; i < n; i++)
        if (draw(data + (size_t)i * side * side * 3, side, &s, fake)) {
            free(data);
            return fk_fail(e, FK_ERR_NOMEM, "out of memory");
        }
    fk_array a = {FK_U8, 4, {n, side, side, 3}, data};
    fk_status st = fk_npy_save(path, &a, e);
    free(data);
    return st;
}
