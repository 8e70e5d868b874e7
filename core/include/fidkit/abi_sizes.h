/* fidkit — the sizes of the public structs, for bindings that mirror them
 * without a compiler (the Python package's cffi ABI mode). A binding
 * compares its own sizeof of each mirrored struct with the library's and
 * refuses to run on a mismatch, instead of reading fields at wrong offsets. */
#ifndef FIDKIT_ABI_SIZES_H
#define FIDKIT_ABI_SIZES_H

#include <stddef.h>
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sizeof the public struct named type ("fk_eval_options", "fk_results",
 * ...); 0 for a name it does not know. */
FK_API size_t fk_abi_sizeof(const char *type);

#ifdef __cplusplus
}
#endif
#endif
