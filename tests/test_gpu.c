/* ctest-label: torch */
/* Devices and precisions on a CPU machine (issue 21): device and precision
 * names, the tag's /prec= segment and the refusal it causes, `auto` falling
 * back to the CPU, and the clear early error of a CPU-only libtorch asked
 * for CUDA. The GPU itself is checked by tools/gpu_check.sh (docs/gpu.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static char out[1 << 16];

/* 1 when this build's libtorch has CUDA (then the CPU-only checks skip). */
static int torch_has_cuda(void)
{
    char rt[1024];
    if (fk_torch_runtime(rt, sizeof rt, NULL))
        return 0;
    return !strstr(rt, "\"cuda\": null");
}

static const char *tiny_dataset(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/gpu_tiny.npz", fk_test_tmpdir());
    /* 3 random 40x36 RGB images, uint8 NHWC, written by fidkit's npz writer. */
    uint8_t px[3 * 40 * 36 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 24);
    fk_array a = {FK_U8, 4, {3, 40, 36, 3}, px};
    fk_npz_writer *w;
    fk_error e;
    cr_assert_eq(fk_npz_writer_open(&w, path, 0, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_add(w, "arr_0", &a, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK, "%s", e.msg);
    return path;
}

Test(device, names)
{
    fk_device_kind k;
    int i;
    fk_error e;
    cr_assert_eq(fk_device_parse("cpu", &k, &i, &e), FK_OK);
    cr_assert_eq(k, FK_DEVICE_CPU);
    cr_assert_eq(fk_device_parse("auto", &k, &i, &e), FK_OK);
    cr_assert_eq(k, FK_DEVICE_AUTO);
    cr_assert_eq(fk_device_parse("cuda", &k, &i, &e), FK_OK);
    cr_assert(k == FK_DEVICE_CUDA && i == 0);
    cr_assert_eq(fk_device_parse("cuda:7", &k, &i, &e), FK_OK);
    cr_assert(k == FK_DEVICE_CUDA && i == 7);
    cr_assert_eq(fk_device_parse("cuda:999", &k, &i, &e), FK_OK);
    cr_assert_eq(i, 999);
    static const char *const bad[] = {"", "gpu", "CUDA", "cuda:", "cuda:-1", "cuda:1x", "cuda:1000",
                                      "cuda0", "cpu:0", " cpu", "auto ", "mps"};
    for (size_t j = 0; j < sizeof bad / sizeof *bad; j++) {
        cr_assert_eq(fk_device_parse(bad[j], &k, &i, &e), FK_ERR_ARG, "'%s' was accepted", bad[j]);
        cr_assert(strstr(e.msg, "cpu, cuda, cuda:N, auto"), "%s", e.msg);
    }
    cr_assert_eq(fk_precision_parse("fp32", &e), FK_OK);
    cr_assert_eq(fk_precision_parse("tf32", &e), FK_OK);
    cr_assert_eq(fk_precision_parse("bf16", &e), FK_OK);
    cr_assert_eq(fk_precision_parse("fp16", &e), FK_ERR_ARG);
    cr_assert_eq(fk_precision_parse("FP32", &e), FK_ERR_ARG);
}

Test(device, tag_carries_the_precision)
{
    fk_tag a, b, c, d;
    fk_error e;
    char s[FK_TAG_STR_MAX];
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/legacy_pytorch", &a, &e), FK_OK);
    cr_assert_str_eq(a.prec, "");
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/legacy_pytorch/prec=fp32", &b, &e),
                 FK_OK, "%s", e.msg);
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/legacy_pytorch/prec=tf32", &c, &e),
                 FK_OK, "%s", e.msg);
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/legacy_pytorch/prec=bf16", &d, &e),
                 FK_OK, "%s", e.msg);
    cr_assert(fk_tag_equal(&a, &b), "an explicit fp32 is the default");
    cr_assert(!fk_tag_equal(&a, &c));
    cr_assert(!fk_tag_equal(&c, &d));
    cr_assert_str_eq(fk_tag_str(&b, 1, s, sizeof s), "inception_v3/fid:pool3@6726825d/299/legacy_pytorch");
    cr_assert_str_eq(fk_tag_str(&c, 1, s, sizeof s),
                     "inception_v3/fid:pool3@6726825d/299/legacy_pytorch/prec=tf32");
    cr_assert_eq(fk_tag_check(&a, &c, &e), FK_ERR_TAG);
    cr_assert(strstr(e.msg, "prec=tf32"), "%s", e.msg);
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/clean/dev=cuda", &d, &e), FK_ERR_ARG);
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@6726825d/299/clean/prec=TF32", &d, &e), FK_ERR_ARG);
}

static const char *write_config(const char *name, const char *extra)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s.yaml", fk_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "fidkit_config: 1\nplugin: mobilenet_v3\nvariant: small\nweights:\n  random: 0\n"
               "input:\n  size: 64\n  resize: clean\n  crop: none\n  scale: 0.00392156862745098\n"
               "  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\noutput: pool\n%s",
            extra);
    fclose(f);
    return path;
}

Test(device, config_keys)
{
    fk_config c;
    fk_error e;
    unsetenv("FIDKIT_DEVICE");
    unsetenv("FIDKIT_PRECISION");
    cr_assert_eq(fk_config_load(write_config("d1", "device: auto\nprecision: tf32\ncuda_batch_size: 64\n"),
                                &c, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(c.device, "auto");
    cr_assert_str_eq(c.precision, "tf32");
    fk_tag t;
    fk_config_tag(&c, NULL, &t);
    cr_assert_str_eq(t.prec, "tf32");
    snprintf(c.device, sizeof c.device, "cuda:1");
    cr_assert_eq(fk_config_batch_size(&c), 64);
    snprintf(c.device, sizeof c.device, "cpu");
    cr_assert_eq(fk_config_batch_size(&c), 50);
    cr_assert_eq(fk_config_load(write_config("d2", "device: gpu\n"), &c, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "d2.yaml:") && strstr(e.msg, "'device'") && strstr(e.msg, "gpu"), "%s", e.msg);
    cr_assert_eq(fk_config_load(write_config("d3", "precision: fp16\n"), &c, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "'precision'") && strstr(e.msg, "fp16"), "%s", e.msg);
    /* The environment (--device / --precision) overrides the file. */
    setenv("FIDKIT_DEVICE", "cuda:2", 1);
    setenv("FIDKIT_PRECISION", "bf16", 1);
    cr_assert_eq(fk_config_load(write_config("d4", "device: cpu\n"), &c, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(c.device, "cuda:2");
    cr_assert_str_eq(c.precision, "bf16");
    setenv("FIDKIT_DEVICE", "tpu", 1);
    cr_assert_eq(fk_config_load(write_config("d5", ""), &c, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "FIDKIT_DEVICE"), "%s", e.msg);
    unsetenv("FIDKIT_DEVICE");
    unsetenv("FIDKIT_PRECISION");
}

Test(device, auto_falls_back_to_the_cpu)
{
    if (torch_has_cuda())
        cr_skip_test("this libtorch has CUDA");
    fk_config c;
    fk_error e;
    unsetenv("FIDKIT_DEVICE");
    unsetenv("FIDKIT_PRECISION");
    cr_assert_eq(fk_config_load(write_config("a1", "device: auto\n"), &c, &e), FK_OK, "%s", e.msg);
    fk_backbone *b;
    cr_assert_eq(fk_backbone_open(&c, NULL, 0, &b, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(fk_backbone_config(b)->device, "cpu");
    cr_assert_eq(fk_config_batch_size(fk_backbone_config(b)), 50);
    fk_backbone_close(b);
    char dev[32];
    cr_assert_eq(fk_device_resolve("mobilenet_v3", "auto", "fp32", dev, sizeof dev, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(dev, "cpu");
    /* A plugin without the torch shim runs on the CPU only. */
    cr_assert_eq(fk_device_resolve("tiny_pool", "auto", NULL, dev, sizeof dev, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(dev, "cpu");
    cr_assert_eq(fk_device_resolve("tiny_pool", "cuda", NULL, dev, sizeof dev, &e), FK_ERR_UNSUPPORTED);
    cr_assert_eq(fk_device_resolve("tiny_pool", "cpu", "bf16", dev, sizeof dev, &e), FK_ERR_UNSUPPORTED);
    cr_assert(strstr(e.msg, "fp32 only"), "%s", e.msg);

    /* Same statistics, bit for bit, from --device auto and --device cpu. */
    const char *ds = tiny_dataset();
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", write_config("a2", ""));
    const char *tmp = fk_test_tmpdir();
    int rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --device auto -o '%s/auto.npz' --quiet",
                             ds, cfg, tmp);
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --device cpu -o '%s/cpu.npz' --quiet",
                         ds, cfg, tmp);
    cr_assert_eq(rc, 0, "%s", out);
    fk_stats sa, sc;
    char pa[1100], pc[1100];
    snprintf(pa, sizeof pa, "%s/auto.npz", tmp);
    snprintf(pc, sizeof pc, "%s/cpu.npz", tmp);
    cr_assert_eq(fk_stats_read(pa, &sa, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_stats_read(pc, &sc, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(sa.d, sc.d);
    cr_assert(!memcmp(sa.mu, sc.mu, (size_t)sa.d * sizeof(double)));
    cr_assert(!memcmp(sa.sigma, sc.sigma, (size_t)sa.d * sa.d * sizeof(double)));
    cr_assert_str_eq(sa.tag.prec, "");
    fk_stats_free(&sa);
    fk_stats_free(&sc);
}

Test(device, cuda_on_a_cpu_libtorch_fails_before_any_work)
{
    if (torch_has_cuda())
        cr_skip_test("this libtorch has CUDA");
    /* The dataset is not a dataset: had fidkit opened it first, the message
     * would be about it. */
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/not_a_dataset.npz", fk_test_tmpdir());
    FILE *f = fopen(bad, "w");
    fputs("garbage", f);
    fclose(f);
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", write_config("c1", ""));
    const char *cmds[] = {"stats '%s' --backbone '%s' --device %s -o /dev/null --quiet",
                          "extract '%s' --backbone '%s' --device %s -o /dev/null --quiet"};
    const char *devs[] = {"cuda", "cuda:0", "cuda:3"};
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++) {
            int rc = fk_test_run_cli(out, sizeof out, cmds[i], bad, cfg, devs[j]);
            cr_assert_eq(rc, 1, "%s", out);
            cr_assert(strstr(out, "built without CUDA"), "%s", out);
            cr_assert(strstr(out, "FIDKIT_TORCH_DIR"), "%s", out);
            cr_assert(!strstr(out, "not_a_dataset"), "the dataset was read first: %s", out);
        }
    /* A config asking for CUDA fails the same way. */
    int rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' -o /dev/null --quiet", bad,
                             write_config("c2", "device: cuda\n"));
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "built without CUDA"), "%s", out);
    /* tf32 and bf16 are refused on the CPU, not run in fp32 under their tag. */
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --precision bf16 -o /dev/null --quiet",
                         bad, cfg);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "needs a CUDA device"), "%s", out);
    /* Malformed names are usage errors. */
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --device gpu -o /dev/null", bad);
    cr_assert_eq(rc, 2, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --precision fp16 -o /dev/null", bad);
    cr_assert_eq(rc, 2, "%s", out);
}

Test(device, fp32_and_tf32_stats_are_not_compared)
{
    const char *tmp = fk_test_tmpdir();
    double mu[2] = {0.5, -1}, sg[4] = {1, 0.1, 0.1, 2};
    fk_stats s = {0};
    s.d = 2;
    s.n = 10;
    s.mu = mu;
    s.sigma = sg;
    s.has_tag = 1;
    fk_error e;
    char p32[1100], p_tf[1100], p_bf[1100];
    snprintf(p32, sizeof p32, "%s/fp32.npz", tmp);
    snprintf(p_tf, sizeof p_tf, "%s/tf32.npz", tmp);
    snprintf(p_bf, sizeof p_bf, "%s/bf16.npz", tmp);
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@random-0/299/clean", &s.tag, &e), FK_OK);
    cr_assert_eq(fk_stats_write(p32, &s, NULL, &e), FK_OK, "%s", e.msg);
    snprintf(s.tag.prec, sizeof s.tag.prec, "tf32");
    cr_assert_eq(fk_stats_write(p_tf, &s, NULL, &e), FK_OK, "%s", e.msg);
    snprintf(s.tag.prec, sizeof s.tag.prec, "bf16");
    cr_assert_eq(fk_stats_write(p_bf, &s, NULL, &e), FK_OK, "%s", e.msg);
    fk_stats r;
    cr_assert_eq(fk_stats_read(p_tf, &r, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(r.tag.prec, "tf32");
    fk_stats_free(&r);
    int rc = fk_test_run_cli(out, sizeof out, "fd '%s' '%s'", p32, p_tf);
    cr_assert_eq(rc, 3, "%s", out);
    cr_assert(strstr(out, "prec=tf32") && strstr(out, "refusing"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd '%s' '%s'", p_tf, p_bf);
    cr_assert_eq(rc, 3, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd '%s' '%s'", p_tf, p_tf);
    cr_assert_eq(rc, 0, "%s", out);
}
