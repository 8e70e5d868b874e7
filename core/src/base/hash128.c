/* A fast streaming 128-bit hash of bytes (fcache.h): four 64-bit lanes, each
 * folding one 8-byte word of every 32-byte stripe by add-multiply-rotate,
 * then the lanes, the length and the tail mixed into two words by a
 * 64-bit finaliser. It is bound by memory speed, not by arithmetic. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/fcache.h"

#define K1 0x9e3779b185ebca87ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) /* little-endian by construction: the same value everywhere */
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline void stripe(uint64_t lane[4], const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        lane[i] = rotl(lane[i] + rd64(p + 8 * i) * K2, 31) * K1;
}

void fk_hash128_init(fk_hash128 *h)
{
    memset(h, 0, sizeof *h);
    h->lane[0] = K1 + K2;
    h->lane[1] = K2;
    h->lane[2] = 0;
    h->lane[3] = 0 - K1;
}

void fk_hash128_update(fk_hash128 *h, const void *data, size_t n)
{
    const uint8_t *p = data;
    h->total += n;
    if (h->nbuf) {
        size_t take = 32 - (size_t)h->nbuf < n ? 32 - (size_t)h->nbuf : n;
        memcpy(h->buf + h->nbuf, p, take);
        h->nbuf += (int)take;
        p += take;
        n -= take;
        if (h->nbuf < 32)
            return;
        stripe(h->lane, h->buf);
        h->nbuf = 0;
    }
    for (; n >= 32; p += 32, n -= 32)
        stripe(h->lane, p);
    memcpy(h->buf, p, n);
    h->nbuf = (int)n;
}

void fk_hash128_hex(const fk_hash128 *h, char hex[33])
{
    uint64_t a = rotl(h->lane[0], 1) + rotl(h->lane[1], 7) + rotl(h->lane[2], 12) +
                 rotl(h->lane[3], 18);
    uint64_t b = h->lane[0] ^ rotl(h->lane[1], 29) ^ rotl(h->lane[2], 41) ^ rotl(h->lane[3], 53);
    a ^= h->total * K3;
    b += h->total;
    for (int i = 0; i < h->nbuf; i++) {
        a = rotl(a ^ (h->buf[i] * K3), 11) * K1;
        b = rotl(b + (h->buf[i] * K1), 23) * K2;
    }
    a = mix64(a + b);
    b = mix64(b ^ rotl(a, 32));
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

fk_status fk_hash128_file(fk_hash128 *h, const char *path, int64_t *bytes, fk_error *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fk_fail(e, FK_ERR_IO, "%s: not a regular file", path);
    }
    enum { BLOCK = 1 << 20 };
    uint8_t *buf = malloc(BLOCK);
    if (!buf) {
        close(fd);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    fk_status st = FK_OK;
    for (;;) {
        ssize_t got = read(fd, buf, BLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = fk_fail(e, FK_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        fk_hash128_update(h, buf, (size_t)got);
        if (bytes)
            *bytes += got;
    }
    free(buf);
    close(fd);
    return st;
}
