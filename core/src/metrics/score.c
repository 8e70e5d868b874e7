/* The tagged metric layer; see score.h. Every function checks, then calls
 * its kernel: this file is where the refusal rule meets the numbers. */
#include "fidkit/score.h"

#include <string.h>

fk_status fk_score_check_pair(const fk_featset *a, const fk_featset *b, fk_error *e)
{
    fk_status st = fk_featset_require_tag(a, e);
    if (!st)
        st = fk_featset_require_tag(b, e);
    if (!st)
        st = fk_tag_check(&a->tag, &b->tag, e);
    if (!st && a->d != b->d)
        st = fk_fail(e, FK_ERR_FORMAT, "%s has dimension %d but %s has %d", a->source, a->d,
                     b->source, b->d);
    return st;
}

fk_status fk_score_check_stats(const fk_stats *a, const fk_stats *b, fk_error *e)
{
    fk_status st = fk_stats_require_tag(a, e);
    if (!st)
        st = fk_stats_require_tag(b, e);
    if (!st)
        st = fk_tag_check(&a->tag, &b->tag, e);
    if (!st && a->d != b->d)
        st = fk_fail(e, FK_ERR_FORMAT, "%s has dimension %d but %s has %d", a->source, a->d,
                     b->source, b->d);
    return st;
}

fk_status fk_score_fd(const fk_stats *a, const fk_stats *b, const fk_fd_options *opt,
                      fk_fd_result *r, fk_error *e)
{
    fk_status st = fk_score_check_stats(a, b, e);
    return st ? st : fk_frechet(a->d, a->mu, a->sigma, b->mu, b->sigma, opt, r, e);
}

fk_status fk_score_fd_bootstrap(const fk_featset *a, const fk_featset *b,
                                const fk_boot_options *opt, fk_boot_result *r, fk_error *e)
{
    fk_status st = fk_score_check_pair(a, b, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(a), y = fk_featset_view(b);
    return fk_bootstrap_fd(&x, &y, opt, r, NULL, e);
}

fk_status fk_score_fd_bootstrap_fixed(const fk_stats *fixed, const fk_featset *rows,
                                      int fixed_first, const fk_boot_options *opt,
                                      fk_boot_result *r, fk_error *e)
{
    fk_status st = fk_stats_require_tag(fixed, e);
    if (!st)
        st = fk_featset_require_tag(rows, e);
    if (!st)
        st = fk_tag_check(&fixed->tag, &rows->tag, e);
    if (!st && fixed->d != rows->d)
        st = fk_fail(e, FK_ERR_FORMAT, "%s has dimension %d but %s has %d", fixed->source,
                     fixed->d, rows->source, rows->d);
    if (st)
        return st;
    fk_boot_fixed_stats f = {fixed->d, fixed->mu, fixed->sigma, fixed_first};
    fk_boot_options o = opt ? *opt : fk_boot_default_options();
    o.nonnegative = 1;
    fk_features x = fk_featset_view(rows);
    return fk_bootstrap(&x, &x, fk_boot_stat_fd_fixed, &f, &o, r, NULL, e);
}

fk_status fk_score_kid(const fk_featset *a, const fk_featset *b, const fk_kid_options *opt,
                       fk_kid_result *r, fk_error *e)
{
    fk_status st = fk_score_check_pair(a, b, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(a), y = fk_featset_view(b);
    return fk_kid(&x, &y, opt, r, NULL, e);
}

fk_status fk_score_prdc(const fk_featset *real, const fk_featset *generated,
                        const fk_prdc_options *opt, fk_prdc_result *r, fk_error *e)
{
    fk_status st = fk_score_check_pair(real, generated, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(real), y = fk_featset_view(generated);
    return fk_prdc(&x, &y, opt, r, e);
}

fk_status fk_score_fdinf(const fk_featset *reference, const fk_featset *generated,
                         const fk_fdinf_options *opt, fk_fdinf_result *r, fk_error *e)
{
    fk_status st = fk_score_check_pair(reference, generated, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(reference), y = fk_featset_view(generated);
    return fk_fd_infinity(&x, &y, opt, r, NULL, NULL, e);
}

fk_status fk_score_cmmd(const fk_featset *a, const fk_featset *b, const fk_cmmd_options *opt,
                        fk_cmmd_result *r, fk_error *e)
{
    fk_status st = fk_score_check_pair(a, b, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(a), y = fk_featset_view(b);
    return fk_cmmd(&x, &y, opt, r, e);
}

fk_status fk_score_is(const fk_featset *logits, const fk_is_options *opt, fk_is_result *r,
                      fk_error *e)
{
    fk_status st = fk_featset_require_tag(logits, e);
    if (st)
        return st;
    /* IS reads class probabilities: a layer that is not a classifier's
     * logits is a different quantity, whatever its numbers. */
    if (strncmp(logits->tag.layer, "logits", 6))
        return fk_fail(e, FK_ERR_TAG, "%s: the Inception Score needs classifier logits, and these "
                       "rows are the '%s' output", logits->source, logits->tag.layer);
    fk_features x = fk_featset_view(logits);
    return fk_inception_score(&x, opt, r, NULL, e);
}

fk_status fk_score_clip(const fk_featset *image, const fk_featset *text,
                        fk_clipscore_convention c, double *per_pair, double *cosine,
                        fk_clipscore_result *r, fk_error *e)
{
    fk_status st = fk_featset_require_tag(image, e);
    if (!st)
        st = fk_featset_require_tag(text, e);
    if (!st)
        st = fk_tag_check_model(&image->tag, &text->tag, e);
    if (!st && (image->n != text->n || image->d != text->d))
        st = fk_fail(e, FK_ERR_ARG, "%s: %lld image embeddings of dimension %d, %lld text "
                     "embeddings of dimension %d", image->source, (long long)image->n, image->d,
                     (long long)text->n, text->d);
    return st ? st : fk_clipscore(image->rows, text->rows, image->n, image->d, c, per_pair, cosine,
                                  r, e);
}

fk_status fk_score_bootstrap(const fk_featset *a, const fk_featset *b, fk_boot_statistic fn,
                             void *ctx, const fk_boot_options *opt, fk_boot_result *r,
                             fk_error *e)
{
    fk_status st = a == b ? fk_featset_require_tag(a, e) : fk_score_check_pair(a, b, e);
    if (st)
        return st;
    fk_features x = fk_featset_view(a), y = fk_featset_view(b);
    return fk_bootstrap(&x, &y, fn, ctx, opt, r, NULL, e);
}
