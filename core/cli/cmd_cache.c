/* fidkit cache ls|clear: the feature cache (fidkit/fcache.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fidkit/fcache.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit cache ls [--json]\n"
    "       fidkit cache clear [--json]\n"
    "\n"
    "The feature cache: every extraction of a whole dataset (fid, score, is,\n"
    "clipscore, stats, extract, sweeps) is stored there and reused when the same\n"
    "content goes through the same ruler again. The key is the dataset's listing,\n"
    "a hash of every byte of its files, the config file, the preprocessing, the\n"
    "loader options and every output's full tag (docs/cli.md). An edited file\n"
    "misses whatever its size and date.\n"
    "\n"
    "  ls       the entries, newest first: dataset, N, tag, rows kept, size\n"
    "  clear    remove every entry\n"
    "\n"
    "Folder: $FIDKIT_CACHE_DIR, else $XDG_CACHE_HOME/fidkit, else ~/.cache/fidkit.\n"
    "FIDKIT_NO_CACHE=1 or --no-cache on a command turns the cache off.\n";

static int do_ls(const char *dir, int json)
{
    fk_error e = {0};
    fk_cache_entry *v;
    int n;
    if (fk_cache_list(dir, &v, &n, &e))
        return fk_cli_fail("cache", &e, json);
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += v[i].bytes;
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "schema", "fidkit-result/1");
        cJSON_AddStringToObject(j, "command", "cache ls");
        cJSON_AddStringToObject(j, "fidkit_version", fk_version());
        cJSON_AddStringToObject(j, "dir", dir);
        cJSON_AddNumberToObject(j, "bytes", (double)total);
        cJSON *a = cJSON_AddArrayToObject(j, "entries");
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "file", v[i].file);
            cJSON_AddBoolToObject(o, "readable", v[i].readable);
            cJSON_AddStringToObject(o, "dataset", v[i].dataset);
            cJSON_AddStringToObject(o, "tag", v[i].tag);
            cJSON_AddNumberToObject(o, "outputs", v[i].n_outputs);
            cJSON_AddNumberToObject(o, "n", (double)v[i].n);
            cJSON_AddBoolToObject(o, "rows", v[i].has_rows);
            cJSON_AddNumberToObject(o, "bytes", (double)v[i].bytes);
            cJSON_AddNumberToObject(o, "created", (double)v[i].created);
            cJSON_AddItemToArray(a, o);
        }
        char *t = cJSON_Print(j);
        puts(t);
        free(t);
        cJSON_Delete(j);
    } else {
        printf("feature cache %s: %d entries, %.1f MB\n", dir, n, (double)total / 1e6);
        for (int i = 0; i < n; i++) {
            char when[32] = "?";
            time_t t = (time_t)v[i].created;
            struct tm tm;
            if (gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            if (!v[i].readable)
                printf("  %s  unreadable (the next use rewrites it)\n", v[i].file);
            else
                printf("  %s  %s  N=%lld%s  %.1f MB\n    %s\n", when, v[i].dataset,
                       (long long)v[i].n, v[i].has_rows ? " rows" : "", (double)v[i].bytes / 1e6,
                       v[i].tag);
        }
    }
    free(v);
    return FK_EXIT_OK;
}

int fk_cmd_cache(int argc, char **argv)
{
    const char *pos[1];
    int json = 0, npos;
    const fk_opt own[] = {{"--json", FK_ARG_FLAG, &json, 0, NULL}, {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("cache", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1 || (strcmp(pos[0], "ls") && strcmp(pos[0], "clear")))
        return fk_cli_usage_error("cache", "ls or clear is needed");
    char dir[1024];
    fk_error e = {0};
    if (fk_cache_dir(dir, sizeof dir, &e))
        return fk_cli_fail("cache", &e, json);
    if (!strcmp(pos[0], "ls"))
        return do_ls(dir, json);
    int removed;
    int64_t bytes;
    if (fk_cache_clear(dir, &removed, &bytes, &e))
        return fk_cli_fail("cache", &e, json);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "schema", "fidkit-result/1");
        cJSON_AddStringToObject(j, "command", "cache clear");
        cJSON_AddStringToObject(j, "fidkit_version", fk_version());
        cJSON_AddStringToObject(j, "dir", dir);
        cJSON_AddNumberToObject(j, "removed", removed);
        cJSON_AddNumberToObject(j, "bytes", (double)bytes);
        char *t = cJSON_Print(j);
        puts(t);
        free(t);
        cJSON_Delete(j);
    } else
        printf("removed %d entries (%.1f MB) from %s\n", removed, (double)bytes / 1e6, dir);
    return FK_EXIT_OK;
}
