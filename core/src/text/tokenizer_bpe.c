/* Byte-level BPE of one word with CLIP's merge ranks, plus the word cache that
 * makes repeated words cost one hash look-up (CLIP's bpe() keeps one too). */
#include <stdlib.h>
#include <string.h>

#include "fidkit/tokenizer.h"
#include "text/tokenizer_internal.h"

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- merge ranks ------------------------------------------------------------ */

int fk_tok_pairs_init(fk_tok_pairs *p, size_t n)
{
    size_t cap = 1024;
    while (cap < 2 * n)
        cap *= 2;
    p->cap = cap;
    p->key = calloc(cap, sizeof *p->key);
    p->rank = calloc(cap, sizeof *p->rank);
    p->merged = calloc(cap, sizeof *p->merged);
    return p->key && p->rank && p->merged ? 0 : -1;
}

void fk_tok_pairs_free(fk_tok_pairs *p)
{
    free(p->key);
    free(p->rank);
    free(p->merged);
    memset(p, 0, sizeof *p);
}

static uint64_t pair_key(int32_t a, int32_t b)
{
    return (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
}

void fk_tok_pairs_put(fk_tok_pairs *p, int32_t a, int32_t b, uint32_t rank, int32_t merged)
{
    uint64_t k = pair_key(a, b);
    size_t i = mix64(k) & (p->cap - 1);
    while (p->key[i] && p->key[i] != k)
        i = (i + 1) & (p->cap - 1);
    p->key[i] = k;
    p->rank[i] = rank;
    p->merged[i] = merged;
}

/* Slot of pair (a, b), or -1 when it is not a merge. */
static long pairs_find(const fk_tok_pairs *p, int32_t a, int32_t b)
{
    uint64_t k = pair_key(a, b);
    size_t i = mix64(k) & (p->cap - 1);
    while (p->key[i]) {
        if (p->key[i] == k)
            return (long)i;
        i = (i + 1) & (p->cap - 1);
    }
    return -1;
}

/* ---- word cache ------------------------------------------------------------- */

enum { CACHE_SLOTS = 1 << 16, CACHE_MAX = CACHE_SLOTS / 2, CACHE_POOL_MAX = 1 << 22 };

void fk_tok_cache_free(fk_tok_cache *c)
{
    free(c->hash);
    free(c->key_off);
    free(c->key_len);
    free(c->val_off);
    free(c->val_len);
    free(c->keys);
    free(c->vals);
    memset(c, 0, sizeof *c);
}

static int cache_init(fk_tok_cache *c)
{
    c->cap = CACHE_SLOTS;
    c->hash = calloc(c->cap, sizeof *c->hash);
    c->key_off = malloc(c->cap * sizeof *c->key_off);
    c->key_len = malloc(c->cap * sizeof *c->key_len);
    c->val_off = malloc(c->cap * sizeof *c->val_off);
    c->val_len = malloc(c->cap * sizeof *c->val_len);
    return c->hash && c->key_off && c->key_len && c->val_off && c->val_len ? 0 : -1;
}

static uint64_t hash_bytes(const unsigned char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    h = mix64(h ^ n);
    return h ? h : 1;
}

static long cache_slot(const fk_tok_cache *c, const unsigned char *s, size_t n, uint64_t h)
{
    size_t i = h & (c->cap - 1);
    while (c->hash[i]) {
        if (c->hash[i] == h && c->key_len[i] == n && !memcmp(c->keys + c->key_off[i], s, n))
            return (long)i;
        i = (i + 1) & (c->cap - 1);
    }
    return -(long)i - 1; /* the free slot to use */
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void cache_put(fk_tok_cache *c, const unsigned char *s, size_t n, uint64_t h,
                      const int32_t *ids, size_t m)
{
    if (c->count >= CACHE_MAX || c->keys_n + n > CACHE_POOL_MAX ||
        c->vals_n + m > CACHE_POOL_MAX) {
        memset(c->hash, 0, c->cap * sizeof *c->hash);
        c->count = c->keys_n = c->vals_n = 0;
    }
    if (n > CACHE_POOL_MAX || m > CACHE_POOL_MAX)
        return;
    /* a failed allocation only means this word is not remembered */
    if (grow((void **)&c->keys, &c->keys_cap, c->keys_n + n, 1) ||
        grow((void **)&c->vals, &c->vals_cap, c->vals_n + m, sizeof *c->vals))
        return;
    long slot = cache_slot(c, s, n, h);
    if (slot >= 0)
        return;
    size_t i = (size_t)(-slot - 1);
    c->hash[i] = h;
    c->key_off[i] = (uint32_t)c->keys_n;
    c->key_len[i] = (uint32_t)n;
    c->val_off[i] = (uint32_t)c->vals_n;
    c->val_len[i] = (uint32_t)m;
    memcpy(c->keys + c->keys_n, s, n);
    memcpy(c->vals + c->vals_n, ids, m * sizeof *ids);
    c->keys_n += n;
    c->vals_n += m;
    c->count++;
}

/* ---- BPE ------------------------------------------------------------------ */

static int push_ids(fk_tokenizer *tok, const int32_t *ids, size_t m)
{
    if (grow((void **)&tok->ids, &tok->ids_cap, tok->ids_n + m, sizeof *tok->ids))
        return -1;
    memcpy(tok->ids + tok->ids_n, ids, m * sizeof *ids);
    tok->ids_n += m;
    return 0;
}

int fk_tok_bpe_word(fk_tokenizer *tok, const unsigned char *s, size_t n)
{
    fk_tok_cache *c = &tok->cache;
    if (!c->hash && cache_init(c))
        return -1;
    uint64_t h = hash_bytes(s, n);
    long slot = cache_slot(c, s, n, h);
    if (slot >= 0)
        return push_ids(tok, c->vals + c->val_off[slot], c->val_len[slot]);

    if (n > tok->word_cap) {
        size_t cap = tok->word_cap;
        if (grow((void **)&tok->word, &cap, n, sizeof *tok->word))
            return -1;
        int32_t *w2 = realloc(tok->word2, cap * sizeof *w2);
        if (!w2)
            return -1;
        tok->word2 = w2;
        tok->word_cap = cap;
    }
    int32_t *w = tok->word, *w2 = tok->word2;
    for (size_t i = 0; i + 1 < n; i++)
        w[i] = tok->byte_id[s[i]];
    w[n - 1] = tok->byte_end_id[s[n - 1]];
    size_t len = n;
    /* merge the lowest-ranked adjacent pair everywhere, left to right, until
     * no adjacent pair is a merge */
    while (len > 1) {
        long best = -1;
        for (size_t i = 0; i + 1 < len; i++) {
            long k = pairs_find(&tok->pairs, w[i], w[i + 1]);
            if (k >= 0 && (best < 0 || tok->pairs.rank[k] < tok->pairs.rank[best]))
                best = k;
        }
        if (best < 0)
            break;
        int32_t a = (int32_t)((tok->pairs.key[best] - 1) >> 32);
        int32_t b = (int32_t)(uint32_t)(tok->pairs.key[best] - 1);
        int32_t m = tok->pairs.merged[best];
        size_t j = 0;
        for (size_t i = 0; i < len;) {
            if (i + 1 < len && w[i] == a && w[i + 1] == b) {
                w2[j++] = m;
                i += 2;
            } else {
                w2[j++] = w[i++];
            }
        }
        int32_t *t = w;
        w = w2;
        w2 = t;
        len = j;
    }
    cache_put(c, s, n, h, w, len);
    return push_ids(tok, w, len);
}
