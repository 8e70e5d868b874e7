/* The table-driven option parser; see opts.h. */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const fk_opt *find(const fk_opt *const *tables, const char *name)
{
    for (int t = 0; tables[t]; t++)
        for (const fk_opt *o = tables[t]; o->name; o++)
            if (!strcmp(o->name, name))
                return o;
    return NULL;
}

static int whole(const char *cmd, const fk_opt *o, const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < o->min)
        return fk_cli_usage_error(cmd, "%s needs a whole number >= %lld, got '%s'", o->name,
                                  o->min, v), -1;
    *out = x;
    return 0;
}

static int take(const char *cmd, const fk_opt *o, const char *v)
{
    long long x;
    switch (o->kind) {
    case FK_ARG_STR: *(const char **)o->dst = v; return 0;
    case FK_ARG_INT:
        if (whole(cmd, o, v, &x) || x > 2147483647LL)
            return fk_cli_usage_error(cmd, "%s: '%s' is out of range", o->name, v), -1;
        *(int *)o->dst = (int)x;
        return 0;
    case FK_ARG_I64:
        if (whole(cmd, o, v, &x))
            return -1;
        *(int64_t *)o->dst = x;
        return 0;
    case FK_ARG_U64: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-')
            return fk_cli_usage_error(cmd, "%s needs a whole number >= 0, got '%s'", o->name, v), -1;
        *(uint64_t *)o->dst = u;
        return 0;
    }
    case FK_ARG_DOUBLE: {
        char *end;
        double d = strtod(v, &end);
        if (!*v || *end || !isfinite(d) || d < (double)o->min)
            return fk_cli_usage_error(cmd, "%s needs a number >= %lld, got '%s'", o->name, o->min,
                                      v), -1;
        *(double *)o->dst = d;
        return 0;
    }
    case FK_ARG_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(o->choices[i], v)) {
                *(int *)o->dst = i;
                return 0;
            }
        {
            char list[256] = "";
            for (int i = 0; o->choices[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         o->choices[i]);
            return fk_cli_usage_error(cmd, "%s takes %s, not '%s'", o->name, list, v), -1;
        }
    default: return fk_cli_usage_error(cmd, "%s: internal option kind", o->name), -1;
    }
}

int fk_cli_parse(const char *cmd, int argc, char **argv, const fk_opt *const *tables,
                 const char *usage, const char **pos, int max_pos, int *n_pos)
{
    *n_pos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && !strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && fk_cli_is_help(a)) {
            fputs(usage, stdout);
            return 1;
        }
        if (!only_pos && a[0] == '-' && a[1]) {
            const fk_opt *o = find(tables, a);
            if (!o)
                return fk_cli_usage_error(cmd, "unknown option '%s'", a), -1;
            if (o->kind == FK_ARG_FLAG) {
                *(int *)o->dst = 1;
                continue;
            }
            if (i + 1 >= argc)
                return fk_cli_usage_error(cmd, "%s needs a value", a), -1;
            if (take(cmd, o, argv[++i]))
                return -1;
            continue;
        }
        if (*n_pos >= max_pos)
            return fk_cli_usage_error(cmd, "too many arguments: '%s'", a), -1;
        pos[(*n_pos)++] = a;
    }
    return 0;
}
