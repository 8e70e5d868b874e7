/* fidkit's CLIP tokenizer against tests/ref/tokenizer.py (the published
 * simple_tokenizer algorithm run in Python with the real merge list): every
 * caption must give the same ids, exactly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fidkit/tokenizer.h"
#include "fk_test.h"

/* The merge list the reference used (it fails when the list is missing). */
static const char *bpe_path(void)
{
    static char buf[4096];
    FILE *f = fopen(fk_test_fixture("bpe_path.txt"), "r");
    cr_assert(f, "no bpe_path.txt in the fixtures: did ref_tokenizer run?");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static fk_tokenizer *open_tok(const char *path)
{
    fk_tokenizer *tok = NULL;
    fk_error e;
    fk_status s = fk_tokenizer_open(path, &tok, &e);
    cr_assert_eq(s, FK_OK, "fk_tokenizer_open(%s): %s", path, e.msg);
    return tok;
}

typedef struct strings {
    fk_array blob, off;
    int64_t n;
} strings;

static strings load_strings(const char *blob, const char *off)
{
    strings s = {fk_test_load_npy(blob), fk_test_load_npy(off), 0};
    cr_assert_eq(s.blob.dtype, FK_U8);
    cr_assert_eq(s.off.dtype, FK_I64);
    s.n = s.off.shape[0] - 1;
    return s;
}

/* caption i as a NUL-terminated copy (the caller frees) */
static char *caption(const strings *s, int64_t i)
{
    const int64_t *o = s->off.data;
    size_t n = (size_t)(o[i + 1] - o[i]);
    char *c = malloc(n + 1);
    cr_assert(c);
    memcpy(c, (const char *)s->blob.data + o[i], n);
    c[n] = 0;
    return c;
}

Test(tokenizer, matches_reference_ids)
{
    fk_tokenizer *tok = open_tok(bpe_path());
    strings caps = load_strings("captions.npy", "captions_off.npy");
    fk_array ids = fk_test_load_npy("raw_ids.npy"), off = fk_test_load_npy("raw_off.npy");
    fk_array ctx = fk_test_load_npy("ctx77.npy");
    cr_assert_eq(ids.dtype, FK_I32);
    cr_assert_eq(ctx.dtype, FK_I32);
    cr_assert_eq(off.shape[0], caps.n + 1);
    cr_assert_eq(ctx.shape[0], caps.n);
    cr_assert_eq(ctx.shape[1], FK_CLIP_CONTEXT_LEN);
    const int32_t *ref = ids.data, *ref77 = ctx.data;
    const int64_t *ro = off.data;

    int64_t compared = 0, long_ones = 0;
    for (int64_t i = 0; i < caps.n; i++) {
        char *c = caption(&caps, i);
        size_t len = strlen(c);
        int32_t *got;
        size_t n;
        fk_error e;
        fk_status st = fk_tokenizer_encode_raw(tok, c, len, &got, &n, &e);
        cr_assert_eq(st, FK_OK, "caption %lld: %s", (long long)i, e.msg);
        size_t want = (size_t)(ro[i + 1] - ro[i]);
        cr_assert_eq(n, want, "caption %lld \"%s\": %zu tokens, reference %zu", (long long)i, c,
                     n, want);
        for (size_t k = 0; k < n; k++)
            cr_assert_eq(got[k], ref[ro[i] + (int64_t)k],
                         "caption %lld \"%s\": token %zu is %d, reference %d", (long long)i, c,
                         k, got[k], ref[ro[i] + (int64_t)k]);
        free(got);

        int32_t row[FK_CLIP_CONTEXT_LEN];
        int nt;
        st = fk_tokenizer_encode(tok, c, row, FK_CLIP_CONTEXT_LEN, 1, &nt, &e);
        cr_assert_eq(st, FK_OK, "caption %lld: %s", (long long)i, e.msg);
        for (int k = 0; k < FK_CLIP_CONTEXT_LEN; k++)
            cr_assert_eq(row[k], ref77[i * FK_CLIP_CONTEXT_LEN + k],
                         "caption %lld \"%s\": context slot %d is %d, reference %d",
                         (long long)i, c, k, row[k], ref77[i * FK_CLIP_CONTEXT_LEN + k]);
        cr_assert_eq(nt, (int)(want + 2 > FK_CLIP_CONTEXT_LEN ? FK_CLIP_CONTEXT_LEN : want + 2));

        /* without truncation, exactly the captions that do not fit fail */
        st = fk_tokenizer_encode(tok, c, row, FK_CLIP_CONTEXT_LEN, 0, &nt, &e);
        if (want + 2 > FK_CLIP_CONTEXT_LEN) {
            cr_assert_eq(st, FK_ERR_ARG, "caption %lld: a too long caption was accepted",
                         (long long)i);
            long_ones++;
        } else {
            cr_assert_eq(st, FK_OK, "caption %lld: %s", (long long)i, e.msg);
        }
        free(c);
        compared++;
    }
    cr_assert_gt(compared, 1000);
    cr_assert_gt(long_ones, 0, "the corpus must contain captions longer than the context");
    fk_array_free(&ids);
    fk_array_free(&off);
    fk_array_free(&ctx);
    fk_array_free(&caps.blob);
    fk_array_free(&caps.off);
    fk_tokenizer_close(tok);
}

Test(tokenizer, plain_text_list_and_known_ids)
{
    /* the uncompressed list reads the same; "a photo of a cat" is the example
     * every CLIP user has seen */
    fk_tokenizer *tok = open_tok(fk_test_fixture("bpe.txt"));
    int32_t row[FK_CLIP_CONTEXT_LEN];
    int nt;
    fk_error e;
    cr_assert_eq(fk_tokenizer_encode(tok, "a photo of a cat", row, 77, 1, &nt, &e), FK_OK, "%s",
                 e.msg);
    const int32_t want[] = {49406, 320, 1125, 539, 320, 2368, 49407, 0, 0};
    cr_assert_eq(nt, 7);
    for (int k = 0; k < 9; k++)
        cr_assert_eq(row[k], want[k], "slot %d: %d", k, row[k]);
    /* a shorter context truncates the same way */
    cr_assert_eq(fk_tokenizer_encode(tok, "a photo of a cat", row, 4, 1, &nt, &e), FK_OK);
    cr_assert_eq(nt, 4);
    cr_assert(row[0] == 49406 && row[1] == 320 && row[2] == 1125 && row[3] == 49407);
    cr_assert_eq(fk_tokenizer_encode(tok, "a photo of a cat", row, 4, 0, &nt, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "context length 4"), "%s", e.msg);
    fk_tokenizer_close(tok);
}

Test(tokenizer, hugging_face_merges_txt)
{
    /* a merges.txt as Hugging Face ships it (its header, then the merges
     * only): the same ids, and vocab.json is not needed */
    fk_tokenizer *tok = open_tok(fk_test_fixture("bpe_hf_merges.txt"));
    int32_t row[FK_CLIP_CONTEXT_LEN];
    int nt;
    fk_error e;
    cr_assert_eq(fk_tokenizer_encode(tok, "a photo of a cat", row, 77, 1, &nt, &e), FK_OK, "%s",
                 e.msg);
    const int32_t want[] = {49406, 320, 1125, 539, 320, 2368, 49407, 0};
    for (int k = 0; k < 8; k++)
        cr_assert_eq(row[k], want[k], "slot %d: %d", k, row[k]);
    fk_tokenizer_close(tok);
}

Test(tokenizer, refuses_bad_input)
{
    fk_tokenizer *tok = NULL;
    fk_error e;
    cr_assert_eq(fk_tokenizer_open("/nonexistent/bpe.txt.gz", &tok, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "/nonexistent/bpe.txt.gz"), "%s", e.msg);
    cr_assert_null(tok);
    cr_assert_eq(fk_tokenizer_open(fk_test_fixture("bpe_short.txt"), &tok, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "only 999 merges"), "%s", e.msg);

    tok = open_tok(bpe_path());
    int32_t row[FK_CLIP_CONTEXT_LEN];
    int nt = -1;
    const char *bad[] = {"caf\xc3", "\xff", "over\xc0\xafong", "surrogate \xed\xa0\x80",
                         "big \xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(fk_tokenizer_encode(tok, bad[i], row, 77, 1, &nt, &e), FK_ERR_FORMAT,
                     "invalid UTF-8 #%zu was accepted", i);
        cr_assert(strstr(e.msg, "UTF-8"), "%s", e.msg);
        cr_assert_eq(nt, 0);
    }
    cr_assert_eq(fk_tokenizer_encode(tok, "x", row, 1, 1, &nt, &e), FK_ERR_ARG);
    cr_assert_eq(fk_tokenizer_encode(tok, NULL, row, 77, 1, &nt, &e), FK_ERR_ARG);
    fk_tokenizer_close(tok);
    fk_tokenizer_close(NULL);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* captions per second of fk_tokenizer_encode over all strings of s */
static double c_rate(fk_tokenizer *tok, const strings *s)
{
    char **c = malloc((size_t)s->n * sizeof *c);
    cr_assert(c);
    for (int64_t i = 0; i < s->n; i++)
        c[i] = caption(s, i);
    int32_t row[FK_CLIP_CONTEXT_LEN];
    double t0 = now();
    for (int64_t i = 0; i < s->n; i++) {
        fk_error e;
        cr_assert_eq(fk_tokenizer_encode(tok, c[i], row, 77, 1, NULL, &e), FK_OK, "%s", e.msg);
    }
    double rate = (double)s->n / (now() - t0);
    for (int64_t i = 0; i < s->n; i++)
        free(c[i]);
    free(c);
    return rate;
}

Test(tokenizer, throughput)
{
    /* not a benchmark with a threshold: the ratio against the Python reference
     * (timed on the same machine, same captions, fresh tokenizers) is printed */
    fk_array rate = fk_test_load_npy("py_rate.npy");
    cr_assert_eq(rate.shape[0], 2);
    const double *py = rate.data;
    const char *names[2] = {"plain captions", "tricky corpus"};
    const char *files[2][2] = {{"bench.npy", "bench_off.npy"},
                               {"captions.npy", "captions_off.npy"}};
    for (int k = 0; k < 2; k++) {
        strings s = load_strings(files[k][0], files[k][1]);
        cr_assert_gt(s.n, 0);
        fk_tokenizer *tok = open_tok(bpe_path());
        double r = c_rate(tok, &s);
        fprintf(stderr, "tokenizer throughput, %s (%lld): %.0f captions/s, python reference "
                "%.0f/s, ratio %.1fx\n", names[k], (long long)s.n, r, py[k], r / py[k]);
        fk_tokenizer_close(tok);
        fk_array_free(&s.blob);
        fk_array_free(&s.off);
    }
    fk_array_free(&rate);
}
