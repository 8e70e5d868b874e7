/* A plugin built against a future ABI: the registry must refuse it. */
#include "fidkit/plugin.h"
static const fk_plugin p = {.abi_version = FK_PLUGIN_ABI_VERSION + 1, .struct_size = sizeof p,
                            .name = "abi_future"};
__attribute__((visibility("default"))) const fk_plugin *fk_plugin_entry(void) { return &p; }
