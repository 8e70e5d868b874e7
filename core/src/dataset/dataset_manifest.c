/* Manifests of (image, caption) pairs for text-image metrics, in file order;
 * image paths are relative to the manifest's folder (or absolute).
 *
 *   .csv    RFC 4180: a header row naming the columns `image` and `caption`
 *           (others are ignored); fields may be quoted, with "" for a quote
 *           and commas and line breaks inside quotes; CRLF or LF.
 *   .jsonl  one JSON object per line with string members "image" and
 *           "caption"; blank lines are ignored. */
#include "dataset/dataset_impl.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const ds_ops manifest_ops = {ds_load_file, NULL};

/* Adds one pair; image is the path as written. */
static fk_status add_pair(fk_dataset *ds, ds_strvec *names, ds_strvec *files, ds_strvec *caps,
                          const char *image, size_t il, const char *caption, size_t cl,
                          fk_error *e)
{
    fk_status s = ds_strvec_pushdup(names, image, il, e);
    if (s == FK_OK)
        s = ds_strvec_push(files, ds_resolve(ds->path, names->v[names->n - 1]), e);
    if (s == FK_OK)
        s = ds_strvec_pushdup(caps, caption, cl, e);
    return s;
}

static fk_status finish(fk_dataset *ds, ds_strvec *names, ds_strvec *files, ds_strvec *caps,
                        fk_status s)
{
    if (s == FK_OK && (names->n != files->n || names->n != caps->n))
        s = FK_ERR_INTERNAL;
    if (s != FK_OK) {
        ds_strvec_free(names);
        ds_strvec_free(files);
        ds_strvec_free(caps);
        return s;
    }
    ds->ops = &manifest_ops;
    ds->names = names->v;
    ds->files = files->v;
    ds->captions = caps->v;
    ds->n = names->n;
    return FK_OK;
}

/* ---- CSV ------------------------------------------------------------------------ */

typedef struct csv {
    const char *t;
    size_t len, pos;
    long line;        /* 1-based line of pos, for messages */
    ds_strvec fields; /* of the current record */
} csv;

/* Parses one record into c->fields. *eof is set when no record is left.
 * A record that is a single empty line is returned as one empty field. */
static fk_status csv_record(csv *c, const char *path, int *eof, fk_error *e)
{
    ds_strvec_free(&c->fields);
    *eof = c->pos >= c->len;
    if (*eof)
        return FK_OK;
    char *buf = malloc(c->len - c->pos + 1);
    if (!buf)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    fk_status s = FK_OK;
    long start_line = c->line;
    for (;;) {
        size_t n = 0;
        if (c->pos < c->len && c->t[c->pos] == '"') {
            c->pos++;
            for (;;) {
                if (c->pos >= c->len) {
                    s = fk_fail(e, FK_ERR_FORMAT,
                                "%s: line %ld: a quoted field is never closed", path, start_line);
                    break;
                }
                char ch = c->t[c->pos++];
                if (ch == '"') {
                    if (c->pos < c->len && c->t[c->pos] == '"') {
                        buf[n++] = '"';
                        c->pos++;
                        continue;
                    }
                    break;
                }
                if (ch == '\n')
                    c->line++;
                buf[n++] = ch;
            }
            if (s != FK_OK)
                break;
            /* After the closing quote only a separator or the end of the
             * record may follow. */
            if (c->pos < c->len && c->t[c->pos] != ',' && c->t[c->pos] != '\n' &&
                !(c->t[c->pos] == '\r' && (c->pos + 1 >= c->len || c->t[c->pos + 1] == '\n'))) {
                s = fk_fail(e, FK_ERR_FORMAT,
                            "%s: line %ld: unexpected character after a closing quote", path,
                            c->line);
                break;
            }
        } else {
            while (c->pos < c->len && c->t[c->pos] != ',' && c->t[c->pos] != '\n') {
                if (c->t[c->pos] == '\r' && (c->pos + 1 >= c->len || c->t[c->pos + 1] == '\n')) {
                    break;
                }
                buf[n++] = c->t[c->pos++];
            }
        }
        s = ds_strvec_pushdup(&c->fields, buf, n, e);
        if (s != FK_OK)
            break;
        if (c->pos < c->len && c->t[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->pos < c->len && c->t[c->pos] == '\r')
            c->pos++;
        if (c->pos < c->len && c->t[c->pos] == '\n') {
            c->pos++;
            c->line++;
        }
        break;
    }
    free(buf);
    return s;
}

static int blank_record(const csv *c)
{
    return c->fields.n == 1 && c->fields.v[0][0] == 0;
}

static char *trimmed_dup(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

fk_status ds_open_csv(fk_dataset *ds, fk_error *e)
{
    ds->kind = "csv";
    char *text;
    size_t len;
    fk_status s = ds_read_file(ds->path, &text, &len, e);
    if (s != FK_OK)
        return s;
    csv c = {text, len, 0, 1, {0}};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.pos = 3; /* Excel writes a byte-order mark */
    ds_strvec names = {0}, files = {0}, caps = {0};
    int eof = 0;
    int64_t ncol = 0, col_image = -1, col_caption = -1;
    /* The header: the first record that is not blank. */
    do {
        s = csv_record(&c, ds->path, &eof, e);
    } while (s == FK_OK && !eof && blank_record(&c));
    if (s == FK_OK && eof)
        s = fk_fail(e, FK_ERR_FORMAT, "%s: empty manifest (no header row)", ds->path);
    if (s == FK_OK) {
        ncol = c.fields.n;
        for (int64_t k = 0; k < ncol && s == FK_OK; k++) {
            char *h = trimmed_dup(c.fields.v[k]);
            if (!h) {
                s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
                break;
            }
            if (strcmp(h, "image") == 0 && col_image < 0)
                col_image = k;
            else if (strcmp(h, "caption") == 0 && col_caption < 0)
                col_caption = k;
            free(h);
        }
        if (s == FK_OK && (col_image < 0 || col_caption < 0))
            s = fk_fail(e, FK_ERR_FORMAT,
                        "%s: the header row must name the columns 'image' and 'caption'%s%s",
                        ds->path, col_image < 0 ? " (no 'image')" : "",
                        col_caption < 0 ? " (no 'caption')" : "");
    }
    while (s == FK_OK) {
        long line = c.line;
        s = csv_record(&c, ds->path, &eof, e);
        if (s != FK_OK || eof)
            break;
        if (blank_record(&c))
            continue;
        if (c.fields.n != ncol) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: line %ld has %lld fields, the header has %lld",
                        ds->path, line, (long long)c.fields.n, (long long)ncol);
            break;
        }
        const char *im = c.fields.v[col_image], *cap = c.fields.v[col_caption];
        if (!im[0]) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: line %ld has an empty image path", ds->path, line);
            break;
        }
        s = add_pair(ds, &names, &files, &caps, im, strlen(im), cap, strlen(cap), e);
    }
    ds_strvec_free(&c.fields);
    free(text);
    return finish(ds, &names, &files, &caps, s);
}

/* ---- JSONL ---------------------------------------------------------------------- */

fk_status ds_open_jsonl(fk_dataset *ds, fk_error *e)
{
    ds->kind = "jsonl";
    char *text;
    size_t len;
    fk_status s = ds_read_file(ds->path, &text, &len, e);
    if (s != FK_OK)
        return s;
    ds_strvec names = {0}, files = {0}, caps = {0};
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    long line = 0;
    while (s == FK_OK && pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = pos, b = end;
        pos = end + 1;
        while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
            a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
            b--;
        if (a == b)
            continue;
        cJSON *j = cJSON_ParseWithLength(text + a, b - a);
        if (!j) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: line %ld is not valid JSON", ds->path, line);
            break;
        }
        const cJSON *im = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "image") : NULL;
        const cJSON *cap =
            cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "caption") : NULL;
        if (!cJSON_IsString(im) || !cJSON_IsString(cap) || !im->valuestring[0])
            s = fk_fail(e, FK_ERR_FORMAT,
                        "%s: line %ld: expected an object with string members \"image\" and "
                        "\"caption\"",
                        ds->path, line);
        else
            s = add_pair(ds, &names, &files, &caps, im->valuestring, strlen(im->valuestring),
                         cap->valuestring, strlen(cap->valuestring), e);
        cJSON_Delete(j);
    }
    free(text);
    return finish(ds, &names, &files, &caps, s);
}
