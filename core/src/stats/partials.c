/* Block partial moments and their fixed merge tree; see partials.h. */
#include "fidkit/partials.h"

#include <stdlib.h>
#include <string.h>

#define PACK_MAGIC 0x54504b46u /* "FKPT" */

fk_status fk_partials_init(fk_partials *p, int d, fk_error *e)
{
    memset(p, 0, sizeof *p);
    if (d <= 0)
        return fk_fail(e, FK_ERR_ARG, "partials: dimension must be positive, got %d", d);
    p->d = d;
    return FK_OK;
}

void fk_partials_free(fk_partials *p)
{
    for (int i = 0; i < p->n; i++)
        fk_moments_free(&p->nodes[i].m);
    free(p->nodes);
    memset(p, 0, sizeof *p);
}

int64_t fk_partials_begin(const fk_partials *p) { return p->n ? p->nodes[0].lo : 0; }
int64_t fk_partials_end(const fk_partials *p) { return p->n ? p->nodes[p->n - 1].hi : 0; }

static int is_aligned_span(int64_t lo, int64_t hi)
{
    int64_t s = hi - lo;
    return lo >= 0 && s > 0 && (s & (s - 1)) == 0 && lo % s == 0;
}

fk_status fk_partials_push(fk_partials *p, int64_t lo, int64_t hi, fk_moments *m, fk_error *e)
{
    if (m->d != p->d)
        return fk_fail(e, FK_ERR_FORMAT, "partials: a node of dimension %d among %d", m->d, p->d);
    if (!is_aligned_span(lo, hi))
        return fk_fail(e, FK_ERR_FORMAT,
                       "partials: blocks [%lld, %lld) are not an aligned power-of-two span",
                       (long long)lo, (long long)hi);
    if (p->n && lo != p->nodes[p->n - 1].hi)
        return fk_fail(e, FK_ERR_FORMAT,
                       "partials: blocks [%lld, %lld) do not follow block %lld", (long long)lo,
                       (long long)hi, (long long)p->nodes[p->n - 1].hi);
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        fk_partial_node *v = realloc(p->nodes, (size_t)cap * sizeof *v);
        if (!v)
            return fk_fail(e, FK_ERR_NOMEM, "partials: out of memory");
        p->nodes = v;
        p->cap = cap;
    }
    fk_partial_node *nd = &p->nodes[p->n++];
    nd->lo = lo;
    nd->hi = hi;
    nd->m = *m;
    free(nd->m.work);
    nd->m.work = NULL;
    memset(m, 0, sizeof *m);
    /* Merge the pairs of equal aligned spans that now sit side by side:
     * binary carries, so the nodes are the same whoever pushed them. */
    while (p->n >= 2) {
        fk_partial_node *x = &p->nodes[p->n - 2], *y = &p->nodes[p->n - 1];
        int64_t s = x->hi - x->lo;
        if (y->hi - y->lo != s || x->lo % (2 * s) != 0)
            break;
        fk_status st = fk_moments_merge(&x->m, &y->m, e);
        if (st)
            return st;
        x->hi = y->hi;
        fk_moments_free(&y->m);
        p->n--;
    }
    return FK_OK;
}

static fk_status copy_moments(const fk_moments *src, fk_moments *dst, fk_error *e)
{
    const size_t d = (size_t)src->d;
    memset(dst, 0, sizeof *dst);
    dst->d = src->d;
    dst->n = src->n;
    dst->mean = malloc(d * sizeof(double));
    dst->m2 = malloc(d * d * sizeof(double));
    if (!dst->mean || !dst->m2) {
        fk_moments_free(dst);
        return fk_fail(e, FK_ERR_NOMEM, "partials: cannot allocate %zu x %zu doubles", d, d);
    }
    memcpy(dst->mean, src->mean, d * sizeof(double));
    memcpy(dst->m2, src->m2, d * d * sizeof(double));
    return FK_OK;
}

fk_status fk_partials_append(fk_partials *dst, const fk_partials *src, fk_error *e)
{
    for (int i = 0; i < src->n; i++) {
        fk_moments c;
        fk_status st = copy_moments(&src->nodes[i].m, &c, e);
        if (!st && (st = fk_partials_push(dst, src->nodes[i].lo, src->nodes[i].hi, &c, e)))
            fk_moments_free(&c);
        if (st)
            return st;
    }
    return FK_OK;
}

fk_status fk_partials_result(const fk_partials *p, fk_moments *out, fk_error *e)
{
    fk_status st = fk_moments_init(out, p->d, e);
    if (st || p->n == 0)
        return st;
    /* acc = node[n-1]; acc = node[i] (+) acc for i = n-2 .. 0: the
     * smallest spans first, each merged as the right operand. */
    fk_moments acc, left;
    if ((st = copy_moments(&p->nodes[p->n - 1].m, &acc, e)))
        goto fail;
    for (int i = p->n - 2; i >= 0; i--) {
        if ((st = copy_moments(&p->nodes[i].m, &left, e))) {
            fk_moments_free(&acc);
            goto fail;
        }
        st = fk_moments_merge(&left, &acc, e);
        fk_moments_free(&acc);
        acc = left;
        if (st) {
            fk_moments_free(&acc);
            goto fail;
        }
    }
    out->n = acc.n;
    memcpy(out->mean, acc.mean, (size_t)p->d * sizeof(double));
    memcpy(out->m2, acc.m2, (size_t)p->d * (size_t)p->d * sizeof(double));
    fk_moments_free(&acc);
    return FK_OK;
fail:
    fk_moments_free(out);
    return st;
}

/* ---- byte images: u32 magic, i32 d, i32 count, then per node
 * i64 lo, hi, n, f64 mean[d], f64 m2[d*d] (native byte order: the
 * processes of one job run the same binary) ---- */

static size_t node_bytes(int d) { return 3 * sizeof(int64_t) + ((size_t)d + (size_t)d * d) * sizeof(double); }

fk_status fk_partials_pack(const fk_partials *p, void **buf, size_t *len, fk_error *e)
{
    size_t head = sizeof(uint32_t) + 2 * sizeof(int32_t);
    size_t total = head + (size_t)p->n * node_bytes(p->d);
    unsigned char *b = malloc(total), *w = b;
    if (!b)
        return fk_fail(e, FK_ERR_NOMEM, "partials: cannot allocate %zu bytes", total);
    uint32_t magic = PACK_MAGIC;
    int32_t d = p->d, n = p->n;
    memcpy(w, &magic, sizeof magic), w += sizeof magic;
    memcpy(w, &d, sizeof d), w += sizeof d;
    memcpy(w, &n, sizeof n), w += sizeof n;
    for (int i = 0; i < p->n; i++) {
        const fk_partial_node *nd = &p->nodes[i];
        int64_t h[3] = {nd->lo, nd->hi, nd->m.n};
        memcpy(w, h, sizeof h), w += sizeof h;
        memcpy(w, nd->m.mean, (size_t)d * sizeof(double)), w += (size_t)d * sizeof(double);
        memcpy(w, nd->m.m2, (size_t)d * d * sizeof(double)), w += (size_t)d * d * sizeof(double);
    }
    *buf = b;
    *len = total;
    return FK_OK;
}

fk_status fk_partials_unpack_push(fk_partials *p, const void *buf, size_t len, fk_error *e)
{
    const unsigned char *r = buf;
    size_t head = sizeof(uint32_t) + 2 * sizeof(int32_t);
    uint32_t magic;
    int32_t d, n;
    if (len < head)
        return fk_fail(e, FK_ERR_FORMAT, "partials: a truncated image (%zu bytes)", len);
    memcpy(&magic, r, sizeof magic);
    memcpy(&d, r + 4, sizeof d);
    memcpy(&n, r + 8, sizeof n);
    if (magic != PACK_MAGIC || d != p->d || n < 0 || len != head + (size_t)n * node_bytes(d))
        return fk_fail(e, FK_ERR_FORMAT, "partials: not an image of %d-d partials", p->d);
    r += head;
    for (int i = 0; i < n; i++) {
        int64_t h[3];
        memcpy(h, r, sizeof h), r += sizeof h;
        fk_moments m;
        memset(&m, 0, sizeof m);
        m.d = d;
        m.n = h[2];
        m.mean = malloc((size_t)d * sizeof(double));
        m.m2 = malloc((size_t)d * d * sizeof(double));
        if (!m.mean || !m.m2) {
            fk_moments_free(&m);
            return fk_fail(e, FK_ERR_NOMEM, "partials: out of memory");
        }
        memcpy(m.mean, r, (size_t)d * sizeof(double)), r += (size_t)d * sizeof(double);
        memcpy(m.m2, r, (size_t)d * d * sizeof(double)), r += (size_t)d * d * sizeof(double);
        fk_status st = m.n < 0 ? fk_fail(e, FK_ERR_FORMAT, "partials: a negative count")
                               : fk_partials_push(p, h[0], h[1], &m, e);
        if (st) {
            fk_moments_free(&m);
            return st;
        }
    }
    return FK_OK;
}
