/* Shared helpers for fidkit's Criterion tests. */
#ifndef FK_TEST_H
#define FK_TEST_H
/* fk_test_ prefix: the torch shim owns fkt_. */

#include <stddef.h>
#include <stdint.h>
#include "fidkit/array.h"

/* $FK_FIXTURES/name into a static buffer (one per call site is fine). */
const char *fk_test_fixture(const char *name);
/* A fresh temporary folder (removed by nobody: under /tmp). */
const char *fk_test_tmpdir(void);
/* Loads a reference array written by a tests/ref script (.npy), or fails the
 * test with the file name. */
fk_array fk_test_load_npy(const char *name);
/* Runs `$FK_BIN args...` (a shell command line, args already quoted), captures
 * stdout+stderr into out (cap bytes) and returns the exit status. */
int fk_test_run_cli(char *out, size_t cap, const char *fmt, ...);
/* Maximum of |a-b| / (atol + rtol*|b|); <= 1 means within tolerance. */
double fk_test_tol_ratio(const double *a, const double *b, size_t n, double atol, double rtol);

#endif
