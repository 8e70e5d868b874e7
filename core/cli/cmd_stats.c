/* fidkit stats DATASET -o FILE.npz: the (mu, sigma) of a dataset's features. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit stats DATASET -o FILE.npz [options]\n"
    "\n"
    "Extracts the features of every image of DATASET with a backbone and writes\n"
    "their mean and covariance as a stats file that fidkit, pytorch-fid and\n"
    "clean-fid read, tagged with the backbone that measured it.\n"
    "DATASET is a folder (recursive), a .zip of images, an .npz/.npy of uint8\n"
    "NHWC samples, or a .txt list of image paths.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.npz   where to write (atomically)\n"
    FK_CLI_EXTRACT_HELP;

/* The preprocessing a stats file records beside its tag. */
static char *provenance(const char *dataset, const fk_backbone *b, const fk_feature_set *s)
{
    const fk_config *c = fk_backbone_config(b);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "dataset", dataset);
    cJSON_AddStringToObject(j, "config", c->path);
    cJSON *p = cJSON_AddObjectToObject(j, "preprocessing");
    cJSON_AddNumberToObject(p, "size", c->input.size);
    cJSON_AddStringToObject(p, "resize", fk_resize_name(c->input.resize));
    cJSON_AddStringToObject(p, "crop", c->input.center_crop ? "center" : "none");
    cJSON_AddNumberToObject(p, "scale", c->input.scale);
    cJSON_AddItemToObject(p, "mean", cJSON_CreateFloatArray(c->input.mean, 3));
    cJSON_AddItemToObject(p, "std", cJSON_CreateFloatArray(c->input.std, 3));
    cJSON_AddNumberToObject(j, "skipped_images", (double)s->skipped);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

int fk_cmd_stats(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *dataset = NULL, *output = NULL;
    for (int i = 1; i < argc; i++) {
        int r = fk_cli_extract_option("stats", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i == argc)
                return fk_cli_usage_error("stats", "-o needs a file name");
            output = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fk_cli_usage_error("stats", "unknown option '%s'", argv[i]);
        } else if (!dataset) {
            dataset = argv[i];
        } else {
            return fk_cli_usage_error("stats", "one dataset at a time");
        }
    }
    if (!dataset || !output)
        return fk_cli_usage_error("stats", "a dataset and -o FILE.npz are needed");

    fk_error e = {0};
    fk_backbone *b = NULL;
    fk_feature_set set;
    fk_stats s;
    if (fk_cli_open_backbone(&o, NULL, 0, &b, &e))
        return fk_cli_report("stats", &e);
    if (fk_cli_extract_run(&o, b, dataset, &set, &e)) {
        fk_backbone_close(b);
        return fk_cli_report("stats", &e);
    }
    fk_status st = fk_feature_set_stats(&set, &s, &e);
    char *prov = provenance(dataset, b, &set);
    if (!st)
        st = fk_stats_write(output, &s, prov, &e);
    if (!st) {
        char ts[FK_TAG_STR_MAX];
        fk_tag_str(&s.tag, 0, ts, sizeof ts);
        if (o.json)
            printf("{\"file\": \"%s\", \"n\": %lld, \"d\": %d, \"skipped\": %lld, \"tag\": \"%s\"}\n",
                   output, (long long)s.n, s.d, (long long)set.skipped, ts);
        else
            printf("wrote %s: %lld images, %d-d features%s\n  tag %s\n", output, (long long)s.n,
                   s.d, set.skipped ? " (some skipped, see below)" : "", ts);
        if (set.skipped && !o.json)
            printf("  skipped %lld undecodable images\n", (long long)set.skipped);
        fk_stats_free(&s);
    }
    cJSON_free(prov);
    fk_feature_set_free(&set);
    fk_backbone_close(b);
    return st ? fk_cli_report("stats", &e) : FK_EXIT_OK;
}
