/* Internal: the feature cache as fk_extract uses it (fcache.h). */
#ifndef FK_FCACHE_INTERNAL_H
#define FK_FCACHE_INTERNAL_H

#include "fidkit/extract.h"

typedef struct fk_cache_key {
    char dir[1024];
    char file[1100];     /* DIR/<40 hex of SHA-256(text)>.npz */
    char *text;          /* everything the entry depends on, recorded in it */
    int64_t bytes_hashed;
} fk_cache_key;

/* Whether an extraction with these options may use the cache at all. */
int fk__cache_wanted(const fk_extract_options *o);
fk_status fk__cache_key(fk_backbone *b, const char *dataset, const fk_extract_options *o,
                        int batch_size, fk_cache_key *k, fk_error *e);
void fk__cache_key_free(fk_cache_key *k);
/* 1: sets filled from the entry (cache = FK_CACHE_HIT); 0: a miss (a bad
 * entry is reported on stderr). */
int fk__cache_load(const fk_cache_key *k, fk_backbone *b, int keep_rows, fk_feature_set *sets);
/* Best effort: a failure is a warning on stderr. Marks sets FK_CACHE_STORED. */
void fk__cache_store(const fk_cache_key *k, fk_backbone *b, const char *dataset,
                     fk_feature_set *sets);

#endif
