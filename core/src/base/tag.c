#include "fidkit/tag.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_hex(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return 0;
    return 1;
}

char *fk_tag_str(const fk_tag *t, int short_sha, char *buf, size_t n)
{
    int w = (short_sha && is_hex(t->weights) && strlen(t->weights) > 8) ? 8 : (int)strlen(t->weights);
    int k = snprintf(buf, n, "%s/%s:%s@%.*s/%d/%s", t->backbone, t->variant, t->layer, w, t->weights,
                     t->input_size, t->resize);
    if (t->prec[0] && strcmp(t->prec, "fp32") && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "/prec=%s", t->prec);
    return buf;
}

/* Copies s[0..len) into dst (cap bytes) after checking its characters. */
static fk_status field(const char *what, const char *s, size_t len, char *dst, size_t cap,
                       const char *full, fk_error *e)
{
    if (len == 0)
        return fk_fail(e, FK_ERR_ARG, "tag '%s': empty %s (expected "
                       "BACKBONE/VARIANT:LAYER@WEIGHTS/SIZE/RESIZE)", full, what);
    if (len >= cap)
        return fk_fail(e, FK_ERR_ARG, "tag '%s': %s is too long", full, what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.' || c == '+'))
            return fk_fail(e, FK_ERR_ARG, "tag '%s': character '%c' is not allowed in the %s",
                           full, c, what);
    }
    memcpy(dst, s, len);
    dst[len] = 0;
    return FK_OK;
}

fk_status fk_tag_parse(const char *s, fk_tag *t, fk_error *e)
{
    memset(t, 0, sizeof *t);
    const char *slash = strchr(s, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    const char *at = colon ? strchr(colon, '@') : NULL;
    const char *s2 = at ? strchr(at, '/') : NULL;
    const char *s3 = s2 ? strchr(s2 + 1, '/') : NULL;
    if (!s3)
        return fk_fail(e, FK_ERR_ARG,
                       "tag '%s' is not of the form BACKBONE/VARIANT:LAYER@WEIGHTS/SIZE/RESIZE "
                       "(e.g. inception_v3/fid:pool3@6726825d/299/legacy_pytorch)", s);
    fk_status st;
    if ((st = field("backbone", s, (size_t)(slash - s), t->backbone, sizeof t->backbone, s, e)) ||
        (st = field("variant", slash + 1, (size_t)(colon - slash - 1), t->variant,
                    sizeof t->variant, s, e)) ||
        (st = field("layer", colon + 1, (size_t)(at - colon - 1), t->layer, sizeof t->layer, s, e)) ||
        (st = field("weights", at + 1, (size_t)(s2 - at - 1), t->weights, sizeof t->weights, s, e)) ||
        (st = field("resize mode", s3 + 1, strcspn(s3 + 1, "/"), t->resize, sizeof t->resize, s, e)))
        return st;
    /* Optional KEY=VALUE segments after the resize mode. */
    for (const char *seg = strchr(s3 + 1, '/'); seg; seg = strchr(seg + 1, '/')) {
        size_t len = strcspn(seg + 1, "/");
        if (len > 5 && !strncmp(seg + 1, "prec=", 5)) {
            if ((st = field("precision", seg + 6, len - 5, t->prec, sizeof t->prec, s, e)))
                return st;
        } else {
            return fk_fail(e, FK_ERR_ARG, "tag '%s': unknown segment '/%.*s' after the resize mode "
                           "(known: /prec=PREC)", s, (int)len, seg + 1);
        }
    }
    if (!strcmp(t->prec, "fp32"))
        t->prec[0] = 0;
    char *end;
    long size = strtol(s2 + 1, &end, 10);
    if (end != s3 || size <= 0 || size > 100000)
        return fk_fail(e, FK_ERR_ARG, "tag '%s': input size '%.*s' is not a positive integer", s,
                       (int)(s3 - s2 - 1), s2 + 1);
    t->input_size = (int)size;
    if (is_hex(t->weights)) {
        size_t n = strlen(t->weights);
        if (n < 8 || n > 64)
            return fk_fail(e, FK_ERR_ARG, "tag '%s': a weights SHA-256 needs 8 to 64 hex digits",
                           s);
        for (char *p = t->weights; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    return FK_OK;
}

/* Weights match when equal, or when both are hex and the shorter (>= 8
 * digits) is a prefix of the longer: users declare tags with short SHAs. */
static int weights_match(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    if (!is_hex(a) || !is_hex(b))
        return 0;
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    return n >= 8 && !strncasecmp(a, b, n);
}

/* An empty precision is fp32. */
static int prec_match(const fk_tag *a, const fk_tag *b)
{
    const char *pa = a->prec[0] ? a->prec : "fp32", *pb = b->prec[0] ? b->prec : "fp32";
    return !strcmp(pa, pb);
}

int fk_tag_equal(const fk_tag *a, const fk_tag *b)
{
    return !strcmp(a->backbone, b->backbone) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->layer, b->layer) && weights_match(a->weights, b->weights) &&
           a->input_size == b->input_size && !strcmp(a->resize, b->resize) && prec_match(a, b);
}

fk_status fk_tag_check(const fk_tag *a, const fk_tag *b, fk_error *e)
{
    if (fk_tag_equal(a, b))
        return FK_OK;
    char sa[FK_TAG_STR_MAX], sb[FK_TAG_STR_MAX];
    return fk_fail(e, FK_ERR_TAG,
                   "refusing to compare %s with %s: features of different backbones, layers, "
                   "weights, input sizes, resize modes or precisions live in different spaces",
                   fk_tag_str(a, 1, sa, sizeof sa), fk_tag_str(b, 1, sb, sizeof sb));
}

int fk_tag_str_comparable(const char *a, const char *b)
{
    fk_tag ta, tb;
    if (!a || !b)
        return 0;
    if (fk_tag_parse(a, &ta, NULL) || fk_tag_parse(b, &tb, NULL))
        return !strcmp(a, b);
    return fk_tag_equal(&ta, &tb);
}

fk_status fk_tag_check_model(const fk_tag *a, const fk_tag *b, fk_error *e)
{
    fk_tag x = *b;
    memcpy(x.layer, a->layer, sizeof x.layer);
    if (fk_tag_equal(a, &x))
        return FK_OK;
    char sa[FK_TAG_STR_MAX], sb[FK_TAG_STR_MAX];
    return fk_fail(e, FK_ERR_TAG, "refusing to pair %s with %s: the two outputs come from different "
                   "models", fk_tag_str(a, 1, sa, sizeof sa), fk_tag_str(b, 1, sb, sizeof sb));
}

char *fk_tag_fd_label(const fk_tag *t, char *buf, size_t n)
{
    static const struct { const char *backbone, *label; } known[] = {
        {"clip", "CLIP"}, {"dinov2", "DINOv2"}, {"inception_v3", "inception_v3"},
    };
    if (!strcmp(t->backbone, "inception_v3") && !strcmp(t->layer, "pool3") &&
        !strncmp(t->variant, "fid", 3)) {
        snprintf(buf, n, "FID");
        return buf;
    }
    const char *space = t->variant[0] ? t->variant : t->backbone;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(t->backbone, known[i].backbone))
            space = known[i].label;
    snprintf(buf, n, "FD_%s", space);
    return buf;
}
