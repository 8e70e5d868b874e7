/* The perturbation of fk_extract_options as a loader hook: images are
 * disturbed by their index in the whole listing (not in a shard), so a
 * shard, a rank or one process draws the same noise for the same image. */
#ifndef FK_BACKBONE_DISTURB_H
#define FK_BACKBONE_DISTURB_H

#include "fidkit/extract.h"

typedef struct fk_disturb fk_disturb;

/* *out is NULL when o asks for no perturbation; then nothing is to close. */
fk_status fk_disturb_open(const fk_extract_options *o, const fk_dataset_listing *L,
                          fk_disturb **out, fk_error *e);
fk_status fk_disturb_hook(void *user, int64_t index, fk_image *im, fk_error *e);
void fk_disturb_close(fk_disturb *d);

#endif
