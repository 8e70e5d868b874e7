/* Printing results: --json through the library's one serialiser, text
 * for people. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Fixed 6 decimals where that is readable, else 6 significant digits:
 * never 180 digits for 1e180, never "-0.000000", never "inf" (an undefined
 * number reads "undefined"). Exact values are in --json (17 digits). */
const char *fk_cli_num(double v, char *buf, size_t n)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, n, "undefined");
    else if (v == 0)
        snprintf(buf, n, "0.000000");
    else if (a >= 1e9 || a < 1e-4)
        snprintf(buf, n, "%.6g", v);
    else
        snprintf(buf, n, "%.6f", v);
    return buf;
}

/* An interval is shown only when both ends are numbers. */
int fk_cli_interval_shown(const fk_result *r)
{
    return r->interval.present && isfinite(r->interval.lo) && isfinite(r->interval.hi);
}

static void print_fd_text(const fk_result *r)
{
    const fk_fd_result *f = &r->fd;
    char ts[FK_TAG_STR_MAX];
    char a[32], b[32];
    printf("%s: %s\n", r->name, fk_cli_num(r->value, a, sizeof a));
    printf("  tag          %s\n", fk_tag_str(&r->tag, 0, ts, sizeof ts));
    printf("  mean term    %s\n", fk_cli_num(f->mean_term, a, sizeof a));
    printf("  trace term   %s\n", fk_cli_num(f->trace_term, a, sizeof a));
    if (r->n[0] && r->n[1])
        printf("  samples      %lld and %lld\n", (long long)r->n[0], (long long)r->n[1]);
    if (fk_cli_interval_shown(r))
        printf("  95%% interval [%s, %s] (%s, %d replicates)\n",
               fk_cli_num(r->interval.lo, a, sizeof a), fk_cli_num(r->interval.hi, b, sizeof b),
               r->interval.method, r->interval.replicates);
    printf("  method       %s%s, rank %d of %d, rcond %.2g\n", f->method,
           f->swapped ? " (of the second covariance)" : "", f->rank, r->d, f->rcond);
    if (f->eps > 0)
        printf("  regularised  eps %g added to both diagonals\n", f->eps);
    if (f->n_negative)
        printf("  note         %d eigenvalues of S1 S2 below zero (down to %.2g of the "
               "largest) were set to zero\n", f->n_negative, f->most_negative);
    if (f->clamped)
        printf("  note         a rounding-level negative distance was set to 0\n");
    if (fk_fd_ill_conditioned(f, r->d))
        printf("  warning      the covariances are ill-conditioned (fewer samples than "
               "dimensions?): the distance is exact for them but a noisy estimate\n");
}

static void print_row(const fk_result *r)
{
    char ts[FK_TAG_STR_MAX];
    char a[32], b[32];
    int ci = fk_cli_interval_shown(r);
    printf("%-10s %12s", r->name, fk_cli_num(r->value, a, sizeof a));
    if (ci)
        printf("   95%% [%s, %s]", fk_cli_num(r->interval.lo, a, sizeof a),
               fk_cli_num(r->interval.hi, b, sizeof b));
    printf("\n           %s; N = %lld", r->convention, (long long)r->n[0]);
    if (r->n_sides > 1)
        printf(" and %lld", (long long)r->n[1]);
    if (ci)
        printf("; interval: %s, %d replicates", r->interval.method, r->interval.replicates);
    else if (r->interval.present)
        printf("\n           no interval: not defined on these samples");
    else if (r->interval.method[0])
        printf("\n           no interval: %s", r->interval.method);
    printf("\n           %s\n", fk_tag_str(&r->tag, 1, ts, sizeof ts));
}

void fk_cli_print_results(const fk_results *r, const char *cmd, int json)
{
    if (json) {
        char *t = fk_results_json(r, cmd, 1);
        if (t)
            puts(t);
        free(t);
        return;
    }
    /* One FD alone (fid, fd): its diagnostics; a family (score): a table. */
    if (r->n == 1 && r->items[0].has_fd) {
        print_fd_text(&r->items[0]);
    } else {
        if (r->n_sides == 2)
            printf("fidkit %s: %s (real) vs %s (generated)\n\n", cmd, r->sides[0].path,
                   r->sides[1].path);
        for (int i = 0; i < r->n; i++)
            print_row(&r->items[i]);
    }
    for (int k = 0; k < r->n_sides; k++)
        if (r->sides[k].skipped)
            printf("  skipped      %lld undecodable images of %s\n", (long long)r->sides[k].skipped,
                   r->sides[k].path);
    for (int i = 0; i < r->n_notes; i++)
        printf("  note         %s\n", r->notes[i]);
}

int fk_cli_fail(const char *cmd, const fk_error *e, int json)
{
    int code = fk_cli_report(cmd, e);
    if (json) {
        char *t = fk_error_json(e, cmd, code, 1);
        if (t)
            puts(t);
        free(t);
    }
    return code;
}
