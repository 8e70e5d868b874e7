/* fidkit — the tag: which ruler measured a score.
 *
 * Features of different networks (or layers, weights, input sizes, resize
 * modes) live in different spaces, so a score carries the tag of the ruler
 * that made it and two statistics are compared only when their tags agree.
 *
 * Text form, used on the command line, in reports and file metadata (the
 * grammar, its optional segments and the comparability rule: docs/tags.md):
 *
 *     BACKBONE/VARIANT:LAYER@WEIGHTS/SIZE/RESIZE[/norm=NORM][/prec=PREC]
 *     inception_v3/fid:pool3@6726825d/299/legacy_pytorch
 *     resnet/resnet50:pool@random-0/224/clean/norm=pm1
 *
 * WEIGHTS is the SHA-256 of the weights file in hex, or "random-SEED" for
 * seeded random weights. Printed tags shorten a SHA-256 to 8 hex digits;
 * a SHA-256 of at least 8 digits matches any full one it is a prefix of.
 * A segment is omitted when it has its default value: NORM is absent when
 * the input scale, mean and std are the backbone's canonical ones, PREC when
 * the backbone ran in fp32. */
#ifndef FIDKIT_TAG_H
#define FIDKIT_TAG_H

#include "export.h"

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_tag {
    char backbone[64];  /* plugin name: "inception_v3", "clip", ... */
    char variant[64];   /* "fid", "torchvision", "resnet50", "vit-b-32" */
    char layer[64];     /* output: "pool3", "logits", "image" */
    char weights[72];   /* sha256 hex (64, or a prefix of >= 8) or "random-SEED" */
    int input_size;     /* square input side in pixels */
    char resize[32];    /* "clean", "legacy_pytorch", "legacy_tensorflow", ... */
    char norm[128];     /* "": the backbone's canonical input scale/mean/std;
                           else a preset ("imagenet", "pm1", ...) or
                           "sS_mR_G_B_dR_G_B" (docs/tags.md) */
    char prec[16];      /* "": fp32; "tf32", "bf16" (set by the device code) */
} fk_tag;

#define FK_TAG_STR_MAX 512

/* Sets t->norm from an input normalisation y = (x * scale - mean) / std;
 * t->backbone, t->variant and t->resize must be set (they decide what is
 * canonical). */
FK_API void fk_tag_set_norm(fk_tag *t, float scale, const float mean[3], const float std[3]);

/* Text form; short != 0 prints 8 digits of a SHA-256. Returns buf. */
FK_API char *fk_tag_str(const fk_tag *t, int short_sha, char *buf, size_t n);
FK_API fk_status fk_tag_parse(const char *s, fk_tag *t, fk_error *e);
FK_API int fk_tag_equal(const fk_tag *a, const fk_tag *b);

/* The one comparability rule: FK_OK when equal (a SHA-256 of >= 8 hex
 * digits matches any full one it begins), else FK_ERR_TAG with "refusing to
 * compare A with B". Every metric, table, plot and sweep calls this (or the
 * two forms below); nothing compares tag strings itself. */
FK_API fk_status fk_tag_check(const fk_tag *a, const fk_tag *b, fk_error *e);

/* The same rule on printed tags (sweep journals, reports, plot panels):
 * strings that do not parse as tags are comparable only when identical.
 * Returns 1 when comparable. */
FK_API int fk_tag_str_comparable(const char *a, const char *b);

/* Two outputs of one model (CLIP's image and text towers): everything but
 * the layer must agree. */
FK_API fk_status fk_tag_check_model(const fk_tag *a, const fk_tag *b, fk_error *e);

/* The name of a Fréchet distance in this space: "FID" for Inception-v3
 * pool3 of the FID variants (the TF weights), else "FD_<space>" (FD_CLIP,
 * FD_DINOv2, FD_resnet50, ...). */
FK_API char *fk_tag_fd_label(const fk_tag *t, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
