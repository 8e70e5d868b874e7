/* The CLIP tokenizer: loading the merge list, CLIP's split pattern and
 * clip.tokenize's context window. The text clean-up starts in
 * tokenizer_text.c, the BPE is in tokenizer_bpe.c. */
#include "fidkit/tokenizer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "text/tokenizer_internal.h"

#define N_MERGES (49152 - 256 - 2) /* CLIP reads this many lines after the header */

const char *fk_tokenizer_unicode_version(void)
{
    return fk_tok_unicode_version;
}

/* ---- loading ------------------------------------------------------------- */

/* Whole file, gzip or plain (gzread passes plain files through). */
static fk_status read_all(const char *path, char **buf, size_t *len, fk_error *e)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open the CLIP merge list: %s", path,
                       errno ? strerror(errno) : "out of memory");
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            gzclose(f);
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory reading the merge list", path);
        }
        if (n == cap) {
            char *q = cap < ((size_t)1 << 30) ? realloc(b, cap * 2) : NULL;
            if (!q) {
                free(b);
                gzclose(f);
                return fk_fail(e, FK_ERR_FORMAT, "%s: merge list larger than 1 GiB", path);
            }
            b = q;
            cap *= 2;
        }
        int r = gzread(f, b + n, (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n));
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            free(b);
            gzclose(f);
            return fk_fail(e, FK_ERR_FORMAT, "%s: cannot decompress the merge list: %s", path,
                           msg);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(f);
    *buf = b;
    *len = n;
    return FK_OK;
}

/* The temporary string -> id map used while building the merge table; as in
 * CLIP's encoder dict, a later id for the same string wins. */
typedef struct strmap {
    uint64_t *hash;
    const char **str;
    uint32_t *len;
    int32_t *id;
    size_t cap;
} strmap;

static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h ? h : 1;
}

static size_t strmap_slot(const strmap *m, const char *s, size_t n, uint64_t h)
{
    size_t i = h & (m->cap - 1);
    while (m->hash[i] && !(m->hash[i] == h && m->len[i] == n && !memcmp(m->str[i], s, n)))
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* s must stay alive as long as the map */
static void strmap_put(strmap *m, const char *s, size_t n, int32_t id)
{
    uint64_t h = str_hash(s, n);
    size_t i = strmap_slot(m, s, n, h);
    m->hash[i] = h;
    m->str[i] = s;
    m->len[i] = (uint32_t)n;
    m->id[i] = id;
}

static int32_t strmap_get(const strmap *m, const char *s, size_t n)
{
    uint64_t h = str_hash(s, n);
    size_t i = strmap_slot(m, s, n, h);
    return m->hash[i] ? m->id[i] : -1;
}

/* GPT-2's byte -> printable character map, as CLIP's bytes_to_unicode. */
static void byte_chars(uint32_t ch[256], int order[256])
{
    int k = 0, extra = 0;
    for (int b = 0; b < 256; b++)
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            ch[b] = (uint32_t)b;
            order[k++] = b;
        }
    for (int b = 0; b < 256; b++)
        if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))) {
            ch[b] = (uint32_t)(256 + extra++);
            order[k++] = b;
        }
}

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

typedef struct merge {
    const char *a, *b;
    uint32_t na, nb;
} merge;

/* Splits lines 1..N_MERGES of the file into pairs, in place. */
static fk_status parse_merges(const char *path, char *buf, size_t len, merge *mg, fk_error *e)
{
    size_t pos = 0, line = 0, got = 0;
    while (got < N_MERGES) {
        if (pos >= len)
            return fk_fail(e, FK_ERR_FORMAT,
                           "%s: only %zu merges, CLIP's tokenizer needs the first %d "
                           "(is this bpe_simple_vocab_16e6.txt?)", path, got, N_MERGES);
        char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (line > 0) {
            /* exactly two fields separated by spaces */
            const char *f[3];
            size_t fl[3], nf = 0, i = pos;
            while (i < end) {
                while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
                    i++;
                if (i == end)
                    break;
                size_t s = i;
                while (i < end && !(buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
                    i++;
                if (nf < 3) {
                    f[nf] = buf + s;
                    fl[nf] = i - s;
                }
                nf++;
            }
            if (nf != 2)
                return fk_fail(e, FK_ERR_FORMAT, "%s: line %zu: expected two symbols, found %zu",
                               path, line + 1, nf);
            mg[got].a = f[0];
            mg[got].na = (uint32_t)fl[0];
            mg[got].b = f[1];
            mg[got].nb = (uint32_t)fl[1];
            got++;
        }
        line++;
        pos = end + 1;
    }
    return FK_OK;
}

/* Builds CLIP's vocabulary order (bytes, bytes + "</w>", merges, specials)
 * and the merge table over vocabulary ids. */
static fk_status build(fk_tokenizer *tok, const char *path, const merge *mg, fk_error *e)
{
    enum { VOCAB = 512 + N_MERGES + 2 };
    uint32_t ch[256];
    int order[256];
    byte_chars(ch, order);

    /* strings of the 512 byte symbols and of the joined merges */
    char *pool = malloc(512 * 8 + 64);
    char **joined = calloc(N_MERGES, sizeof *joined);
    strmap m = {0};
    m.cap = 1 << 17;
    m.hash = calloc(m.cap, sizeof *m.hash);
    m.str = malloc(m.cap * sizeof *m.str);
    m.len = malloc(m.cap * sizeof *m.len);
    m.id = malloc(m.cap * sizeof *m.id);
    fk_status st = FK_OK;
    if (!pool || !joined || !m.hash || !m.str || !m.len || !m.id ||
        fk_tok_pairs_init(&tok->pairs, N_MERGES)) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory building the vocabulary", path);
        goto done;
    }
    size_t off[512], len[512], p = 0;
    for (int i = 0; i < 256; i++) {
        off[i] = p;
        len[i] = utf8_put(ch[order[i]], pool + p);
        p += len[i];
    }
    for (int i = 0; i < 256; i++) {
        off[256 + i] = p;
        memcpy(pool + p, pool + off[i], len[i]);
        memcpy(pool + p + len[i], "</w>", 4);
        len[256 + i] = len[i] + 4;
        p += len[256 + i];
    }
    for (int i = 0; i < 512; i++)
        strmap_put(&m, pool + off[i], len[i], i);
    for (int r = 0; r < N_MERGES; r++) {
        joined[r] = malloc(mg[r].na + mg[r].nb + 1);
        if (!joined[r]) {
            st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory building the vocabulary", path);
            goto done;
        }
        memcpy(joined[r], mg[r].a, mg[r].na);
        memcpy(joined[r] + mg[r].na, mg[r].b, mg[r].nb);
        strmap_put(&m, joined[r], mg[r].na + mg[r].nb, 512 + r);
    }
    strmap_put(&m, "<|startoftext|>", 15, FK_CLIP_SOT);
    strmap_put(&m, "<|endoftext|>", 13, FK_CLIP_EOT);
    (void)VOCAB;

    for (int r = 0; r < N_MERGES; r++) {
        int32_t a = strmap_get(&m, mg[r].a, mg[r].na);
        int32_t b = strmap_get(&m, mg[r].b, mg[r].nb);
        if (a < 0 || b < 0)
            continue; /* a pair that can never be adjacent in a word */
        fk_tok_pairs_put(&tok->pairs, a, b, (uint32_t)r,
                         strmap_get(&m, joined[r], mg[r].na + mg[r].nb));
    }
    for (int b = 0; b < 256; b++) {
        char s[8];
        size_t n = utf8_put(ch[b], s);
        tok->byte_id[b] = strmap_get(&m, s, n);
        memcpy(s + n, "</w>", 4);
        tok->byte_end_id[b] = strmap_get(&m, s, n + 4);
    }
done:
    if (joined)
        for (int r = 0; r < N_MERGES; r++)
            free(joined[r]);
    free(joined);
    free(pool);
    free(m.hash);
    free(m.str);
    free(m.len);
    free(m.id);
    return st;
}

fk_status fk_tokenizer_open(const char *path, fk_tokenizer **out, fk_error *e)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    fk_status st = read_all(path, &buf, &len, e);
    if (st)
        return st;
    fk_tokenizer *tok = calloc(1, sizeof *tok);
    merge *mg = malloc(N_MERGES * sizeof *mg);
    if (!tok || !mg) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory opening the tokenizer", path);
    } else if (!(st = parse_merges(path, buf, len, mg, e))) {
        st = build(tok, path, mg, e);
    }
    free(mg);
    free(buf);
    if (st) {
        fk_tokenizer_close(tok);
        return st;
    }
    for (uint32_t c = 0; c < 128; c++)
        tok->ascii_class[c] = (uint8_t)fk_tok_class(c);
    *out = tok;
    return FK_OK;
}

void fk_tokenizer_close(fk_tokenizer *tok)
{
    if (!tok)
        return;
    fk_tok_pairs_free(&tok->pairs);
    fk_tok_cache_free(&tok->cache);
    fk_tok_text_free(&tok->text);
    free(tok->word);
    free(tok->word2);
    free(tok->bytes);
    free(tok->ids);
    free(tok);
}

/* ---- the split ------------------------------------------------------------- */

static int cls(const fk_tokenizer *tok, uint32_t c)
{
    return c < 128 ? tok->ascii_class[c] : fk_tok_class(c);
}

/* c matches the lower-case ASCII letter l under the regex's IGNORECASE */
static int fold_eq(uint32_t c, char l)
{
    if (c == (uint32_t)(unsigned char)l)
        return 1;
    for (size_t i = 0; i < fk_tok_fold_n; i++)
        if (fk_tok_fold_from[i] == c)
            return fk_tok_fold_to[i] == (uint32_t)(unsigned char)l;
    return 0;
}

/* Length of lit matched at v[i] (letters case-insensitively), else 0. */
static size_t match_lit(const uint32_t *v, size_t n, size_t i, const char *lit)
{
    size_t k = 0;
    for (; lit[k]; k++) {
        if (i + k >= n)
            return 0;
        char l = lit[k];
        if (l >= 'a' && l <= 'z' ? !fold_eq(v[i + k], l) : v[i + k] != (uint32_t)l)
            return 0;
    }
    return k;
}

static int word_ids(fk_tokenizer *tok, const uint32_t *v, size_t a, size_t b)
{
    size_t need = (b - a) * 4;
    if (need > tok->bytes_cap) {
        unsigned char *q = realloc(tok->bytes, need);
        if (!q)
            return -1;
        tok->bytes = q;
        tok->bytes_cap = need;
    }
    size_t n = 0;
    for (size_t i = a; i < b; i++)
        n += utf8_put(v[i], (char *)tok->bytes + n);
    return fk_tok_bpe_word(tok, tok->bytes, n);
}

static int push_id(fk_tokenizer *tok, int32_t id)
{
    if (tok->ids_n == tok->ids_cap) {
        size_t cap = tok->ids_cap ? tok->ids_cap * 2 : 256;
        int32_t *q = realloc(tok->ids, cap * sizeof *q);
        if (!q)
            return -1;
        tok->ids = q;
        tok->ids_cap = cap;
    }
    tok->ids[tok->ids_n++] = id;
    return 0;
}

/* re.findall of <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|
 * [\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (IGNORECASE), each piece BPE-encoded. */
static int split_encode(fk_tokenizer *tok, const uint32_t *v, size_t n)
{
    static const char *const specials[2] = {"<|startoftext|>", "<|endoftext|>"};
    static const char *const contractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    size_t i = 0;
    while (i < n) {
        uint32_t c = v[i];
        size_t k = 0;
        if (c == '<') {
            for (int s = 0; s < 2 && !k; s++) {
                k = match_lit(v, n, i, specials[s]);
                if (!k)
                    continue;
                int exact = 1; /* a folded spelling goes through BPE, as in CLIP */
                for (size_t q = 0; q < k; q++)
                    exact &= v[i + q] == (uint32_t)(unsigned char)specials[s][q];
                if (exact) {
                    if (push_id(tok, s == 0 ? FK_CLIP_SOT : FK_CLIP_EOT))
                        return -1;
                } else if (word_ids(tok, v, i, i + k)) {
                    return -1;
                }
            }
            if (k) {
                i += k;
                continue;
            }
        } else if (c == '\'') {
            for (size_t s = 0; s < sizeof contractions / sizeof *contractions && !k; s++)
                k = match_lit(v, n, i, contractions[s]);
            if (k) {
                if (word_ids(tok, v, i, i + k))
                    return -1;
                i += k;
                continue;
            }
        }
        int kind = cls(tok, c);
        size_t j = i + 1;
        if (kind == FK_TOK_LETTER || kind == FK_TOK_OTHER) {
            while (j < n && cls(tok, v[j]) == kind)
                j++;
        } else if (kind != FK_TOK_NUMBER) {
            i++; /* whitespace, and what no alternative matches */
            continue;
        }
        if (word_ids(tok, v, i, j))
            return -1;
        i = j;
    }
    return 0;
}

static fk_status encode(fk_tokenizer *tok, const char *text, size_t len, fk_error *e)
{
    tok->ids_n = 0;
    fk_status st = fk_tok_clean(&tok->text, text, len, e);
    if (st)
        return st;
    if (split_encode(tok, tok->text.a.v, tok->text.a.n))
        return fk_fail(e, FK_ERR_NOMEM, "tokenizer: out of memory encoding a %zu-byte caption",
                       len);
    return FK_OK;
}

fk_status fk_tokenizer_encode_raw(fk_tokenizer *tok, const char *text, size_t len,
                                  int32_t **ids, size_t *n, fk_error *e)
{
    *ids = NULL;
    *n = 0;
    if (!tok || (!text && len))
        return fk_fail(e, FK_ERR_ARG, "fk_tokenizer_encode_raw: NULL tokenizer or text");
    fk_status st = encode(tok, text ? text : "", len, e);
    if (st)
        return st;
    if (tok->ids_n) {
        *ids = malloc(tok->ids_n * sizeof **ids);
        if (!*ids)
            return fk_fail(e, FK_ERR_NOMEM, "tokenizer: out of memory for %zu ids", tok->ids_n);
        memcpy(*ids, tok->ids, tok->ids_n * sizeof **ids);
    }
    *n = tok->ids_n;
    return FK_OK;
}

fk_status fk_tokenizer_encode(fk_tokenizer *tok, const char *text, int32_t *out, int ctx_len,
                              int truncate, int *n_tokens, fk_error *e)
{
    if (n_tokens)
        *n_tokens = 0;
    if (!tok || !text || !out)
        return fk_fail(e, FK_ERR_ARG, "fk_tokenizer_encode: NULL tokenizer, text or output");
    if (ctx_len < 2)
        return fk_fail(e, FK_ERR_ARG, "fk_tokenizer_encode: context length %d < 2", ctx_len);
    fk_status st = encode(tok, text, strlen(text), e);
    if (st)
        return st;
    size_t total = tok->ids_n + 2;
    if (total > (size_t)ctx_len && !truncate)
        return fk_fail(e, FK_ERR_ARG,
                       "caption is %zu tokens long with start and end tokens, more than the "
                       "context length %d (truncation is off)", total, ctx_len);
    size_t keep = total > (size_t)ctx_len ? (size_t)ctx_len : total;
    out[0] = FK_CLIP_SOT;
    if (keep > 2) /* an empty caption has no ids (tok->ids may be NULL) */
        memcpy(out + 1, tok->ids, (keep - 2) * sizeof *out);
    out[keep - 1] = FK_CLIP_EOT;
    for (size_t i = keep; i < (size_t)ctx_len; i++)
        out[i] = 0;
    if (n_tokens)
        *n_tokens = (int)keep;
    return FK_OK;
}
