/* The ADM evaluator's numbers from its published batches; see eval.h. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/eval.h"
#include "fidkit/npz.h"

/* One pair of float64 moments of the reference batch, under the sample's tag. */
static fk_status ref_stats(const char *path, const char *mu_name, const char *sg_name,
                           const fk_featset *like, fk_stats *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_array a = {0}, b = {0};
    int d = like->d;
    fk_status st = fk_npz_load(path, mu_name, &a, e);
    if (!st)
        st = fk_npz_load(path, sg_name, &b, e);
    if (!st && (a.dtype != FK_F64 || a.ndim != 1 || a.shape[0] != d || b.dtype != FK_F64 ||
                b.ndim != 2 || b.shape[0] != d || b.shape[1] != d))
        st = fk_fail(e, FK_ERR_FORMAT, "%s: '%s'/'%s' are not float64 (%d,) and (%d, %d)", path,
                     mu_name, sg_name, d, d, d);
    if (st) {
        fk_array_free(&a);
        fk_array_free(&b);
        return st;
    }
    out->d = d;
    out->mu = a.data;
    out->sigma = b.data;
    snprintf(out->source, sizeof out->source, "%s", path);
    fk_stats_assume_tag(out, &like->tag);
    return FK_OK;
}

/* Runs one evaluation and moves its results into out, renamed. */
static fk_status part(const fk_eval_input *in, int n, const fk_eval_options *o, unsigned metrics,
                      const char *const *names, fk_results *out, fk_error *e)
{
    fk_eval_options p = *o;
    p.metrics = metrics;
    fk_results r;
    fk_status st = fk_evaluate(in, n, &p, &r, e);
    for (int i = 0; i < r.n && !st; i++) {
        if (names && names[i])
            snprintf(r.items[i].name, sizeof r.items[i].name, "%s", names[i]);
        st = fk_results_add(out, &r.items[i], e);
    }
    if (!st)
        fk_results_free(&r);
    return st;
}

fk_status fk_adm_evaluate(const char *reference, const char *sample, const fk_eval_options *opt,
                          fk_results *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    fk_eval_options o = *opt;
    const char *outs[3] = {"pool3", FK_IS_DEFAULT_OUTPUT, FK_SFID_OUTPUT};
    fk_featset smp[16], rf[16];
    int ns = 0, nr = 0;
    fk_stats mu = {0}, mu_s = {0};
    char *prov = NULL;   /* the sample's provenance: its skipped files */
    fk_status st = fk_dataset_features(sample, &o, outs, 3, smp, &ns, &prov, e);
    if (!st)
        st = ref_stats(reference, "mu", "sigma", &smp[0], &mu, e);
    if (!st)
        st = ref_stats(reference, "mu_s", "sigma_s", &smp[2], &mu_s, e);
    /* The reference images serve precision and recall only. */
    if (!st)
        st = fk_dataset_features(reference, &o, outs, 1, rf, &nr, NULL, e);
    o.is_convention = FK_IS_ADM;
    o.is_splits = 0;
    static const char *const is_name[] = {"Inception Score"}, *const fid_name[] = {"FID"},
                             *const sfid_name[] = {"sFID"}, *const pr_names[] = {"Precision", "Recall"};
    fk_eval_input is_in = {.sets = &smp[1], .n_sets = 1};
    fk_eval_input fd_in[2] = {{.stats = &mu}, {.sets = &smp[0], .n_sets = 1}};
    fk_eval_input sfid_in[2] = {{.stats = &mu_s}, {.sets = &smp[2], .n_sets = 1}};
    fk_eval_input pr_in[2] = {{.sets = &rf[0], .n_sets = 1}, {.sets = &smp[0], .n_sets = 1}};
    if (!st)
        st = part(&is_in, 1, &o, FK_METRIC_BIT(FK_METRIC_IS), is_name, out, e);
    if (!st)
        st = part(fd_in, 2, &o, FK_METRIC_BIT(FK_METRIC_FD), fid_name, out, e);
    if (!st) {
        st = part(sfid_in, 2, &o, FK_METRIC_BIT(FK_METRIC_FD), sfid_name, out, e);
        if (!st)
            snprintf(out->items[out->n - 1].metric, sizeof out->items[0].metric, "sfid");
    }
    if (!st)
        st = part(pr_in, 2, &o, FK_METRIC_BIT(FK_METRIC_PR), pr_names, out, e);
    if (!st) {
        out->n_sides = 2;
        snprintf(out->sides[0].role, sizeof out->sides[0].role, "reference");
        snprintf(out->sides[0].path, sizeof out->sides[0].path, "%s", reference);
        out->sides[0].n = rf[0].n;
        snprintf(out->sides[1].role, sizeof out->sides[1].role, "sample");
        snprintf(out->sides[1].path, sizeof out->sides[1].path, "%s", sample);
        out->sides[1].n = smp[0].n;
        out->sides[1].skipped = smp[0].skipped;
        cJSON *pj = prov ? cJSON_Parse(prov) : NULL;
        const cJSON *sf = cJSON_GetObjectItemCaseSensitive(pj, "skipped_files");
        if (cJSON_IsArray(sf) && sf->child)
            out->sides[1].skipped_files = cJSON_PrintUnformatted(sf);
        cJSON_Delete(pj);
        snprintf(out->notes[out->n_notes++], sizeof out->notes[0],
                 "ADM evaluator: IS over chunks of 5000, FID/sFID against the reference's mu/sigma "
                 "and mu_s/sigma_s, precision/recall k=3 against the reference images");
    }
    free(prov);
    fk_stats_free(&mu);
    fk_stats_free(&mu_s);
    for (int k = 0; k < ns; k++)
        fk_featset_free(&smp[k]);
    for (int k = 0; k < nr; k++)
        fk_featset_free(&rf[k]);
    if (st)
        fk_results_free(out);
    return st;
}
