/* What --assume-backbone names: a tag as written, or the tag a config's
 * main output gives (refs.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/refs.h"
#include "fidkit/registry.h"

fk_status fk_assumed_tag(const char *config_or_tag, fk_tag *t, char *config_path, size_t n,
                         fk_error *e)
{
    if (config_path && n)
        config_path[0] = 0;
    fk_error te = {0};
    if (strchr(config_or_tag, '@') && !fk_tag_parse(config_or_tag, t, &te))
        return FK_OK;
    char path[1024];
    fk_config c;
    fk_status st = fk_config_find(config_or_tag, path, sizeof path, e);
    if (!st)
        st = fk_config_load(path, &c, e);
    if (st)
        return fk_fail_prefix(e, "'%s' is neither a tag nor a config", config_or_tag);
    char abs[4096];
    if (config_path) /* recorded in the registry: valid from any folder */
        snprintf(config_path, n, "%s", realpath(c.path, abs) ? abs : c.path);
    if (c.random_weights || strlen(c.weights_sha256) == 64) {
        fk_config_tag(&c, c.random_weights ? NULL : c.weights_sha256, t);
        return FK_OK;
    }
    fk_backbone *b;
    if ((st = fk_backbone_open(&c, NULL, 0, &b, e)))
        return st;
    fk_backbone_tag(b, 0, t);
    fk_backbone_close(b);
    return FK_OK;
}
