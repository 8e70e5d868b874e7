/* fidkit — the metric family on tagged objects.
 *
 * Each function here takes feature sets (featset.h) or stats (stats.h),
 * refuses an untagged input and a pair whose tags differ (FK_ERR_TAG, the
 * message naming both tags, through fk_tag_check), then runs the kernel of
 * its metric (frechet.h, kid.h, prdc.h, inception_score.h, fdinf.h, cmmd.h,
 * clipscore.h, bootstrap.h), which works on bare arrays and knows nothing of
 * tags. Front ends (the CLI, sweeps, Python) call this layer or eval.h,
 * never a kernel on rows of unknown origin.
 *
 * FID and sFID are fk_score_fd on the stats of the pool3 and spatial
 * outputs: the tag tells them apart (fk_tag_fd_label names it). */
#ifndef FIDKIT_SCORE_H
#define FIDKIT_SCORE_H

#include "export.h"

#include "bootstrap.h"
#include "clipscore.h"
#include "cmmd.h"
#include "error.h"
#include "fdinf.h"
#include "featset.h"
#include "frechet.h"
#include "inception_score.h"
#include "kid.h"
#include "prdc.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Both tagged, comparable and of one dimension. */
FK_API fk_status fk_score_check_pair(const fk_featset *a, const fk_featset *b, fk_error *e);
FK_API fk_status fk_score_check_stats(const fk_stats *a, const fk_stats *b, fk_error *e);

/* FD (FID, sFID, FD_CLIP, ...) of two stats. opt may be NULL. */
FK_API fk_status fk_score_fd(const fk_stats *a, const fk_stats *b, const fk_fd_options *opt,
                             fk_fd_result *r, fk_error *e);
/* Bootstrap interval of the FD of two sets of rows. */
FK_API fk_status fk_score_fd_bootstrap(const fk_featset *a, const fk_featset *b,
                                       const fk_boot_options *opt, fk_boot_result *r, fk_error *e);
/* Bootstrap interval of the FD of rows against fixed stats (a reference
 * given as statistics only): resamples the rows. fixed_first: 1 when the
 * stats are the first (real) side. */
FK_API fk_status fk_score_fd_bootstrap_fixed(const fk_stats *fixed, const fk_featset *rows,
                                             int fixed_first, const fk_boot_options *opt,
                                             fk_boot_result *r, fk_error *e);

FK_API fk_status fk_score_kid(const fk_featset *a, const fk_featset *b, const fk_kid_options *opt,
                              fk_kid_result *r, fk_error *e);
FK_API fk_status fk_score_prdc(const fk_featset *real, const fk_featset *generated,
                               const fk_prdc_options *opt, fk_prdc_result *r, fk_error *e);
FK_API fk_status fk_score_fdinf(const fk_featset *reference, const fk_featset *generated,
                                const fk_fdinf_options *opt, fk_fdinf_result *r, fk_error *e);
FK_API fk_status fk_score_cmmd(const fk_featset *a, const fk_featset *b, const fk_cmmd_options *opt,
                               fk_cmmd_result *r, fk_error *e);

/* IS of one set: refused unless tagged and of a `logits...` layer. */
FK_API fk_status fk_score_is(const fk_featset *logits, const fk_is_options *opt, fk_is_result *r,
                             fk_error *e);

/* CLIP-Score of n (image, text) embedding pairs of one model: the two sets'
 * tags must agree in everything but the layer. per_pair and cosine (n each)
 * may be NULL. */
FK_API fk_status fk_score_clip(const fk_featset *image, const fk_featset *text,
                               fk_clipscore_convention c, double *per_pair, double *cosine,
                               fk_clipscore_result *r, fk_error *e);

/* The generic bootstrap on tagged sets (b may be a, for one-set metrics). */
FK_API fk_status fk_score_bootstrap(const fk_featset *a, const fk_featset *b, fk_boot_statistic fn,
                                    void *ctx, const fk_boot_options *opt, fk_boot_result *r,
                                    fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
