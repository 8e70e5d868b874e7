"""The binding: cffi in ABI mode over libfidkit.so (no compiler at install
time). The structs below mirror core/include/fidkit/*.h field for field;
at load the size of each is compared with the library's own sizeof
(fk_abi_sizeof), and a mismatch refuses to import rather than read fields
at wrong offsets. Enums are declared as int (their size under GCC/Clang).

cffi releases the GIL around every call into the library, so feature
extraction in one thread leaves other Python threads running.
"""
import ctypes.util
import os
import sys

try:
    import cffi
except ImportError as exc:  # pragma: no cover - Debian ships python3-cffi
    raise ImportError("fidkit needs cffi (Debian: apt-get install python3-cffi)") from exc

CDEF = r"""
typedef int fk_status;
typedef struct fk_error { fk_status code; char msg[1024]; } fk_error;
typedef struct fk_tag {
    char backbone[64]; char variant[64]; char layer[64]; char weights[72];
    int input_size; char resize[32]; char norm[128]; char prec[16];
} fk_tag;
typedef struct fk_stats {
    int d; int64_t n; double *mu; double *sigma; int has_tag; fk_tag tag;
    char *meta_json; char source[1024];
} fk_stats;
typedef struct fk_featset {
    fk_tag tag; int has_tag; int d; int64_t n; float *rows; char source[1024];
    int64_t skipped;
} fk_featset;
typedef struct fk_moments { int d; int64_t n; double *mean; double *m2; double *work; } fk_moments;
typedef struct fk_decode_options { int gray16_pil_clip; int64_t max_pixels; } fk_decode_options;
typedef struct fk_dataset_options {
    int64_t limit; int random_subset; uint64_t seed; const char *member;
    fk_decode_options decode; int shard_index; int shard_count; int64_t block;
} fk_dataset_options;
typedef struct fk_loader_options {
    int batch_size; int threads; int skip_bad; int prefetch; void *hook; void *hook_user;
    void *batch_alloc; void *batch_free;
} fk_loader_options;
typedef void (*fk_progress_fn)(void *user, int64_t done, int64_t total);
typedef struct fk_perturbation { int kind; double level; uint64_t seed; } fk_perturbation;
typedef struct fk_extract_options {
    fk_dataset_options dataset; fk_loader_options loader; int keep_rows;
    fk_progress_fn progress; void *progress_user; const void *parallel;
    fk_perturbation perturb; const char *contaminant; int no_cache;
} fk_extract_options;
typedef struct fk_fd_options { int method; double eps; int single_precision; } fk_fd_options;
typedef struct fk_fd_result {
    double fd; double mean_term; double trace_term; double tr_sqrt; const char *method;
    int swapped; int rank; double rcond; int n_negative; double most_negative; double eps;
    int clamped;
} fk_fd_result;
typedef struct fk_eval_input {
    const char *path; const fk_stats *stats; const fk_featset *sets; int n_sets; const char *role;
} fk_eval_input;
typedef struct fk_eval_options {
    size_t struct_size; const char *backbone; fk_extract_options extract; unsigned metrics;
    int interval; int replicates_fd; int replicates_other; uint64_t seed;
    int64_t kid_subset_size; int kid_subsets; int kid_convention; int is_convention;
    int is_splits;
    const char *is_output; const fk_tag *assume; fk_fd_options fd;
} fk_eval_options;
typedef struct fk_interval {
    int present; double level, lo, hi; int replicates; double bias; char method[160];
} fk_interval;
typedef struct fk_result {
    char metric[16]; char name[48]; double value; fk_interval interval; int n_sides;
    int64_t n[2]; char convention[320]; fk_tag tag; double seconds; int has_fd;
    fk_fd_result fd; int d; double std; int splits, subsets; int64_t subset_size;
    uint64_t seed; int has_seed; char extra[512];
} fk_result;
typedef struct fk_side_info {
    char role[16]; char path[1024]; int64_t n; int64_t skipped; char cache[8];
    char *skipped_files;
} fk_side_info;
typedef struct fk_results {
    int n; fk_result *items; char backbone[1024]; int n_sides; fk_side_info sides[2];
    double extract_seconds, metric_seconds; char notes[4][256]; int n_notes;
} fk_results;
typedef struct fk_preprocess {
    int size; int resize; int center_crop; float scale; float mean[3], std[3];
} fk_preprocess;
typedef struct fk_config_option { char key[64]; char value[512]; int line; } fk_config_option;
typedef struct fk_config_file {
    char file[1024]; char sha256[65]; char source[512]; int64_t size;
} fk_config_file;
typedef struct fk_config {
    char path[1024]; char plugin[64]; char variant[64]; int random_weights;
    uint64_t random_seed; char weights_file[1024]; char weights_sha256[65];
    char weights_source[512]; int64_t weights_size; int n_side; fk_config_file side[4];
    fk_preprocess input; char output[64]; char device[32]; char precision[16];
    int threads; int batch_size; int cuda_batch_size; int n_options; fk_config_option options[32];
    char matches[256];
} fk_config;

size_t fk_abi_sizeof(const char *type);
const char *fk_version(void);
const char *fk_status_name(fk_status s);
void free(void *p);

char *fk_tag_str(const fk_tag *t, int short_sha, char *buf, size_t n);
fk_status fk_tag_parse(const char *s, fk_tag *t, fk_error *e);
fk_status fk_tag_check(const fk_tag *a, const fk_tag *b, fk_error *e);

fk_status fk_config_find(const char *name, char *out, size_t n, fk_error *e);
fk_status fk_config_load(const char *path, fk_config *c, fk_error *e);

fk_status fk_stats_read(const char *path, fk_stats *s, fk_error *e);
fk_status fk_stats_write(const char *path, const fk_stats *s, const char *extra_json, fk_error *e);
void fk_stats_free(fk_stats *s);
fk_status fk_stats_from_featset(const fk_featset *f, fk_stats *out, fk_error *e);
fk_status fk_stats_from_moments(const fk_moments *m, const fk_tag *tag, const char *source,
                                fk_stats *out, fk_error *e);

fk_status fk_featset_from_rows(const float *rows, int64_t n, int d, const fk_tag *tag,
                               const char *source, fk_featset *out, fk_error *e);
fk_status fk_featset_read(const char *path, const char *layer, const fk_tag *assumed,
                          fk_featset *out, fk_error *e);
fk_status fk_featset_write(const char *path, const fk_featset *sets, int n,
                           const char *extra_json, fk_error *e);
void fk_featset_free(fk_featset *s);
int fk_featfile_is(const char *path);

typedef int fk_is_convention;
typedef int fk_kid_convention;
int fk_is_convention_parse(const char *name, fk_is_convention *c);
int fk_kid_convention_parse(const char *name, fk_kid_convention *c);
fk_eval_options fk_eval_default_options(void);
fk_status fk_metric_parse_list(const char *list, unsigned *mask, fk_error *e);
fk_status fk_evaluate(const fk_eval_input *inputs, int n_inputs, const fk_eval_options *opt,
                      fk_results *out, fk_error *e);
void fk_results_free(fk_results *r);
char *fk_results_json(const fk_results *r, const char *command, int pretty);

typedef struct fk_clip_options {
    size_t struct_size; const char *backbone; fk_extract_options extract; int convention;
    const char *prefix; const char *refs; const char *bpe; int truncate; const char *per_pair;
    int interval; int replicates; uint64_t seed;
} fk_clip_options;
fk_clip_options fk_clip_default_options(void);
fk_status fk_clipscore_evaluate(const char *manifest, const fk_clip_options *o, fk_results *out,
                                fk_error *e);
typedef int fk_clipscore_convention;
fk_status fk_clipscore_convention_parse(const char *name, fk_clipscore_convention *c, fk_error *e);

typedef struct fk_accum fk_accum;
fk_status fk_accum_open(const char *backbone, const char *const *outputs, int n_outputs,
                        int keep_rows, fk_accum **out, fk_error *e);
fk_status fk_accum_open_features(const fk_tag *tag, int d, int keep_rows, fk_accum **out,
                                 fk_error *e);
void fk_accum_close(fk_accum *a);
void fk_accum_reset(fk_accum *a);
fk_status fk_accum_push_images(fk_accum *a, const uint8_t *hwc, int n, int h, int w,
                               fk_error *e);
fk_status fk_accum_push_features(fk_accum *a, int output, const float *rows, int64_t n, int d,
                                 fk_error *e);
fk_status fk_accum_merge(fk_accum *dst, const fk_accum *src, fk_error *e);
int fk_accum_n_outputs(const fk_accum *a);
int fk_accum_dim(const fk_accum *a, int output);
int64_t fk_accum_count(const fk_accum *a);
void fk_accum_tag(const fk_accum *a, int output, fk_tag *tag);
const fk_moments *fk_accum_moments(const fk_accum *a, int output);
fk_status fk_accum_add_moments(fk_accum *a, int output, const fk_moments *m, fk_error *e);
fk_status fk_accum_stats(const fk_accum *a, int output, fk_stats *out, fk_error *e);
fk_status fk_accum_featset(const fk_accum *a, int output, fk_featset *out, fk_error *e);
"""

# The structs whose layout the binding relies on (checked at import).
MIRRORED = (
    "fk_error", "fk_tag", "fk_stats", "fk_featset", "fk_moments", "fk_decode_options",
    "fk_dataset_options", "fk_loader_options", "fk_perturbation", "fk_extract_options", "fk_fd_options",
    "fk_fd_result", "fk_eval_input", "fk_eval_options", "fk_interval", "fk_result",
    "fk_side_info", "fk_results", "fk_preprocess", "fk_config_option", "fk_config_file", "fk_config", "fk_clip_options",
)

ffi = cffi.FFI()
ffi.cdef(CDEF)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    """Where libfidkit.so may be, in the order tried."""
    env = os.environ.get("FIDKIT_LIB")
    if env:
        yield os.path.join(env, "libfidkit.so") if os.path.isdir(env) else env
        return
    # Straight from a build: python/fidkit/ -> <source>/build/libfidkit.so.
    yield os.path.join(os.path.dirname(os.path.dirname(_HERE)), "build", "libfidkit.so")
    try:  # recorded at `pip install` time when a build tree was beside python/
        from . import _paths
        if _paths.BUILD_LIB:
            yield _paths.BUILD_LIB
    except ImportError:
        pass
    for prefix in (sys.prefix, "/usr/local", "/usr"):
        for libdir in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
            yield os.path.join(prefix, libdir, "libfidkit.so")
    found = ctypes.util.find_library("fidkit")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        tried.append(path)
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            lib = ffi.dlopen(path)
        except OSError:
            continue
        return lib, path
    raise ImportError(
        "fidkit: libfidkit.so not found (tried: %s). Build it with "
        "`cmake -S . -B build && cmake --build build` in the fidkit source tree "
        "(then use PYTHONPATH=python), install it with `cmake --install build`, "
        "or set FIDKIT_LIB to the library file or its folder." % ", ".join(tried))


lib, LIBRARY_PATH = _load()

# Resolve every declared function now. cffi resolves a library attribute on
# first use under its own lock, which it also holds while parsing a type for
# ffi.new(); a garbage collection inside that parse runs our __del__
# methods, whose first lib.fk_*_free would then wait on that lock forever
# (an interpreter hang, seen in the test suite). Resolved names are plain
# attributes and take no lock.
for _name in dir(lib):
    getattr(lib, _name)
del _name


def _check_sizes():
    try:
        lib.fk_abi_sizeof
    except AttributeError as exc:
        raise ImportError("fidkit: %s is older than this package (no fk_abi_sizeof); "
                          "rebuild libfidkit" % LIBRARY_PATH) from exc
    bad = []
    for name in MIRRORED:
        theirs = lib.fk_abi_sizeof(name.encode())
        ours = ffi.sizeof(name)
        if theirs != ours:
            bad.append("%s: library %d bytes, binding %d" % (name, theirs, ours))
    if bad:
        raise ImportError("fidkit: the binding's structs do not match %s (%s); the package "
                          "and the library are of different versions" % (LIBRARY_PATH,
                                                                        "; ".join(bad)))


_check_sizes()


def _add_plugin_path():
    """Plugins sit beside the library (build tree: build/plugins; install:
    lib/fidkit/plugins). The registry looks beside the running executable,
    which for Python is the interpreter, so name the folder on
    FIDKIT_PLUGIN_PATH (after the user's own entries) before any plugin loads."""
    libdir = os.path.dirname(os.path.realpath(LIBRARY_PATH))
    extra = [d for d in (os.path.join(libdir, "plugins"), os.path.join(libdir, "fidkit", "plugins"))
             if os.path.isdir(d)]
    if not extra:
        return
    cur = [p for p in os.environ.get("FIDKIT_PLUGIN_PATH", "").split(":") if p]
    os.environ["FIDKIT_PLUGIN_PATH"] = ":".join(cur + [d for d in extra if d not in cur])


_add_plugin_path()


def s(buf):
    """A char array of a struct as str."""
    return ffi.string(buf).decode("utf-8", "replace")
