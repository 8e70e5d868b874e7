/* Fetching one file: the lock, the candidates (source or mirror), the copy
 * or download into DEST.part, the SHA-256 check and the rename. The HTTP
 * transfer itself is in fetch_http.c. See fetch.h. */
#include "fidkit/fetch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/fileio.h"
#include "weights/fetch_internal.h"

static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0");
}

int fk_fetch_offline(void) { return env_flag("FIDKIT_OFFLINE"); }

int fk_fetch_auto(void)
{
    const char *v = getenv("FIDKIT_AUTO_FETCH");
    return v && !strcmp(v, "1") && !fk_fetch_offline();
}

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    long x = strtol(v, &end, 10);
    return *end || x < lo || x > hi ? def : x;
}

void fk_fetch_options_init(fk_fetch_options *o)
{
    memset(o, 0, sizeof *o);
    o->offline = fk_fetch_offline();
    o->progress = isatty(STDERR_FILENO);
    o->retries = (int)env_long("FIDKIT_FETCH_RETRIES", 4, 0, 100);
    o->backoff_ms = (int)env_long("FIDKIT_FETCH_BACKOFF_MS", 1000, 0, 600000);
    o->timeout_s = env_long("FIDKIT_FETCH_TIMEOUT", 30, 1, 86400);
    const char *m = getenv("FIDKIT_WEIGHTS_MIRROR");
    if (m)
        snprintf(o->mirror, sizeof o->mirror, "%s", m);
}

int fk_fetch_candidate(const char *source, const char *mirror, int i, char *out, size_t n,
                       int *local)
{
    *local = 0;
    if (!mirror || !*mirror) {
        if (i)
            return 0;
        snprintf(out, n, "%s", source);
        return 1;
    }
    /* The path of the source without query or fragment, and its last part. */
    const char *sch = strstr(source, "://");
    const char *p = sch ? strchr(sch + 3, '/') : NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s", p ? p : "/");
    path[strcspn(path, "?#")] = 0;
    const char *base = strrchr(path, '/') + 1;
    char m[1024];
    snprintf(m, sizeof m, "%s", mirror);
    for (size_t l = strlen(m); l > 1 && m[l - 1] == '/'; l--)
        m[l - 1] = 0;
    int is_local = !strstr(m, "://") || !strncmp(m, "file://", 7);
    const char *root = strncmp(m, "file://", 7) ? m : m + 7;
    if (!*base)
        return 0;
    /* A local folder holds the files by name; a URL mirror mirrors the
     * source's layout. Either way the other form is the second candidate. */
    char flat[2048], tree[2048];
    snprintf(flat, sizeof flat, "%s/%s", root, base);
    snprintf(tree, sizeof tree, "%s%s", root, path);
    const char *c0 = is_local ? flat : tree, *c1 = is_local ? tree : flat;
    if (i == 0)
        snprintf(out, n, "%s", c0);
    else if (i == 1 && strcmp(c0, c1))
        snprintf(out, n, "%s", c1);
    else
        return 0;
    *local = is_local;
    return 1;
}

static int is_file(const char *p)
{
    struct stat sb;
    return !stat(p, &sb) && S_ISREG(sb.st_mode);
}

void fk_fetch_say(const fk_fetch_options *o, const char *fmt, ...)
{
    if (o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("fidkit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void fk_fetch_size_text(int64_t b, char *out, size_t n)
{
    if (b <= 0)
        snprintf(out, n, "size unknown");
    else if (b < 1000000)
        snprintf(out, n, "%.1f kB", (double)b / 1e3);
    else
        snprintf(out, n, "%.1f MB", (double)b / 1e6);
}

/* Checks a file that is there against want. */
static fk_status verify(const char *name, const char *path, const char *want, fk_error *e)
{
    char got[65];
    fk_status st = fk_sha256_file(path, got, e);
    if (st)
        return st;
    if (strcmp(got, want))
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s is there but has SHA-256 %s, expected %s: a "
                       "different or damaged file, left alone; remove it to fetch it again",
                       name, path, got, want);
    return FK_OK;
}

/* Copies a mirror's file into part. */
static fk_status copy_local(const char *src, const char *part, int64_t size, fk_error *e)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", src, strerror(errno));
    struct stat sb;
    if (fstat(in, &sb) || !S_ISREG(sb.st_mode)) {
        close(in);
        return fk_fail(e, FK_ERR_IO, "%s: not a regular file", src);
    }
    if (size > 0 && sb.st_size != size) {
        close(in);
        return fk_fail(e, FK_ERR_FORMAT, "%s: %lld bytes, the config expects %lld", src,
                       (long long)sb.st_size, (long long)size);
    }
    int out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return fk_fail(e, FK_ERR_IO, "%s: cannot write: %s", part, strerror(errno));
    }
    static const size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    fk_status st = buf ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (ssize_t r; !st && (r = read(in, buf, chunk)) != 0;) {
        if (r < 0) {
            if (errno != EINTR)
                st = fk_fail(e, FK_ERR_IO, "%s: read error: %s", src, strerror(errno));
            continue;
        }
        for (ssize_t w = 0, k; !st && w < r; w += k)
            if ((k = write(out, buf + w, (size_t)(r - w))) < 0 && errno != EINTR)
                st = fk_fail(e, FK_ERR_IO, "%s: write error: %s", part, strerror(errno));
            else if (k < 0)
                k = 0;
    }
    free(buf);
    close(in);
    if (close(out) && !st)
        st = fk_fail(e, FK_ERR_IO, "%s: write error: %s", part, strerror(errno));
    return st;
}

/* flock on DEST.lock. The holder removes the lock file when it is done, so
 * a waiter that then gets the lock checks that the file it locked is still
 * the one at that path (else a third process may hold the new one) and
 * starts over if not. */
static fk_status take_lock(const char *name, const char *lp, const fk_fetch_options *o, int *fd,
                           fk_error *e)
{
    for (int said = 0;;) {
        *fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (*fd < 0)
            return fk_fail(e, FK_ERR_IO, "%s: cannot create the lock file: %s", lp, strerror(errno));
        int r = flock(*fd, LOCK_EX | LOCK_NB);
        if (r && errno == EWOULDBLOCK) {
            if (!said++)
                fk_fetch_say(o, "waiting for another process that is fetching %s (%s)", name, lp);
            while ((r = flock(*fd, LOCK_EX)) && errno == EINTR)
                ;
        }
        if (r) {
            int err = errno;
            close(*fd);
            return fk_fail(e, FK_ERR_IO, "%s: cannot lock: %s", lp, strerror(err));
        }
        struct stat a, b;
        if (!fstat(*fd, &a) && !stat(lp, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return FK_OK;
        close(*fd);
    }
}

static void drop_lock(const char *lp, int fd)
{
    unlink(lp);
    close(fd);
}

static int valid_sha(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
            return 0;
    return n == 64;
}

/* Gets the file into part from the first candidate that has it. */
static fk_status get_part(const char *name, const char *url, int64_t size, const char *part,
                          const fk_fetch_options *o, int *used_range, char *from, size_t nf,
                          fk_error *e)
{
    char cand[2048], missing[4200] = "";
    int local;
    fk_status st = FK_ERR_IO;
    for (int i = 0; fk_fetch_candidate(url, o->mirror, i, cand, sizeof cand, &local); i++) {
        snprintf(from, nf, "%s", cand);
        if (local) {
            if (!is_file(cand)) {
                size_t k = strlen(missing);
                snprintf(missing + k, sizeof missing - k, "%s%s", k ? ", " : "", cand);
                continue;
            }
            char sz[32];
            fk_fetch_size_text(size, sz, sizeof sz);
            fk_fetch_say(o, "copying %s (%s) from the mirror %s", name, sz, cand);
            return copy_local(cand, part, size, e);
        }
        if (o->offline)
            return fk_fail(e, FK_ERR_IO, "%s: offline (FIDKIT_OFFLINE=1 or --offline): not "
                           "downloading it from %s", name, cand);
        long http = 0;
        st = fk_fetch_http(name, cand, size, part, o, used_range, &http, e);
        if (st == FK_OK || http != 404)
            return st;
    }
    if (missing[0])
        return fk_fail(e, FK_ERR_IO, "%s: not in the mirror %s (looked for %s)", name, o->mirror,
                       missing);
    return st;
}

fk_status fk_fetch_file(const char *name, const char *url, const char *sha256, int64_t size,
                        const char *dest, const fk_fetch_options *o, int *fetched, fk_error *e)
{
    int dummy;
    if (!fetched)
        fetched = &dummy;
    *fetched = 0;
    if (!valid_sha(sha256))
        return fk_fail(e, FK_ERR_ARG, "%s: no SHA-256 (64 lower-case hex digits) to check it "
                       "against: fidkit fetches only files it can verify", name);
    if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
        return fk_fail(e, FK_ERR_ARG, "%s: source '%s' is not an http(s) URL", name,
                       url ? url : "");
    if (is_file(dest))
        return verify(name, dest, sha256, e);

    int lock;
    char lp[2048];
    snprintf(lp, sizeof lp, "%s.lock", dest);
    fk_status st = take_lock(name, lp, o, &lock, e);
    if (st)
        return st;
    if (is_file(dest)) {   /* the process we waited for got it */
        st = verify(name, dest, sha256, e);
        if (!st)
            fk_fetch_say(o, "%s: fetched meanwhile by another process: %s", name, dest);
        drop_lock(lp, lock);
        return st;
    }
    char part[2048], from[2048];
    snprintf(part, sizeof part, "%s.part", dest);
    for (int fresh = 0;; fresh++) {
        int used_range = 0;
        if ((st = get_part(name, url, size, part, o, &used_range, from, sizeof from, e)))
            break;
        char got[65];
        if ((st = fk_sha256_file(part, got, e)))
            break;
        if (!strcmp(got, sha256)) {
            struct stat sb;
            char sz[32];
            fk_fetch_size_text(stat(part, &sb) ? 0 : (int64_t)sb.st_size, sz, sizeof sz);
            if (!(st = fk_commit_file(part, dest, e))) {
                *fetched = 1;
                fk_fetch_say(o, "%s: %s, SHA-256 verified, saved as %s", name, sz, dest);
            }
            break;
        }
        unlink(part);
        /* Bytes kept from an earlier try may belong to another version of
         * the file: one more try from the first byte before giving up. */
        if (used_range && !fresh) {
            fk_fetch_say(o, "%s: SHA-256 %s after resuming, expected %s: starting again from "
                         "the first byte", name, got, sha256);
            continue;
        }
        st = fk_fail(e, FK_ERR_FORMAT, "%s from %s has SHA-256 %s, expected %s (the config's): "
                     "deleted, not used; the server sent other bytes than the config names",
                     name, from, got, sha256);
        break;
    }
    /* A .part with bytes is kept for the next try to resume; an empty one
     * (a 404, a refused connection) is clutter. */
    struct stat sb;
    if (st && !stat(part, &sb) && sb.st_size == 0)
        unlink(part);
    drop_lock(lp, lock);
    return st;
}
