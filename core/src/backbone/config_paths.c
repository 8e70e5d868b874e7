/* Where configs and the files they name are found: the config search path,
 * the weights search path, the weights cache, and the one resolver every
 * command goes through (fk_config_file_path), which is also where a missing
 * file is fetched on first use. */
#include "fidkit/config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backbone/config_internal.h"
#include "base/fileutil.h"
#include "fidkit/fetch.h"

static int is_file(const char *p)
{
    struct stat sb;
    return !stat(p, &sb) && S_ISREG(sb.st_mode);
}

static int is_dir(const char *p)
{
    struct stat sb;
    return !stat(p, &sb) && S_ISDIR(sb.st_mode);
}

#ifndef FK_SOURCE_CONFIG_DIR
#define FK_SOURCE_CONFIG_DIR ""
#endif

/* The config search path, in order, as a colon list (docs/cli.md): the
 * source tree's configs/ of a build (the project's own), $FIDKIT_CONFIG_PATH
 * (a colon list), the user's folder ($XDG_CONFIG_HOME/fidkit/configs, else
 * ~/.config/fidkit/configs), the install's share/fidkit/configs. The first
 * folder that has a name wins. */
static void config_dirs(char *list, size_t cap)
{
    char exe[1024];
    size_t k = 0;
    list[0] = 0;
#define FK_ADD(...)                                                                    \
    do {                                                                               \
        if (k < cap)                                                                   \
            k += (size_t)snprintf(list + k, cap - k, __VA_ARGS__);                     \
    } while (0)
    if (FK_SOURCE_CONFIG_DIR[0])
        FK_ADD("%s:", FK_SOURCE_CONFIG_DIR);
    const char *env = getenv("FIDKIT_CONFIG_PATH");
    if (env && *env)
        FK_ADD("%s:", env);
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        FK_ADD("%s/fidkit/configs:", xdg);
    else if (home && *home)
        FK_ADD("%s/.config/fidkit/configs:", home);
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = 0;
        FK_ADD("%s/../share/fidkit/configs", dirname(exe));
    }
#undef FK_ADD
    if (k > 0 && k < cap && list[k - 1] == ':')
        list[k - 1] = 0;
}

void fk_config_search_path(char *out, size_t n)
{
    config_dirs(out, n);
}

fk_status fk_config_find(const char *name, char *out, size_t n, fk_error *e)
{
    if (is_file(name)) {
        snprintf(out, n, "%s", name);
        return FK_OK;
    }
    if (strchr(name, '/'))
        return fk_fail(e, FK_ERR_IO, "%s: no such config file", name);
    const char *ext = strstr(name, ".yaml") ? "" : ".yaml";
    char list[8192], searched[8192];
    size_t k = 0;
    searched[0] = 0;
    config_dirs(list, sizeof list);
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (!*d)
            continue;
        snprintf(out, n, "%s/%s%s", d, name, ext);
        if (is_file(out))
            return FK_OK;
        if (k < sizeof searched)
            k += (size_t)snprintf(searched + k, sizeof searched - k, "%s%s", k ? ", " : "", d);
    }
    return fk_fail(e, FK_ERR_IO, "no backbone config '%s' (looked for %s%s in %s); `fidkit configs` "
                   "lists the configs found, $FIDKIT_CONFIG_PATH adds folders", name, name, ext,
                   searched[0] ? searched : "no folder");
}

static int by_name(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
    return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

void fk_config_list_free(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

fk_status fk_config_list(char ***paths, int *count, fk_error *e)
{
    char list[8192];
    config_dirs(list, sizeof list);
    char **v = NULL;
    int n = 0, cap = 0;
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = *d ? opendir(d) : NULL;
        if (!dir)
            continue;
        for (struct dirent *de; (de = readdir(dir));) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") || de->d_name[0] == '.')
                continue;
            int dup = 0;   /* the first folder that has a name wins, as in fk_config_find */
            for (int i = 0; i < n && !dup; i++)
                dup = !strcmp(strrchr(v[i], '/') + 1, de->d_name);
            if (dup)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 32;
                char **nv = realloc(v, (size_t)cap * sizeof *v);
                if (!nv) {
                    closedir(dir);
                    fk_config_list_free(v, n);
                    return fk_fail(e, FK_ERR_NOMEM, "out of memory");
                }
                v = nv;
            }
            size_t pl = strlen(d) + l + 2;
            if (!(v[n] = malloc(pl))) {
                closedir(dir);
                fk_config_list_free(v, n);
                return fk_fail(e, FK_ERR_NOMEM, "out of memory");
            }
            snprintf(v[n++], pl, "%s/%s", d, de->d_name);
        }
        closedir(dir);
    }
    if (n)
        qsort(v, (size_t)n, sizeof *v, by_name);
    *paths = v;
    *count = n;
    return FK_OK;
}

/* The cache folder itself: $XDG_CACHE_HOME/fidkit, else ~/.cache/fidkit. */
static int cache_folder(char *out, size_t n)
{
    return fk_user_dir(NULL, "XDG_CACHE_HOME", ".cache", "fidkit", out, n);
}

/* $FIDKIT_WEIGHTS_DIR then $FIDKIT_WEIGHTS_PATH, as one colon list ("" when
 * neither is set). */
static void weights_env(char *out, size_t n)
{
    const char *dir = getenv("FIDKIT_WEIGHTS_DIR"), *path = getenv("FIDKIT_WEIGHTS_PATH");
    int has_dir = dir && *dir, has_path = path && *path;
    snprintf(out, n, "%s%s%s", has_dir ? dir : "", has_dir && has_path ? ":" : "",
             has_path ? path : "");
}

void fk_weights_search_path(const fk_config *c, char *out, size_t n)
{
    size_t k = 0;
    char cache[1024], env[4096];
    out[0] = 0;
    weights_env(env, sizeof env);
    if (env[0])
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s:", env);
    if (cache_folder(cache, sizeof cache))
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s:", cache);
    k += (size_t)snprintf(out + k, k < n ? n - k : 0, "/usr/share/fidkit/weights");
    if (c) {
        char dirbuf[1024];
        snprintf(dirbuf, sizeof dirbuf, "%s", c->path);
        snprintf(out + k, k < n ? n - k : 0, ":%s", dirname(dirbuf));
    }
}

fk_status fk_weights_cache_dir(char *out, size_t n, fk_error *e)
{
    char list[4096];
    weights_env(list, sizeof list);
    if (list[0]) {
        for (char *save = NULL, *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (*d && is_dir(d) && !access(d, W_OK | X_OK)) {
                snprintf(out, n, "%s", d);
                return FK_OK;
            }
    }
    char cache[1024];
    fk_error ig;
    /* 0700 for new parts: the cache is per user. */
    if (cache_folder(cache, sizeof cache) && !fk_mkdir_p(cache, 0700, &ig) &&
        !access(cache, W_OK | X_OK)) {
        snprintf(out, n, "%s", cache);
        return FK_OK;
    }
    if (is_dir("/usr/share/fidkit/weights") && !access("/usr/share/fidkit/weights", W_OK | X_OK)) {
        snprintf(out, n, "/usr/share/fidkit/weights");
        return FK_OK;
    }
    return fk_fail(e, FK_ERR_IO, "no writable folder for weights: none of $FIDKIT_WEIGHTS_DIR, $FIDKIT_WEIGHTS_PATH "
                   "exists and is writable, and the cache %s cannot be made (%s); set "
                   "FIDKIT_WEIGHTS_PATH to a writable folder", cache_folder(cache, sizeof cache) ?
                   cache : "($HOME is not set)", strerror(errno));
}

int fk_config_locate(const fk_config *c, const char *name, char *out, size_t n, char *looked,
                     size_t nl)
{
    char dirbuf[1024];
    snprintf(dirbuf, sizeof dirbuf, "%s", c->path);
    const char *cdir = dirname(dirbuf);
    if (looked && nl)
        looked[0] = 0;
    if (name[0] == '/' || strchr(name, '/')) {
        if (name[0] == '/')
            snprintf(out, n, "%s", name);
        else
            snprintf(out, n, "%s/%s", cdir, name);
        return is_file(out);
    }
    char list[8192];
    size_t k = 0;
    fk_weights_search_path(c, list, sizeof list);
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (!*d)
            continue;
        snprintf(out, n, "%s/%s", d, name);
        if (is_file(out))
            return 1;
        if (looked && k < nl) {
            k += (size_t)snprintf(looked + k, nl - k, "%s%s", k ? ", " : "", d);
            if (k >= nl)
                k = nl - 1;
        }
    }
    out[0] = 0;
    return 0;
}

const fk_config_file *fk_config_declared(const fk_config *c, const char *name, fk_config_file *tmp)
{
    if (!c->random_weights && !strcmp(name, c->weights_file)) {
        memset(tmp, 0, sizeof *tmp);
        snprintf(tmp->file, sizeof tmp->file, "%s", c->weights_file);
        snprintf(tmp->sha256, sizeof tmp->sha256, "%s", c->weights_sha256);
        snprintf(tmp->source, sizeof tmp->source, "%s", c->weights_source);
        tmp->size = c->weights_size;
        return tmp;
    }
    for (int i = 0; i < c->n_side; i++)
        if (!strcmp(name, c->side[i].file))
            return &c->side[i];
    return NULL;
}

/* The config's stem, for the hint `fidkit weights fetch STEM`. */
static void config_stem(const fk_config *c, char *out, size_t n)
{
    const char *b = strrchr(c->path, '/');
    snprintf(out, n, "%s", b ? b + 1 : c->path);
    char *dot = strstr(out, ".yaml");
    if (dot)
        *dot = 0;
}

fk_status fk_config_file_path(const fk_config *c, const char *name, char *out, size_t n,
                              fk_error *e)
{
    char looked[1024];
    if (fk_config_locate(c, name, out, n, looked, sizeof looked))
        return FK_OK;
    fk_config_file tmp;
    const fk_config_file *d = fk_config_declared(c, name, &tmp);
    int fetchable = d && d->sha256[0] && d->source[0];
    char stem[1024];
    config_stem(c, stem, sizeof stem);
    if (fetchable && fk_fetch_auto()) {
        fk_fetch_options o;
        fk_fetch_options_init(&o);
        int fetched = 0;
        fk_status st = fk_fetch_config_file(c, name, &o, out, n, &fetched, e);
        if (st)
            fk_fail_prefix(e, "%s: '%s' is missing and fetching it failed", c->path, name);
        return st;
    }
    const char *why = !fetchable ? ""
                      : fk_fetch_offline() ? " Offline (FIDKIT_OFFLINE=1 or --offline): nothing was downloaded."
                                           : "";
    char how[1024];
    if (fetchable)
        snprintf(how, sizeof how, " `fidkit weights fetch %.200s` downloads and verifies it (as does "
                 "any command run on a terminal or with FIDKIT_AUTO_FETCH=1).", stem);
    else
        how[0] = 0;
    if (name[0] == '/' || strchr(name, '/'))
        return fk_fail(e, FK_ERR_IO, "%s: file '%s' not found.%s%s", c->path, out, why, how);
    if (d == NULL || strcmp(name, c->weights_file))
        return fk_fail(e, FK_ERR_IO, "%s: file '%s' not found (looked in %s).%s%s%s%s%s", c->path,
                       name, looked, why, how, d && d->source[0] ? " It comes from " : "",
                       d ? d->source : "", d && d->source[0] ? "." : "");
    return fk_fail(e, FK_ERR_IO,
                   "%s: weights file '%s' not found (looked in %s).%s%s%s%s%s Or put it in one of "
                   "those folders or set FIDKIT_WEIGHTS_DIR (or FIDKIT_WEIGHTS_PATH); its SHA-256 is %s. Or score with "
                   "seeded random weights: a config with 'weights: {random: SEED}' such as "
                   "configs/%s*_random.yaml (a different ruler with its own tag)",
                   c->path, name, looked, why, c->weights_source[0] ? " Download it from " : "",
                   c->weights_source, c->weights_source[0] ? "." : "", how,
                   c->weights_sha256[0] ? c->weights_sha256 : "not given", c->plugin);
}

fk_status fk_config_weights_path(const fk_config *c, char *out, size_t n, fk_error *e)
{
    if (c->random_weights)
        return fk_fail(e, FK_ERR_ARG, "%s: random weights have no weights file", c->path);
    return fk_config_file_path(c, c->weights_file, out, n, e);
}

fk_status fk_config_for_tag(const fk_tag *t, char *out, size_t n, fk_error *e)
{
    char **paths = NULL;
    int np = 0;
    fk_status st = fk_config_list(&paths, &np, e);
    if (st)
        return st;
    int found = 0;
    for (int i = 0; i < np && !found; i++) {
        fk_config c;
        if (fk_config_load(paths[i], &c, NULL))
            continue;
        if (!c.random_weights && !c.weights_sha256[0])
            continue;   /* its tag is known only once the file is hashed */
        fk_tag ct;
        fk_config_tag(&c, c.random_weights ? NULL : c.weights_sha256, &ct);
        if (fk_tag_equal(&ct, t)) {
            snprintf(out, n, "%s", paths[i]);
            found = 1;
        }
    }
    fk_config_list_free(paths, np);
    if (found)
        return FK_OK;
    char ts[FK_TAG_STR_MAX];
    return fk_fail(e, FK_ERR_TAG, "no installed config measures in the space of %s: name the "
                   "backbone with --backbone (`fidkit configs` lists them with their tags)",
                   fk_tag_str(t, 0, ts, sizeof ts));
}
