#include "fidkit/array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t fk_dtype_size(fk_dtype t)
{
    switch (t) {
    case FK_U8: case FK_I8: case FK_BOOL: return 1;
    case FK_I16: case FK_F16: case FK_BF16: return 2;
    case FK_I32: case FK_F32: return 4;
    case FK_I64: case FK_F64: return 8;
    case FK_DTYPE_INVALID: break;
    }
    return 0;
}

const char *fk_dtype_name(fk_dtype t)
{
    switch (t) {
    case FK_U8: return "uint8";
    case FK_I8: return "int8";
    case FK_I16: return "int16";
    case FK_I32: return "int32";
    case FK_I64: return "int64";
    case FK_BOOL: return "bool";
    case FK_F16: return "float16";
    case FK_BF16: return "bfloat16";
    case FK_F32: return "float32";
    case FK_F64: return "float64";
    case FK_DTYPE_INVALID: break;
    }
    return "invalid";
}

int64_t fk_array_count(const fk_array *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++)
        n *= a->shape[i];
    return n;
}

size_t fk_array_nbytes(const fk_array *a)
{
    return (size_t)fk_array_count(a) * fk_dtype_size(a->dtype);
}

char *fk_array_shape_str(const fk_array *a, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < a->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)a->shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, a->ndim == 1 ? ",)" : ")");
    return buf;
}

void fk_array_free(fk_array *a)
{
    if (a) {
        free(a->data);
        memset(a, 0, sizeof *a);
    }
}
