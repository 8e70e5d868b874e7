/* fidkit — CLIP-Score of (image, caption) pairs, as one library call.
 *
 * Images go through the config's image tower (the backbone opened for its
 * `image` output), captions through its text tower (the same config opened
 * for `text`, fk_backbone_encode_text): text encoders are a capability of
 * a backbone, selected by config like image encoders. The score is the
 * tagged layer's fk_score_clip, so image and text embeddings of different
 * models are refused. */
#ifndef FIDKIT_CLIPEVAL_H
#define FIDKIT_CLIPEVAL_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "defaults.h"
#include "clipscore.h"
#include "error.h"
#include "eval.h"
#include "extract.h"

#ifdef __cplusplus
extern "C" {
#endif


typedef struct fk_clip_options {
    size_t struct_size;          /* set by the default */
    const char *backbone;        /* NULL: FK_CLIPSCORE_DEFAULT_BACKBONE */
    fk_extract_options extract;  /* dataset, loader (limit, threads, batch), progress */
    fk_clipscore_convention convention;
    const char *prefix;          /* put before every caption; NULL: the convention's */
    const char *refs;            /* a manifest of reference captions (RefCLIP-S), or NULL */
    const char *bpe;             /* the merge list; NULL: the config's, beside the weights, ... */
    int truncate;                /* 1: cut captions longer than 77 tokens (counted) */
    const char *per_pair;        /* a CSV to write every pair's cosine and score, or NULL */
    int interval;                /* 1: a 95 % bootstrap interval over pairs */
    int replicates;              /* 200 */
    uint64_t seed;               /* 2020 */
} fk_clip_options;

FK_API fk_clip_options fk_clip_default_options(void);

/* CLIP-Score of the pairs of a CSV or JSONL manifest: results "clip_score"
 * (and "refclip_score" with references), tagged with the image tower's tag. */
FK_API fk_status fk_clipscore_evaluate(const char *manifest, const fk_clip_options *o, fk_results *out,
                                       fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
