/* The loader: worker threads decode, (hook,) resize and normalise items into
 * a ring of item slots; the consumer takes them in dataset order and copies
 * the good ones into the batch it returns.
 *
 * Why a ring of items and not of batches: with skip_bad a batch's items are
 * not known before the bad ones are found, and copying ~1 MB per item is
 * small next to decoding and resizing it. Item i lives in slot i % ring; a
 * worker may claim item i only when i < taken + ring, so memory is bounded by
 * the ring (prefetch batches' worth of items) whatever the dataset's size,
 * and the order of results never depends on thread timing. */
#include "fidkit/loader.h"
#include <cjson/cJSON.h>
#include "base/cpus.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_BUSY, SLOT_OK, SLOT_BAD };

typedef struct slot {
    int state;
    int64_t item;
    int can_skip; /* SLOT_BAD: a decoding problem skip_bad may pass over */
    fk_error err; /* SLOT_BAD */
} slot;

typedef struct worker_arg {
    struct fk_loader *l;
    fk_resizer *r; /* one per worker: it caches filter coefficients */
} worker_arg;

struct fk_loader {
    fk_dataset *ds;
    const fk_preprocess *p;
    fk_loader_options o;
    int64_t n;          /* dataset items */
    size_t item_floats; /* 3 * size * size */

    int ring;
    slot *slots;
    float *ring_data; /* ring x item_floats */

    float *batch;     /* batch_size x item_floats, what fk_batch.data points to */
    int64_t *index;

    pthread_t *threads;
    worker_arg *args;
    int nthreads;

    pthread_mutex_t mu;
    pthread_cond_t cv_space; /* a slot was freed, or stop */
    pthread_cond_t cv_done;  /* an item was finished */
    int64_t next_claim;      /* next item a worker takes */
    int64_t taken;           /* items the consumer has released */
    int stop;

    fk_status fatal; /* sticky: once set, every next returns it */
    fk_error fatal_err;

    char **skipped;
    int64_t nskipped, skipped_cap;
};

fk_loader_options fk_loader_default_options(void)
{
    fk_loader_options o;
    memset(&o, 0, sizeof o);
    o.batch_size = 50;
    o.threads = 0;
    o.skip_bad = 0;
    o.prefetch = 2;
    return o;
}

/* Decoding problems of one item may be skipped; anything else (memory, a
 * failing hook, a bug) stops the run whatever the policy. */
static int skippable(fk_status s)
{
    return s == FK_ERR_IO || s == FK_ERR_FORMAT || s == FK_ERR_UNSUPPORTED;
}

static fk_status process(fk_loader *l, fk_resizer *r, int64_t item, float *out, fk_error *e,
                         int *can_skip)
{
    fk_image im = {0, 0, NULL};
    fk_status s = fk_dataset_load(l->ds, item, &im, e);
    *can_skip = skippable(s);
    if (s == FK_OK && l->o.hook) {
        s = l->o.hook(l->o.hook_user, item, &im, e);
        if (s != FK_OK)
            fk_fail_prefix(e, "%s: image hook", fk_dataset_item_name(l->ds, item));
    }
    if (s == FK_OK) {
        s = fk_resizer_preprocess(r, &im, out, e);
        *can_skip = skippable(s);
        if (s != FK_OK)
            fk_fail_prefix(e, "%s", fk_dataset_item_name(l->ds, item));
    }
    fk_image_free(&im);
    return s;
}

static void *worker(void *arg)
{
    fk_loader *l = ((worker_arg *)arg)->l;
    fk_resizer *r = ((worker_arg *)arg)->r;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->next_claim < l->n && l->next_claim >= l->taken + l->ring)
            pthread_cond_wait(&l->cv_space, &l->mu);
        if (l->stop || l->next_claim >= l->n)
            break;
        int64_t item = l->next_claim++;
        slot *sl = &l->slots[item % l->ring];
        sl->state = SLOT_BUSY;
        sl->item = item;
        pthread_mutex_unlock(&l->mu);

        fk_error err;
        fk_error_clear(&err);
        int can_skip = 0;
        fk_status s = process(l, r, item, l->ring_data + (size_t)(item % l->ring) * l->item_floats,
                              &err, &can_skip);

        pthread_mutex_lock(&l->mu);
        if (s == FK_OK) {
            sl->state = SLOT_OK;
        } else {
            sl->state = SLOT_BAD;
            sl->err = err;
            sl->err.code = s;
            sl->can_skip = can_skip;
        }
        pthread_cond_broadcast(&l->cv_done);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void stop_workers(fk_loader *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv_space);
    pthread_mutex_unlock(&l->mu);
    for (int t = 0; t < l->nthreads; t++)
        pthread_join(l->threads[t], NULL);
    l->nthreads = 0;
}

void fk_loader_close(fk_loader *l)
{
    if (!l)
        return;
    stop_workers(l);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv_space);
    pthread_cond_destroy(&l->cv_done);
    for (int64_t i = 0; i < l->nskipped; i++)
        free(l->skipped[i]);
    free(l->skipped);
    if (l->args)
        for (int t = 0; t < l->o.threads; t++)
            fk_resizer_free(l->args[t].r);
    free(l->args);
    free(l->threads);
    free(l->slots);
    free(l->ring_data);
    if (l->o.batch_free)
        l->o.batch_free(l->batch);
    else
        free(l->batch);
    free(l->index);
    free(l);
}

fk_status fk_loader_open(fk_dataset *ds, const fk_preprocess *p, const fk_loader_options *o,
                         fk_loader **out, fk_error *e)
{
    *out = NULL;
    fk_loader_options def = fk_loader_default_options();
    if (!o)
        o = &def;
    if (!ds || !p)
        return fk_fail(e, FK_ERR_ARG, "fk_loader_open: no dataset or no preprocessing");
    if (o->batch_size <= 0 || o->threads < 0 || o->threads > 1024 || o->prefetch < 0 ||
        o->prefetch > 1024)
        return fk_fail(e, FK_ERR_ARG,
                       "loader: batch_size must be > 0, threads 0..1024, prefetch 0..1024 (got "
                       "%d, %d, %d)",
                       o->batch_size, o->threads, o->prefetch);
    if (p->size <= 0 || p->size > 16384)
        return fk_fail(e, FK_ERR_ARG, "loader: input size %d is out of range", p->size);

    fk_loader *l = calloc(1, sizeof *l);
    if (!l)
        return fk_fail(e, FK_ERR_NOMEM, "loader: out of memory");
    l->ds = ds;
    l->p = p;
    l->o = *o;
    if (l->o.threads == 0)
        l->o.threads = fk_cpus_usable();
    if (l->o.prefetch == 0)
        l->o.prefetch = 1;
    l->n = fk_dataset_size(ds);
    l->item_floats = (size_t)3 * (size_t)p->size * (size_t)p->size;
    /* At least two items per worker so that none idles while the consumer
     * copies. */
    int64_t ring = (int64_t)l->o.prefetch * l->o.batch_size;
    if (ring < 2 * (int64_t)l->o.threads)
        ring = 2 * (int64_t)l->o.threads;
    if (ring > l->n && l->n > 0)
        ring = l->n;
    if (ring < 1)
        ring = 1;
    if (ring > (1 << 20))
        ring = 1 << 20;
    l->ring = (int)ring;
    int64_t bs = l->o.batch_size < l->n ? l->o.batch_size : (l->n > 0 ? l->n : 1);

    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv_space, NULL);
    pthread_cond_init(&l->cv_done, NULL);
    l->slots = calloc((size_t)l->ring, sizeof *l->slots);
    l->ring_data = malloc((size_t)l->ring * l->item_floats * sizeof(float));
    size_t batch_bytes = (size_t)bs * l->item_floats * sizeof(float);
    l->batch = l->o.batch_alloc ? l->o.batch_alloc(batch_bytes) : NULL;
    if (!l->batch) { /* no allocator, or no pinned memory: plain memory */
        l->o.batch_free = NULL;
        l->batch = malloc(batch_bytes);
    }
    l->index = malloc((size_t)bs * sizeof *l->index);
    l->threads = calloc((size_t)l->o.threads, sizeof *l->threads);
    l->args = calloc((size_t)l->o.threads, sizeof *l->args);
    if (!l->slots || !l->ring_data || !l->batch || !l->index || !l->threads || !l->args) {
        fk_loader_close(l);
        return fk_fail(e, FK_ERR_NOMEM,
                       "loader: out of memory for %d items of 3x%dx%d in flight and a batch "
                       "of %lld",
                       (int)ring, p->size, p->size, (long long)bs);
    }
    for (int t = 0; t < l->o.threads; t++) {
        l->args[t].l = l;
        fk_status s = fk_resizer_new(p, &l->args[t].r, e);
        if (s != FK_OK) {
            fk_loader_close(l);
            return s;
        }
    }
    for (int t = 0; t < l->o.threads; t++) {
        if (pthread_create(&l->threads[t], NULL, worker, &l->args[t]) != 0) {
            fk_loader_close(l);
            return fk_fail(e, FK_ERR_INTERNAL, "loader: cannot start worker thread %d", t);
        }
        l->nthreads = t + 1;
    }
    *out = l;
    return FK_OK;
}

/* Under the lock. */
static fk_status remember_skip(fk_loader *l, const char *msg, fk_error *e)
{
    if (l->nskipped == l->skipped_cap) {
        int64_t cap = l->skipped_cap ? 2 * l->skipped_cap : 16;
        char **v = realloc(l->skipped, (size_t)cap * sizeof *v);
        if (!v)
            return fk_fail(e, FK_ERR_NOMEM, "loader: out of memory recording a skipped item");
        l->skipped = v;
        l->skipped_cap = cap;
    }
    char *c = strdup(msg);
    if (!c)
        return fk_fail(e, FK_ERR_NOMEM, "loader: out of memory recording a skipped item");
    l->skipped[l->nskipped++] = c;
    return FK_OK;
}

fk_status fk_loader_next(fk_loader *l, fk_batch *b, fk_error *e)
{
    if (!b)
        return fk_fail(e, FK_ERR_ARG, "fk_loader_next: no batch to fill");
    b->n = 0;
    b->data = NULL;
    b->index = NULL;
    if (!l)
        return fk_fail(e, FK_ERR_ARG, "fk_loader_next: no loader");
    b->size = l->p->size;
    b->data = l->batch;
    b->index = l->index;
    if (l->fatal != FK_OK) {
        if (e)
            *e = l->fatal_err;
        return l->fatal;
    }
    int n = 0;
    int64_t bs = l->o.batch_size;
    fk_status s = FK_OK;
    pthread_mutex_lock(&l->mu);
    while (n < bs && l->taken < l->n) {
        int64_t item = l->taken;
        slot *sl = &l->slots[item % l->ring];
        while (!(sl->item == item && (sl->state == SLOT_OK || sl->state == SLOT_BAD)))
            pthread_cond_wait(&l->cv_done, &l->mu);
        if (sl->state == SLOT_OK) {
            /* The slot is ours until `taken` moves past it: copy unlocked. */
            pthread_mutex_unlock(&l->mu);
            memcpy(l->batch + (size_t)n * l->item_floats,
                   l->ring_data + (size_t)(item % l->ring) * l->item_floats,
                   l->item_floats * sizeof(float));
            l->index[n++] = item;
            pthread_mutex_lock(&l->mu);
        } else if (l->o.skip_bad && sl->can_skip) {
            s = remember_skip(l, sl->err.msg, &l->fatal_err);
        } else {
            s = sl->err.code;
            l->fatal_err = sl->err;
        }
        if (s != FK_OK)
            break;
        sl->state = SLOT_FREE;
        l->taken++;
        pthread_cond_broadcast(&l->cv_space);
    }
    pthread_mutex_unlock(&l->mu);
    if (s != FK_OK) {
        l->fatal = s;
        if (e)
            *e = l->fatal_err;
        b->n = 0;
        stop_workers(l); /* nothing after a fatal error is wanted */
        return s;
    }
    b->n = n;
    return FK_OK;
}

int64_t fk_loader_skipped(const fk_loader *l) { return l ? l->nskipped : 0; }

const char *fk_loader_skipped_reason(const fk_loader *l, int64_t i)
{
    if (!l || i < 0 || i >= l->nskipped)
        return NULL;
    return l->skipped[i];
}

char *fk_loader_skipped_json(const fk_loader *l)
{
    if (!l || l->nskipped == 0)
        return NULL;
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; i < l->nskipped; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(l->skipped[i]));
    char *t = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return t;
}
