/* fidkit — the whole public interface in one include. */
#ifndef FIDKIT_H
#define FIDKIT_H

#include "export.h"

#include "error.h"
#include "array.h"
#include "fileio.h"
#include "npz.h"
#include "tag.h"
#include "moments.h"
#include "partials.h"
#include "frechet.h"
#include "stats.h"
#include "image.h"
#include "resize.h"
#include "dataset.h"
#include "loader.h"
#include "perturb.h"
#include "weights.h"
#include "config.h"
#include "device.h"
#include "fetch.h"
#include "registry.h"
#include "extract.h"
#include "shard.h"
#include "featfile.h"
#include "features.h"
#include "rng.h"
#include "kid.h"
#include "prdc.h"
#include "inception_score.h"
#include "fdinf.h"
#include "cmmd.h"
#include "bootstrap.h"
#include "clipscore.h"
#include "tokenizer.h"
#include "plot.h"
#include "rankstats.h"
#include "sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
FK_API const char *fk_version(void);

#ifdef __cplusplus
}
#endif
#endif
