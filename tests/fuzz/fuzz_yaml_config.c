/* A backbone config (YAML): schema, every preprocessing field, the tag. */
#include "fuzz_common.h"

#include "fidkit/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".yaml");
    if (!path)
        return 0;
    fk_config c;
    fk_error e;
    memset(&c, 0, sizeof c);
    if (fk_config_load(path, &c, &e) == FK_OK) {
        fk_tag t;
        fk_config_tag(&c, NULL, &t);
    }
    return 0;
}
