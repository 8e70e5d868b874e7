/* A list file: one image path per line, relative to the list's folder (or
 * absolute), in the order written. Blank lines and lines whose first
 * non-blank character is '#' are ignored; surrounding blanks and a CR before
 * the LF are trimmed. */
#include "dataset/dataset_impl.h"

#include <stdlib.h>
#include <string.h>

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static const ds_ops list_ops = {ds_load_file, NULL};

fk_status ds_open_list(fk_dataset *ds, fk_error *e)
{
    ds->kind = "list";
    ds->ops = &list_ops;
    char *text;
    size_t len;
    fk_status s = ds_read_file(ds->path, &text, &len, e);
    if (s != FK_OK)
        return s;
    ds_strvec names = {0}, files = {0};
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a UTF-8 byte-order mark, as some editors write */
    long line = 0;
    while (s == FK_OK && pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = pos, b = end;
        pos = end + 1;
        while (a < b && blank(text[a]))
            a++;
        while (b > a && blank(text[b - 1]))
            b--;
        if (a == b || text[a] == '#')
            continue;
        if (memchr(text + a, 0, b - a)) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: line %ld holds a NUL byte", ds->path, line);
            break;
        }
        s = ds_strvec_pushdup(&names, text + a, b - a, e);
        if (s == FK_OK)
            s = ds_strvec_push(&files, ds_resolve(ds->path, names.v[names.n - 1]), e);
    }
    free(text);
    if (s != FK_OK) {
        ds_strvec_free(&names);
        ds_strvec_free(&files);
        return s;
    }
    ds->names = names.v;
    ds->files = files.v;
    ds->n = names.n;
    return FK_OK;
}
