/* See disturb.h. */
#include "backbone/disturb.h"

#include <stdlib.h>

#include "fidkit/perturb.h"

struct fk_disturb {
    fk_perturbation p;
    int64_t offset;        /* the listing index of this dataset's item 0 */
    int64_t *source;       /* contamination: the plan over the whole listing */
    fk_contamination cont;
};

fk_status fk_disturb_open(const fk_extract_options *o, const fk_dataset_listing *L,
                          fk_disturb **out, fk_error *e)
{
    *out = NULL;
    if (o->perturb.kind == FK_PERTURB_NONE || o->perturb.level == 0)
        return FK_OK;
    fk_status st = fk_perturb_check(&o->perturb, e);
    if (st)
        return st;
    if (o->loader.hook)
        return fk_fail(e, FK_ERR_ARG, "a perturbation and a loader hook at once: give one");
    fk_disturb *d = calloc(1, sizeof *d);
    if (!d)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    d->p = o->perturb;
    d->offset = L->first_item;
    if (d->p.kind == FK_PERTURB_CONTAMINATION) {
        if (!o->contaminant) {
            free(d);
            return fk_fail(e, FK_ERR_ARG, "contamination needs the dataset whose images "
                           "replace some of these (contaminant)");
        }
        fk_dataset_options oo = fk_dataset_default_options();
        int64_t n = L->items;
        if (!(st = fk_dataset_open(o->contaminant, &oo, &d->cont.other, e))) {
            if (!(d->source = malloc(sizeof *d->source * (size_t)(n ? n : 1))))
                st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
            else
                st = fk_contamination_plan(d->p.seed, d->p.level, n,
                                           fk_dataset_size(d->cont.other), d->source, e);
        }
        d->cont.source = d->source;
        d->cont.n = n;
        if (st) {
            fk_disturb_close(d);
            return st;
        }
    }
    *out = d;
    return FK_OK;
}

fk_status fk_disturb_hook(void *user, int64_t index, fk_image *im, fk_error *e)
{
    fk_disturb *d = user;
    int64_t i = d->offset + index;
    if (d->p.kind == FK_PERTURB_CONTAMINATION)
        return fk_contamination_hook(&d->cont, i, im, e);
    return fk_perturb_apply(&d->p, i, im, e);
}

void fk_disturb_close(fk_disturb *d)
{
    if (!d)
        return;
    fk_dataset_close(d->cont.other);
    free(d->source);
    free(d);
}
