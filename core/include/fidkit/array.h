/* fidkit — a typed, shaped block of memory: what npz members, weight tensors
 * and feature matrices have in common. */
#ifndef FIDKIT_ARRAY_H
#define FIDKIT_ARRAY_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_dtype {
    FK_DTYPE_INVALID = 0,
    FK_U8, FK_I8, FK_I16, FK_I32, FK_I64, FK_BOOL,
    FK_F16, FK_BF16, FK_F32, FK_F64
} fk_dtype;

#define FK_MAX_DIMS 8

typedef struct fk_array {
    fk_dtype dtype;
    int ndim;
    int64_t shape[FK_MAX_DIMS];
    void *data;   /* row-major (C order), owned as documented by the producer */
} fk_array;

FK_API size_t fk_dtype_size(fk_dtype t);
FK_API const char *fk_dtype_name(fk_dtype t);   /* "float32", ... */
FK_API int64_t fk_array_count(const fk_array *a); /* product of the shape, 1 for ndim 0 */
FK_API size_t fk_array_nbytes(const fk_array *a);
/* "(3, 299, 299)" into buf; returns buf. */
FK_API char *fk_array_shape_str(const fk_array *a, char *buf, size_t n);
FK_API void fk_array_free(fk_array *a);          /* free(a->data), zero the struct */

#ifdef __cplusplus
}
#endif
#endif
