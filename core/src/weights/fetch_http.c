/* The HTTP(S) transfer of a fetch, over libcurl: TLS verified, redirects
 * followed, connect and low-speed timeouts, a Range request to resume from
 * the bytes already in the .part file, retries with doubling waits. The
 * bytes are only written here; fetch.c checks them. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "weights/fetch_internal.h"

#ifndef FIDKIT_VERSION
#define FIDKIT_VERSION "dev"
#endif

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;
static void curl_init(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct xfer {
    CURL *h;
    FILE *f;
    const fk_fetch_options *o;
    const char *name;
    int64_t offset;       /* bytes in the .part file when this try began */
    int64_t written;      /* bytes written by this try */
    int64_t limit;        /* the expected size, 0: unknown */
    int64_t range_start;  /* from Content-Range of the last response, -1: none */
    int64_t last_done;    /* bytes shown by the last progress bar */
    int started, bar_drawn;
    int too_long, bad_range, disk_error, restarted;
    double last_draw, t0;
} xfer;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static size_t on_header(char *buf, size_t sz, size_t nm, void *u)
{
    xfer *x = u;
    size_t n = sz * nm;
    if (n >= 5 && !strncasecmp(buf, "HTTP/", 5)) {
        x->range_start = -1;   /* a new response (after a redirect, say) */
    } else if (n > 14 && !strncasecmp(buf, "Content-Range:", 14)) {
        long long a;
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(n - 14), buf + 14);
        if (sscanf(tmp, " bytes %lld-", &a) == 1)
            x->range_start = a;
    }
    return n;
}

static size_t on_body(char *buf, size_t sz, size_t nm, void *u)
{
    xfer *x = u;
    size_t n = sz * nm;
    if (!x->started) {
        x->started = 1;
        long code = 0;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
        if (code == 206) {
            if (x->range_start != x->offset) {   /* not the range asked for */
                x->bad_range = 1;
                return 0;
            }
        } else if (x->offset > 0) {
            /* A 200 to a Range request: the whole file; start over. */
            if (ftruncate(fileno(x->f), 0)) {
                x->disk_error = errno;
                return 0;
            }
            x->offset = 0;
            x->restarted = 1;
        }
    }
    if (x->limit > 0 && x->offset + x->written + (int64_t)n > x->limit) {
        x->too_long = 1;
        return 0;
    }
    if (fwrite(buf, 1, n, x->f) != n) {
        x->disk_error = errno ? errno : EIO;
        return 0;
    }
    x->written += (int64_t)n;
    return n;
}

static int on_progress(void *u, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ut, curl_off_t un)
{
    xfer *x = u;
    (void)ut;
    (void)un;
    if (!x->o->progress || x->o->quiet)
        return 0;
    double t = now_s();
    int64_t total = dltotal > 0 ? x->offset + (int64_t)dltotal : x->limit;
    int64_t done = x->offset + (int64_t)dlnow;
    /* Four times a second, and once more at the end; libcurl calls more often. */
    if (done == x->last_done || (t - x->last_draw < 0.25 && !(total > 0 && done == total)))
        return 0;
    x->last_draw = t;
    x->last_done = done;
    double rate = t > x->t0 ? (double)dlnow / (t - x->t0) / 1e6 : 0;
    if (total > 0) {
        int w = 30, k = (int)((double)w * (double)done / (double)total);
        if (k > w)
            k = w;
        fprintf(stderr, "\r  %3d%% [%.*s%*s] %7.1f / %.1f MB  %5.1f MB/s ",
                (int)(100.0 * (double)done / (double)total), k, "##############################", w - k,
                "", (double)done / 1e6, (double)total / 1e6, rate);
    } else {
        fprintf(stderr, "\r  %7.1f MB  %5.1f MB/s ", (double)done / 1e6, rate);
    }
    x->bar_drawn = 1;
    return 0;
}

/* One try: 0 done, 1 worth another try, -1 give up (e filled either way). */
static int try_once(xfer *x, const char *url, const char *part, long *http, fk_error *e)
{
    char err[CURL_ERROR_SIZE] = "";
    struct stat sb;
    x->f = fopen(part, "ab");
    if (!x->f) {
        fk_fail(e, FK_ERR_IO, "%s: cannot write: %s", part, strerror(errno));
        return -1;
    }
    x->offset = fstat(fileno(x->f), &sb) ? 0 : (int64_t)sb.st_size;
    x->written = 0;
    x->started = x->too_long = x->bad_range = x->disk_error = x->restarted = 0;
    x->range_start = -1;
    x->t0 = x->last_draw = now_s();
    x->last_done = -1;
    char range[64];
    snprintf(range, sizeof range, "%lld-", (long long)x->offset);

    CURL *h = x->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, x->o->timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, x->o->timeout_s);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fidkit/" FIDKIT_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    /* CURLOPT_RANGE rather than RESUME_FROM: a server that ignores the
     * range (200) is then followed, not an error. */
    if (x->offset > 0)
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
    int close_err = fclose(x->f);
    x->f = NULL;
    if (x->bar_drawn) {
        fputc('\n', stderr);
        x->bar_drawn = 0;
    }
    if (rc == CURLE_OK && close_err) {
        fk_fail(e, FK_ERR_IO, "%s: write error: %s", part, strerror(errno));
        return -1;
    }
    if (rc == CURLE_OK)
        return 0;
    if (x->disk_error) {
        fk_fail(e, FK_ERR_IO, "%s: write error: %s", part, strerror(x->disk_error));
        return -1;
    }
    if (x->too_long) {
        unlink(part);
        fk_fail(e, FK_ERR_FORMAT, "%s: %s sent more than the %lld bytes the config gives: "
                "stopped and deleted", x->name, url, (long long)x->limit);
        return -1;
    }
    if (x->bad_range) {   /* start the next try from the first byte */
        if (truncate(part, 0)) {
            fk_fail(e, FK_ERR_IO, "%s: cannot truncate: %s", part, strerror(errno));
            return -1;
        }
        fk_fail(e, FK_ERR_IO, "%s: %s answered the range request with another range", x->name, url);
        return 1;
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
        if (*http == 416 && x->offset > 0)   /* nothing after offset: the bytes are all there */
            return 0;
        fk_fail(e, FK_ERR_IO, "%s: %s answered HTTP %ld", x->name, url, *http);
        return *http == 408 || *http == 429 || *http >= 500 ? 1 : -1;
    }
    fk_fail(e, FK_ERR_IO, "%s: cannot download %s: %s", x->name, url,
            err[0] ? err : curl_easy_strerror(rc));
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
        return -1;
    default:
        return 1;   /* refused, reset, timed out, cut short: the network may come back */
    }
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) && errno == EINTR)
        ;
}

fk_status fk_fetch_http(const char *name, const char *url, int64_t size, const char *part,
                        const fk_fetch_options *o, int *used_range, long *http, fk_error *e)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK)
        return fk_fail(e, FK_ERR_INTERNAL, "libcurl failed to initialise: %s",
                       curl_easy_strerror(curl_init_result));
    CURL *h = curl_easy_init();
    if (!h)
        return fk_fail(e, FK_ERR_NOMEM, "libcurl: cannot make a handle");
    xfer x = {.h = h, .o = o, .name = name, .limit = size};
    struct stat sb;
    char sz[32];
    fk_fetch_size_text(size, sz, sizeof sz);
    if (!stat(part, &sb) && sb.st_size > 0)
        fk_fetch_say(o, "downloading %s (%s) from %s, resuming after %lld bytes", name, sz, url,
                     (long long)sb.st_size);
    else
        fk_fetch_say(o, "downloading %s (%s) from %s", name, sz, url);
    fk_status st = FK_OK;
    long wait = o->backoff_ms;
    for (int attempt = 0;; attempt++) {
        int r = try_once(&x, url, part, http, e);
        if (x.offset > 0 && !x.restarted)
            *used_range = 1;
        if (r == 0) {
            st = FK_OK;
            break;
        }
        if (r < 0 || attempt >= o->retries) {
            st = e ? e->code : FK_ERR_IO;
            if (r > 0 && o->retries > 0 && e) {
                size_t l = strlen(e->msg);
                snprintf(e->msg + l, sizeof e->msg - l, " (%d tries)", attempt + 1);
            }
            break;
        }
        fk_fetch_say(o, "%s; trying again in %.2g s (%d of %d)", e ? e->msg : "download failed",
                     (double)wait / 1000.0, attempt + 1, o->retries);
        sleep_ms(wait);
        wait = wait * 2 > 30000 ? 30000 : wait * 2;
    }
    curl_easy_cleanup(h);
    return st;
}
