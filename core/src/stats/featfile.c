/* Features files; see featfile.h. */
#include "fidkit/featfile.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fidkit/npz.h"

#define META "fidkit"

fk_status fk_featfile_write(const char *path, const fk_featset *sets, int n,
                            const char *extra_json, fk_error *e)
{
    if (n < 1)
        return fk_fail(e, FK_ERR_ARG, "%s: no features to write", path);
    for (int k = 0; k < n; k++)
        if (!sets[k].rows)
            return fk_fail(e, FK_ERR_ARG, "%s: output %s was not kept", path, sets[k].tag.layer);
    cJSON *j = extra_json ? cJSON_Parse(extra_json) : cJSON_CreateObject();
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return fk_fail(e, FK_ERR_INTERNAL, "%s: extra metadata is not a JSON object", path);
    }
    cJSON_AddStringToObject(j, "format", "fidkit-features");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddStringToObject(j, "fidkit_version", fk_version());
    cJSON_AddNumberToObject(j, "n", (double)sets[0].n);
    cJSON *m = cJSON_AddObjectToObject(j, "members");
    char names[16][80];
    for (int k = 0; k < n && k < 16; k++) {
        char ts[FK_TAG_STR_MAX];
        if (k == 0)
            snprintf(names[k], sizeof names[k], "feats");
        else
            snprintf(names[k], sizeof names[k], "feats_%s", sets[k].tag.layer);
        cJSON *o = cJSON_AddObjectToObject(m, names[k]);
        cJSON_AddStringToObject(o, "tag", fk_tag_str(&sets[k].tag, 0, ts, sizeof ts));
        cJSON_AddNumberToObject(o, "d", sets[k].d);
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_npz_writer *w;
    fk_status st = fk_npz_writer_open(&w, path, 0, e);
    for (int k = 0; !st && k < n && k < 16; k++) {
        fk_array a = {FK_F32, 2, {sets[k].n, sets[k].d}, sets[k].rows};
        st = fk_npz_writer_add(w, names[k], &a, e);
    }
    fk_array meta = {FK_U8, 1, {(int64_t)strlen(text)}, text};
    if (!st)
        st = fk_npz_writer_add(w, META, &meta, e);
    if (!st)
        st = fk_npz_writer_commit(w, e);
    else if (w)
        fk_npz_writer_abort(w);
    cJSON_free(text);
    return st;
}

int fk_featfile_is(const char *path)
{
    size_t l = strlen(path);
    return l > 4 && !strcmp(path + l - 4, ".npz") && fk_npz_has(path, "feats");
}

fk_status fk_featfile_read(const char *path, const char *layer, float **rows, int64_t *n, int *d,
                           fk_tag *tag, int *has_tag, fk_error *e)
{
    *rows = NULL;
    *has_tag = 0;
    char member[96];
    if (layer)
        snprintf(member, sizeof member, "feats_%s", layer);
    else
        snprintf(member, sizeof member, "feats");
    fk_array a = {0};
    fk_status st;
    /* The main output is `feats`; asking for it by name also works. */
    if (layer && !fk_npz_has(path, member))
        snprintf(member, sizeof member, "feats");
    if ((st = fk_npz_load(path, member, &a, e)))
        return st;
    if (a.dtype != FK_F32 || a.ndim != 2 || a.shape[1] < 1) {
        char b[64];
        st = fk_fail(e, FK_ERR_FORMAT, "%s: '%s' is %s %s; float32 (N, d) expected", path, member,
                     fk_dtype_name(a.dtype), fk_array_shape_str(&a, b, sizeof b));
        fk_array_free(&a);
        return st;
    }
    if (fk_npz_has(path, META)) {
        fk_array m;
        if ((st = fk_npz_load(path, META, &m, e))) {
            fk_array_free(&a);
            return st;
        }
        char *text = calloc(1, (size_t)fk_array_count(&m) + 1);
        if (text)
            memcpy(text, m.data, (size_t)fk_array_count(&m));
        fk_array_free(&m);
        /* A NUL inside a JSON string would cut the tag short unseen. */
        cJSON *j = text && !strstr(text, "\\u0000") ? cJSON_Parse(text) : NULL;
        free(text);
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "members"), member);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(mem, "tag");
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(mem, "n");
        if (!mn)
            mn = cJSON_GetObjectItemCaseSensitive(j, "n");
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(mem, "d");
        /* What the metadata says of the rows must be what the array holds. */
        if ((mn && !(cJSON_IsNumber(mn) && mn->valuedouble == (double)a.shape[0])) ||
            (md && !(cJSON_IsNumber(md) && md->valuedouble == (double)a.shape[1]))) {
            st = fk_fail(e, FK_ERR_FORMAT, "%s: fidkit metadata of '%s' says n=%g, d=%g but the "
                         "array is %lld x %lld", path, member, cJSON_IsNumber(mn) ? mn->valuedouble : -1,
                         cJSON_IsNumber(md) ? md->valuedouble : -1, (long long)a.shape[0],
                         (long long)a.shape[1]);
        } else if (cJSON_IsString(t)) {
            st = fk_tag_parse(t->valuestring, tag, e);
            *has_tag = !st;
        } else {
            st = fk_fail(e, FK_ERR_FORMAT, "%s: fidkit metadata has no tag for '%s'", path, member);
        }
        cJSON_Delete(j);
        if (st) {
            fk_array_free(&a);
            if (e)
                e->code = FK_ERR_FORMAT;
            return FK_ERR_FORMAT;
        }
        if (layer && strcmp(tag->layer, layer)) {
            char ts[FK_TAG_STR_MAX];
            st = fk_fail(e, FK_ERR_ARG, "%s holds no output '%s' (its features are %s)", path,
                         layer, fk_tag_str(tag, 1, ts, sizeof ts));
            fk_array_free(&a);
            return st;
        }
    }
    *rows = a.data;
    *n = a.shape[0];
    *d = (int)a.shape[1];
    return FK_OK;
}
