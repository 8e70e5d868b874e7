/* A plugin whose table is shorter than the ABI requires. */
#include <stddef.h>
#include "fidkit/plugin.h"
static const fk_plugin p = {.abi_version = FK_PLUGIN_ABI_VERSION,
                            .struct_size = offsetof(fk_plugin, open), .name = "abi_short"};
__attribute__((visibility("default"))) const fk_plugin *fk_plugin_entry(void) { return &p; }
