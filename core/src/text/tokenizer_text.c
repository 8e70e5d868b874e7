/* CLIP's text clean-up before the split, on arrays of code points:
 * basic_clean (ftfy.fix_text subset, html.unescape twice, strip),
 * whitespace_clean and str.lower(). The order and the quirks follow the Python
 * functions CLIP calls; docs/tokenizer.md lists what is not reproduced. */
#include <stdlib.h>
#include <string.h>

#include "text/tokenizer_internal.h"

/* ---- growable code point arrays ------------------------------------------ */

int fk_tok_cps_reserve(fk_tok_cps *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < n)
        cap *= 2;
    uint32_t *v = realloc(b->v, cap * sizeof *v);
    if (!v)
        return -1;
    b->v = v;
    b->cap = cap;
    return 0;
}

int fk_tok_cps_push(fk_tok_cps *b, uint32_t c)
{
    if (b->n == b->cap && fk_tok_cps_reserve(b, b->n + 1))
        return -1;
    b->v[b->n++] = c;
    return 0;
}

int fk_tok_cps_append(fk_tok_cps *b, const uint32_t *c, size_t n)
{
    if (n == 0) /* c may be the NULL buffer of an empty string */
        return 0;
    if (fk_tok_cps_reserve(b, b->n + n))
        return -1;
    memcpy(b->v + b->n, c, n * sizeof *c);
    b->n += n;
    return 0;
}

void fk_tok_cps_free(fk_tok_cps *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

void fk_tok_text_free(fk_tok_text *t)
{
    fk_tok_cps_free(&t->a);
    fk_tok_cps_free(&t->b);
    fk_tok_cps_free(&t->seg);
    fk_tok_cps_free(&t->orig);
    fk_tok_cps_free(&t->s1);
    fk_tok_cps_free(&t->s2);
}

void fk_tok_cps_swap(fk_tok_cps *x, fk_tok_cps *y)
{
    fk_tok_cps t = *x;
    *x = *y;
    *y = t;
}

/* ---- table look-ups ------------------------------------------------------- */

long fk_tok_find_u32(const uint32_t *keys, size_t n, uint32_t k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == k ? (long)lo : -1;
}

int fk_tok_in_ranges(const uint32_t *lo, const uint32_t *hi, size_t n, uint32_t c)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (hi[mid] < c)
            a = mid + 1;
        else
            b = mid;
    }
    return a < n && lo[a] <= c;
}

int fk_tok_class(uint32_t cp)
{
    /* last run starting at or before cp */
    size_t lo = 0, hi = fk_tok_class_n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (fk_tok_class_start[mid] <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return fk_tok_class_kind[lo];
}

static int is_pyspace(uint32_t c) /* str.isspace */
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return fk_tok_find_u32(fk_tok_isspace, fk_tok_isspace_n, c) >= 0;
}

static int is_respace(uint32_t c) /* \s of the regex module */
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return fk_tok_find_u32(fk_tok_respace, fk_tok_respace_n, c) >= 0;
}

int fk_tok_push_mapped(fk_tok_cps *out, const uint32_t *key, const uint32_t *off,
                       const uint32_t *pool, size_t n, uint32_t c)
{
    long i = fk_tok_find_u32(key, n, c);
    if (i < 0)
        return fk_tok_cps_push(out, c);
    return fk_tok_cps_append(out, pool + off[i], off[i + 1] - off[i]);
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static fk_status utf8_decode(const unsigned char *s, size_t len, fk_tok_cps *out, fk_error *e)
{
    out->n = 0;
    if (fk_tok_cps_reserve(out, len + 1))
        return fk_fail(e, FK_ERR_NOMEM, "tokenizer: out of memory for a %zu-byte caption", len);
    size_t i = 0;
    while (i < len) {
        uint32_t c = s[i];
        size_t k;
        uint32_t min;
        if (c < 0x80) {
            out->v[out->n++] = c;
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, min = 0x10000, c &= 0x07;
        } else {
            goto bad;
        }
        if (i + k >= len)
            goto bad;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                goto bad;
            c = (c << 6) | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            goto bad;
        out->v[out->n++] = c;
        i += k + 1;
    }
    return FK_OK;
bad:
    return fk_fail(e, FK_ERR_FORMAT, "tokenizer: caption is not valid UTF-8 (byte %zu of %zu)",
                   i, len);
}

/* ---- whitespace and case -------------------------------------------------- */

static void strip(fk_tok_cps *s)
{
    size_t a = 0, b = s->n;
    while (a < b && is_pyspace(s->v[a]))
        a++;
    while (b > a && is_pyspace(s->v[b - 1]))
        b--;
    memmove(s->v, s->v + a, (b - a) * sizeof *s->v);
    s->n = b - a;
}

/* re.sub(r'\s+', ' ', text) */
static void collapse_spaces(fk_tok_cps *s)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n;) {
        if (is_respace(s->v[i])) {
            while (i < s->n && is_respace(s->v[i]))
                i++;
            s->v[w++] = ' ';
        } else {
            s->v[w++] = s->v[i++];
        }
    }
    s->n = w;
}

static int is_cased(uint32_t c)
{
    return fk_tok_in_ranges(fk_tok_cased_lo, fk_tok_cased_hi, fk_tok_cased_n, c);
}
static int is_case_ignorable(uint32_t c)
{
    return fk_tok_in_ranges(fk_tok_case_ignorable_lo, fk_tok_case_ignorable_hi,
                     fk_tok_case_ignorable_n, c);
}

/* str.lower(): full mappings (U+0130 -> "i\u0307") and Final_Sigma. */
static int lower(const fk_tok_cps *in, fk_tok_cps *out)
{
    out->n = 0;
    if (fk_tok_cps_reserve(out, in->n))
        return -1;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c < 0x80) {
            if (fk_tok_cps_push(out, c >= 'A' && c <= 'Z' ? c + 32 : c))
                return -1;
        } else if (c == 0x3A3) {
            size_t j = i;
            while (j > 0 && is_case_ignorable(in->v[j - 1]))
                j--;
            int fin = j > 0 && is_cased(in->v[j - 1]);
            if (fin) {
                size_t k = i + 1;
                while (k < in->n && is_case_ignorable(in->v[k]))
                    k++;
                fin = k == in->n || !is_cased(in->v[k]);
            }
            if (fk_tok_cps_push(out, fin ? 0x3C2 : 0x3C3))
                return -1;
        } else if (fk_tok_push_mapped(out, fk_tok_lower_key, fk_tok_lower_off, fk_tok_lower_pool,
                               fk_tok_lower_n, c)) {
            return -1;
        }
    }
    return 0;
}

/* ---- the whole clean-up ----------------------------------------------------- */

fk_status fk_tok_clean(fk_tok_text *t, const char *utf8, size_t len, fk_error *e)
{
    fk_status st = utf8_decode((const unsigned char *)utf8, len, &t->a, e);
    if (st)
        return st;
    int err = 0;
    if (!fk_tok_ftfy_noop(&t->a)) {
        err = fk_tok_ftfy_fix_text(t);
        if (!err)
            fk_tok_cps_swap(&t->a, &t->b);
    }
    /* basic_clean: html.unescape twice, then strip */
    for (int k = 0; k < 2 && !err; k++) {
        int amp = 0;
        for (size_t i = 0; i < t->a.n && !amp; i++)
            amp = t->a.v[i] == '&';
        if (!amp)
            break;
        err = fk_tok_html_unescape(&t->a, &t->b);
        fk_tok_cps_swap(&t->a, &t->b);
    }
    if (!err) {
        strip(&t->a);
        collapse_spaces(&t->a);
        strip(&t->a);
        err = lower(&t->a, &t->b);
        fk_tok_cps_swap(&t->a, &t->b);
    }
    if (err)
        return fk_fail(e, FK_ERR_NOMEM, "tokenizer: out of memory cleaning a %zu-byte caption",
                       len);
    return FK_OK;
}
