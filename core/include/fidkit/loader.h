/* fidkit — batches for a backbone: items of a dataset decoded, (optionally)
 * disturbed, resized and normalised on worker threads ahead of the consumer,
 * in dataset order, with bounded memory (a few batches in flight whatever the
 * dataset's size). */
#ifndef FIDKIT_LOADER_H
#define FIDKIT_LOADER_H

#include "export.h"

#include <stdint.h>
#include "dataset.h"
#include "error.h"
#include "resize.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called on a worker thread after decoding and before resizing (the place of
 * perturbations in a sweep), possibly on several threads at once. May replace
 * im's pixels or size (new pixels malloc'ed, the old ones freed with
 * fk_image_free). An error from the hook stops the run even with skip_bad. */
typedef fk_status (*fk_image_hook)(void *user, int64_t index, fk_image *im, fk_error *e);

typedef struct fk_loader_options {
    int batch_size;        /* images per batch (default 50) */
    int threads;           /* decode/resize workers; 0 = number of cores */
    int skip_bad;          /* 0: the first undecodable item stops the run
                              (default); 1: skip it, count it, go on
                              (unreadable, invalid or unsupported files only:
                              running out of memory always stops) */
    int prefetch;          /* batches prepared ahead (default 2; 0 = 1): at
                              most max(prefetch * batch_size, 2 * threads)
                              items are in flight, 3 x size x size floats
                              each, whatever the dataset's size */
    fk_image_hook hook;    /* may be NULL */
    void *hook_user;
    /* (may be NULL: malloc/free) where the batch fk_batch.data points to is
     * allocated: fk_extract passes the torch shim's pinned host memory when
     * the backbone runs on CUDA, so the copy to the device is asynchronous
     * and needs no staging copy. */
    void *(*batch_alloc)(size_t bytes);
    void (*batch_free)(void *p);
} fk_loader_options;

FK_API fk_loader_options fk_loader_default_options(void);

/* Batches hold batch_size images except the last (pytorch-fid keeps the last
 * partial batch); with skip_bad, a batch's rows are the next good items. */
typedef struct fk_batch {
    int n;                  /* images in this batch; 0 at the end */
    int size;               /* input side: data is n x 3 x size x size */
    float *data;            /* owned by the loader, valid until the next call */
    const int64_t *index;   /* dataset index of each row */
} fk_batch;

typedef struct fk_loader fk_loader;

/* ds and p must outlive the loader. Workers start at once. */
FK_API fk_status fk_loader_open(fk_dataset *ds, const fk_preprocess *p, const fk_loader_options *o,
                                fk_loader **l, fk_error *e);
/* The next batch in dataset order. An error (the first bad item without
 * skip_bad, naming it) is returned again by every later call. */
FK_API fk_status fk_loader_next(fk_loader *l, fk_batch *b, fk_error *e);
/* Items skipped so far (skip_bad), and the message of the i-th. */
FK_API int64_t fk_loader_skipped(const fk_loader *l);
FK_API const char *fk_loader_skipped_reason(const fk_loader *l, int64_t i);
/* Stops the workers (after the items they are working on) and frees
 * everything; fine at any point, also before the last batch. */
FK_API void fk_loader_close(fk_loader *l);

#ifdef __cplusplus
}
#endif
#endif
