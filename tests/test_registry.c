/* The plugin registry and backbone configs: ABI checks, YAML errors with
 * file and line, options checked against the plugin. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <criterion/criterion.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fidkit/config.h"
#include "fidkit/registry.h"
#include "fk_test.h"

static const char *test_plugin(const char *name)
{
    static _Thread_local char p[1024];
    snprintf(p, sizeof p, "%s/%s.so", getenv("FK_TEST_PLUGINS"), name);
    return p;
}

Test(registry, refuses_a_future_abi_naming_both_versions)
{
    const fk_plugin *p;
    fk_error e;
    cr_assert_eq(fk_plugin_load_file(test_plugin("abi_future"), &p, &e), FK_ERR_PLUGIN);
    char want[64];
    snprintf(want, sizeof want, "ABI version %u, but this fidkit speaks version %u",
             FK_PLUGIN_ABI_VERSION + 1, FK_PLUGIN_ABI_VERSION);
    cr_assert(strstr(e.msg, want), "%s", e.msg);
    cr_assert(strstr(e.msg, "abi_future.so"), "%s", e.msg);
}

Test(registry, refuses_a_short_table)
{
    const fk_plugin *p;
    fk_error e;
    cr_assert_eq(fk_plugin_load_file(test_plugin("abi_short"), &p, &e), FK_ERR_PLUGIN);
    cr_assert(strstr(e.msg, "smaller than ABI version"), "%s", e.msg);
}

Test(registry, refuses_a_library_without_the_entry_symbol)
{
    const fk_plugin *p;
    fk_error e;
    cr_assert_eq(fk_plugin_load_file(test_plugin("no_entry"), &p, &e), FK_ERR_PLUGIN);
    cr_assert(strstr(e.msg, "no symbol fk_plugin_entry"), "%s", e.msg);
}

Test(registry, loads_by_name_once)
{
    const fk_plugin *a, *b;
    fk_error e;
    cr_assert_eq(fk_plugin_load("tiny_pool", &a, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_plugin_load("tiny_pool", &b, &e), FK_OK);
    cr_assert_eq(a, b);
    cr_assert_str_eq(a->name, "tiny_pool");
    cr_assert_eq(fk_plugin_load("no_such_backbone", &a, &e), FK_ERR_PLUGIN);
    cr_assert(strstr(e.msg, "no_such_backbone.so"), "%s", e.msg);
}

Test(registry, scan_lists_good_and_refused_plugins)
{
    fk_plugin_entry_info *l;
    int n, good = 0, refused = 0;
    fk_error e;
    cr_assert_eq(fk_plugin_scan(&l, &n, &e), FK_OK);
    for (int i = 0; i < n; i++) {
        if (l[i].plugin && !strcmp(l[i].plugin->name, "tiny_pool"))
            good++;
        if (!l[i].plugin && strstr(l[i].path, "abi_future"))
            refused += strstr(l[i].error, "ABI version") != NULL;
    }
    cr_assert_eq(good, 1);
    cr_assert_eq(refused, 1);
    free(l);
}

static const char *write_yaml(const char *text)
{
    static _Thread_local char p[512];
    snprintf(p, sizeof p, "%s/c.yaml", fk_test_tmpdir());
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

#define GOOD_HEAD "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 3\n"
#define GOOD_INPUT "input:\n  size: 32\n  resize: clean\n  scale: 1\n  mean: [0, 0, 0]\n  std: [1, 1, 1]\n"

Test(config, a_good_config_and_its_tag)
{
    fk_config c;
    fk_error e;
    const char *p = write_yaml(GOOD_HEAD GOOD_INPUT "output: pool\nbatch_size: 7\n");
    cr_assert_eq(fk_config_load(p, &c, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(c.batch_size, 7);
    cr_assert_eq(c.random_seed, 3);
    fk_tag t;
    char s[FK_TAG_STR_MAX];
    fk_config_tag(&c, NULL, &t);
    cr_assert_str_eq(fk_tag_str(&t, 1, s, sizeof s), "tiny_pool/g4:pool@random-3/32/clean/norm=raw");
}

static void expect_config_error(const char *yaml, const char *phrase)
{
    fk_config c;
    fk_error e;
    const char *p = write_yaml(yaml);
    fk_status st = fk_config_load(p, &c, &e);
    cr_assert_neq(st, FK_OK, "accepted: %s", yaml);
    cr_assert(strstr(e.msg, p), "the message names the file: %s", e.msg);
    cr_assert(strstr(e.msg, phrase), "expected '%s' in: %s", phrase, e.msg);
}

Test(config, errors_name_file_line_and_key)
{
    expect_config_error(GOOD_HEAD GOOD_INPUT "output: pool\ncolour: red\n", ":13: 'colour' is not a config key");
    expect_config_error(GOOD_HEAD GOOD_INPUT "output: pool\nbatch_size: many\n", ":13: 'batch_size' must be an integer, got 'many'");
    expect_config_error(GOOD_HEAD GOOD_INPUT, "missing key 'output'");
    expect_config_error(GOOD_HEAD "input:\n  size: 32\n  resize: clean\n  scale: 1\n  mean: [0, 0]\n  std: [1, 1, 1]\noutput: pool\n",
                        ":10: 'mean' must be a list of 3 numbers");
    expect_config_error(GOOD_HEAD "input:\n  size: 32\n  resize: fancy\n  scale: 1\n  mean: [0, 0, 0]\n  std: [1, 1, 1]\noutput: pool\n",
                        ":8: 'resize' must be clean, legacy_pytorch");
    expect_config_error(GOOD_HEAD "input:\n  size: 32\n  resize: clean\n  scale: 1\n  mean: [0, 0, 0]\n  std: [1, 0, 1]\noutput: pool\n",
                        "'std' values must be positive");
    expect_config_error("fidkit_config: 1\nplugin: [a, b\n", "malformed YAML");
    expect_config_error("fidkit_config: 9\n", "config format 9 is newer");
    expect_config_error(GOOD_HEAD GOOD_INPUT "output: pool\noutput: mean\n", "appears twice");
    expect_config_error("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 1\n  file: x.pth\n" GOOD_INPUT "output: pool\n",
                        "either 'random' or 'file'");
    expect_config_error("", "empty");
}

static fk_status open_with(const char *yaml, fk_backbone **b, fk_error *e)
{
    fk_config c;
    fk_status st = fk_config_load(write_yaml(yaml), &c, e);
    return st ? st : fk_backbone_open(&c, NULL, 0, b, e);
}

Test(config, options_checked_against_the_plugin)
{
    fk_backbone *b;
    fk_error e;
    cr_assert_eq(open_with(GOOD_HEAD GOOD_INPUT "output: pool\noptions:\n  double_sums: false\n", &b, &e), FK_OK,
                 "%s", e.msg);
    fk_backbone_close(b);
    cr_assert_eq(open_with(GOOD_HEAD GOOD_INPUT "output: pool\noptions:\n  grid: 3\n", &b, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, ":14: plugin tiny_pool has no option 'grid' (it has: double_sums)"), "%s", e.msg);
    cr_assert_eq(open_with(GOOD_HEAD GOOD_INPUT "output: pool\noptions:\n  double_sums: maybe\n", &b, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "must be true or false"), "%s", e.msg);
    cr_assert_eq(open_with(GOOD_HEAD GOOD_INPUT "output: logits\n", &b, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "has no output 'logits' (it has: pool, mean)"), "%s", e.msg);
    cr_assert_eq(open_with("fidkit_config: 1\nplugin: tiny_pool\nvariant: g5\nweights:\n  random: 3\n" GOOD_INPUT "output: pool\n", &b, &e),
                 FK_ERR_ARG);
    cr_assert(strstr(e.msg, "has no variant 'g5'"), "%s", e.msg);
}

/* threads: 0 is resolved when the backbone opens: OMP_NUM_THREADS when it is
 * a positive number, else the CPUs of the affinity mask; a number stays. */
Test(config, zero_threads_resolve_to_omp_num_threads_or_the_cpus)
{
    cpu_set_t set;
    cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
    const struct { const char *env, *yaml_threads; int want; } cases[] = {
        {"3", "0", 3}, {"5,2", "0", 5}, {NULL, "0", CPU_COUNT(&set)}, {"", "0", CPU_COUNT(&set)},
        {"lots", "0", CPU_COUNT(&set)}, {"3", "2", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].env)
            setenv("OMP_NUM_THREADS", cases[i].env, 1);
        else
            unsetenv("OMP_NUM_THREADS");
        char yaml[1024];
        snprintf(yaml, sizeof yaml, GOOD_HEAD GOOD_INPUT "output: pool\nthreads: %s\n", cases[i].yaml_threads);
        fk_backbone *b;
        fk_error e;
        cr_assert_eq(open_with(yaml, &b, &e), FK_OK, "%s", e.msg);
        cr_expect_eq(fk_backbone_config(b)->threads, cases[i].want, "OMP_NUM_THREADS=%s threads: %s -> %d, want %d",
                     cases[i].env ? cases[i].env : "(unset)", cases[i].yaml_threads,
                     fk_backbone_config(b)->threads, cases[i].want);
        fk_backbone_close(b);
    }
}

Test(config, missing_weights_say_where_to_put_them)
{
    fk_backbone *b;
    fk_error e;
    cr_assert_eq(open_with("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  file: nowhere-12345678.pth\n"
                           "  sha256: 6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2\n"
                           "  source: https://example.org/w.pth\n" GOOD_INPUT "output: pool\n", &b, &e),
                 FK_ERR_IO);
    cr_assert(strstr(e.msg, "nowhere-12345678.pth' not found"), "%s", e.msg);
    cr_assert(strstr(e.msg, "FIDKIT_WEIGHTS_PATH"), "%s", e.msg);
    cr_assert(strstr(e.msg, "https://example.org/w.pth"), "%s", e.msg);
    cr_assert(strstr(e.msg, "random"), "%s", e.msg);
}

Test(config, weights_checked_by_sha256)
{
    const char *dir = fk_test_tmpdir();
    char w[512], yaml[2048];
    snprintf(w, sizeof w, "%s/w.bin", dir);
    FILE *f = fopen(w, "w");
    fputs("abc", f);
    fclose(f);
    char hex[65];
    fk_error e;
    cr_assert_eq(fk_sha256_file(w, hex, &e), FK_OK);
    /* SHA-256("abc"), the FIPS 180-2 test vector */
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(yaml, sizeof yaml, "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  file: %s\n"
             "  sha256: 6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2\n" GOOD_INPUT "output: pool\n", w);
    fk_backbone *b;
    cr_assert_eq(open_with(yaml, &b, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "SHA-256 ba7816bf"), "%s", e.msg);
}

/* fk_plugin_params grows at its end: a plugin reads what the host's
 * struct_size covers and defaults the rest; a struct shorter than the ABI's
 * fixed part is refused with a message, and a longer (newer) one works. */
Test(registry, params_struct_size_older_and_newer_hosts)
{
#if !FK_TEST_BACKBONES
    cr_skip_test("needs the resnet plugin: configured with FIDKIT_BACKBONES=OFF");
#endif
    const fk_plugin *p;
    fk_error e;
    cr_assert_eq(fk_plugin_load("resnet", &p, &e), FK_OK, "%s", e.msg);
    const char *outs[1] = {"pool"};
    struct {
        fk_plugin_params pp;
        char future[64]; /* fields a newer host would have appended */
    } big;
    memset(&big, 0, sizeof big);
    fk_plugin_params *pp = &big.pp;
    pp->config_path = "test_registry";
    pp->variant = "resnet18";
    pp->random_weights = 1;
    pp->random_seed = 3;
    pp->device = "cpu";
    pp->threads = 1;
    pp->input_size = 32;
    pp->n_outputs = 1;
    pp->outputs = outs;
    uint32_t sizes[3] = {(uint32_t)offsetof(fk_plugin_params, options), /* an older host: no options */
                         (uint32_t)sizeof(fk_plugin_params), (uint32_t)sizeof big};
    float *x = calloc(3 * 32 * 32, sizeof *x), y[512];
    float *out[1] = {y};
    for (int k = 0; k < 3; k++) {
        pp->struct_size = sizes[k];
        void *inst = NULL;
        cr_assert_eq(p->open(pp, &inst, &e), FK_OK, "struct_size %u: %s", sizes[k], e.msg);
        cr_assert_eq(p->extract(inst, x, 1, out, &e), FK_OK, "%s", e.msg);
        p->close(inst);
    }
    pp->struct_size = (uint32_t)offsetof(fk_plugin_params, n_outputs);
    void *inst = NULL;
    cr_assert_eq(p->open(pp, &inst, &e), FK_ERR_PLUGIN);
    cr_assert(strstr(e.msg, "rebuild the host"), "%s", e.msg);
    free(x);
}
