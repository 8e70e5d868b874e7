/* fidkit backbones: the plugins found and what each offers. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit backbones [--all] [--json]\n"
    "\n"
    "Lists the backbone plugins on the search path ($FIDKIT_PLUGIN_PATH, the\n"
    "build tree, the install prefix), each with its variants and outputs, and\n"
    "the plugins that were refused with the reason (a wrong ABI version, say).\n"
    "These are networks; `fidkit configs` lists the configs (network + weights +\n"
    "preprocessing) that --backbone takes.\n"
    "\n"
    "  --all                   also the variants that exist for fidkit's tests\n"
    "                          (names ending in -test)\n"
    "  --json                  one JSON object (schema fidkit-result/1)\n";

/* Variants that exist for fidkit's own tests (tiny random networks). */
static int test_only(const char *v)
{
    size_t l = strlen(v);
    return l >= 5 && (!strcmp(v + l - 5, "-test") || !strcmp(v + l - 5, "_test"));
}

int fk_cmd_backbones(int argc, char **argv)
{
    int json = 0, all = 0, npos;
    const fk_opt own[] = {{"--json", FK_ARG_FLAG, &json, 0, NULL},
                          {"--all", FK_ARG_FLAG, &all, 0, NULL},
                          {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("backbones", argc, argv, tables, usage_text, NULL, 0, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_error e = {0};
    fk_plugin_entry_info *list;
    int n;
    if (fk_plugin_scan(&list, &n, &e))
        return fk_cli_fail("backbones", &e, json);
    char sp[8192];
    fk_plugin_search_path(sp, sizeof sp);
    cJSON *arr = cJSON_CreateArray();
    char rt[1024];
    int has_rt = fk_torch_runtime(rt, sizeof rt, NULL) == FK_OK;
    if (!json)
        printf("search path: %s\ntorch: %s\n", sp, has_rt ? rt : "no plugin links the torch shim");
    for (int i = 0; i < n; i++) {
        const fk_plugin *p = list[i].plugin;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "path", list[i].path);
        if (!p) {
            cJSON_AddStringToObject(o, "error", list[i].error);
            if (!json)
                printf("\n%s\n  refused: %s\n", list[i].path, list[i].error);
            continue;
        }
        cJSON_AddStringToObject(o, "name", p->name);
        /* Where it can run: the torch runtime of the shim it links. */
        cJSON *prt = has_rt && fk_plugin_links_torch(p) ? cJSON_Parse(rt) : NULL;
        cJSON_AddItemToObject(o, "runtime", prt ? prt : cJSON_CreateNull());
        cJSON_AddStringToObject(o, "summary", p->summary ? p->summary : "");
        cJSON *vars = cJSON_AddArrayToObject(o, "variants");
        if (!json)
            printf("\n%s — %s\n  %s\n", p->name, p->summary ? p->summary : "", list[i].path);
        for (const char *const *v = p->variants; *v; v++) {
            if (!all && test_only(*v))
                continue;
            fk_output_desc d[64];
            int k = p->list_outputs(*v, d, 64);
            cJSON *vo = cJSON_CreateObject();
            cJSON_AddItemToArray(vars, vo);
            cJSON_AddStringToObject(vo, "variant", *v);
            cJSON_AddNumberToObject(vo, "input_size", p->default_input_size(*v));
            cJSON *outs = cJSON_AddArrayToObject(vo, "outputs");
            if (!json)
                printf("  variant %s (input %d px):", *v, p->default_input_size(*v));
            for (int j = 0; j < k && j < 64; j++) {
                cJSON *od = cJSON_CreateObject();
                cJSON_AddStringToObject(od, "name", d[j].name);
                cJSON_AddNumberToObject(od, "dim", d[j].dim);
                cJSON_AddStringToObject(od, "help", d[j].help ? d[j].help : "");
                cJSON_AddItemToArray(outs, od);
                if (!json)
                    printf(" %s:%d", d[j].name, d[j].dim);
            }
            if (!json)
                printf("\n");
        }
        if (p->options && p->options[0].name && !json) {
            printf("  options:");
            for (const fk_option_spec *s = p->options; s->name; s++)
                printf(" %s", s->name);
            printf("\n");
        }
    }
    if (json) {
        fk_cli_emit_json("backbones", cJSON_PrintUnformatted(arr), "plugins");
    } else if (n == 0) {
        printf("\nno plugins found\n");
    }
    cJSON_Delete(arr);
    free(list);
    return FK_EXIT_OK;
}
