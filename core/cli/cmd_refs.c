/* fidkit refs add|ls|rm: the local registry of reference statistics
 * (fidkit/refs.h), and --ref NAME of fid, score and fd. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fidkit/fidkit.h"
#include "fidkit/refs.h"

static const char usage_text[] =
    "usage: fidkit refs add NAME FILE [--assume-backbone CONFIG|TAG] [--key K] [--replace]\n"
    "       fidkit refs ls [--json]\n"
    "       fidkit refs rm NAME\n"
    "\n"
    "A local registry of named reference statistics, used with --ref NAME by\n"
    "fid, score and fd (`fidkit fid fake/ --ref NAME`). FILE is a fidkit stats\n"
    "file, a pytorch-fid or EDM .npz (mu, sigma), a clean-fid .npz, an ADM\n"
    "evaluator reference batch, or a pickled dict of mu and sigma (.pkl: EDM2's\n"
    "reference statistics; --key picks the entry, default 'fid'). A fidkit file\n"
    "keeps its tag; any other carries none and must be given one with\n"
    "--assume-backbone: a config (its tag is the config's main output's) or a\n"
    "tag. The config given is recorded: --ref then uses it when --backbone is\n"
    "not given.\n"
    "\n"
    "Folder: $FIDKIT_REFS_DIR, else $XDG_DATA_HOME/fidkit/refs, else\n"
    "~/.local/share/fidkit/refs. Each reference is NAME.npz, a fidkit stats file.\n"
    "\n"
    "Exit status: 0 ok, 1 error, 2 bad command line, 3 an untagged file without\n"
    "--assume-backbone, or a tagged one whose tag differs from it.\n";

int fk_cli_ref_input(const char *ref, const char **backbone, char *path, size_t n, fk_error *e)
{
    static fk_ref_info info; /* the config path outlives the call (one --ref per process) */
    fk_status st = fk_refs_lookup(ref, &info, e);
    if (st)
        return st;
    snprintf(path, n, "%s", info.path);
    if (!*backbone && info.config[0])
        *backbone = info.config;
    return FK_OK;
}

static void ref_json(cJSON *o, const fk_ref_info *x)
{
    cJSON_AddStringToObject(o, "name", x->name);
    cJSON_AddStringToObject(o, "file", x->path);
    cJSON_AddStringToObject(o, "source", x->source);
    cJSON_AddStringToObject(o, "format", x->format);
    cJSON_AddStringToObject(o, "tag", x->tag);
    cJSON_AddBoolToObject(o, "tag_assumed", x->assumed);
    cJSON_AddStringToObject(o, "config", x->config);
    cJSON_AddNumberToObject(o, "d", x->d);
    if (x->n)
        cJSON_AddNumberToObject(o, "n", (double)x->n);
    else
        cJSON_AddNullToObject(o, "n");
    if (x->key[0])
        cJSON_AddStringToObject(o, "key", x->key);
    cJSON_AddNumberToObject(o, "added", (double)x->added);
}

static void print_json(cJSON *j)
{
    char *t = cJSON_Print(j);
    puts(t);
    free(t);
    cJSON_Delete(j);
}

static cJSON *head(const char *cmd)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "fidkit-result/1");
    cJSON_AddStringToObject(j, "command", cmd);
    cJSON_AddStringToObject(j, "fidkit_version", fk_version());
    return j;
}

int fk_cmd_refs(int argc, char **argv)
{
    const char *pos[3], *assume = NULL, *key = NULL;
    int json = 0, replace = 0, npos;
    const fk_opt own[] = {
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {"--assume-backbone", FK_ARG_STR, &assume, 0, NULL},
        {"--key", FK_ARG_STR, &key, 0, NULL},
        {"--replace", FK_ARG_FLAG, &replace, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("refs", argc, argv, tables, usage_text, pos, 3, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    const char *sub = npos ? pos[0] : "";
    fk_error e = {0};
    if (!strcmp(sub, "add")) {
        if (npos != 3)
            return fk_cli_usage_error("refs", "add takes NAME and FILE");
        fk_tag t;
        char config[1024] = "";
        if (assume && fk_assumed_tag(assume, &t, config, sizeof config, &e)) {
            fk_fail_prefix(&e, "--assume-backbone");
            return fk_cli_fail("refs", &e, json);
        }
        fk_ref_info x;
        if (fk_refs_add(pos[1], pos[2], key, assume ? &t : NULL, config, replace, &x, &e))
            return fk_cli_fail("refs", &e, json);
        if (json) {
            cJSON *j = head("refs add");
            ref_json(cJSON_AddObjectToObject(j, "reference"), &x);
            print_json(j);
        } else {
            printf("added %s: %s statistics, d = %d%s, from %s\n  tag %s%s\n", x.name, x.format,
                   x.d, x.n ? "" : ", N unknown", x.source, x.tag,
                   x.assumed ? " (given with --assume-backbone)" : "");
        }
        return FK_EXIT_OK;
    }
    if (!strcmp(sub, "ls")) {
        if (npos != 1)
            return fk_cli_usage_error("refs", "ls takes no argument");
        fk_ref_info *v;
        int n;
        char dir[1024];
        if (fk_refs_dir(dir, sizeof dir, &e) || fk_refs_list(&v, &n, &e))
            return fk_cli_fail("refs", &e, json);
        if (json) {
            cJSON *j = head("refs ls");
            cJSON_AddStringToObject(j, "dir", dir);
            cJSON *a = cJSON_AddArrayToObject(j, "references");
            for (int i = 0; i < n; i++) {
                cJSON *o = cJSON_CreateObject();
                ref_json(o, &v[i]);
                cJSON_AddItemToArray(a, o);
            }
            print_json(j);
        } else {
            printf("references in %s: %d\n", dir, n);
            for (int i = 0; i < n; i++) {
                char ts[FK_TAG_STR_MAX];
                fk_tag t;
                fk_error ig;
                const char *tag = fk_tag_parse(v[i].tag, &t, &ig) ? v[i].tag
                                                                  : fk_tag_str(&t, 1, ts, sizeof ts);
                printf("  %-20s d=%-5d N=%-8lld %-12s %s%s\n", v[i].name, v[i].d,
                       (long long)v[i].n, v[i].format, tag, v[i].assumed ? " (assumed)" : "");
            }
        }
        free(v);
        return FK_EXIT_OK;
    }
    if (!strcmp(sub, "rm")) {
        if (npos != 2)
            return fk_cli_usage_error("refs", "rm takes NAME");
        if (fk_refs_remove(pos[1], &e))
            return fk_cli_fail("refs", &e, json);
        if (!json)
            printf("removed %s\n", pos[1]);
        else {
            cJSON *j = head("refs rm");
            cJSON_AddStringToObject(j, "removed", pos[1]);
            print_json(j);
        }
        return FK_EXIT_OK;
    }
    return fk_cli_usage_error("refs", "add, ls or rm is needed");
}
