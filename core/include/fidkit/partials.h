/* fidkit — moments defined by the data, not by the processes: partial
 * moments of fixed-size blocks of a dataset listing, combined by one fixed
 * tree.
 *
 * The sorted listing (after limit / subset) is cut into blocks of B items
 * (fk_dataset_options.block, FK_BLOCK_DEFAULT). A block's partial is the
 * float64 moments (fidkit/moments.h) of its rows added in one call, so it
 * depends only on those rows. Blocks are combined by Chan's merge along one
 * tree: aligned power-of-two spans [j 2^k, (j+1) 2^k) merge pairwise, left
 * into right, and what remains at the end (the binary decomposition of the
 * block count) is folded from the right. A process that holds any
 * contiguous run of blocks (a --shard, an MPI rank) computes the maximal
 * aligned spans inside its run; pushing every process's spans in listing
 * order through fk_partials_push rebuilds exactly the nodes a single
 * process builds. So one process, K ranks and K shards + merge give the
 * same bits for any K (docs/scale.md).
 *
 * Memory: at most log2(blocks) + 2 nodes of d + d^2 doubles are alive. */
#ifndef FIDKIT_PARTIALS_H
#define FIDKIT_PARTIALS_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "moments.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Items per block when none is asked for: small enough to share 50k images
 * among ~50 processes, large enough that the tree stays shallow. */
#define FK_BLOCK_DEFAULT 1024

typedef struct fk_partial_node {
    int64_t lo, hi;   /* blocks [lo, hi): hi - lo a power of two dividing lo */
    fk_moments m;     /* its moments (m.work is NULL) */
} fk_partial_node;

/* The nodes not yet merged, in listing order. Zero-initialised is empty. */
typedef struct fk_partials {
    int d;
    int n, cap;
    fk_partial_node *nodes;
} fk_partials;

FK_API fk_status fk_partials_init(fk_partials *p, int d, fk_error *e);
FK_API void fk_partials_free(fk_partials *p);

/* Appends the node of blocks [lo, hi) with moments m (taken: m is left
 * empty, free with fk_moments_free) and merges the aligned pairs it
 * completes. The node must start where the last one ended and be an aligned
 * power-of-two span; anything else is FK_ERR_FORMAT (a corrupt part). */
FK_API fk_status fk_partials_push(fk_partials *p, int64_t lo, int64_t hi, fk_moments *m, fk_error *e);
/* Pushes copies of every node of src, in order. */
FK_API fk_status fk_partials_append(fk_partials *dst, const fk_partials *src, fk_error *e);
/* The first block and one past the last block pushed (both 0 when empty). */
FK_API int64_t fk_partials_begin(const fk_partials *p);
FK_API int64_t fk_partials_end(const fk_partials *p);
/* The moments of everything pushed, the remaining nodes folded from the
 * right. out is initialised here (free with fk_moments_free). */
FK_API fk_status fk_partials_result(const fk_partials *p, fk_moments *out, fk_error *e);

/* A byte image of the nodes (for sending between processes): malloc'ed. */
FK_API fk_status fk_partials_pack(const fk_partials *p, void **buf, size_t *len, fk_error *e);
/* Pushes the nodes of a packed image onto p (initialised, same d). */
FK_API fk_status fk_partials_unpack_push(fk_partials *p, const void *buf, size_t len, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
