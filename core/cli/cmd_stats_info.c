/* fidkit stats-info FILE: what a stats file holds. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit stats-info FILE.npz [--json]\n"
    "\n"
    "Prints what a statistics file holds: the dimension, the number of samples,\n"
    "the backbone tag and the provenance fidkit recorded (none for files\n"
    "written by pytorch-fid or clean-fid). The file is fully validated.\n";

int fk_cmd_stats_info(int argc, char **argv)
{
    const char *pos[1];
    int json = 0, npos;
    const fk_opt own[] = {{"--json", FK_ARG_FLAG, &json, 0, NULL}, {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("stats-info", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    if (npos != 1)
        return fk_cli_usage_error("stats-info", "a stats file is needed");
    const char *path = pos[0];

    fk_error e = {0};
    fk_stats s;
    if (fk_stats_read(path, &s, &e))
        return fk_cli_fail("stats-info", &e, json);
    double tr = 0;
    for (int i = 0; i < s.d; i++)
        tr += s.sigma[(size_t)i * s.d + i];
    char ts[FK_TAG_STR_MAX] = "";
    if (s.has_tag)
        fk_tag_str(&s.tag, !json, ts, sizeof ts);   /* full in JSON, short for people */
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "file", path);
        cJSON_AddNumberToObject(j, "d", s.d);
        if (s.n)
            cJSON_AddNumberToObject(j, "n", (double)s.n);
        else
            cJSON_AddNullToObject(j, "n");
        if (s.has_tag)
            cJSON_AddStringToObject(j, "tag", ts);
        else
            cJSON_AddNullToObject(j, "tag");
        cJSON_AddNumberToObject(j, "trace_sigma", tr);
        cJSON *meta = s.meta_json ? cJSON_Parse(s.meta_json) : NULL;
        if (meta)
            cJSON_AddItemToObject(j, "metadata", meta);
        else
            cJSON_AddNullToObject(j, "metadata");
        fk_cli_emit_json("stats-info", cJSON_PrintUnformatted(j), NULL);
        cJSON_Delete(j);
    } else {
        printf("file        %s\n", path);
        printf("dimension   %d\n", s.d);
        if (s.n)
            printf("samples     %lld\n", (long long)s.n);
        else
            printf("samples     unknown\n");
        printf("tag         %s\n", s.has_tag ? ts
                                             : "none (not written by fidkit: declare one with "
                                               "--assume-backbone when comparing)");
        printf("tr(sigma)   %.6g\n", tr);
        if (s.meta_json)
            printf("metadata    %s\n", s.meta_json);
    }
    fk_stats_free(&s);
    return FK_EXIT_OK;
}
