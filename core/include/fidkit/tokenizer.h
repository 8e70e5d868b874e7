/* fidkit — the CLIP text tokenizer (byte-level BPE), token for token the same
 * as OpenAI's clip.tokenize / simple_tokenizer.SimpleTokenizer.
 *
 * Pipeline (docs/tokenizer.md has every detail and what is not reproduced):
 *   UTF-8 -> ftfy.fix_text subset (entities, C1 controls, ligatures, widths,
 *   curly quotes, line breaks, terminal escapes, control characters, NFC)
 *   -> html.unescape twice -> strip -> collapse whitespace -> str.lower()
 *   -> split by CLIP's pattern -> byte-level BPE with the merge list
 *   -> [<|startoftext|>] tokens [<|endoftext|>], zero-padded to ctx_len.
 *
 * The merge list is bpe_simple_vocab_16e6.txt.gz as shipped with CLIP (gzip or
 * already decompressed); its first 48894 merges are used, as CLIP does.
 *
 * A tokenizer keeps a cache of split words and scratch buffers, so one
 * instance must not be used by two threads at once; open one per thread. */
#ifndef FIDKIT_TOKENIZER_H
#define FIDKIT_TOKENIZER_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>

#include "fidkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FK_CLIP_CONTEXT_LEN 77
#define FK_CLIP_VOCAB_SIZE 49408
#define FK_CLIP_SOT 49406 /* <|startoftext|> */
#define FK_CLIP_EOT 49407 /* <|endoftext|> */

typedef struct fk_tokenizer fk_tokenizer;

/* Reads the merge list at path (.gz or plain text). */
FK_API fk_status fk_tokenizer_open(const char *path, fk_tokenizer **tok, fk_error *e);
FK_API void fk_tokenizer_close(fk_tokenizer *tok);

/* clip.tokenize for one caption: writes ctx_len ids to out: start token, the
 * caption's tokens, end token, then zeros. *n_tokens (may be NULL) receives
 * the number of non-padding ids written (start and end included).
 *
 * A caption longer than ctx_len - 2 tokens: with truncate != 0 the first
 * ctx_len ids are kept and the last becomes the end token (clip.tokenize with
 * truncate=True; fidkit's default); with truncate == 0 it fails with
 * FK_ERR_ARG (clip.tokenize's default raises). Text that is not valid UTF-8
 * fails with FK_ERR_ARG. ctx_len must be >= 2. */
FK_API fk_status fk_tokenizer_encode(fk_tokenizer *tok, const char *utf8_text, int32_t *out,
                                     int ctx_len, int truncate, int *n_tokens, fk_error *e);

/* SimpleTokenizer.encode: the caption's tokens without start/end tokens and
 * without any length limit, in a malloc'd array the caller frees
 * (*ids is NULL when *n is 0). len is the text's length in bytes. */
FK_API fk_status fk_tokenizer_encode_raw(fk_tokenizer *tok, const char *utf8_text, size_t len,
                                         int32_t **ids, size_t *n, fk_error *e);

/* The Unicode data the tables were generated from (for reports). */
FK_API const char *fk_tokenizer_unicode_version(void);

#ifdef __cplusplus
}
#endif
#endif
