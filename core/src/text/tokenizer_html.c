/* Character references: html.unescape of Python's standard library (HTML5
 * rules, used twice by CLIP's basic_clean) and ftfy's stricter unescape_html. */
#include <stdlib.h>
#include <string.h>

#include "text/tokenizer_internal.h"

/* Index of name in a sorted NUL-joined name table, or -1. */
static long find_name(const char *names, const uint32_t *name_off, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(names + name_off[mid], name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static long html5_find(const char *name)
{
    return find_name(fk_tok_html5_names, fk_tok_html5_name_off, fk_tok_html5_n, name);
}

static int push_html5(fk_tok_cps *out, long i)
{
    return fk_tok_cps_append(out, fk_tok_html5_pool + fk_tok_html5_off[i],
                  fk_tok_html5_off[i + 1] - fk_tok_html5_off[i]);
}

/* Copies cps [a, b) into an ASCII C string; 0 when one is not ASCII. */
static int to_ascii(const uint32_t *v, size_t a, size_t b, char *buf, size_t cap)
{
    if (b - a + 1 > cap)
        return 0;
    for (size_t i = a; i < b; i++) {
        if (v[i] >= 0x80)
            return 0;
        buf[i - a] = (char)v[i];
    }
    buf[b - a] = 0;
    return 1;
}

/* ---- html.unescape (Python's standard library, HTML5 rules) -------------- */

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int is_hex(uint32_t c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static uint32_t hexval(uint32_t c)
{
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The replacement of a numeric character reference (num saturates). */
static int push_numeric_ref(fk_tok_cps *out, uint64_t num)
{
    long i = num <= 0xFFFFFFFFu
                 ? fk_tok_find_u32(fk_tok_html_invalid_ref_from, fk_tok_html_invalid_ref_n, (uint32_t)num)
                 : -1;
    if (i >= 0)
        return fk_tok_cps_push(out, fk_tok_html_invalid_ref_to[i]);
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF)
        return fk_tok_cps_push(out, 0xFFFD);
    if (fk_tok_find_u32(fk_tok_html_invalid_cp, fk_tok_html_invalid_cp_n, (uint32_t)num) >= 0)
        return 0;
    return fk_tok_cps_push(out, (uint32_t)num);
}

/* Tries the character reference starting at in[i] == '&'; on a match appends
 * its replacement and returns the index after it, else returns i. */
static size_t html_ref(const uint32_t *in, size_t n, size_t i, fk_tok_cps *out, int *err)
{
    size_t j = i + 1;
    if (j < n && in[j] == '#') {
        uint64_t num = 0;
        size_t k = j + 1;
        if (k < n && is_digit(in[k])) {
            while (k < n && is_digit(in[k])) {
                num = num * 10 + (in[k] - '0');
                if (num > 0x7FFFFFFF)
                    num = 0x7FFFFFFF; /* anything above U+10FFFF maps alike */
                k++;
            }
        } else if (k + 1 < n && (in[k] == 'x' || in[k] == 'X') && is_hex(in[k + 1])) {
            k++;
            while (k < n && is_hex(in[k])) {
                num = num * 16 + hexval(in[k]);
                if (num > 0x7FFFFFFF)
                    num = 0x7FFFFFFF;
                k++;
            }
        } else {
            return i; /* '#' cannot start a name either */
        }
        if (k < n && in[k] == ';')
            k++;
        if (push_numeric_ref(out, num))
            *err = 1;
        return k;
    }
    /* a name: 1..32 characters outside [\t\n\f <&#;], then an optional ';' */
    size_t k = j;
    while (k < n && k - j < 32) {
        uint32_t c = in[k];
        if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' ||
            c == '#' || c == ';')
            break;
        k++;
    }
    if (k == j)
        return i;
    if (k < n && in[k] == ';')
        k++;
    char name[40];
    long hit;
    if (to_ascii(in, j, k, name, sizeof name) && (hit = html5_find(name)) >= 0) {
        if (push_html5(out, hit))
            *err = 1;
        return k;
    }
    /* the longest known prefix of at least two characters */
    for (size_t x = k - j - 1; x >= 2; x--) {
        if (to_ascii(in, j, j + x, name, sizeof name) && (hit = html5_find(name)) >= 0) {
            if (push_html5(out, hit) || fk_tok_cps_append(out, in + j + x, k - j - x))
                *err = 1;
            return k;
        }
    }
    if (fk_tok_cps_append(out, in + i, k - i))
        *err = 1;
    return k;
}

int fk_tok_html_unescape(const fk_tok_cps *in, fk_tok_cps *out)
{
    out->n = 0;
    int err = 0;
    size_t i = 0;
    while (i < in->n && !err) {
        if (in->v[i] == '&') {
            size_t k = html_ref(in->v, in->n, i, out, &err);
            if (k > i) {
                i = k;
                continue;
            }
        }
        err = fk_tok_cps_push(out, in->v[i++]);
    }
    return err;
}

/* ---- ftfy's unescape_html -------------------------------------------------- */

static int is_alnum_ascii(uint32_t c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* ftfy's unescape_html: only `&#?[0-9A-Za-z]{1,24};`, decoded when it is an
 * HTML5 name with ';' (or one of ftfy's all-caps variants), or a numeric
 * reference that html.unescape consumes whole. */
int fk_tok_ftfy_unescape(const fk_tok_cps *in, fk_tok_cps *out)
{
    out->n = 0;
    size_t i = 0, n = in->n;
    const uint32_t *v = in->v;
    while (i < n) {
        if (v[i] != '&') {
            if (fk_tok_cps_push(out, v[i++]))
                return -1;
            continue;
        }
        size_t j = i + 1, k;
        int hash = j < n && v[j] == '#';
        if (hash)
            j++;
        for (k = j; k < n && k - j < 25 && is_alnum_ascii(v[k]); k++) {
        }
        if (k == j || k - j > 24 || k >= n || v[k] != ';') {
            if (fk_tok_cps_push(out, v[i++]))
                return -1;
            continue;
        }
        size_t end = k + 1; /* the match is v[i, end) */
        char name[32];
        to_ascii(v, i + 1, end, name, sizeof name);
        long hit;
        if ((hit = html5_find(name)) >= 0) {
            if (push_html5(out, hit))
                return -1;
        } else if ((hit = find_name(fk_tok_ftfy_upper_names, fk_tok_ftfy_upper_name_off,
                                    fk_tok_ftfy_upper_n, name)) >= 0) {
            if (fk_tok_cps_append(out, fk_tok_ftfy_upper_pool + fk_tok_ftfy_upper_off[hit],
                       fk_tok_ftfy_upper_off[hit + 1] - fk_tok_ftfy_upper_off[hit]))
                return -1;
        } else if (hash) {
            /* keep the reference unless html.unescape decodes all of it */
            fk_tok_cps m = {0}, r = {0};
            int bad = fk_tok_cps_append(&m, v + i, end - i) || fk_tok_html_unescape(&m, &r);
            int semi = 0;
            for (size_t q = 0; !bad && q < r.n; q++)
                semi |= r.v[q] == ';';
            bad = bad || (semi ? fk_tok_cps_append(out, v + i, end - i) : fk_tok_cps_append(out, r.v, r.n));
            fk_tok_cps_free(&m);
            fk_tok_cps_free(&r);
            if (bad)
                return -1;
        } else if (fk_tok_cps_append(out, v + i, end - i)) {
            return -1;
        }
        i = end;
    }
    return 0;
}

