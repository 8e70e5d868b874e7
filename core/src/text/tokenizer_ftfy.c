/* The part of ftfy.fix_text (ftfy 6.x, default settings) that acts on
 * well-formed text; docs/tokenizer.md says what is left out (mojibake repair). */
#include <stdlib.h>
#include <string.h>

#include "text/tokenizer_internal.h"

/* fix_latin_ligatures: Latin ligatures and legacy digraphs only */
static const uint32_t ligature_from[] = {0x132, 0x133, 0x149, 0x1C4, 0x1C5, 0x1C6, 0x1C7,
                                         0x1C8, 0x1C9, 0x1CA, 0x1CB, 0x1CC, 0x1F1, 0x1F2,
                                         0x1F3, 0xFB00, 0xFB01, 0xFB02, 0xFB03, 0xFB04,
                                         0xFB05, 0xFB06};
static const uint32_t ligature_to[][3] = {
    {'I', 'J'},     {'i', 'j'},     {0x2BC, 'n'},  {'D', 0x17D},  {'D', 0x17E},
    {'d', 0x17E},   {'L', 'J'},     {'L', 'j'},    {'l', 'j'},    {'N', 'J'},
    {'N', 'j'},     {'n', 'j'},     {'D', 'Z'},    {'D', 'z'},    {'d', 'z'},
    {'f', 'f'},     {'f', 'i'},     {'f', 'l'},    {'f', 'f', 'i'}, {'f', 'f', 'l'},
    {0x17F, 't'},   {'s', 't'}};

/* ftfy's character fixers, one pass each, in ftfy's order: C1 controls as
 * Windows-1252, Latin ligatures, full/half widths, curly quotes. */
static int ftfy_charmaps(const fk_tok_cps *in, fk_tok_cps *out)
{
    out->n = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c < 0x80) {
            if (fk_tok_cps_push(out, c))
                return -1;
            continue;
        }
        if (c >= 0x80 && c <= 0x9F)
            c = fk_tok_c1_cp1252[c - 0x80];
        uint32_t tmp[3];
        size_t nt = 1;
        tmp[0] = c;
        long li = fk_tok_find_u32(ligature_from, sizeof ligature_from / sizeof *ligature_from, c);
        if (li >= 0) {
            nt = ligature_to[li][2] ? 3 : 2;
            memcpy(tmp, ligature_to[li], nt * sizeof *tmp);
        }
        for (size_t t = 0; t < nt; t++) {
            uint32_t d = tmp[t];
            long wi = d >= 0x3000 ? fk_tok_find_u32(fk_tok_width_key, fk_tok_width_n, d) : -1;
            uint32_t w[4];
            size_t nw = 1;
            w[0] = d;
            if (wi >= 0) {
                nw = fk_tok_width_off[wi + 1] - fk_tok_width_off[wi];
                if (nw > 4)
                    nw = 4;
                memcpy(w, fk_tok_width_pool + fk_tok_width_off[wi], nw * sizeof *w);
            }
            for (size_t q = 0; q < nw; q++) {
                uint32_t x = w[q];
                if (x == 0x2BC || (x >= 0x2018 && x <= 0x201B))
                    x = '\'';
                else if (x >= 0x201C && x <= 0x201F)
                    x = '"';
                if (fk_tok_cps_push(out, x))
                    return -1;
            }
        }
    }
    return 0;
}

/* fix_line_breaks, then remove_terminal_escapes, then remove_control_chars. */
static int ftfy_breaks_controls(const fk_tok_cps *in, fk_tok_cps *tmp, fk_tok_cps *out)
{
    tmp->n = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c == '\r') {
            if (i + 1 < in->n && in->v[i + 1] == '\n')
                i++;
            c = '\n';
        } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
            c = '\n';
        }
        if (fk_tok_cps_push(tmp, c))
            return -1;
    }
    out->n = 0;
    for (size_t i = 0; i < tmp->n; i++) {
        uint32_t c = tmp->v[i];
        if (c == 0x1B && i + 1 < tmp->n && tmp->v[i + 1] == '[') {
            /* \033\[((?:\d|;)*)([a-zA-Z]) with \d = any Nd digit */
            size_t k = i + 2;
            while (k < tmp->n && (tmp->v[k] == ';' ||
                                  fk_tok_in_ranges(fk_tok_digit_lo, fk_tok_digit_hi, fk_tok_digit_n,
                                            tmp->v[k])))
                k++;
            if (k < tmp->n && (tmp->v[k] | 0x20) >= 'a' && (tmp->v[k] | 0x20) <= 'z') {
                i = k;
                continue;
            }
        }
        if (c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
            (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC))
            continue;
        if (fk_tok_cps_push(out, c))
            return -1;
    }
    return 0;
}

/* One round of ftfy's fixers on a segment (in t->seg), in ftfy's order. */
static int ftfy_round(fk_tok_text *t, int unescape)
{
    if (unescape) {
        if (fk_tok_ftfy_unescape(&t->seg, &t->s1))
            return -1;
        fk_tok_cps_swap(&t->seg, &t->s1);
    }
    if (ftfy_charmaps(&t->seg, &t->s1))
        return -1;
    if (ftfy_breaks_controls(&t->s1, &t->s2, &t->seg))
        return -1;
    if (fk_tok_nfc(&t->seg, &t->s1))
        return -1;
    fk_tok_cps_swap(&t->seg, &t->s1);
    return 0;
}

/* ftfy.fix_text on t->a into t->b: per line (its '\n' included), the fixers
 * are repeated until the line stops changing. HTML entities are left alone
 * from the first line that contains '<' on, as ftfy's "auto" setting does. */
int fk_tok_ftfy_fix_text(fk_tok_text *t)
{
    const size_t max_seg = 1000000;
    const fk_tok_cps *text = &t->a;
    int unescape = 1;
    size_t pos = 0;
    t->b.n = 0;
    while (pos < text->n) {
        size_t end = pos;
        while (end < text->n && text->v[end] != '\n')
            end++;
        end = end < text->n ? end + 1 : end;
        if (end - pos > max_seg)
            end = pos + max_seg;
        t->seg.n = 0;
        if (fk_tok_cps_append(&t->seg, text->v + pos, end - pos))
            return -1;
        for (size_t i = 0; i < t->seg.n && unescape; i++)
            unescape = t->seg.v[i] != '<';
        /* ftfy loops until nothing changes; the cap only guards against a
         * cycle, which its fixers do not have */
        for (int round = 0; round < 64; round++) {
            t->orig.n = 0;
            if (fk_tok_cps_append(&t->orig, t->seg.v, t->seg.n) || ftfy_round(t, unescape))
                return -1;
            if (t->seg.n == t->orig.n &&
                !memcmp(t->seg.v, t->orig.v, t->seg.n * sizeof *t->seg.v))
                break;
        }
        if (fk_tok_cps_append(&t->b, t->seg.v, t->seg.n))
            return -1;
        pos = end;
    }
    return 0;
}

/* True when ftfy.fix_text provably returns the text unchanged. */
int fk_tok_ftfy_noop(const fk_tok_cps *s)
{
    for (size_t i = 0; i < s->n; i++) {
        uint32_t c = s->v[i];
        if (!((c >= 0x20 && c < 0x7F && c != '&') || c == '\n' || c == '\t'))
            return 0;
    }
    return 1;
}

