/* Unicode NFC (unicodedata.normalize("NFC")), which ftfy applies last. */
#include <stdlib.h>
#include <string.h>

#include "text/tokenizer_internal.h"

static int ccc(uint32_t c)
{
    if (c < 0x300)
        return 0;
    size_t a = 0, b = fk_tok_ccc_n;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (fk_tok_ccc_hi[mid] < c)
            a = mid + 1;
        else
            b = mid;
    }
    return a < fk_tok_ccc_n && fk_tok_ccc_lo[a] <= c ? fk_tok_ccc_val[a] : 0;
}

/* ---- NFC ------------------------------------------------------------------- */

enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7,
       LCOUNT = 19, VCOUNT = 21, TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT, SCOUNT = LCOUNT * NCOUNT };

static uint32_t compose_pair(uint32_t a, uint32_t b)
{
    if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
        return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE &&
        b < TBASE + TCOUNT)
        return a + (b - TBASE);
    uint64_t key = ((uint64_t)a << 21) | b;
    size_t lo = 0, hi = fk_tok_comp_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fk_tok_comp_key[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < fk_tok_comp_n && fk_tok_comp_key[lo] == key ? fk_tok_comp_val[lo] : 0;
}

int fk_tok_nfc(const fk_tok_cps *in, fk_tok_cps *out)
{
    out->n = 0;
    int simple = 1;
    for (size_t i = 0; i < in->n && simple; i++)
        simple = in->v[i] < 0x300;
    if (simple) /* nothing below U+0300 decomposes into or composes with anything else */
        return fk_tok_cps_append(out, in->v, in->n);
    /* canonical decomposition */
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c >= SBASE && c < SBASE + SCOUNT) {
            uint32_t s = c - SBASE;
            uint32_t h[3] = {LBASE + s / NCOUNT, VBASE + (s % NCOUNT) / TCOUNT, TBASE + s % TCOUNT};
            if (fk_tok_cps_append(out, h, s % TCOUNT ? 3 : 2))
                return -1;
        } else if (fk_tok_push_mapped(out, fk_tok_nfd_key, fk_tok_nfd_off, fk_tok_nfd_pool,
                               fk_tok_nfd_n, c)) {
            return -1;
        }
    }
    /* canonical ordering: stable insertion sort of each run of non-starters */
    uint32_t *v = out->v;
    size_t n = out->n;
    for (size_t i = 1; i < n; i++) {
        int ci = ccc(v[i]);
        if (ci == 0)
            continue;
        size_t j = i;
        uint32_t c = v[i];
        while (j > 0) {
            int cp = ccc(v[j - 1]);
            if (cp <= ci)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = c;
    }
    /* canonical composition */
    if (n == 0)
        return 0;
    size_t starter = 0, w = 1;
    int last = ccc(v[0]) ? 256 : 0;
    for (size_t i = 1; i < n; i++) {
        uint32_t c = v[i];
        int cc = ccc(c);
        uint32_t comp = (last < cc || last == 0) ? compose_pair(v[starter], c) : 0;
        if (comp) {
            v[starter] = comp;
            continue;
        }
        if (cc == 0)
            starter = w;
        last = cc;
        v[w++] = c;
    }
    out->n = w;
    return 0;
}
