#include "fidkit/fidkit.h"

const char *fk_version(void) { return FIDKIT_VERSION; }
