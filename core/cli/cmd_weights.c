/* fidkit weights: the weights files the configs name, where they are, and
 * fetching and verifying them (the work is libfidkit's: fidkit/fetch.h).
 * Also the --offline / terminal policy every command shares. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit weights ls [--json]\n"
    "       fidkit weights fetch NAME... | --all  [--offline] [--quiet]\n"
    "       fidkit weights verify [NAME...]\n"
    "\n"
    "The weights files (and side files such as CLIP's merge list) that the\n"
    "backbone configs name. NAME is a config (inception_v3_fid) or a file name\n"
    "(pt_inception-2015-12-05-6726825d.pth).\n"
    "\n"
    "  ls      every config's files: size, SHA-256, where found or 'missing'\n"
    "  fetch   downloads missing files into the first writable folder of the\n"
    "          weights search path, checks their SHA-256, keeps only good ones;\n"
    "          files already there are verified. --all: every config's files\n"
    "          (those whose config gives no SHA-256 are skipped, with a note)\n"
    "  verify  recomputes the SHA-256 of every file found (or of NAMEs) and\n"
    "          compares it with the config's; exit status 1 on a mismatch\n"
    "\n"
    "Any command fetches a missing file by itself when run on a terminal or\n"
    "with FIDKIT_AUTO_FETCH=1; --offline (any command) or FIDKIT_OFFLINE=1\n"
    "never touches the network. FIDKIT_WEIGHTS_MIRROR: a base URL or a local\n"
    "folder used instead of the sources' hosts. See docs/weights.md.\n";

void fk_cli_fetch_policy(int *argc, char **argv)
{
    int k = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--offline"))
            setenv("FIDKIT_OFFLINE", "1", 1);
        else
            argv[k++] = argv[i];
    }
    argv[k] = NULL;
    *argc = k;
    /* On a terminal a person can see what is downloaded (and stop it). */
    if (isatty(STDERR_FILENO) && !getenv("FIDKIT_AUTO_FETCH"))
        setenv("FIDKIT_AUTO_FETCH", "1", 0);
}

/* One file of one config. */
typedef struct entry {
    char config[256];
    fk_config *cfg;           /* owned by the list */
    const fk_config_file *f;  /* the weights (wfile) or a side file */
    fk_config_file wfile;
} entry;

typedef struct listing {
    fk_config *cfgs;
    int n_cfg;
    entry *v;
    int n;
} listing;

static void listing_free(listing *l)
{
    free(l->cfgs);
    free(l->v);
}

static void stem_of(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    char *d = strstr(out, ".yaml");
    if (d)
        *d = 0;
}

/* Every file of every config found (or of the configs in paths). */
static fk_status list_files(char **paths, int np, listing *l, fk_error *e)
{
    memset(l, 0, sizeof *l);
    l->cfgs = calloc((size_t)(np ? np : 1), sizeof *l->cfgs);
    l->v = calloc((size_t)(np ? np : 1) * (1 + FK_CONFIG_MAX_SIDE), sizeof *l->v);
    if (!l->cfgs || !l->v) {
        listing_free(l);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < np; i++) {
        fk_config *c = &l->cfgs[l->n_cfg];
        fk_error ce = {0};
        if (fk_config_load(paths[i], c, &ce)) {
            fprintf(stderr, "fidkit weights: skipping %s\n", ce.msg);
            continue;
        }
        l->n_cfg++;
        char stem[256];
        stem_of(paths[i], stem, sizeof stem);
        if (!c->random_weights) {
            entry *en = &l->v[l->n++];
            snprintf(en->config, sizeof en->config, "%s", stem);
            en->cfg = c;
            snprintf(en->wfile.file, sizeof en->wfile.file, "%s", c->weights_file);
            snprintf(en->wfile.sha256, sizeof en->wfile.sha256, "%s", c->weights_sha256);
            snprintf(en->wfile.source, sizeof en->wfile.source, "%s", c->weights_source);
            en->wfile.size = c->weights_size;
            en->f = &en->wfile;
        }
        for (int s = 0; s < c->n_side; s++) {
            entry *en = &l->v[l->n++];
            snprintf(en->config, sizeof en->config, "%s", stem);
            en->cfg = c;
            en->f = &c->side[s];
        }
    }
    return FK_OK;
}

static fk_status list_all(listing *l, fk_error *e)
{
    char **paths;
    int np;
    fk_status st = fk_config_list(&paths, &np, e);
    if (st)
        return st;
    st = list_files(paths, np, l, e);
    fk_config_list_free(paths, np);
    return st;
}

/* Where the file is (no fetch): 1 found. */
static int where(const entry *en, char *out, size_t n)
{
    fk_config probe = *en->cfg;
    probe.weights_sha256[0] = probe.weights_source[0] = 0;
    probe.n_side = 0;   /* no side file either: nothing is fetched */
    probe.random_weights = 1;
    return fk_config_file_path(&probe, en->f->file, out, n, NULL) == FK_OK;
}

static int cmd_ls(int argc, char **argv)
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return fk_cli_usage_error("weights", "unknown argument '%s' to ls", argv[i]);
    }
    fk_error e = {0};
    listing l;
    if (list_all(&l, &e))
        return fk_cli_report("weights", &e);
    char sp[8192], cache[2048];
    fk_weights_search_path(NULL, sp, sizeof sp);
    fk_error ce = {0};
    if (fk_weights_cache_dir(cache, sizeof cache, &ce))
        snprintf(cache, sizeof cache, "none (%s)", ce.msg);
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "files");
    cJSON_AddStringToObject(root, "search_path", sp);
    cJSON_AddStringToObject(root, "cache", cache);
    if (!json) {
        printf("search path: %s (and each config's folder)\n", sp);
        printf("fetched files go to: %s\n\n", cache);
        printf("%-26s %-40s %12s  %-64s  %s\n", "CONFIG", "FILE", "BYTES", "SHA-256", "WHERE");
    }
    for (int i = 0; i < l.n; i++) {
        const entry *en = &l.v[i];
        char path[4096], size[32];
        int found = where(en, path, sizeof path);
        struct stat sb;
        long long bytes = found && !stat(path, &sb) ? (long long)sb.st_size : (long long)en->f->size;
        if (bytes > 0)
            snprintf(size, sizeof size, "%lld", bytes);
        else
            snprintf(size, sizeof size, "?");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "config", en->config);
        cJSON_AddStringToObject(o, "config_path", en->cfg->path);
        cJSON_AddStringToObject(o, "file", en->f->file);
        cJSON_AddStringToObject(o, "kind", en->f == &en->wfile ? "weights" : "side");
        if (bytes > 0)
            cJSON_AddNumberToObject(o, "size", (double)bytes);
        else
            cJSON_AddNullToObject(o, "size");
        cJSON_AddStringToObject(o, "sha256", en->f->sha256);
        cJSON_AddStringToObject(o, "source", en->f->source);
        if (found)
            cJSON_AddStringToObject(o, "path", path);
        else
            cJSON_AddNullToObject(o, "path");
        if (!json)
            printf("%-26s %-40s %12s  %-64s  %s\n", en->config, en->f->file, size,
                   en->f->sha256[0] ? en->f->sha256 : "(not given: cannot be fetched)",
                   found ? path : "missing");
    }
    if (json) {
        char *s = cJSON_Print(root);
        puts(s);
        free(s);
    }
    cJSON_Delete(root);
    listing_free(&l);
    return FK_EXIT_OK;
}

/* The entries NAME stands for: a config's files, or every entry of that file
 * name (the first is enough to fetch; the rest then find it). */
static int select_named(const listing *all, const char *name, int *pick)
{
    char path[4096], stem[256];
    int k = 0;
    fk_error e = {0};
    if (fk_config_find(name, path, sizeof path, &e) == FK_OK) {
        stem_of(path, stem, sizeof stem);
        for (int i = 0; i < all->n; i++)
            if (!strcmp(all->v[i].cfg->path, path) ||
                (!strchr(name, '/') && !strcmp(all->v[i].config, stem)))
                pick[k++] = i;
        return k;
    }
    for (int i = 0; i < all->n && !k; i++)
        if (!strcmp(all->v[i].f->file, name))
            pick[k++] = i;
    return k;
}

static int cmd_fetch(int argc, char **argv)
{
    int all = 0, quiet = 0, n_names = 0;
    const char **names = calloc((size_t)argc + 1, sizeof *names);
    if (!names)
        return FK_EXIT_ERROR;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (argv[i][0] == '-') {
            free(names);
            return fk_cli_usage_error("weights", "unknown option '%s' to fetch", argv[i]);
        } else
            names[n_names++] = argv[i];
    }
    if (!all == !n_names) {
        free(names);
        return fk_cli_usage_error("weights", "fetch takes NAME... or --all");
    }
    fk_error e = {0};
    listing l;
    if (list_all(&l, &e)) {
        free(names);
        return fk_cli_report("weights", &e);
    }
    /* Configs given by path are not on the config path: list them too. */
    listing extra = {0};
    char **xp = calloc((size_t)n_names + 1, sizeof *xp);
    int nx = 0;
    for (int i = 0; xp && i < n_names; i++)
        if (strchr(names[i], '/'))
            xp[nx++] = (char *)names[i];
    if (xp && list_files(xp, nx, &extra, &e)) {
        free(xp);
        free(names);
        listing_free(&l);
        return fk_cli_report("weights", &e);
    }
    free(xp);

    int *todo = calloc((size_t)(l.n + extra.n) + 1, sizeof *todo);
    const entry **q = calloc((size_t)(l.n + extra.n) + 1, sizeof *q);
    int nq = 0, rc = FK_EXIT_OK;
    if (!todo || !q) {
        rc = FK_EXIT_ERROR;
        goto out;
    }
    if (all) {
        for (int i = 0; i < l.n; i++) {
            int dup = 0;   /* one file named by several configs: fetched once */
            for (int j = 0; j < nq && !dup; j++)
                dup = !strcmp(q[j]->f->file, l.v[i].f->file);
            if (dup)
                continue;
            if (!l.v[i].f->sha256[0]) {
                fprintf(stderr, "fidkit weights: skipping %s (%s): its config gives no SHA-256 to "
                        "check it against\n", l.v[i].f->file, l.v[i].config);
                continue;
            }
            q[nq++] = &l.v[i];
        }
    }
    for (int i = 0; i < n_names; i++) {
        int k;
        if (strchr(names[i], '/')) {
            k = 0;
            for (int j = 0; j < extra.n; j++)
                if (!strcmp(extra.v[j].cfg->path, names[i]))
                    todo[k++] = j;
            for (int j = 0; j < k; j++)
                q[nq++] = &extra.v[todo[j]];
        } else {
            k = select_named(&l, names[i], todo);
            for (int j = 0; j < k; j++)
                q[nq++] = &l.v[todo[j]];
        }
        if (!k) {
            fprintf(stderr, "fidkit weights: '%s' is neither a config with weights nor a file a "
                    "config names (`fidkit weights ls` lists them)\n", names[i]);
            rc = FK_EXIT_ERROR;
        }
    }
    fk_fetch_options o;
    fk_fetch_options_init(&o);
    o.quiet = quiet;
    if (quiet)
        o.progress = 0;
    for (int i = 0; i < nq; i++) {
        char path[4096];
        int fetched = 0;
        fk_error fe = {0};
        if (fk_fetch_config_file(q[i]->cfg, q[i]->f->file, &o, path, sizeof path, &fetched, &fe)) {
            fk_cli_report("weights", &fe);
            rc = FK_EXIT_ERROR;
            continue;
        }
        printf("%s: %s %s\n", q[i]->f->file, fetched ? "fetched" : "present, SHA-256 ok:", path);
    }
out:
    free(todo);
    free(q);
    free(names);
    listing_free(&l);
    listing_free(&extra);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    fk_error e = {0};
    listing l;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == '-')
            return fk_cli_usage_error("weights", "unknown option '%s' to verify", argv[i]);
    if (list_all(&l, &e))
        return fk_cli_report("weights", &e);
    int rc = FK_EXIT_OK;
    int *pick = calloc(((size_t)argc + 1) * ((size_t)l.n + 1), sizeof *pick);
    char (*done)[4096] = calloc((size_t)l.n + 1, sizeof *done);
    char (*sums)[65] = calloc((size_t)l.n + 1, sizeof *sums);
    int nd = 0, np = 0;
    if (!pick || !done || !sums) {
        rc = FK_EXIT_ERROR;
        goto out;
    }
    if (!argc)
        for (int i = 0; i < l.n; i++)
            pick[np++] = i;
    for (int i = 0; i < argc; i++) {
        int k = select_named(&l, argv[i], pick + np);
        if (!k) {
            fprintf(stderr, "fidkit weights: '%s' is neither a config with weights nor a file a "
                    "config names\n", argv[i]);
            rc = FK_EXIT_ERROR;
        }
        np += k;
    }
    for (int i = 0; i < np; i++) {
        const entry *en = &l.v[pick[i]];
        char path[4096], got[65] = "";
        if (!where(en, path, sizeof path)) {
            if (argc) {
                printf("missing   %s (%s)\n", en->f->file, en->config);
                rc = FK_EXIT_ERROR;
            }
            continue;
        }
        int j = 0;   /* a file shared by configs is hashed once */
        while (j < nd && strcmp(done[j], path))
            j++;
        if (j < nd) {
            memcpy(got, sums[j], sizeof got);
        } else {
            fk_error he = {0};
            if (fk_sha256_file(path, got, &he)) {
                fk_cli_report("weights", &he);
                rc = FK_EXIT_ERROR;
                continue;
            }
            snprintf(done[nd], sizeof done[nd], "%s", path);
            memcpy(sums[nd++], got, sizeof got);
        }
        if (!en->f->sha256[0]) {
            printf("unchecked %s (%s gives no SHA-256; it is %s)\n", path, en->config, got);
        } else if (strcmp(got, en->f->sha256)) {
            printf("MISMATCH  %s: SHA-256 %s, %s expects %s\n", path, got, en->config,
                   en->f->sha256);
            rc = FK_EXIT_ERROR;
        } else {
            printf("ok        %s (%s)\n", path, en->config);
        }
    }
out:
    free(pick);
    free(done);
    free(sums);
    listing_free(&l);
    return rc;
}

int fk_cmd_weights(int argc, char **argv)
{
    if (argc < 2 || fk_cli_is_help(argv[1])) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? FK_EXIT_USAGE : FK_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        }
    if (!strcmp(argv[1], "ls"))
        return cmd_ls(argc - 2, argv + 2);
    if (!strcmp(argv[1], "fetch"))
        return cmd_fetch(argc - 2, argv + 2);
    if (!strcmp(argv[1], "verify"))
        return cmd_verify(argc - 2, argv + 2);
    return fk_cli_usage_error("weights", "unknown subcommand '%s' (ls, fetch, verify)", argv[1]);
}
