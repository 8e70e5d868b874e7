/* The feature cache (fidkit/fcache.h): a second `fidkit score` on unchanged
 * data reads both sides from the cache (datasets[].cache == "hit") and gives
 * bit-identical numbers to an uncached run; an edited file with the same
 * size and mtime misses; --no-cache and FIDKIT_NO_CACHE bypass it; a corrupt
 * entry is recomputed with a warning; `fidkit cache ls|clear` see entries. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static char out[1 << 17];

/* n random 20x18 PPM images (raw bytes: any pixel edit keeps the file valid). */
static void make_folder(const char *dir, int n, unsigned seed)
{
    mkdir(dir, 0777);
    for (int i = 0; i < n; i++) {
        char p[1200];
        int w = snprintf(p, sizeof p, "%s/%03d.ppm", dir, i);
        cr_assert(w > 0 && (size_t)w < sizeof p);
        FILE *f = fopen(p, "wb");
        cr_assert(f);
        fprintf(f, "P6\n20 18\n255\n");
        for (int k = 0; k < 20 * 18 * 3; k++) {
            seed = seed * 1103515245u + 12345u;
            fputc((int)(seed >> 16) & 255, f);
        }
        fclose(f);
    }
}

static const char *setup(void)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s", fk_test_tmpdir());
    char p[1200];
    snprintf(p, sizeof p, "%s/tiny.yaml", dir);
    FILE *f = fopen(p, "w");
    fputs("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 0\ninput:\n"
          "  size: 32\n  resize: clean\n  crop: none\n  scale: 0.00392156862745098\n"
          "  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\noutput: pool\nbatch_size: 4\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/real", dir);
    make_folder(p, 14, 1);
    snprintf(p, sizeof p, "%s/fake", dir);
    make_folder(p, 13, 2);
    snprintf(p, sizeof p, "%s/cache", dir);
    setenv("FIDKIT_CACHE_DIR", p, 1);
    setenv("FIDKIT_NO_CACHE", "0", 1);
    return dir;
}

typedef struct run {
    double fid, kid;
    char cache[2][16];
} run;

static run score(const char *dir, const char *extra)
{
    int rc = fk_test_run_cli(out, sizeof out,
                             "score %s/real %s/fake --backbone %s/tiny.yaml --metrics fid,kid "
                             "--ci none --kid-subset-size 8 --kid-subsets 5 --json %s 2>/dev/null",
                             dir, dir, dir, extra);
    cr_assert_eq(rc, 0, "%s", out);
    cJSON *j = cJSON_Parse(out);
    cr_assert(j, "%s", out);
    run r = {0};
    const cJSON *ds = cJSON_GetObjectItem(j, "datasets");
    for (int k = 0; k < 2; k++) {
        const cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(ds, k), "cache");
        cr_assert(cJSON_IsString(c), "%s", out);
        snprintf(r.cache[k], sizeof r.cache[k], "%s", c->valuestring);
    }
    const cJSON *res = cJSON_GetObjectItem(j, "results");
    r.fid = cJSON_GetObjectItem(cJSON_GetArrayItem(res, 0), "value")->valuedouble;
    r.kid = cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "value")->valuedouble;
    cJSON_Delete(j);
    return r;
}

Test(cache, second_score_reads_both_sides_from_the_cache, .timeout = 120)
{
    const char *dir = setup();
    run a = score(dir, "");
    cr_assert_str_eq(a.cache[0], "stored");
    cr_assert_str_eq(a.cache[1], "stored");
    run b = score(dir, "");
    cr_assert_str_eq(b.cache[0], "hit", "the second run extracted the real set again");
    cr_assert_str_eq(b.cache[1], "hit", "the second run extracted the fake set again");
    run c = score(dir, "--no-cache");
    cr_assert_str_eq(c.cache[0], "off");
    cr_assert_str_eq(c.cache[1], "off");
    /* The reference: the uncached extraction, bit for bit. */
    cr_assert_eq(b.fid, c.fid, "cached FID %.17g, extracted %.17g", b.fid, c.fid);
    cr_assert_eq(b.kid, c.kid, "cached KID %.17g, extracted %.17g", b.kid, c.kid);
    cr_assert_eq(a.fid, c.fid);
    setenv("FIDKIT_NO_CACHE", "1", 1);
    run d = score(dir, "");
    cr_assert_str_eq(d.cache[0], "off");
    setenv("FIDKIT_NO_CACHE", "0", 1);
    /* fid alone (moments only) is served by the entries with rows. */
    int rc = fk_test_run_cli(out, sizeof out, "fid %s/real %s/fake --backbone %s/tiny.yaml --json",
                             dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"cache\":\t\"hit\""), "%s", out);
}

Test(cache, an_edit_with_the_same_size_and_mtime_is_not_served_stale, .timeout = 120)
{
    const char *dir = setup();
    run a = score(dir, "");
    char p[1200];
    snprintf(p, sizeof p, "%s/real/005.ppm", dir);
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0);
    FILE *f = fopen(p, "r+b");
    fseek(f, 100, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(ch ^ 0x55, f);
    fclose(f);
    struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
    cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    struct stat sb2;
    stat(p, &sb2);
    cr_assert_eq(sb2.st_size, sb.st_size);
    cr_assert_eq(sb2.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
    cr_assert_eq(sb2.st_mtim.tv_sec, sb.st_mtim.tv_sec);
    run b = score(dir, "");
    cr_assert_str_eq(b.cache[0], "stored", "the edited set was served from the cache");
    cr_assert_str_eq(b.cache[1], "hit");
    run c = score(dir, "--no-cache");
    cr_assert_eq(b.fid, c.fid);
    cr_assert_neq(a.fid, b.fid, "the edit did not change the FID: the test proves nothing");
}

Test(cache, a_corrupt_entry_is_recomputed_and_ls_and_clear_see_entries, .timeout = 120)
{
    const char *dir = setup();
    score(dir, "");
    int rc = fk_test_run_cli(out, sizeof out, "cache ls --json");
    cr_assert_eq(rc, 0, "%s", out);
    cJSON *j = cJSON_Parse(out);
    cJSON *ents = cJSON_GetObjectItem(j, "entries");
    cr_assert_eq(cJSON_GetArraySize(ents), 2, "%s", out);
    const char *file = cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 0), "file")->valuestring;
    FILE *f = fopen(file, "wb");
    fputs("not an npz", f);
    fclose(f);
    cJSON_Delete(j);
    rc = fk_test_run_cli(out, sizeof out,
                         "score %s/real %s/fake --backbone %s/tiny.yaml --metrics fid,kid "
                         "--ci none --kid-subset-size 8 --kid-subsets 5",
                         dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "warning: feature cache entry"), "no warning: %s", out);
    run b = score(dir, "");
    cr_assert_str_eq(b.cache[0], "hit");
    cr_assert_str_eq(b.cache[1], "hit");
    rc = fk_test_run_cli(out, sizeof out, "cache clear --json");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"removed\":\t2"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "cache ls --json");
    cr_assert(strstr(out, "\"entries\":\t[]"), "%s", out);
}

Test(cache, the_content_key_follows_bytes_not_dates)
{
    const char *dir = setup();
    char p[1200], a[33], b[33], c[33];
    snprintf(p, sizeof p, "%s/real", dir);
    fk_error e;
    int64_t bytes = 0;
    cr_assert_eq(fk_dataset_content_key(p, NULL, a, &bytes, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(bytes, 14 * (13 + 20 * 18 * 3));
    char q[1300];
    snprintf(q, sizeof q, "touch -d 2001-01-01 %s/*.ppm", p);
    cr_assert_eq(system(q), 0);
    cr_assert_eq(fk_dataset_content_key(p, NULL, b, NULL, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(a, b, "a date changed the key");
    fk_dataset_options o = fk_dataset_default_options();
    o.limit = 13;
    cr_assert_eq(fk_dataset_content_key(p, &o, c, NULL, &e), FK_OK, "%s", e.msg);
    cr_assert_str_neq(a, c, "a shorter listing kept the key");
    /* The hash streams: any split of the bytes gives the same digest. */
    uint8_t buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    fk_hash128 h1, h2;
    fk_hash128_init(&h1);
    fk_hash128_update(&h1, buf, 1000);
    fk_hash128_init(&h2);
    for (int i = 0; i < 1000; i += 13)
        fk_hash128_update(&h2, buf + i, i + 13 <= 1000 ? 13 : (size_t)(1000 - i));
    char x[33], y[33];
    fk_hash128_hex(&h1, x);
    fk_hash128_hex(&h2, y);
    cr_assert_str_eq(x, y);
    buf[500] ^= 1;
    fk_hash128_init(&h2);
    fk_hash128_update(&h2, buf, 1000);
    fk_hash128_hex(&h2, y);
    cr_assert_str_neq(x, y, "a one-bit change kept the hash");
}
