/* CLIP's BPE tokenizer: the bytes are a caption (any bytes, not only UTF-8)
 * cleaned (ftfy, html unescape, NFC), split and merged, with CLIP's merge
 * list: $FK_CLIP_BPE, else the copy in the shared data folder next to the
 * source tree (FK_FUZZ_BPE). Without one the input is skipped. An input that
 * begins with "#merges\n" is instead a merge list of its own, opened and
 * used on a fixed caption. */
#include "fuzz_common.h"

#include "fidkit/tokenizer.h"

static fk_tokenizer *clip_tok(void)
{
    static fk_tokenizer *tok;
    static int tried;
    if (!tried) {
        tried = 1;
        const char *p = getenv("FK_CLIP_BPE");
#ifdef FK_FUZZ_BPE
        if (!p || !*p)
            p = FK_FUZZ_BPE;
#endif
        fk_error e;
        if (p && fk_tokenizer_open(p, &tok, &e) != FK_OK)
            tok = NULL;
    }
    return tok;
}

static void encode(fk_tokenizer *tok, const char *text, size_t len)
{
    int32_t ids[FK_CLIP_CONTEXT_LEN];
    int n = 0;
    fk_error e;
    fk_tokenizer_encode(tok, text, ids, FK_CLIP_CONTEXT_LEN, 1, &n, &e);
    int32_t *raw = NULL;
    size_t nr = 0;
    if (fk_tokenizer_encode_raw(tok, text, len, &raw, &nr, &e) == FK_OK)
        free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char tag[] = "#merges\n";
    if (size >= sizeof tag - 1 && memcmp(data, tag, sizeof tag - 1) == 0) {
        const char *path = fz_file(data, size, ".txt");
        fk_tokenizer *tok = NULL;
        fk_error e;
        if (path && fk_tokenizer_open(path, &tok, &e) == FK_OK) {
            static const char cap[] = "a photo of a cat &amp; a dog";
            encode(tok, cap, sizeof cap - 1);
            fk_tokenizer_close(tok);
        }
        return 0;
    }
    fk_tokenizer *tok = clip_tok();
    if (!tok)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    encode(tok, text, size);
    free(text);
    return 0;
}
