/* Internals of the CLIP tokenizer, not installed: tokenizer.c (loading, split,
 * context window), tokenizer_text.c (the clean-up pipeline), tokenizer_html.c,
 * tokenizer_ftfy.c, tokenizer_nfc.c, tokenizer_bpe.c and the generated
 * unicode_tables.c (tools/gen_unicode_tables.py). */
#ifndef FK_TOKENIZER_INTERNAL_H
#define FK_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fidkit/error.h"

/* A growable array of code points. */
typedef struct fk_tok_cps {
    uint32_t *v;
    size_t n, cap;
} fk_tok_cps;

int fk_tok_cps_reserve(fk_tok_cps *b, size_t n);
int fk_tok_cps_push(fk_tok_cps *b, uint32_t c);
int fk_tok_cps_append(fk_tok_cps *b, const uint32_t *c, size_t n);
void fk_tok_cps_swap(fk_tok_cps *x, fk_tok_cps *y);
void fk_tok_cps_free(fk_tok_cps *b);

/* Index of k in a sorted table, or -1. */
long fk_tok_find_u32(const uint32_t *keys, size_t n, uint32_t k);
/* Whether c lies in one of n sorted, disjoint [lo, hi] ranges. */
int fk_tok_in_ranges(const uint32_t *lo, const uint32_t *hi, size_t n, uint32_t c);
/* Appends map[c] (or c itself when c has no entry) for a generated map. */
int fk_tok_push_mapped(fk_tok_cps *out, const uint32_t *key, const uint32_t *off,
                       const uint32_t *pool, size_t n, uint32_t c);

/* Classes of CLIP's split pattern. */
enum { FK_TOK_SPACE = 0, FK_TOK_LETTER = 1, FK_TOK_NUMBER = 2, FK_TOK_OTHER = 3, FK_TOK_NONE = 4 };
int fk_tok_class(uint32_t cp);

/* Scratch buffers of one text pass; the result is left in a. */
typedef struct fk_tok_text {
    fk_tok_cps a, b, seg, orig, s1, s2;
} fk_tok_text;

/* Text passes, each from in to out (0, or -1 when out of memory). */
int fk_tok_html_unescape(const fk_tok_cps *in, fk_tok_cps *out); /* html.unescape */
int fk_tok_ftfy_unescape(const fk_tok_cps *in, fk_tok_cps *out); /* ftfy's unescape_html */
int fk_tok_nfc(const fk_tok_cps *in, fk_tok_cps *out);
/* ftfy.fix_text subset on t->a, result in t->b. */
int fk_tok_ftfy_fix_text(fk_tok_text *t);
/* True when ftfy.fix_text provably returns s unchanged. */
int fk_tok_ftfy_noop(const fk_tok_cps *s);

/* UTF-8 -> the lower-cased, cleaned code points CLIP splits (in t->a). */
fk_status fk_tok_clean(fk_tok_text *t, const char *utf8, size_t len, fk_error *e);
void fk_tok_text_free(fk_tok_text *t);

/* ---- the tokenizer object (tokenizer.c) and its BPE (tokenizer_bpe.c) ---- */

/* merge pair (a, b) -> rank and the id of the merged symbol */
typedef struct fk_tok_pairs {
    uint64_t *key; /* (a << 32 | b) + 1; 0 marks an empty slot */
    uint32_t *rank;
    int32_t *merged;
    size_t cap;
} fk_tok_pairs;

/* word (UTF-8 bytes) -> its BPE ids, bounded: cleared when full */
typedef struct fk_tok_cache {
    uint64_t *hash; /* 0 marks an empty slot */
    uint32_t *key_off, *key_len, *val_off, *val_len;
    size_t cap, count;
    unsigned char *keys;
    size_t keys_n, keys_cap;
    int32_t *vals;
    size_t vals_n, vals_cap;
} fk_tok_cache;

struct fk_tokenizer {
    fk_tok_pairs pairs;
    int32_t byte_id[256], byte_end_id[256]; /* "c" and "c</w>" for each byte */
    fk_tok_cache cache;
    fk_tok_text text;
    int32_t *word, *word2;
    size_t word_cap;
    unsigned char *bytes;
    size_t bytes_cap;
    int32_t *ids;
    size_t ids_n, ids_cap;
    uint8_t ascii_class[128];
};

int fk_tok_pairs_init(fk_tok_pairs *p, size_t n);
/* later insertions of the same pair win, as in CLIP's dict of ranks */
void fk_tok_pairs_put(fk_tok_pairs *p, int32_t a, int32_t b, uint32_t rank, int32_t merged);
void fk_tok_pairs_free(fk_tok_pairs *p);
void fk_tok_cache_free(fk_tok_cache *c);
/* Appends the BPE ids of one word (UTF-8 bytes, n >= 1) to tok->ids. */
int fk_tok_bpe_word(struct fk_tokenizer *tok, const unsigned char *s, size_t n);

/* ---- generated tables (unicode_tables.c) ---- */
extern const char fk_tok_unicode_version[];
extern const uint32_t fk_tok_class_start[];
extern const uint8_t fk_tok_class_kind[];
extern const size_t fk_tok_class_n;
extern const uint32_t fk_tok_fold_from[], fk_tok_fold_to[];
extern const size_t fk_tok_fold_n;
extern const uint32_t fk_tok_lower_key[], fk_tok_lower_off[], fk_tok_lower_pool[];
extern const size_t fk_tok_lower_n;
extern const uint32_t fk_tok_cased_lo[], fk_tok_cased_hi[];
extern const size_t fk_tok_cased_n;
extern const uint32_t fk_tok_case_ignorable_lo[], fk_tok_case_ignorable_hi[];
extern const size_t fk_tok_case_ignorable_n;
extern const uint32_t fk_tok_isspace[], fk_tok_respace[];
extern const size_t fk_tok_isspace_n, fk_tok_respace_n;
extern const uint32_t fk_tok_digit_lo[], fk_tok_digit_hi[];
extern const size_t fk_tok_digit_n;
extern const uint32_t fk_tok_nfd_key[], fk_tok_nfd_off[], fk_tok_nfd_pool[];
extern const size_t fk_tok_nfd_n;
extern const uint32_t fk_tok_ccc_lo[], fk_tok_ccc_hi[];
extern const uint8_t fk_tok_ccc_val[];
extern const size_t fk_tok_ccc_n;
extern const uint64_t fk_tok_comp_key[];
extern const uint32_t fk_tok_comp_val[];
extern const size_t fk_tok_comp_n;
extern const uint32_t fk_tok_width_key[], fk_tok_width_off[], fk_tok_width_pool[];
extern const size_t fk_tok_width_n;
extern const uint32_t fk_tok_c1_cp1252[];
extern const char fk_tok_html5_names[];
extern const uint32_t fk_tok_html5_name_off[], fk_tok_html5_off[], fk_tok_html5_pool[];
extern const size_t fk_tok_html5_n;
extern const char fk_tok_ftfy_upper_names[];
extern const uint32_t fk_tok_ftfy_upper_name_off[], fk_tok_ftfy_upper_off[],
    fk_tok_ftfy_upper_pool[];
extern const size_t fk_tok_ftfy_upper_n;
extern const uint32_t fk_tok_html_invalid_ref_from[], fk_tok_html_invalid_ref_to[];
extern const size_t fk_tok_html_invalid_ref_n;
extern const uint32_t fk_tok_html_invalid_cp[];
extern const size_t fk_tok_html_invalid_cp_n;

#endif
