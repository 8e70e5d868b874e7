/* fidkit — the whole public interface in one include. */
#ifndef FIDKIT_H
#define FIDKIT_H

#include "error.h"
#include "array.h"
#include "npz.h"
#include "tag.h"
#include "moments.h"
#include "frechet.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
const char *fk_version(void);

#ifdef __cplusplus
}
#endif
#endif
