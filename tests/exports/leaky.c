/* A library that breaks every rule test_exports checks, so that the check is
 * seen to fail: an internal helper leaks, an fk_ name no header declares
 * leaks, and fake_public.h declares one function without FK_API and one that
 * is not exported. */
#include "fake_public.h"

__attribute__((visibility("default"))) int helper_leak(void) { return 1; }
__attribute__((visibility("default"))) int fk_exports_undeclared(void) { return 2; }
int fk_exports_unmarked(void) { return 3; }
