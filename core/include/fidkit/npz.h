/* fidkit — NumPy .npy and .npz files, as numpy.save/savez/savez_compressed
 * write them and numpy.load reads them.
 *
 * .npy layout: "\x93NUMPY", major, minor, header length (u16 for 1.x, u32 for
 * 2.x/3.x), an ASCII Python dict {'descr': '<f8', 'fortran_order': False,
 * 'shape': (2048,), }, padded with spaces to a multiple of 64 (16 in old
 * files) and ended by '\n', then the raw data. .npz is a zip of NAME.npy
 * members, stored (savez) or deflated (savez_compressed).
 *
 * Every length in a header is checked against the member size before any
 * allocation. Little-endian only; Fortran order is refused with a message. */
#ifndef FIDKIT_NPZ_H
#define FIDKIT_NPZ_H

#include "export.h"

#include "array.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_npy_header {
    fk_dtype dtype;
    int ndim;
    int64_t shape[FK_MAX_DIMS];
    uint64_t data_bytes;   /* product(shape) * itemsize */
} fk_npy_header;

/* Parses an .npy header from buf[0..len). On success *header_len is the offset
 * of the data. len must cover the whole header. */
FK_API fk_status fk_npy_parse_header(const uint8_t *buf, size_t len, fk_npy_header *h,
                                     size_t *header_len, fk_error *e);

/* Writes a version 1.0 header (3.0 if the dict is too long) for the array into
 * buf (at most cap bytes). Returns the header length, 0 if cap is too small. */
FK_API size_t fk_npy_format_header(const fk_array *a, uint8_t *buf, size_t cap);

/* Loads a whole array. path may be an .npz (member is the array name, with or
 * without ".npy") or an .npy (member must be NULL). out->data is malloc'ed and
 * owned by the caller (fk_array_free). */
FK_API fk_status fk_npz_load(const char *path, const char *member, fk_array *out, fk_error *e);

/* Member names of an .npz without the ".npy" suffix; *names is one malloc'ed
 * block the caller frees. */
FK_API fk_status fk_npz_list(const char *path, char ***names, int *count, fk_error *e);

/* Whether an .npz has a member (without ".npy"). 0 also when unreadable. */
FK_API int fk_npz_has(const char *path, const char *member);

/* Streaming reader for arrays too large for memory (50,000 x 256 x 256 x 3
 * samples): rows along the first axis, in order. */
typedef struct fk_npy_stream fk_npy_stream;
FK_API fk_status fk_npy_stream_open(fk_npy_stream **s, const char *path, const char *member,
                                    fk_npy_header *h, fk_error *e);
/* Reads the next n rows (n * row_bytes) into buf; fewer at the end: *got says. */
FK_API fk_status fk_npy_stream_read(fk_npy_stream *s, void *buf, int64_t n, int64_t *got,
                                    fk_error *e);
FK_API void fk_npy_stream_close(fk_npy_stream *s);

/* Writer: members are added, then the file appears atomically at commit (a
 * temporary file in the same folder, renamed over path). The arrays' data must
 * stay valid until commit or abort; nothing is copied. */
typedef struct fk_npz_writer fk_npz_writer;
FK_API fk_status fk_npz_writer_open(fk_npz_writer **w, const char *path, int compress, fk_error *e);
FK_API fk_status fk_npz_writer_add(fk_npz_writer *w, const char *name, const fk_array *a, fk_error *e);
FK_API fk_status fk_npz_writer_commit(fk_npz_writer *w, fk_error *e); /* frees w */
FK_API void fk_npz_writer_abort(fk_npz_writer *w);                    /* frees w */

/* A single array to an .npy file, atomically. */
FK_API fk_status fk_npy_save(const char *path, const fk_array *a, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
