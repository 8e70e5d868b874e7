#include "base/fileutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *fk_temp_name(const char *path)
{
    char *a = strdup(path), *b = strdup(path);
    char *out = NULL;
    if (a && b) {
        const char *dir = dirname(a), *base = basename(b);
        size_t n = strlen(dir) + strlen(base) + 48;
        out = malloc(n);
        if (out) {
            /* The pid lets a later run tell a killed writer's file (stale). */
            snprintf(out, n, "%s/.%s.tmp-%ld-XXXXXX", dir, base, (long)getpid());
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

/* Writes all of tmp's bytes to path, opened as it is (a character device,
 * a FIFO): every write and the close are checked. */
static fk_status copy_through(const char *tmp, const char *path, fk_error *e)
{
    int in = open(tmp, O_RDONLY);
    if (in < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot reopen %s: %s", path, tmp, strerror(errno));
    int out = open(path, O_WRONLY | O_NOCTTY);
    if (out < 0) {
        int err = errno;
        close(in);
        return fk_fail(e, FK_ERR_IO, "%s: cannot open for writing: %s", path, strerror(err));
    }
    fk_status st = FK_OK;
    char buf[1 << 16];
    for (;;) {
        ssize_t got = read(in, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = fk_fail(e, FK_ERR_IO, "%s: cannot read %s: %s", path, tmp, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        for (ssize_t off = 0; off < got && !st;) {
            ssize_t w = write(out, buf + off, (size_t)(got - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                st = fk_fail(e, FK_ERR_IO, "%s: write failed: %s", path,
                             w < 0 ? strerror(errno) : "nothing written");
            else
                off += w;
        }
        if (st)
            break;
    }
    close(in);
    if (close(out) && !st)
        st = fk_fail(e, FK_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return st;
}

/* What an output path names: 0 nothing (created by rename), 1 a regular
 * file (replaced by rename; *target is the file a symlink names), 2 a
 * character device or FIFO (written through), -1 refused (e set). */
static int output_kind(const char *path, char **target, fk_error *e)
{
    struct stat l, s;
    *target = NULL;
    if (lstat(path, &l)) {
        if (errno == ENOENT)
            return 0;
        fk_fail(e, FK_ERR_IO, "%s: cannot check the output: %s", path, strerror(errno));
        return -1;
    }
    if (stat(path, &s)) {
        fk_fail(e, FK_ERR_IO, "%s: is a symlink to nothing (%s); refusing to replace the link",
                path, strerror(errno));
        return -1;
    }
    if (S_ISCHR(s.st_mode) || S_ISFIFO(s.st_mode))
        return 2;
    if (!S_ISREG(s.st_mode)) {
        fk_fail(e, FK_ERR_IO, "%s: is %s, not a file; refusing to replace it", path,
                S_ISDIR(s.st_mode) ? "a directory" : S_ISBLK(s.st_mode) ? "a block device"
                : S_ISSOCK(s.st_mode) ? "a socket" : "not a regular file");
        return -1;
    }
    if (S_ISLNK(l.st_mode)) { /* keep the link: replace the file it names */
        char *r = realpath(path, NULL);
        if (!r) {
            fk_fail(e, FK_ERR_IO, "%s: cannot resolve the symlink: %s", path, strerror(errno));
            return -1;
        }
        *target = r;
    }
    return 1;
}

fk_status fk_commit_file(const char *tmp, const char *path, fk_error *e)
{
    char *target;
    int kind = output_kind(path, &target, e);
    if (kind < 0)
        return e ? e->code : FK_ERR_IO;
    if (kind == 2) {
        fk_status st = copy_through(tmp, path, e);
        if (!st)
            unlink(tmp);
        return st;
    }
    const char *dest = target ? target : path;
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd)) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        free(target);
        return fk_fail(e, FK_ERR_IO, "%s: cannot flush %s: %s", path, tmp, strerror(err));
    }
    if (close(fd)) {
        int err = errno;
        free(target);
        return fk_fail(e, FK_ERR_IO, "%s: cannot flush %s: %s", path, tmp, strerror(err));
    }
    /* mkstemp made it 0600; give it the usual mode. */
    mode_t um = umask(0);
    umask(um);
    chmod(tmp, 0666 & ~um);
    if (rename(tmp, dest)) {
        int err = errno;
        free(target);
        return fk_fail(e, FK_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp,
                       strerror(err));
    }
    sync_dir_of(dest);
    free(target);
    return FK_OK;
}

/* Removes ".BASE.tmp-PID-XXXXXX" beside path whose writer is gone (no such
 * process here) and that nobody touched for 10 minutes, and temporaries of
 * older versions (".BASE.tmp-XXXXXX") untouched for an hour. */
static void clean_stale(const char *path)
{
    char *a = strdup(path), *b = strdup(path);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    const char *dir = dirname(a), *base = basename(b);
    char prefix[NAME_MAX + 16];
    int pl = snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
    DIR *d = (pl > 0 && (size_t)pl < sizeof prefix) ? opendir(dir) : NULL;
    time_t now = time(NULL);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (strncmp(de->d_name, prefix, (size_t)pl))
            continue;
        const char *rest = de->d_name + pl;
        char *end;
        long pid = strtol(rest, &end, 10);
        int with_pid = end != rest && *end == '-' && strlen(end + 1) == 6 && pid > 0;
        int old_form = !with_pid && strlen(rest) == 6;
        if (!with_pid && !old_form)
            continue;
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%s/%s", dir, de->d_name) >= (int)sizeof full)
            continue;
        struct stat s;
        if (lstat(full, &s) || !S_ISREG(s.st_mode))
            continue;
        double age = difftime(now, s.st_mtime);
        int gone = with_pid && kill((pid_t)pid, 0) && errno == ESRCH;
        if ((gone && age > 600) || (old_form && age > 3600))
            unlink(full);
    }
    if (d)
        closedir(d);
    free(a);
    free(b);
}

fk_status fk_output_prepare(const char *path, const char *const *inputs, int n_inputs,
                            fk_error *e)
{
    if (!path || !path[0])
        return fk_fail(e, FK_ERR_ARG, "an empty output path");
    char *target;
    int kind = output_kind(path, &target, e);
    free(target);
    if (kind < 0)
        return e ? e->code : FK_ERR_IO;
    struct stat o;
    if (kind > 0 && !stat(path, &o) && S_ISREG(o.st_mode))
        for (int i = 0; i < n_inputs; i++) {
            struct stat s;
            if (inputs[i] && !stat(inputs[i], &s) && s.st_dev == o.st_dev && s.st_ino == o.st_ino)
                return fk_fail(e, FK_ERR_ARG, "%s: the output is the input %s; refusing to "
                               "overwrite an input", path, inputs[i]);
        }
    if (kind == 2)
        return FK_OK;
    clean_stale(path);
    /* Prove the folder takes a new file now, not after the work. */
    char *tmp = fk_temp_name(path);
    if (!tmp) {
        int err = errno;
        char *a = strdup(path);
        fk_fail(e, FK_ERR_IO, "%s: cannot create a file in %s: %s", path, a ? dirname(a) : "its folder",
                strerror(err));
        free(a);
        return FK_ERR_IO;
    }
    unlink(tmp);
    free(tmp);
    return FK_OK;
}

fk_status fk_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               int n, fk_error *e)
{
    char *target;
    int kind = output_kind(path, &target, e); /* refuse before writing anything */
    free(target);
    if (kind < 0)
        return e ? e->code : FK_ERR_IO;
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
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
     * refused by the regular-file check, as /dev/zero is. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fk_fail(e, FK_ERR_IO, "%s: not a regular file (%s)", path,
                       S_ISDIR(sb.st_mode) ? "it is a folder" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                       : S_ISCHR(sb.st_mode) ? "a character device" : "a special file");
    }
    if ((uint64_t)sb.st_size > max) {
        close(fd);
        return fk_fail(e, FK_ERR_FORMAT, "%s: file of %lld bytes is larger than the %zu fidkit "
                       "reads", path, (long long)sb.st_size, max);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    /* The size is a hint (the file may change): read to EOF, never past max. */
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    fk_status st = buf ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    while (!st) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = fk_fail(e, FK_ERR_IO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max) {
            st = fk_fail(e, FK_ERR_FORMAT, "%s: grew past the %zu bytes fidkit reads", path, max);
            break;
        }
        if (n == cap) {
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = nc > cap ? realloc(buf, nc + 1) : NULL;
            if (!nb) {
                st = nc > cap ? fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path)
                              : fk_fail(e, FK_ERR_FORMAT, "%s: grew past the %zu bytes fidkit "
                                        "reads", path, max);
                break;
            }
            buf = nb;
            cap = nc;
        }
    }
    close(fd);
    if (st) {
        free(buf);
        return st;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return FK_OK;
}

int fk_user_dir(const char *override, const char *xdg_var, const char *home_rel,
                const char *sub, char *out, size_t n)
{
    const char *d = override ? getenv(override) : NULL, *x = getenv(xdg_var),
               *home = getenv("HOME");
    int w;
    if (d && *d)
        w = snprintf(out, n, "%s", d);
    else if (x && *x)
        w = snprintf(out, n, "%s/%s", x, sub);
    else if (home && *home)
        w = snprintf(out, n, "%s/%s/%s", home, home_rel, sub);
    else
        return 0;
    return w >= 0 && (size_t)w < n;
}

fk_status fk_mkdir_p(const char *dir, unsigned mode, fk_error *e)
{
    char tmp[4096];
    int w = snprintf(tmp, sizeof tmp, "%s", dir);
    if (w <= 0 || (size_t)w >= sizeof tmp)
        return fk_fail(e, FK_ERR_ARG, "folder path '%.64s...' is empty or too long", dir);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, (mode_t)mode) && errno != EEXIST)
                return fk_fail(e, FK_ERR_IO, "%s: cannot create folder: %s", tmp, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return FK_OK;
}

