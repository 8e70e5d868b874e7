#include "base/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fk_temp_name(const char *path)
{
    char *a = strdup(path), *b = strdup(path);
    char *out = NULL;
    if (a && b) {
        const char *dir = dirname(a), *base = basename(b);
        size_t n = strlen(dir) + strlen(base) + 32;
        out = malloc(n);
        if (out) {
            snprintf(out, n, "%s/.%s.tmp-XXXXXX", dir, base);
            int fd = mkstemp(out);
            if (fd < 0) {
                free(out);
                out = NULL;
            } else {
                close(fd);
            }
        }
    }
    free(a);
    free(b);
    return out;
}

static void sync_dir_of(const char *path)
{
    char *a = strdup(path);
    if (!a)
        return;
    int fd = open(dirname(a), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse */
        close(fd);
    }
    free(a);
}

fk_status fk_commit_file(const char *tmp, const char *path, fk_error *e)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd)) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return fk_fail(e, FK_ERR_IO, "%s: cannot flush %s: %s", path, tmp, strerror(err));
    }
    close(fd);
    /* mkstemp made it 0600; give it the usual mode. */
    mode_t um = umask(0);
    umask(um);
    chmod(tmp, 0666 & ~um);
    if (rename(tmp, path))
        return fk_fail(e, FK_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp,
                       strerror(errno));
    sync_dir_of(path);
    return FK_OK;
}

fk_status fk_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               int n, fk_error *e)
{
    char *tmp = fk_temp_name(path);
    if (!tmp)
        return fk_fail(e, FK_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                       strerror(errno));
    FILE *f = fopen(tmp, "wb");
    fk_status st = FK_OK;
    if (!f) {
        st = fk_fail(e, FK_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    } else {
        for (int i = 0; i < n && !st; i++)
            if (sizes[i] && fwrite(parts[i], 1, sizes[i], f) != sizes[i])
                st = fk_fail(e, FK_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        if (fclose(f) && !st)
            st = fk_fail(e, FK_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    if (!st)
        st = fk_commit_file(tmp, path, e);
    if (st)
        unlink(tmp);
    free(tmp);
    return st;
}

fk_status fk_read_file(const char *path, size_t max, char **data, size_t *len, fk_error *e)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return fk_fail(e, FK_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max) {
        fclose(f);
        return fk_fail(e, FK_ERR_FORMAT, "%s: file of %lld bytes is larger than %zu", path,
                       (long long)sb.st_size, max);
    }
    size_t n = (size_t)sb.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        free(buf);
        return fk_fail(e, FK_ERR_IO, "%s: read error", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return FK_OK;
}
