/* The fidkit command across MPI ranks (built when FIDKIT_MPI finds MPI;
 * linked into the command, never into libfidkit).
 *
 * Rank 0 runs the command. Every extraction it starts goes through
 * fk_extract_options.parallel (parallel.h): rank 0 broadcasts the job (config path,
 * outputs, dataset, options) to the other ranks, which serve jobs in a loop;
 * each rank extracts its shard (rank r of K, whole blocks of the listing),
 * the ranks send their block partials to rank 0, which pushes them in rank
 * (= listing) order through the one merge tree (partials.h), and kept rows
 * are gathered to rank 0 in listing order with MPI_Gatherv. So rank 0 holds
 * what one process computes, and everything after extraction (metrics,
 * intervals, printing, writing files) happens there alone.
 *
 * FD bootstrap intervals: rank 0 broadcasts the two sets of rows and the
 * options; rank r computes replicates [r B / K, (r+1) B / K) with
 * fk_bootstrap_fd_replicates (which draws and discards the earlier
 * replicates' resamples, so each replicate is the one a single process
 * draws) and rank 0 gathers the values in replicate order (MPI_Gatherv).
 *
 * A rank that fails prints "fidkit: rank R of K: <error naming the file>"
 * and calls MPI_Abort, which ends every rank at once: nothing hangs, and
 * nothing is written since rank 0 writes only after extraction. */
#include <mpi.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/fidkit.h"

/* The MPI world of this process: one per process by nature. */
typedef struct mpi_world {
    int on;          /* MPI_Init was called */
    int rank, size;
    int local_size;  /* ranks on this node, for the default thread count */
} mpi_world;

static mpi_world W;

static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

static int exit_code_of(fk_status s)
{
    return s == FK_ERR_TAG ? FK_EXIT_TAG : s == FK_ERR_ARG ? FK_EXIT_USAGE : FK_EXIT_ERROR;
}

/* Ends the whole job, every rank, with the error of this one. */
static void die(const fk_error *e, fk_status st)
{
    fprintf(stderr, "fidkit: rank %d of %d: %s\n", W.rank, W.size,
            e && e->msg[0] ? e->msg : fk_status_name(st));
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code_of(st));
    _exit(exit_code_of(st));
}

/* Threads per rank when --threads is not given: the node's cores shared
 * among the ranks placed on it. */
static int default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int t = (int)(cores > 0 ? cores : 1) / (W.local_size > 0 ? W.local_size : 1);
    return t > 0 ? t : 1;
}

/* ---- jobs ------------------------------------------------------------------ */

/* A job to every rank: its length, then its JSON text; length 0 is "stop". */
static void bcast_job(const char *job)
{
    long long len = (long long)strlen(job) + 1;
    MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    MPI_Bcast((void *)job, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
}


static char *job_json(fk_backbone *b, const char *dataset, const fk_extract_options *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "config", fk_backbone_config(b)->path);
    cJSON *outs = cJSON_AddArrayToObject(j, "outputs");
    for (int k = 0; k < fk_backbone_n_outputs(b); k++)
        cJSON_AddItemToArray(outs, cJSON_CreateString(fk_backbone_output_name(b, k)));
    cJSON_AddStringToObject(j, "dataset", dataset);
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, o->dataset.seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "limit", (double)o->dataset.limit);
    cJSON_AddNumberToObject(j, "random_subset", o->dataset.random_subset);
    if (o->dataset.member)
        cJSON_AddStringToObject(j, "member", o->dataset.member);
    cJSON_AddNumberToObject(j, "gray16", o->dataset.decode.gray16_pil_clip);
    cJSON_AddNumberToObject(j, "max_pixels", (double)o->dataset.decode.max_pixels);
    cJSON_AddNumberToObject(j, "block", (double)o->dataset.block);
    cJSON_AddNumberToObject(j, "batch_size", o->loader.batch_size);
    cJSON_AddNumberToObject(j, "threads", o->loader.threads);
    cJSON_AddNumberToObject(j, "skip_bad", o->loader.skip_bad);
    cJSON_AddNumberToObject(j, "prefetch", o->loader.prefetch);
    cJSON_AddNumberToObject(j, "keep_rows", o->keep_rows);
    /* --device / --precision of rank 0's command line (docs/gpu.md): each
     * rank resolves the device itself, "cuda" and "auto" by its local rank. */
    const char *dev = getenv("FIDKIT_DEVICE");
    if (dev && *dev)
        cJSON_AddStringToObject(j, "device", dev);
    cJSON_AddStringToObject(j, "precision", fk_backbone_config(b)->precision);
    if (o->perturb.kind != FK_PERTURB_NONE) {
        cJSON_AddNumberToObject(j, "perturb_kind", o->perturb.kind);
        cJSON_AddNumberToObject(j, "perturb_level", o->perturb.level); /* cJSON: round-trip */
        snprintf(seed, sizeof seed, "%" PRIu64, o->perturb.seed);
        cJSON_AddStringToObject(j, "perturb_seed", seed);
        if (o->contaminant)
            cJSON_AddStringToObject(j, "contaminant", o->contaminant);
    }
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

static double jnum(const cJSON *j, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* What a rank sends for one output: its count, skipped items and tag, then
 * its packed partials. */
typedef struct share_head {
    int64_t n, skipped;
    char tag[FK_TAG_STR_MAX];
} share_head;

static void send_shares(const fk_feature_set *sets, int nout, int keep_rows)
{
    fk_error e = {0};
    for (int k = 0; k < nout; k++) {
        void *packed;
        size_t len;
        fk_status st = fk_partials_pack(&sets[k].parts, &packed, &len, &e);
        if (st)
            die(&e, st);
        size_t total = sizeof(share_head) + len;
        if (total > (size_t)INT32_MAX)
            die(&(fk_error){.msg = "block partials over 2 GiB: use fewer, larger blocks"},
                FK_ERR_UNSUPPORTED);
        unsigned char *msg = malloc(total);
        if (!msg)
            die(&(fk_error){.msg = "out of memory packing block partials"}, FK_ERR_NOMEM);
        share_head h;
        memset(&h, 0, sizeof h);
        h.n = sets[k].n;
        h.skipped = sets[k].skipped;
        fk_tag_str(&sets[k].tag, 0, h.tag, sizeof h.tag);
        memcpy(msg, &h, sizeof h);
        memcpy(msg + sizeof h, packed, len);
        free(packed);
        MPI_Send(msg, (int)total, MPI_BYTE, 0, k, MPI_COMM_WORLD);
        free(msg);
    }
    if (keep_rows)
        for (int k = 0; k < nout; k++) {
            int64_t c = sets[k].n * sets[k].d;
            if (c > INT32_MAX)
                die(&(fk_error){.msg = "a rank's share of rows is over 2^31 floats: use more "
                                       "ranks"}, FK_ERR_UNSUPPORTED);
            MPI_Gatherv(sets[k].rows, (int)c, MPI_FLOAT, NULL, NULL, NULL, MPI_FLOAT, 0,
                        MPI_COMM_WORLD);
        }
}

/* Rank 0: the other ranks' shares, pushed in rank order after its own. */
static fk_status gather_shares(fk_feature_set *sets, int nout, int keep_rows, fk_error *e)
{
    int64_t *n_of = calloc((size_t)W.size * nout, sizeof *n_of);
    if (!n_of)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_status st = FK_OK;
    for (int k = 0; k < nout; k++)
        n_of[k] = sets[k].n;
    for (int r = 1; r < W.size && !st; r++)
        for (int k = 0; k < nout && !st; k++) {
            MPI_Status ms;
            int len;
            MPI_Probe(r, k, MPI_COMM_WORLD, &ms);
            MPI_Get_count(&ms, MPI_BYTE, &len);
            unsigned char *msg = malloc(len > 0 ? (size_t)len : 1);
            if (!msg) {
                st = fk_fail(e, FK_ERR_NOMEM, "out of memory receiving rank %d's partials", r);
                break;
            }
            MPI_Recv(msg, len, MPI_BYTE, r, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            share_head h;
            char mine[FK_TAG_STR_MAX];
            memcpy(&h, msg, sizeof h);
            h.tag[sizeof h.tag - 1] = 0;
            fk_tag_str(&sets[k].tag, 0, mine, sizeof mine);
            if (strcmp(mine, h.tag))
                st = fk_fail(e, FK_ERR_TAG, "rank %d measured %s where rank 0 measured %s: the "
                             "ranks do not see the same backbone", r, h.tag, mine);
            if (!st && (st = fk_partials_unpack_push(&sets[k].parts, msg + sizeof h,
                                                     (size_t)len - sizeof h, e)))
                fk_fail_prefix(e, "rank %d", r);
            free(msg);
            n_of[(size_t)r * nout + k] = h.n;
            sets[k].n += h.n;
            sets[k].skipped += h.skipped;
        }
    if (st)
        die(e, st);
    for (int k = 0; k < nout && !st; k++) {
        fk_moments_free(&sets[k].moments);
        st = fk_partials_result(&sets[k].parts, &sets[k].moments, e);
    }
    if (keep_rows)
        for (int k = 0; k < nout; k++) {
            int *cnt = malloc((size_t)W.size * sizeof *cnt), *dis = malloc((size_t)W.size * sizeof *dis);
            float *rows = malloc((size_t)(sets[k].n ? sets[k].n : 1) * sets[k].d * sizeof(float));
            if (!cnt || !dis || !rows || sets[k].n * sets[k].d > INT32_MAX)
                die(&(fk_error){.msg = "cannot gather the rows on rank 0 (memory, or over 2^31 "
                                       "floats)"}, FK_ERR_NOMEM);
            for (int r = 0; r < W.size; r++) {
                cnt[r] = (int)(n_of[(size_t)r * nout + k] * sets[k].d);
                dis[r] = r ? dis[r - 1] + cnt[r - 1] : 0;
            }
            MPI_Gatherv(sets[k].rows, cnt[0], MPI_FLOAT, rows, cnt, dis, MPI_FLOAT, 0,
                        MPI_COMM_WORLD);
            free(sets[k].rows);
            sets[k].rows = rows;
            free(cnt);
            free(dis);
        }
    free(n_of);
    return st;
}

static fk_status distribute(void *user, struct fk_backbone *b, const char *dataset,
                            const struct fk_extract_options *o, struct fk_feature_set *sets,
                            fk_error *e)
{
    (void)user;
    /* Raw loader hooks (code, which cannot travel) and explicit shards stay
     * in this process; perturbations (data) travel with the job. */
    if (o->loader.hook || o->dataset.shard_count > 0)
        return fk_extract(b, dataset, o, sets, e);
    char *job = job_json(b, dataset, o);
    if (!job)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    bcast_job(job);
    free(job);

    fk_extract_options mine = *o;
    mine.dataset.shard_index = 0;
    mine.dataset.shard_count = W.size;
    if (mine.loader.threads == 0)
        mine.loader.threads = default_threads();
    fk_status st = fk_extract(b, dataset, &mine, sets, e);
    if (st)
        die(e, st);
    int nout = fk_backbone_n_outputs(b);
    st = gather_shares(sets, nout, o->keep_rows, e);
    for (int k = 0; k < nout; k++) {
        fk_dataset_listing *l = &sets[k].listing;
        l->shard_index = 0;
        l->shard_count = 1;
        l->first_block = 0;
        l->n_blocks = l->blocks;
        l->first_item = 0;
    }
    if (!st && sets[0].n == 0)
        st = fk_fail(e, FK_ERR_ARG, "%s: no image could be decoded", dataset);
    if (st)
        for (int k = 0; k < nout; k++)
            fk_feature_set_free(&sets[k]);
    return st;
}

/* ---- FD bootstrap replicates ------------------------------------------- */

/* MPI counts are int: large row sets go in pieces. */
static void bcast_floats(float *p, int64_t n)
{
    const int64_t piece = (int64_t)1 << 30;
    for (int64_t at = 0; at < n; at += piece)
        MPI_Bcast(p + at, (int)(n - at < piece ? n - at : piece), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

static void replicate_range(int B, int r, int *first, int *count)
{
    *first = (int)((int64_t)r * B / W.size);
    *count = (int)((int64_t)(r + 1) * B / W.size) - *first;
}

/* Every rank: its replicates, gathered to rank 0 in replicate order. */
static fk_status boot_share(const fk_features *x, const fk_features *y, const fk_boot_options *o,
                            double *values, fk_error *e)
{
    int first, count;
    replicate_range(o->replicates, W.rank, &first, &count);
    double *mine = malloc((size_t)(count > 0 ? count : 1) * sizeof *mine);
    if (!mine)
        die(&(fk_error){.msg = "out of memory for bootstrap replicates"}, FK_ERR_NOMEM);
    fk_status st = fk_bootstrap_fd_replicates(x, y, o, first, count, mine, e);
    if (st)
        die(e, st);
    int *cnt = NULL, *dis = NULL;
    if (W.rank == 0) {
        cnt = malloc((size_t)W.size * sizeof *cnt);
        dis = malloc((size_t)W.size * sizeof *dis);
        if (!cnt || !dis)
            die(&(fk_error){.msg = "out of memory"}, FK_ERR_NOMEM);
        for (int r = 0; r < W.size; r++)
            replicate_range(o->replicates, r, &dis[r], &cnt[r]);
    }
    MPI_Gatherv(mine, count, MPI_DOUBLE, values, cnt, dis, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(mine);
    free(cnt);
    free(dis);
    return FK_OK;
}

static fk_status fd_replicates(void *user, const fk_features *x, const fk_features *y,
                               const fk_boot_options *o, double *values, fk_error *e)
{
    (void)user;
    cJSON *j = cJSON_CreateObject();
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    cJSON_AddStringToObject(j, "type", "bootfd");
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "replicates", o->replicates);
    cJSON_AddNumberToObject(j, "level", o->level);
    cJSON_AddNumberToObject(j, "single_precision", o->single_precision);
    cJSON_AddNumberToObject(j, "fd_method", (double)o->fd.method);
    cJSON_AddNumberToObject(j, "fd_eps", o->fd.eps);
    cJSON_AddNumberToObject(j, "fd_single", o->fd.single_precision);
    cJSON_AddNumberToObject(j, "nx", (double)x->n);
    cJSON_AddNumberToObject(j, "ny", (double)y->n);
    cJSON_AddNumberToObject(j, "d", x->d);
    char *job = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!job)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    bcast_job(job);
    free(job);
    bcast_floats((float *)x->x, x->n * x->d);
    bcast_floats((float *)y->x, y->n * y->d);
    return boot_share(x, y, o, values, e);
}

static void serve_boot(const cJSON *j)
{
    fk_error e = {0};
    fk_boot_options o = fk_boot_default_options();
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    o.seed = cJSON_IsString(seed) ? strtoull(seed->valuestring, NULL, 10) : 0;
    o.replicates = (int)jnum(j, "replicates");
    o.level = jnum(j, "level");
    o.single_precision = (int)jnum(j, "single_precision");
    o.fd.method = (fk_fd_method)(int)jnum(j, "fd_method");
    o.fd.eps = jnum(j, "fd_eps");
    o.fd.single_precision = (int)jnum(j, "fd_single");
    int64_t nx = (int64_t)jnum(j, "nx"), ny = (int64_t)jnum(j, "ny");
    int d = (int)jnum(j, "d");
    float *rx = malloc((size_t)(nx > 0 ? nx : 1) * d * sizeof(float));
    float *ry = malloc((size_t)(ny > 0 ? ny : 1) * d * sizeof(float));
    if (!rx || !ry || d < 1)
        die(&(fk_error){.msg = "out of memory for the bootstrap's rows"}, FK_ERR_NOMEM);
    bcast_floats(rx, nx * d);
    bcast_floats(ry, ny * d);
    fk_features x = fk_features_view(rx, nx, d), y = fk_features_view(ry, ny, d);
    boot_share(&x, &y, &o, NULL, &e);
    free(rx);
    free(ry);
}

/* ---- the other ranks ----------------------------------------------------- */

typedef struct served {
    fk_backbone *b;
    char key[4096];   /* config path and outputs of b */
} served;

static void serve_job(const char *text, served *sv)
{
    fk_error e = {0};
    fk_status st;
    cJSON *j = cJSON_Parse(text);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "bootfd")) {
        serve_boot(j);
        cJSON_Delete(j);
        return;
    }
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(j, "dataset");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(j, "outputs");
    if (!cJSON_IsString(cfg) || !cJSON_IsString(ds) || !cJSON_IsArray(outs) ||
        cJSON_GetArraySize(outs) > 16)
        die(&(fk_error){.msg = "a malformed job from rank 0"}, FK_ERR_INTERNAL);
    const char *names[16];
    int n = 0;
    char key[4096];
    snprintf(key, sizeof key, "%s", cfg->valuestring);
    for (const cJSON *x = outs->child; x; x = x->next) {
        names[n++] = cJSON_IsString(x) ? x->valuestring : "";
        size_t l = strlen(key);
        snprintf(key + l, sizeof key - l, "|%s", names[n - 1]);
    }
    const cJSON *jdev = cJSON_GetObjectItemCaseSensitive(j, "device");
    const cJSON *jprec = cJSON_GetObjectItemCaseSensitive(j, "precision");
    if (cJSON_IsString(jdev))
        setenv("FIDKIT_DEVICE", jdev->valuestring, 1);
    if (cJSON_IsString(jprec))
        setenv("FIDKIT_PRECISION", jprec->valuestring, 1);
    size_t kl = strlen(key);
    snprintf(key + kl, sizeof key - kl, "|%s|%s", cJSON_IsString(jdev) ? jdev->valuestring : "",
             cJSON_IsString(jprec) ? jprec->valuestring : "");
    if (!sv->b || strcmp(sv->key, key)) {
        fk_backbone_close(sv->b);
        sv->b = NULL;
        fk_config c;
        if ((st = fk_config_load(cfg->valuestring, &c, &e)) ||
            (st = fk_backbone_open(&c, names, n, &sv->b, &e)))
            die(&e, st);
        snprintf(sv->key, sizeof sv->key, "%s", key);
    }
    fk_extract_options o = fk_extract_default_options();
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(j, "member");
    o.dataset.seed = cJSON_IsString(seed) ? strtoull(seed->valuestring, NULL, 10) : 0;
    o.dataset.limit = (int64_t)jnum(j, "limit");
    o.dataset.random_subset = (int)jnum(j, "random_subset");
    o.dataset.member = cJSON_IsString(member) ? member->valuestring : NULL;
    o.dataset.decode.gray16_pil_clip = (int)jnum(j, "gray16");
    o.dataset.decode.max_pixels = (int64_t)jnum(j, "max_pixels");
    o.dataset.block = (int64_t)jnum(j, "block");
    o.dataset.shard_index = W.rank;
    o.dataset.shard_count = W.size;
    o.loader.batch_size = (int)jnum(j, "batch_size");
    o.loader.threads = (int)jnum(j, "threads");
    if (o.loader.threads == 0)
        o.loader.threads = default_threads();
    o.loader.skip_bad = (int)jnum(j, "skip_bad");
    o.loader.prefetch = (int)jnum(j, "prefetch");
    o.keep_rows = (int)jnum(j, "keep_rows");
    const cJSON *pseed = cJSON_GetObjectItemCaseSensitive(j, "perturb_seed");
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(j, "contaminant");
    o.perturb.kind = (fk_perturb_kind)jnum(j, "perturb_kind");
    o.perturb.level = jnum(j, "perturb_level");
    o.perturb.seed = cJSON_IsString(pseed) ? strtoull(pseed->valuestring, NULL, 10) : 0;
    o.contaminant = cJSON_IsString(cont) ? cont->valuestring : NULL;
    fk_feature_set sets[16];
    if ((st = fk_extract(sv->b, ds->valuestring, &o, sets, &e)))
        die(&e, st);
    int nout = fk_backbone_n_outputs(sv->b);
    send_shares(sets, nout, o.keep_rows);
    for (int k = 0; k < nout; k++)
        fk_feature_set_free(&sets[k]);
    cJSON_Delete(j);
}

static int serve(void)
{
    served sv = {0};
    for (;;) {
        long long len = 0;
        MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
        if (len <= 0)
            break;
        char *job = malloc((size_t)len);
        if (!job)
            die(&(fk_error){.msg = "out of memory"}, FK_ERR_NOMEM);
        MPI_Bcast(job, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
        job[len - 1] = 0;
        serve_job(job, &sv);
        free(job);
    }
    fk_backbone_close(sv.b);
    MPI_Finalize();
    return 0;
}

/* Rank 0 at exit: tells the others there is no more work. */
static void finish_root(void)
{
    if (!W.on)
        return;
    long long stop = 0;
    if (W.size > 1)
        MPI_Bcast(&stop, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    W.on = 0;
}

int fk_cli_mpi_start(int *argc, char ***argv)
{
    if (!launched_by_mpi())
        return -1;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "fidkit: MPI_Init failed\n");
        return FK_EXIT_ERROR;
    }
    W.on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &W.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &W.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &W.local_size);
    /* One GPU per rank: the torch shim maps "cuda" and "auto" to
     * cuda:(local rank mod visible devices). */
    int local_rank = 0;
    MPI_Comm_rank(local, &local_rank);
    char lr[16];
    snprintf(lr, sizeof lr, "%d", local_rank);
    setenv("FIDKIT_LOCAL_RANK", lr, 1);
    MPI_Comm_free(&local);
    if (W.rank != 0)
        return serve();
    atexit(finish_root);
    return -1;
}

void fk_cli_mpi_attach(fk_extract_options *ex)
{
    static const fk_parallel ranks = {&W, distribute, fd_replicates};
    if (W.on && W.rank == 0 && W.size > 1)
        ex->parallel = &ranks;
}
