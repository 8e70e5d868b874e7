/* The plugin registry and opened backbones; see registry.h. */
#include "fidkit/registry.h"
#include "fidkit/device.h"
#include "base/cpus.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FK_PLUGIN_INSTALL_DIR
#define FK_PLUGIN_INSTALL_DIR "lib/fidkit/plugins"
#endif
#ifndef FK_INSTALL_PREFIX
#define FK_INSTALL_PREFIX "/usr/local"
#endif

/* The registry: plugins loaded so far, kept resident. */
#define MAX_PLUGINS 64
static struct {
    pthread_mutex_t lock;
    int n;
    char path[MAX_PLUGINS][PATH_MAX];
    const fk_plugin *plugin[MAX_PLUGINS];
    void *handle[MAX_PLUGINS];
} registry = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}, {0}, {0}};

char *fk_plugin_search_path(char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    const char *env = getenv("FIDKIT_PLUGIN_PATH");
    if (env && *env)
        k += (size_t)snprintf(buf + k, n - k, "%s", env);
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0 && k < n) {
        exe[l] = 0;
        const char *dir = dirname(exe);
        k += (size_t)snprintf(buf + k, n - k, "%s%s/plugins:%s/../" FK_PLUGIN_INSTALL_DIR,
                              k ? ":" : "", dir, dir);
    }
    if (k < n)
        snprintf(buf + k, n - k, "%s" FK_INSTALL_PREFIX "/" FK_PLUGIN_INSTALL_DIR, k ? ":" : "");
    return buf;
}

/* Checks what a plugin's table says of itself before trusting any of it. */
static fk_status check_plugin(const char *path, const fk_plugin *p, fk_error *e)
{
    if (!p)
        return fk_fail(e, FK_ERR_PLUGIN, "%s: " FK_PLUGIN_ENTRY_SYMBOL "() returned NULL", path);
    if (p->abi_version != FK_PLUGIN_ABI_VERSION)
        return fk_fail(e, FK_ERR_PLUGIN,
                       "%s: plugin ABI version %u, but this fidkit speaks version %u: rebuild the "
                       "plugin against this fidkit's plugin.h", path, p->abi_version,
                       FK_PLUGIN_ABI_VERSION);
    size_t need = offsetof(fk_plugin, close) + sizeof p->close;
    if (p->struct_size < need)
        return fk_fail(e, FK_ERR_PLUGIN,
                       "%s: plugin table of %u bytes is smaller than ABI version %u requires (%zu)",
                       path, p->struct_size, FK_PLUGIN_ABI_VERSION, need);
    const char *missing = !p->name ? "name" : !p->variants ? "variants" : !p->list_outputs ? "list_outputs"
                        : !p->default_input_size ? "default_input_size" : !p->open ? "open"
                        : !p->extract ? "extract" : !p->close ? "close" : NULL;
    if (missing)
        return fk_fail(e, FK_ERR_PLUGIN, "%s: plugin table has no '%s'", path, missing);
    return FK_OK;
}

fk_status fk_plugin_load_file(const char *path, const fk_plugin **out, fk_error *e)
{
    *out = NULL;
    char real[PATH_MAX];
    if (!realpath(path, real))
        return fk_fail(e, FK_ERR_PLUGIN, "%s: %s", path, strerror(errno));
    pthread_mutex_lock(&registry.lock);
    for (int i = 0; i < registry.n; i++)
        if (!strcmp(registry.path[i], real)) {
            *out = registry.plugin[i];
            pthread_mutex_unlock(&registry.lock);
            return FK_OK;
        }
    fk_status st = FK_OK;
    void *h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        st = fk_fail(e, FK_ERR_PLUGIN, "%s: cannot load plugin: %s", path, dlerror());
        goto out;
    }
    fk_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, FK_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        st = fk_fail(e, FK_ERR_PLUGIN, "%s: not a fidkit plugin (no symbol " FK_PLUGIN_ENTRY_SYMBOL ")",
                     path);
        dlclose(h); /* nothing of it ran, so closing is safe */
        goto out;
    }
    const fk_plugin *p = entry();
    if ((st = check_plugin(path, p, e)))
        goto out; /* kept resident: its constructors may have run */
    if (registry.n == MAX_PLUGINS) {
        st = fk_fail(e, FK_ERR_PLUGIN, "%s: more than %d plugins loaded", path, MAX_PLUGINS);
        goto out;
    }
    snprintf(registry.path[registry.n], PATH_MAX, "%s", real);
    registry.handle[registry.n] = h;
    registry.plugin[registry.n++] = p;
    *out = p;
out:
    pthread_mutex_unlock(&registry.lock);
    return st;
}

static int is_file(const char *p)
{
    struct stat sb;
    return !stat(p, &sb) && S_ISREG(sb.st_mode);
}

fk_status fk_plugin_load(const char *name, const fk_plugin **out, fk_error *e)
{
    *out = NULL;
    char sp[8192], file[PATH_MAX];
    fk_plugin_search_path(sp, sizeof sp);
    char list[8192];
    snprintf(list, sizeof list, "%s", sp);
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(file, sizeof file, "%s/%s.so", d, name);
        if (!is_file(file))
            continue;
        fk_status st = fk_plugin_load_file(file, out, e);
        if (st)
            return st;
        if (strcmp((*out)->name, name)) {
            const char *real = (*out)->name;
            *out = NULL;
            return fk_fail(e, FK_ERR_PLUGIN, "%s: the plugin calls itself '%s', not '%s'", file,
                           real, name);
        }
        return FK_OK;
    }
    return fk_fail(e, FK_ERR_PLUGIN, "no plugin '%s' (looked for %s.so in %s); `fidkit backbones` "
                   "lists the plugins found", name, name, sp);
}

static int cmp_info(const void *a, const void *b)
{
    return strcmp(((const fk_plugin_entry_info *)a)->path, ((const fk_plugin_entry_info *)b)->path);
}

fk_status fk_plugin_scan(fk_plugin_entry_info **list, int *n, fk_error *e)
{
    *list = NULL;
    *n = 0;
    char sp[8192];
    fk_plugin_search_path(sp, sizeof sp);
    int cap = 16, k = 0;
    fk_plugin_entry_info *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (char *save = NULL, *d = strtok_r(sp, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = opendir(d);
        if (!dir)
            continue;
        int first = k;
        for (struct dirent *de; (de = readdir(dir));) {
            size_t l = strlen(de->d_name);
            if (l < 4 || strcmp(de->d_name + l - 3, ".so"))
                continue;
            int dup = 0; /* an earlier folder's plugin of the same name wins */
            for (int i = 0; i < first && !dup; i++)
                dup = !strcmp(strrchr(v[i].path, '/') + 1, de->d_name);
            if (dup)
                continue;
            if (k == cap) {
                fk_plugin_entry_info *nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
                if (!nv) {
                    closedir(dir);
                    free(v);
                    return fk_fail(e, FK_ERR_NOMEM, "out of memory");
                }
                v = nv;
            }
            snprintf(v[k].path, sizeof v[k].path, "%s/%s", d, de->d_name);
            fk_error pe = {0};
            v[k].plugin = NULL;
            v[k].error[0] = 0;
            if (fk_plugin_load_file(v[k].path, &v[k].plugin, &pe))
                snprintf(v[k].error, sizeof v[k].error, "%s", pe.msg);
            k++;
        }
        closedir(dir);
        qsort(v + first, (size_t)(k - first), sizeof *v, cmp_info);
    }
    *list = v;
    *n = k;
    return FK_OK;
}

/* ---- devices (device.h) ---------------------------------------------- */

/* The torch shim's entry points, as a plugin that links it sees them
 * (dlsym on the plugin's handle searches its dependencies), or NULL for a
 * plugin without the shim. */
typedef fk_status (*shim_resolve_fn)(const char *, const char *, char *, size_t, fk_error *);
typedef size_t (*shim_info_fn)(char *, size_t);

static void *shim_symbol(const fk_plugin *p, const char *name)
{
    void *h = NULL;
    pthread_mutex_lock(&registry.lock);
    for (int i = 0; i < registry.n && !h; i++)
        if (registry.plugin[i] == p)
            h = registry.handle[i];
    pthread_mutex_unlock(&registry.lock);
    return h ? dlsym(h, name) : NULL;
}

static fk_status resolve_for(const fk_plugin *p, const char *device, const char *precision,
                             char *out, size_t n, fk_error *e)
{
    fk_device_kind kind;
    fk_status st;
    if (!precision || !*precision)
        precision = "fp32";
    if ((st = fk_device_parse(device, &kind, NULL, e)) || (st = fk_precision_parse(precision, e)))
        return st;
    if (strcmp(precision, "fp32") &&
        !(FK_PLUGIN_HAS(p, caps) && (p->caps & FK_PLUGIN_CAP_PRECISION)))
        return fk_fail(e, FK_ERR_UNSUPPORTED, "plugin %s computes in fp32 only: precision %s "
                       "is not available for it", p->name, precision);
    shim_resolve_fn resolve;
    *(void **)&resolve = shim_symbol(p, "fkt_device_resolve");
    if (resolve) {
        if ((st = resolve(device, precision, out, n, e)))
            fk_fail_prefix(e, "%s", p->name);
        return st;
    }
    if (kind == FK_DEVICE_CUDA)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "plugin %s runs on the CPU only (it does not use "
                       "the torch shim): device '%s' is not available for it", p->name, device);
    if (strcmp(precision, "fp32"))
        return fk_fail(e, FK_ERR_UNSUPPORTED, "plugin %s runs on the CPU only: precision %s "
                       "needs a CUDA device", p->name, precision);
    snprintf(out, n, "cpu");
    return FK_OK;
}

fk_status fk_device_resolve(const char *plugin_name, const char *device, const char *precision,
                            char *out, size_t n, fk_error *e)
{
    const fk_plugin *p;
    fk_status st = fk_plugin_load(plugin_name, &p, e);
    return st ? st : resolve_for(p, device, precision, out, n, e);
}

int fk_plugin_links_torch(const fk_plugin *p)
{
    return shim_symbol(p, "fkt_device_resolve") != NULL;
}

fk_status fk_torch_runtime(char *json, size_t n, fk_error *e)
{
    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&registry.lock);
        int count = registry.n;
        pthread_mutex_unlock(&registry.lock);
        for (int i = 0; i < count; i++) {
            shim_info_fn info;
            *(void **)&info = shim_symbol(registry.plugin[i], "fkt_runtime_info");
            if (info) {
                info(json, n);
                return FK_OK;
            }
        }
        if (pass == 0) { /* none loaded yet: load what the search path has */
            fk_plugin_entry_info *list;
            int k;
            if (fk_plugin_scan(&list, &k, NULL) == FK_OK)
                free(list);
        }
    }
    if (n)
        json[0] = 0;
    return fk_fail(e, FK_ERR_PLUGIN, "no plugin on the search path links the torch shim");
}

/* ---- backbones ------------------------------------------------------- */

#define MAX_OUTPUTS 16

struct fk_backbone {
    fk_config cfg;
    const fk_plugin *plugin;
    void *inst;
    char weights_path[PATH_MAX];
    char sha256[65];
    int n_out;
    fk_output_desc out[MAX_OUTPUTS];
    const char *out_names[MAX_OUTPUTS];
    fk_option_value options[FK_CONFIG_MAX_OPTIONS];
};

static fk_status parse_option(const fk_config *c, const fk_option_spec *spec, const char *text,
                              int line, fk_option_value *v, fk_error *e)
{
    char *end;
    memset(v, 0, sizeof *v);
    switch (spec->type) {
    case FK_OPT_INT:
        v->i = strtoll(text, &end, 10);
        if (!*text || *end)
            return fk_fail(e, FK_ERR_ARG, "%s:%d: option '%s' must be an integer, got '%s'", c->path,
                           line, spec->name, text);
        break;
    case FK_OPT_FLOAT:
        v->f = strtod(text, &end);
        if (!*text || *end)
            return fk_fail(e, FK_ERR_ARG, "%s:%d: option '%s' must be a number, got '%s'", c->path,
                           line, spec->name, text);
        break;
    case FK_OPT_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "1"))
            v->i = 1;
        else if (!strcmp(text, "false") || !strcmp(text, "no") || !strcmp(text, "0"))
            v->i = 0;
        else
            return fk_fail(e, FK_ERR_ARG, "%s:%d: option '%s' must be true or false, got '%s'",
                           c->path, line, spec->name, text);
        break;
    case FK_OPT_STRING:
        v->s = text;
        break;
    default:
        return fk_fail(e, FK_ERR_PLUGIN, "plugin option '%s' has an unknown type", spec->name);
    }
    return FK_OK;
}

/* Matches the config's options against the plugin's specs: unknown keys and
 * bad values are errors naming the file and line; defaults fill the rest. */
static fk_status bind_options(fk_backbone *b, fk_error *e)
{
    const fk_config *c = &b->cfg;
    const fk_option_spec *specs = b->plugin->options;
    int ns = 0;
    while (specs && specs[ns].name)
        ns++;
    if (ns > FK_CONFIG_MAX_OPTIONS)
        return fk_fail(e, FK_ERR_PLUGIN, "plugin %s declares too many options", b->plugin->name);
    for (int i = 0; i < c->n_options; i++) {
        int found = 0;
        for (int j = 0; j < ns && !found; j++)
            found = !strcmp(specs[j].name, c->options[i].key);
        if (!found) {
            char known[512] = "";
            size_t k = 0;
            for (int j = 0; j < ns && k < sizeof known; j++)
                k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", j ? ", " : "", specs[j].name);
            return fk_fail(e, FK_ERR_ARG, "%s:%d: plugin %s has no option '%s' (it has: %s)", c->path,
                           c->options[i].line, b->plugin->name, c->options[i].key,
                           ns ? known : "none");
        }
    }
    for (int j = 0; j < ns; j++) {
        const char *text = specs[j].default_value;
        int line = 0;
        for (int i = 0; i < c->n_options; i++)
            if (!strcmp(specs[j].name, c->options[i].key)) {
                text = c->options[i].value;
                line = c->options[i].line;
            }
        if (!text)
            return fk_fail(e, FK_ERR_ARG, "%s: plugin %s needs the option '%s' (%s)", c->path,
                           b->plugin->name, specs[j].name, specs[j].help ? specs[j].help : "");
        fk_status st = parse_option(c, &specs[j], text, line, &b->options[j], e);
        if (st)
            return st;
    }
    return FK_OK;
}

fk_status fk_backbone_open(const fk_config *c, const char *const *outputs, int n_outputs,
                           fk_backbone **out, fk_error *e)
{
    *out = NULL;
    fk_backbone *b = calloc(1, sizeof *b);
    if (!b)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    b->cfg = *c;
    if (b->cfg.threads <= 0)
        b->cfg.threads = fk_threads_default();
    const char *const def[1] = {b->cfg.output};
    if (!outputs || n_outputs <= 0) {
        outputs = def;
        n_outputs = 1;
    }
    fk_status st = fk_plugin_load(c->plugin, &b->plugin, e);
    if (st)
        goto fail;
    const fk_plugin *p = b->plugin;

    int known = 0;
    for (const char *const *v = p->variants; *v && !known; v++)
        known = !strcmp(*v, c->variant);
    if (!known) {
        st = fk_fail(e, FK_ERR_ARG, "%s: plugin %s has no variant '%s'", c->path, p->name, c->variant);
        goto fail;
    }
    fk_output_desc avail[64];
    int na = p->list_outputs(c->variant, avail, 64);
    if (na > 64)
        na = 64;
    if (n_outputs > MAX_OUTPUTS) {
        st = fk_fail(e, FK_ERR_ARG, "at most %d outputs at once", MAX_OUTPUTS);
        goto fail;
    }
    for (int i = 0; i < n_outputs; i++) {
        int j = 0;
        while (j < na && strcmp(avail[j].name, outputs[i]))
            j++;
        if (j == na) {
            char names[512] = "";
            size_t k = 0;
            for (int q = 0; q < na && k < sizeof names; q++)
                k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", q ? ", " : "", avail[q].name);
            st = fk_fail(e, FK_ERR_ARG, "%s: %s/%s has no output '%s' (it has: %s)", c->path, p->name,
                         c->variant, outputs[i], names);
            goto fail;
        }
        b->out[i] = avail[j];
        b->out_names[i] = avail[j].name;
    }
    b->n_out = n_outputs;
    if ((st = bind_options(b, e)))
        goto fail;
    /* Before the weights are read and any image decoded. */
    char dev[sizeof b->cfg.device];
    if ((st = resolve_for(p, c->device, c->precision, dev, sizeof dev, e))) {
        fk_fail_prefix(e, "%s", c->path);
        goto fail;
    }
    snprintf(b->cfg.device, sizeof b->cfg.device, "%s", dev);
    if (!b->cfg.precision[0])
        snprintf(b->cfg.precision, sizeof b->cfg.precision, "fp32");

    if (!c->random_weights) {
        if ((st = fk_config_weights_path(c, b->weights_path, sizeof b->weights_path, e)) ||
            (st = fk_sha256_file(b->weights_path, b->sha256, e)))
            goto fail;
        if (c->weights_sha256[0] && strcmp(c->weights_sha256, b->sha256)) {
            st = fk_fail(e, FK_ERR_FORMAT,
                         "%s: SHA-256 %s, but %s expects %s: a different or damaged file "
                         "(scores from it would carry a tag that no published number has)",
                         b->weights_path, b->sha256, c->path, c->weights_sha256);
            goto fail;
        }
    }
    fk_plugin_params pp = {
        .struct_size = sizeof pp,
        .config_path = c->path,
        .variant = b->cfg.variant,
        .weights_path = c->random_weights ? NULL : b->weights_path,
        .random_weights = c->random_weights,
        .random_seed = c->random_seed,
        .device = b->cfg.device,
        .threads = b->cfg.threads,
        .input_size = c->input.size,
        .n_outputs = b->n_out,
        .outputs = b->out_names,
        .options = b->options,
        .precision = b->cfg.precision,
    };
    if ((st = p->open(&pp, &b->inst, e)))
        goto fail;
    for (int i = 0; i < b->n_out; i++) {
        if (b->out[i].dim <= 0 && FK_PLUGIN_HAS(p, output_dim))
            b->out[i].dim = p->output_dim(b->inst, i);
        if (b->out[i].dim <= 0) {
            st = fk_fail(e, FK_ERR_PLUGIN, "%s: %s/%s gives no dimension for output '%s'", c->path,
                         p->name, c->variant, b->out_names[i]);
            p->close(b->inst);
            goto fail;
        }
    }
    *out = b;
    return FK_OK;
fail:
    free(b);
    return st;
}

void fk_backbone_close(fk_backbone *b)
{
    if (b) {
        if (b->inst)
            b->plugin->close(b->inst);
        free(b);
    }
}

int fk_backbone_n_outputs(const fk_backbone *b) { return b->n_out; }
const char *fk_backbone_output_name(const fk_backbone *b, int i) { return b->out[i].name; }
int fk_backbone_output_dim(const fk_backbone *b, int i) { return b->out[i].dim; }
const fk_config *fk_backbone_config(const fk_backbone *b) { return &b->cfg; }

void fk_backbone_tag(const fk_backbone *b, int i, fk_tag *t)
{
    fk_config_tag(&b->cfg, b->cfg.random_weights ? NULL : b->sha256, t);
    snprintf(t->layer, sizeof t->layer, "%s", b->out[i].name);
}

fk_status fk_backbone_extract(fk_backbone *b, const float *nchw, int n, float *const *out,
                              fk_error *e)
{
    fk_status st = b->plugin->extract(b->inst, nchw, n, out, e);
    if (st && e && !strstr(e->msg, b->plugin->name))
        fk_fail_prefix(e, "%s", b->plugin->name);
    return st;
}

fk_status fk_backbone_encode_text(fk_backbone *b, const int32_t *tokens, int n, int ctx,
                                  float *out, fk_error *e)
{
    if (!FK_PLUGIN_HAS(b->plugin, encode_text))
        return fk_fail(e, FK_ERR_ARG, "%s: plugin %s has no text encoder", b->cfg.path,
                       b->plugin->name);
    fk_status st = b->plugin->encode_text(b->inst, tokens, n, ctx, out, e);
    if (st && e && !strstr(e->msg, b->plugin->name))
        fk_fail_prefix(e, "%s", b->plugin->name);
    return st;
}

int fk_backbone_pinned_allocator(const fk_backbone *b, void *(**alloc)(size_t),
                                 void (**release)(void *))
{
    *alloc = NULL;
    *release = NULL;
    if (strncmp(fk_backbone_config(b)->device, "cuda", 4))
        return 0;
    *(void **)alloc = shim_symbol(b->plugin, "fkt_host_alloc");
    *(void **)release = shim_symbol(b->plugin, "fkt_host_free");
    if (!*alloc || !*release)
        *alloc = NULL, *release = NULL;
    return *alloc != NULL;
}
