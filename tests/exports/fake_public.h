/* The public header of leaky.c (see there). */
#ifndef FK_FAKE_PUBLIC_H
#define FK_FAKE_PUBLIC_H
#include "fidkit/export.h"

FK_API int fk_exports_missing(void);
int fk_exports_unmarked(void);

#endif
