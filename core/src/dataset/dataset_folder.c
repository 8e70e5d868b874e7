/* A folder of images: recursive, sorted bytewise by relative path.
 *
 * Symbolic links are followed (to files and to folders), but a folder that is
 * already one of the current folder's ancestors (same device and inode) is not
 * entered again, so a link loop ends the walk instead of hanging it. Dangling
 * links are ignored like other non-image entries. */
#include "dataset/dataset_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 256

typedef struct walk {
    const char *root;
    ds_strvec rel;
    dev_t dev[MAX_DEPTH];
    ino_t ino[MAX_DEPTH];
} walk;

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rel is "" for the root, else "sub/dir". */
static fk_status walk_dir(walk *w, const char *rel, int depth, fk_error *e)
{
    char *full = rel[0] ? join(w->root, rel) : strdup(w->root);
    if (!full)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory walking the folder", w->root);
    DIR *d = opendir(full);
    if (!d) {
        fk_status s = fk_fail(e, FK_ERR_IO, "%s: cannot read folder: %s", full, strerror(errno));
        free(full);
        return s;
    }
    fk_status s = FK_OK;
    struct dirent *de;
    while (s == FK_OK && (errno = 0, de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
        char *path = join(full, nm);
        char *sub = rel[0] ? join(rel, nm) : strdup(nm);
        if (!path || !sub) {
            free(path);
            free(sub);
            s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory walking the folder", w->root);
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            /* An image the listing names but stat cannot see (a dangling
             * link, no permission, vanished meanwhile) would make the
             * dataset silently smaller: refuse. Other names do not count. */
            int err = errno;
            if (ds_is_image_name(nm))
                s = fk_fail(e, FK_ERR_IO, "%s: cannot stat this image of the folder: %s (remove "
                            "it or fix it; fidkit never drops files silently)", path, strerror(err));
            free(path);
            free(sub);
            continue;
        }
        free(path);
        if (S_ISDIR(st.st_mode)) {
            int loop = 0;
            for (int k = 0; k <= depth; k++)
                if (w->dev[k] == st.st_dev && w->ino[k] == st.st_ino)
                    loop = 1;
            if (!loop && depth + 1 < MAX_DEPTH) {
                w->dev[depth + 1] = st.st_dev;
                w->ino[depth + 1] = st.st_ino;
                s = walk_dir(w, sub, depth + 1, e);
            } else if (!loop) {
                s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s/%s: folders nested deeper than %d",
                            w->root, sub, MAX_DEPTH);
            }
            free(sub);
        } else if (S_ISREG(st.st_mode) && ds_is_image_name(nm)) {
            s = ds_strvec_push(&w->rel, sub, e);
        } else {
            free(sub);
        }
    }
    if (s == FK_OK && errno != 0)
        s = fk_fail(e, FK_ERR_IO, "%s: error reading folder: %s", full, strerror(errno));
    closedir(d);
    free(full);
    return s;
}

static const ds_ops folder_ops = {ds_load_file, NULL};

fk_status ds_open_folder(fk_dataset *ds, fk_error *e)
{
    ds->kind = "folder";
    ds->ops = &folder_ops;
    walk *w = calloc(1, sizeof *w);
    if (!w)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    w->root = ds->path;
    struct stat st;
    fk_status s = FK_OK;
    if (stat(ds->path, &st) != 0)
        s = fk_fail(e, FK_ERR_IO, "%s: cannot open folder: %s", ds->path, strerror(errno));
    if (s == FK_OK) {
        w->dev[0] = st.st_dev;
        w->ino[0] = st.st_ino;
        s = walk_dir(w, "", 0, e);
    }
    if (s == FK_OK && w->rel.n > 0) {
        qsort(w->rel.v, (size_t)w->rel.n, sizeof *w->rel.v, cmp_str);
        ds->files = malloc((size_t)w->rel.n * sizeof *ds->files);
        if (!ds->files)
            s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
        int64_t i = 0;
        for (; s == FK_OK && i < w->rel.n; i++) {
            ds->files[i] = join(ds->path, w->rel.v[i]);
            if (!ds->files[i])
                s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
        }
        if (s != FK_OK && ds->files) {
            for (int64_t k = 0; k < i; k++)
                free(ds->files[k]);
            free(ds->files);
            ds->files = NULL;
        }
    }
    if (s == FK_OK) {
        ds->names = w->rel.v; /* ownership moves to the dataset */
        ds->n = w->rel.n;
    } else {
        ds_strvec_free(&w->rel);
    }
    free(w);
    return s;
}
