#include "fidkit/tag.h"

#include <ctype.h>
#include <math.h>
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

/* Known input normalisations, y = (x * scale - mean) / std on 0..255 x.
 * Compared as floats: configs hold floats. */
typedef struct norm_preset {
    const char *name;
    float scale, mean[3], std[3];
} norm_preset;

static const norm_preset presets[] = {
    {"pm1", (float)(1.0 / 255.0), {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}},
    {"tf128", 1.0f, {128.0f, 128.0f, 128.0f}, {128.0f, 128.0f, 128.0f}},
    {"imagenet", (float)(1.0 / 255.0), {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}},
    {"clip", (float)(1.0 / 255.0), {0.48145466f, 0.4578275f, 0.40821073f},
     {0.26862954f, 0.26130258f, 0.27577711f}},
    /* ImageNet's mean and std times 255 on raw 0..255 (torch-fidelity's
     * DINOv2): the same map as "imagenet" in exact arithmetic, another in
     * float, so another name. */
    {"imagenet255", 1.0f, {123.675f, 116.28f, 103.53f}, {58.395f, 57.12f, 57.375f}},
    {"unit", (float)(1.0 / 255.0), {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}},
    {"raw", 1.0f, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

/* The normalisation a backbone's own preprocessing uses: an absent /norm=
 * segment means this one. NULL for backbones fidkit does not know: their
 * tags always carry the segment. */
static const char *canonical_norm(const fk_tag *t)
{
    if (!strcmp(t->backbone, "inception_v3"))
        return !strncmp(t->resize, "legacy_tensorflow", 17) ? "tf128" : "pm1";
    if (!strcmp(t->backbone, "resnet") || !strcmp(t->backbone, "mobilenet_v3") ||
        !strcmp(t->backbone, "dinov2"))
        return "imagenet";
    if (!strcmp(t->backbone, "clip"))
        return "clip";
    if (!strcmp(t->backbone, "tiny_pool")) /* the template plugin, as its test configs */
        return "pm1";
    return NULL;
}

static void norm_encode(float scale, const float m[3], const float d[3], char *out, size_t n)
{
    for (size_t i = 0; i < N_PRESETS; i++) {
        const norm_preset *p = &presets[i];
        if (p->scale == scale && !memcmp(p->mean, m, sizeof p->mean) &&
            !memcmp(p->std, d, sizeof p->std)) {
            snprintf(out, n, "%s", p->name);
            return;
        }
    }
    /* %.9g: a float's exact value back through strtof. */
    snprintf(out, n, "s%.9g_m%.9g_%.9g_%.9g_d%.9g_%.9g_%.9g", (double)scale, (double)m[0],
             (double)m[1], (double)m[2], (double)d[0], (double)d[1], (double)d[2]);
}

/* Drops the segment when it names the canonical normalisation. */
static void norm_canonicalise(fk_tag *t)
{
    const char *c = canonical_norm(t);
    if (c && !strcmp(t->norm, c))
        t->norm[0] = 0;
}

void fk_tag_set_norm(fk_tag *t, float scale, const float mean[3], const float std[3])
{
    float m[3] = {mean[0], mean[1], mean[2]}, d[3] = {std[0], std[1], std[2]};
    for (int i = 0; i < 3; i++) { /* -0 and 0 are one value */
        m[i] += 0.0f;
        d[i] += 0.0f;
    }
    norm_encode(scale + 0.0f, m, d, t->norm, sizeof t->norm);
    norm_canonicalise(t);
}

/* "pm1" or "s..._m..._..._..._d..._..._..." back to its canonical text. */
static int norm_parse(const char *v, char *out, size_t n)
{
    for (size_t i = 0; i < N_PRESETS; i++)
        if (!strcmp(v, presets[i].name)) {
            snprintf(out, n, "%s", v);
            return 0;
        }
    static const char *const lead[7] = {"s", "_m", "_", "_", "_d", "_", "_"};
    float x[7];
    const char *p = v;
    for (int i = 0; i < 7; i++) {
        size_t k = strlen(lead[i]);
        if (strncmp(p, lead[i], k))
            return -1;
        p += k;
        if (!(*p == '-' || *p == '.' || isdigit((unsigned char)*p)))
            return -1;
        char *end;
        x[i] = strtof(p, &end);
        if (end == p || !isfinite(x[i]))
            return -1;
        p = end;
    }
    if (*p || !(x[0] > 0) || x[4] == 0 || x[5] == 0 || x[6] == 0)
        return -1;
    norm_encode(x[0] + 0.0f, (float[3]){x[1] + 0.0f, x[2] + 0.0f, x[3] + 0.0f},
                (float[3]){x[4] + 0.0f, x[5] + 0.0f, x[6] + 0.0f}, out, n);
    return 0;
}

char *fk_tag_str(const fk_tag *t, int short_sha, char *buf, size_t n)
{
    int w = (short_sha && is_hex(t->weights) && strlen(t->weights) > 8) ? 8 : (int)strlen(t->weights);
    snprintf(buf, n, "%s/%s:%s@%.*s/%d/%s%s%s%s%s", t->backbone, t->variant, t->layer, w,
             t->weights, t->input_size, t->resize, t->norm[0] ? "/norm=" : "", t->norm,
             t->prec[0] ? "/prec=" : "", t->prec);
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

/* The optional segments after RESIZE, "/norm=..." then "/prec=...", each
 * at most once and in that order. */
static fk_status segments(const char *seg, fk_tag *t, const char *full, fk_error *e)
{
    int stage = 0;
    while (*seg) {
        const char *next = strchr(seg + 1, '/');
        size_t len = next ? (size_t)(next - seg - 1) : strlen(seg + 1);
        char buf[160];
        if (len >= sizeof buf)
            return fk_fail(e, FK_ERR_ARG, "tag '%s': segment '%.40s...' is too long", full, seg + 1);
        memcpy(buf, seg + 1, len);
        buf[len] = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (!(isalnum(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '='))
                return fk_fail(e, FK_ERR_ARG, "tag '%s': a byte 0x%02x is not allowed in a "
                               "segment", full, c);
        }
        char *eq = strchr(buf, '=');
        if (!eq || eq == buf || !eq[1])
            return fk_fail(e, FK_ERR_ARG, "tag '%s': segment '%s' is not KEY=VALUE (after RESIZE "
                           "come only /norm=... and /prec=..., docs/tags.md)", full, buf);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(buf, "norm") && stage < 1) {
            stage = 1;
            if (norm_parse(v, t->norm, sizeof t->norm))
                return fk_fail(e, FK_ERR_ARG, "tag '%s': norm '%s' is neither a preset (pm1, "
                               "tf128, imagenet, clip, unit, raw) nor sSCALE_mR_G_B_dR_G_B", full, v);
        } else if (!strcmp(buf, "prec") && stage < 2) {
            stage = 2;
            size_t k = strlen(v);
            int ok = k < sizeof t->prec;
            for (size_t i = 0; ok && i < k; i++)
                ok = islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]);
            if (!ok)
                return fk_fail(e, FK_ERR_ARG, "tag '%s': precision '%s' is not a short lower-case "
                               "name (tf32, bf16)", full, v);
            if (strcmp(v, "fp32"))
                memcpy(t->prec, v, k + 1);
        } else if (!strcmp(buf, "norm") || !strcmp(buf, "prec")) {
            return fk_fail(e, FK_ERR_ARG, "tag '%s': segment '%s' repeated or out of order (norm "
                           "comes before prec, each once)", full, buf);
        } else {
            return fk_fail(e, FK_ERR_ARG, "tag '%s': unknown segment '%s' (known: norm, prec)",
                           full, buf);
        }
        seg = next ? next : seg + 1 + len;
    }
    return FK_OK;
}

fk_status fk_tag_parse(const char *s, fk_tag *t, fk_error *e)
{
    memset(t, 0, sizeof *t);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return fk_fail(e, FK_ERR_ARG, "tag holds a control or non-ASCII byte 0x%02x at "
                           "offset %d", *p, (int)((const char *)p - s));
    const char *slash = strchr(s, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    const char *at = colon ? strchr(colon, '@') : NULL;
    const char *s2 = at ? strchr(at, '/') : NULL;
    const char *s3 = s2 ? strchr(s2 + 1, '/') : NULL;
    if (!s3)
        return fk_fail(e, FK_ERR_ARG,
                       "tag '%s' is not of the form BACKBONE/VARIANT:LAYER@WEIGHTS/SIZE/RESIZE "
                       "(e.g. inception_v3/fid:pool3@6726825d/299/legacy_pytorch)", s);
    const char *s4 = strchr(s3 + 1, '/');
    size_t rlen = s4 ? (size_t)(s4 - s3 - 1) : strlen(s3 + 1);
    fk_status st;
    if ((st = field("backbone", s, (size_t)(slash - s), t->backbone, sizeof t->backbone, s, e)) ||
        (st = field("variant", slash + 1, (size_t)(colon - slash - 1), t->variant,
                    sizeof t->variant, s, e)) ||
        (st = field("layer", colon + 1, (size_t)(at - colon - 1), t->layer, sizeof t->layer, s, e)) ||
        (st = field("weights", at + 1, (size_t)(s2 - at - 1), t->weights, sizeof t->weights, s, e)) ||
        (st = field("resize mode", s3 + 1, rlen, t->resize, sizeof t->resize, s, e)))
        return st;
    if (s4 && (st = segments(s4, t, s, e)))
        return st;
    norm_canonicalise(t);
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

int fk_tag_equal(const fk_tag *a, const fk_tag *b)
{
    return !strcmp(a->backbone, b->backbone) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->layer, b->layer) && weights_match(a->weights, b->weights) &&
           a->input_size == b->input_size && !strcmp(a->resize, b->resize) &&
           !strcmp(a->norm, b->norm) && !strcmp(a->prec, b->prec);
}

fk_status fk_tag_check(const fk_tag *a, const fk_tag *b, fk_error *e)
{
    if (fk_tag_equal(a, b))
        return FK_OK;
    char sa[FK_TAG_STR_MAX], sb[FK_TAG_STR_MAX];
    return fk_fail(e, FK_ERR_TAG,
                   "refusing to compare %s with %s: features of different backbones, layers, "
                   "weights, input sizes, resize modes, input normalisations or precisions live "
                   "in different spaces",
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
