/* fidkit weights: the weights files the configs name, where they are, and
 * fetching and verifying them (the work is libfidkit's: fidkit/catalog.h,
 * fidkit/fetch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/catalog.h"
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

static void say_skipped(const fk_catalog *c)
{
    for (int i = 0; i < c->n_skipped && i < 4; i++)
        fprintf(stderr, "fidkit weights: skipping %s\n", c->skipped[i]);
}

static int cmd_ls(int argc, char **argv)
{
    int json = 0, npos;
    const fk_opt own[] = {{"--json", FK_ARG_FLAG, &json, 0, NULL}, {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("weights ls", argc, argv, tables, usage_text, NULL, 0, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_error e = {0};
    fk_catalog c;
    if (fk_catalog_open(NULL, 0, &c, &e))
        return fk_cli_fail("weights", &e, json);
    say_skipped(&c);
    if (json) {
        fk_cli_emit_json("weights", fk_catalog_json(&c, 0), NULL);
        fk_catalog_free(&c);
        return FK_EXIT_OK;
    }
    char sp[8192], cache[2048];
    fk_weights_search_path(NULL, sp, sizeof sp);
    fk_error ce = {0};
    if (fk_weights_cache_dir(cache, sizeof cache, &ce))
        snprintf(cache, sizeof cache, "none (%s)", ce.msg);
    printf("search path: %s (and each config's folder)\nfetched files go to: %s\n\n", sp, cache);
    printf("%-26s %-40s %12s  %-64s  %s\n", "CONFIG", "FILE", "BYTES", "SHA-256", "WHERE");
    for (int i = 0; i < c.n; i++) {
        const fk_catalog_entry *en = &c.v[i];
        char size[32] = "?";
        if (en->bytes > 0)
            snprintf(size, sizeof size, "%lld", (long long)en->bytes);
        printf("%-26s %-40s %12s  %-64s  %s\n", en->config, en->file.file, size,
               en->file.sha256[0] ? en->file.sha256 : "(not given: cannot be fetched)",
               en->path[0] ? en->path : "missing");
    }
    fk_catalog_free(&c);
    return FK_EXIT_OK;
}

/* The entries of each name (configs given by path join the catalog). */
static int pick_named(fk_catalog *c, const char **names, int n, int *pick, int *np)
{
    int rc = FK_EXIT_OK;
    for (int i = 0; i < n; i++) {
        int k = fk_catalog_select(c, names[i], pick + *np, c->n - *np);
        if (!k) {
            fprintf(stderr, "fidkit weights: '%s' is neither a config with weights nor a file a "
                    "config names (`fidkit weights ls` lists them)\n", names[i]);
            rc = FK_EXIT_ERROR;
        }
        *np += k;
    }
    return rc;
}

static int open_with(const char **names, int n, fk_catalog *c, fk_error *e)
{
    /* Every installed config, plus those given by path. */
    char **all = NULL;
    int n_all = 0;
    if (fk_config_list(&all, &n_all, e))
        return -1;
    const char **paths = calloc((size_t)(n_all + n) + 1, sizeof *paths);
    int np = 0;
    for (int i = 0; paths && i < n_all; i++)
        paths[np++] = all[i];
    for (int i = 0; paths && i < n; i++)
        if (strchr(names[i], '/'))
            paths[np++] = names[i];
    fk_status st = paths ? fk_catalog_open(paths, np, c, e) : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    free(paths);
    fk_config_list_free(all, n_all);
    if (!st)
        say_skipped(c);
    return st ? -1 : 0;
}

static int cmd_fetch(int argc, char **argv)
{
    int all = 0, quiet = 0, n_names;
    const char **names = calloc((size_t)argc + 1, sizeof *names);
    const fk_opt own[] = {{"--all", FK_ARG_FLAG, &all, 0, NULL},
                          {"--quiet", FK_ARG_FLAG, &quiet, 0, NULL},
                          {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = names ? fk_cli_parse("weights fetch", argc, argv, tables, usage_text, names, argc,
                                 &n_names) : -1;
    if (r || !all == !n_names) {
        free(names);
        return r > 0 ? FK_EXIT_OK
               : r < 0 ? FK_EXIT_USAGE : fk_cli_usage_error("weights", "fetch takes NAME... or --all");
    }
    fk_error e = {0};
    fk_catalog c;
    if (open_with(names, n_names, &c, &e)) {
        free(names);
        return fk_cli_report("weights", &e);
    }
    int *q = calloc((size_t)c.n + 1, sizeof *q), nq = 0, rc = FK_EXIT_OK;
    for (int i = 0; q && all && i < c.n; i++) {
        int dup = 0; /* one file named by several configs: fetched once */
        for (int j = 0; j < nq && !dup; j++)
            dup = !strcmp(c.v[q[j]].file.file, c.v[i].file.file);
        if (!dup && !c.v[i].file.sha256[0])
            fprintf(stderr, "fidkit weights: skipping %s (%s): its config gives no SHA-256 to "
                    "check it against\n", c.v[i].file.file, c.v[i].config);
        else if (!dup)
            q[nq++] = i;
    }
    if (q)
        rc = pick_named(&c, names, n_names, q, &nq);
    fk_fetch_options o;
    fk_fetch_options_init(&o);
    o.quiet = quiet;
    if (quiet)
        o.progress = 0;
    for (int i = 0; i < nq; i++) {
        int fetched = 0;
        fk_error fe = {0};
        if (fk_catalog_fetch(&c, q[i], &o, &fetched, &fe)) {
            fk_cli_report("weights", &fe);
            rc = FK_EXIT_ERROR;
            continue;
        }
        printf("%s: %s %s\n", c.v[q[i]].file.file, fetched ? "fetched" : "present, SHA-256 ok:",
               c.v[q[i]].path);
    }
    free(q);
    free(names);
    fk_catalog_free(&c);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    const char **names = calloc((size_t)argc + 1, sizeof *names);
    int n_names;
    const fk_opt *tables[] = {NULL};
    int r = names ? fk_cli_parse("weights verify", argc, argv, tables, usage_text, names, argc,
                                 &n_names) : -1;
    if (r) {
        free(names);
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    }
    fk_error e = {0};
    fk_catalog c;
    if (open_with(names, n_names, &c, &e)) {
        free(names);
        return fk_cli_report("weights", &e);
    }
    int *pick = calloc((size_t)c.n + 1, sizeof *pick), np = 0, rc = FK_EXIT_OK;
    for (int i = 0; pick && !n_names && i < c.n; i++)
        pick[np++] = i;
    if (pick)
        rc = pick_named(&c, names, n_names, pick, &np);
    for (int i = 0; i < np; i++) {
        const fk_catalog_entry *en = &c.v[pick[i]];
        char got[65] = "";
        if (!en->path[0]) {
            if (n_names) {
                printf("missing   %s (%s)\n", en->file.file, en->config);
                rc = FK_EXIT_ERROR;
            }
            continue;
        }
        /* a file shared by configs is hashed once */
        int j = 0;
        while (j < i && strcmp(c.v[pick[j]].path, en->path))
            j++;
        fk_error he = {0};
        if (fk_catalog_hash(&c, pick[j], got, &he)) {
            fk_cli_report("weights", &he);
            rc = FK_EXIT_ERROR;
        } else if (!en->file.sha256[0]) {
            printf("unchecked %s (%s gives no SHA-256; it is %s)\n", en->path, en->config, got);
        } else if (strcmp(got, en->file.sha256)) {
            printf("MISMATCH  %s: SHA-256 %s, %s expects %s\n", en->path, got, en->config,
                   en->file.sha256);
            rc = FK_EXIT_ERROR;
        } else {
            printf("ok        %s (%s)\n", en->path, en->config);
        }
    }
    free(pick);
    free(names);
    fk_catalog_free(&c);
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
    /* Each subcommand parses argv[1..] as a command of its own. */
    if (!strcmp(argv[1], "ls"))
        return cmd_ls(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fetch"))
        return cmd_fetch(argc - 1, argv + 1);
    if (!strcmp(argv[1], "verify"))
        return cmd_verify(argc - 1, argv + 1);
    return fk_cli_usage_error("weights", "unknown subcommand '%s' (ls, fetch, verify)", argv[1]);
}
