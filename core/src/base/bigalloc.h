/* Internal: allocations of tens of megabytes (covariances at d = 2048, npz
 * members). Plain malloc hands them over in 4 KiB pages, and the first
 * touch of each costs a page fault: 36,000 of them for one `fidkit fd` at
 * d = 2048, a tenth of its time. Aligned to 2 MiB and marked for
 * transparent huge pages, the same memory faults ~500 times less. Free with
 * free(). */
#ifndef FK_BIGALLOC_H
#define FK_BIGALLOC_H

#include <stddef.h>

void *fk_alloc_big(size_t n);

#endif
