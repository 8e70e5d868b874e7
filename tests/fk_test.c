#include "fk_test.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fidkit/npz.h"

const char *fk_test_fixture(const char *name)
{
    static _Thread_local char buf[4096];
    const char *dir = getenv("FK_FIXTURES");
    cr_assert(dir, "FK_FIXTURES is not set: run the tests through ctest");
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

const char *fk_test_tmpdir(void)
{
    static _Thread_local char buf[256];
    snprintf(buf, sizeof buf, "/tmp/fidkit-test-XXXXXX");
    cr_assert(mkdtemp(buf), "mkdtemp failed");
    return buf;
}

fk_array fk_test_load_npy(const char *name)
{
    fk_array a;
    fk_error e;
    fk_status s = fk_npz_load(fk_test_fixture(name), NULL, &a, &e);
    cr_assert_eq(s, FK_OK, "loading reference %s: %s", name, e.msg);
    return a;
}

int fk_test_run_cli(char *out, size_t cap, const char *fmt, ...)
{
    char args[8192], cmd[8448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    const char *bin = getenv("FK_BIN");
    cr_assert(bin, "FK_BIN is not set: run the tests through ctest");
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

double fk_test_tol_ratio(const double *a, const double *b, size_t n, double atol, double rtol)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double r = fabs(a[i] - b[i]) / (atol + rtol * fabs(b[i]));
        if (!(r <= worst))
            worst = isnan(r) ? INFINITY : r;
    }
    return worst;
}
