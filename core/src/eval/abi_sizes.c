/* The sizes of the structs a binding mirrors; see abi_sizes.h. */
#include "fidkit/abi_sizes.h"

#include <string.h>

#include "fidkit/accum.h"
#include "fidkit/clipeval.h"
#include "fidkit/config.h"
#include "fidkit/eval.h"
#include "fidkit/featset.h"
#include "fidkit/moments.h"
#include "fidkit/stats.h"
#include "fidkit/tag.h"

#define FK_SIZE(t) {#t, sizeof(t)}

static const struct {
    const char *name;
    size_t size;
} sizes[] = {
    FK_SIZE(fk_error),          FK_SIZE(fk_tag),           FK_SIZE(fk_stats),
    FK_SIZE(fk_featset),        FK_SIZE(fk_moments),       FK_SIZE(fk_decode_options),
    FK_SIZE(fk_dataset_options), FK_SIZE(fk_loader_options), FK_SIZE(fk_extract_options),
    FK_SIZE(fk_fd_options),     FK_SIZE(fk_fd_result),     FK_SIZE(fk_eval_input),
    FK_SIZE(fk_eval_options),   FK_SIZE(fk_interval),      FK_SIZE(fk_result),
    FK_SIZE(fk_side_info),      FK_SIZE(fk_results),       FK_SIZE(fk_preprocess),
    FK_SIZE(fk_config_option),  FK_SIZE(fk_config_file),    FK_SIZE(fk_config),
    FK_SIZE(fk_clip_options),   FK_SIZE(fk_perturbation),
};

size_t fk_abi_sizeof(const char *type)
{
    for (size_t i = 0; type && i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(sizes[i].name, type))
            return sizes[i].size;
    return 0;
}
