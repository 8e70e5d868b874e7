/* fidkit configs: the installed backbone configs, from the weights catalog
 * (fidkit/catalog.h) and the plugins' output tables. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/catalog.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit configs [--json]\n"
    "\n"
    "Lists the backbone configs found on the config search path: the source\n"
    "tree's configs/ (a build), $FIDKIT_CONFIG_PATH (a colon list), the user's\n"
    "$XDG_CONFIG_HOME/fidkit/configs (else ~/.config/fidkit/configs), the\n"
    "install's share/fidkit/configs; the first of each name wins. For each:\n"
    "the network (plugin/variant), the output scored and its dimension, the\n"
    "input resolution and resize, the weights file and whether it is present\n"
    "(`fidkit weights fetch NAME` gets a missing one), and which published\n"
    "convention it reproduces (its `matches:` key). `--backbone NAME` takes\n"
    "any of these names.\n"
    "\n"
    "  --json                  one JSON object (schema fidkit-result/1)\n";

/* The dimension of the config's output from its plugin (or, for plugins
 * whose dimension is an option, its `output_dim`); 0: unknown. */
static int output_dim(const fk_plugin_entry_info *pl, int np, const fk_config *c)
{
    for (int i = 0; i < c->n_options; i++)
        if (!strcmp(c->options[i].key, "output_dim"))
            return atoi(c->options[i].value);
    for (int i = 0; i < np; i++) {
        const fk_plugin *p = pl[i].plugin;
        if (!p || strcmp(p->name, c->plugin))
            continue;
        fk_output_desc d[64];
        int k = p->list_outputs(c->variant, d, 64);
        for (int j = 0; j < k && j < 64; j++)
            if (!strcmp(d[j].name, c->output))
                return d[j].dim;
    }
    return 0;
}

int fk_cmd_configs(int argc, char **argv)
{
    int json = 0, npos;
    const fk_opt own[] = {{"--json", FK_ARG_FLAG, &json, 0, NULL}, {NULL, 0, NULL, 0, NULL}};
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("configs", argc, argv, tables, usage_text, NULL, 0, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_error e = {0};
    fk_catalog cat;
    if (fk_catalog_open(NULL, 0, &cat, &e))
        return fk_cli_fail("configs", &e, json);
    fk_plugin_entry_info *pl = NULL;
    int np = 0;
    fk_error pe = {0};
    if (fk_plugin_scan(&pl, &np, &pe))
        np = 0;
    char sp[8192];
    fk_config_search_path(sp, sizeof sp);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "search_path", sp);
    cJSON *arr = cJSON_AddArrayToObject(root, "configs");
    if (!json) {
        printf("config search path: %s\n\n", sp);
        printf("%-26s %-26s %-16s %5s %5s  %-44s %s\n", "name", "backbone", "output", "dims", "px",
               "weights", "matches");
    }
    for (int i = 0; i < cat.n_cfg; i++) {
        const fk_config *c = &cat.cfgs[i];
        const fk_catalog_entry *w = NULL;
        for (int k = 0; k < cat.n && !w; k++)
            if (cat.v[k].cfg == c && cat.v[k].is_weights)
                w = &cat.v[k];
        const char *b = strrchr(c->path, '/');
        char name[256], bb[160], wdesc[1200];
        snprintf(name, sizeof name, "%.255s", b ? b + 1 : c->path);
        char *dot = strstr(name, ".yaml");
        if (dot)
            *dot = 0;
        snprintf(bb, sizeof bb, "%s/%s", c->plugin, c->variant);
        int dim = output_dim(pl, np, c);
        fk_tag t;
        char ts[FK_TAG_STR_MAX];
        fk_config_tag(c, c->random_weights ? NULL : c->weights_sha256, &t);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddStringToObject(o, "path", c->path);
        cJSON_AddStringToObject(o, "backbone", c->plugin);
        cJSON_AddStringToObject(o, "variant", c->variant);
        cJSON_AddStringToObject(o, "output", c->output);
        if (dim > 0)
            cJSON_AddNumberToObject(o, "dims", dim);
        else
            cJSON_AddNullToObject(o, "dims");
        cJSON_AddNumberToObject(o, "resolution", c->input.size);
        cJSON_AddStringToObject(o, "resize", fk_resize_name(c->input.resize));
        cJSON *wo = cJSON_AddObjectToObject(o, "weights");
        if (c->random_weights) {
            cJSON_AddNullToObject(wo, "file");
            cJSON_AddNumberToObject(wo, "random_seed", (double)c->random_seed);
            cJSON_AddTrueToObject(wo, "present");
            cJSON_AddNullToObject(wo, "path");
            snprintf(wdesc, sizeof wdesc, "random (seed %llu)", (unsigned long long)c->random_seed);
        } else {
            int present = w && w->path[0];
            cJSON_AddStringToObject(wo, "file", c->weights_file);
            cJSON_AddBoolToObject(wo, "present", present);
            if (present)
                cJSON_AddStringToObject(wo, "path", w->path);
            else
                cJSON_AddNullToObject(wo, "path");
            snprintf(wdesc, sizeof wdesc, "%.36s (%s)", c->weights_file,
                     present ? "present" : "missing");
        }
        cJSON_AddStringToObject(o, "matches", c->matches[0] ? c->matches : "unspecified");
        if (!c->random_weights && !c->weights_sha256[0])
            cJSON_AddNullToObject(o, "tag");  /* the tag needs the file's SHA-256 */
        else
            cJSON_AddStringToObject(o, "tag", fk_tag_str(&t, 0, ts, sizeof ts));
        if (!json) {
            char dims[16];
            if (dim > 0)
                snprintf(dims, sizeof dims, "%d", dim);
            else
                snprintf(dims, sizeof dims, "?");
            printf("%-26s %-26s %-16s %5s %5d  %-44s %s\n", name, bb, c->output, dims,
                   c->input.size, wdesc, c->matches[0] ? c->matches : "unspecified");
        }
    }
    cJSON *sk = cJSON_AddArrayToObject(root, "not_loaded");
    for (int i = 0; i < cat.n_skipped && i < 4; i++) {
        cJSON_AddItemToArray(sk, cJSON_CreateString(cat.skipped[i]));
        if (!json)
            printf("\nnot loaded: %s", cat.skipped[i]);
    }
    if (json) {
        fk_cli_emit_json("configs", cJSON_PrintUnformatted(root), NULL);
    } else {
        if (cat.n_skipped)
            printf("\n");
        if (cat.n_cfg == 0)
            printf("no configs found\n");
    }
    cJSON_Delete(root);
    free(pl);
    fk_catalog_free(&cat);
    return FK_EXIT_OK;
}
