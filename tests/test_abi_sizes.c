/* fk_abi_sizeof: what the Python binding compares its mirrored structs with
 * must be the compiler's own sizeof, and unknown names must say 0. */
#include <criterion/criterion.h>

#include "fidkit/abi_sizes.h"
#include "fidkit/eval.h"
#include "fidkit/fidkit.h"

Test(abi_sizes, known_structs)
{
    cr_assert_eq(fk_abi_sizeof("fk_eval_options"), sizeof(fk_eval_options));
    cr_assert_eq(fk_abi_sizeof("fk_results"), sizeof(fk_results));
    cr_assert_eq(fk_abi_sizeof("fk_result"), sizeof(fk_result));
    cr_assert_eq(fk_abi_sizeof("fk_stats"), sizeof(fk_stats));
    cr_assert_eq(fk_abi_sizeof("fk_featset"), sizeof(fk_featset));
    cr_assert_eq(fk_abi_sizeof("fk_tag"), sizeof(fk_tag));
    cr_assert_eq(fk_abi_sizeof("fk_config"), sizeof(fk_config));
    cr_assert_eq(fk_abi_sizeof("fk_moments"), sizeof(fk_moments));
}

Test(abi_sizes, unknown_is_zero)
{
    cr_assert_eq(fk_abi_sizeof("fk_no_such_struct"), 0);
    cr_assert_eq(fk_abi_sizeof(NULL), 0);
    cr_assert_eq(fk_abi_sizeof("fk_eval"), 0);
}
