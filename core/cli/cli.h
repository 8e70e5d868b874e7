/* The fidkit command: shared pieces of the subcommands. */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdio.h>
#include "fidkit/error.h"
#include "fidkit/eval.h"
#include "fidkit/extract.h"
#include "fidkit/frechet.h"
#include "fidkit/registry.h"
#include "opts.h"

/* Exit codes, documented in `fidkit --help` and docs/cli.md. */
enum {
    FK_EXIT_OK = 0,
    FK_EXIT_ERROR = 1,   /* runtime: I/O, memory, numerics, plugins */
    FK_EXIT_USAGE = 2,   /* bad command line, option or config value */
    FK_EXIT_TAG = 3,     /* refused: the inputs were measured by different backbones */
    FK_EXIT_DATA = 4     /* bad input data: a file's contents are invalid (FK_ERR_FORMAT) */
};

typedef struct fk_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} fk_command;

/* Prints "fidkit CMD: message" to stderr and returns the exit code for e. */
int fk_cli_report(const char *cmd, const fk_error *e);
int fk_cli_exit_code(fk_status s);
/* Prints "fidkit CMD: message\nTry 'fidkit CMD --help'." and returns FK_EXIT_USAGE. */
int fk_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* 1 if arg is -h or --help. */
int fk_cli_is_help(const char *arg);

/* Options every command that extracts features takes (common.c): one
 * table, shared by every command through fk_cli_parse. */
typedef struct fk_cli_extract {
    const char *backbone;        /* config path or name; NULL = the default */
    fk_extract_options ex;
    int json;
    int quiet;                   /* no progress bar */
    /* raw values, applied to ex by fk_cli_extract_finish */
    int batch_size, threads, skip_bad, gray16, no_cache;
    int64_t limit, subset;
    uint64_t seed;               /* UINT64_MAX: not given */
    const char *shard;           /* "I/K" (--shard), NULL: the whole dataset */
    int64_t block;               /* --block: items per block of the listing */
    const char *device, *precision; /* --device, --precision (NULL: the config's) */
    fk_opt table[18];
} fk_cli_extract;

#define FK_CLI_DEFAULT_BACKBONE FK_DEFAULT_BACKBONE
/* The help of these options, with the default backbone of the command. */
#define FK_CLI_EXTRACT_HELP FK_CLI_EXTRACT_HELP_WITH(FK_CLI_DEFAULT_BACKBONE)
#define FK_CLI_EXTRACT_HELP_WITH(default_backbone)                                       \
    "  --backbone CONFIG       a config file or name (default " default_backbone ";\n"  \
    "                          `fidkit configs` lists them; docs/cli.md)\n"               \
    "  --batch-size N          images per forward pass (default: the config's)\n"       \
    "  --threads N             decode/resize threads (default: all cores)\n"            \
    "  --limit N               use the first N images\n"                                \
    "  --subset N --seed S     use a seeded random subset of N images\n"                \
    "  --skip-bad              skip undecodable images (counted in the report)\n"       \
    "                          instead of stopping at the first\n"                      \
    "  --gray16-pil            clip 16-bit greyscale at 255 as PIL does\n"              \
    "  --shard I/K             only shard I of K of the sorted listing (whole blocks;\n"  \
    "                          `fidkit merge` joins the parts; docs/scale.md)\n"          \
    "  --block N               items per block of the listing (default 1024)\n"        \
    "  --device D              cpu, cuda, cuda:N or auto (default: the config's;\n"     \
    "                          docs/gpu.md)\n"                                          \
    "  --precision P           fp32 (default), tf32 or bf16 (CUDA only; in the tag)\n"  \
    "  --no-cache              neither read nor write the feature cache (also\n"      \
    "                          FIDKIT_NO_CACHE=1; `fidkit cache ls|clear`)\n"            \
    "  --quiet                 no progress bar\n"                                       \
    "  --json                  print one JSON object (schema fidkit-result/1;\n"      \
    "                          pretty, --compact for one line; docs/cli.md)\n"

void fk_cli_extract_init(fk_cli_extract *o);
/* --device / --precision: checked (a usage error exits 2) and handed to the
 * library as $FIDKIT_DEVICE / $FIDKIT_PRECISION, which every config loaded
 * after takes (fidkit/device.h). NULL leaves either as it is. */
void fk_cli_device_apply(const char *device, const char *precision);
/* "I/K" with 0 <= I < K to its numbers; -1 when malformed. */
int fk_cli_parse_shard(const char *s, int *index, int *count);
/* In the MPI build, launched by mpirun/srun: extraction is shared among the
 * ranks (core/src/mpi); elsewhere it does nothing. */
void fk_cli_mpi_attach(fk_extract_options *ex);
/* Starts MPI when launched by mpirun/srun; a rank other than 0 serves
 * rank 0's extractions and returns its exit status, rank 0 and a plain
 * process get -1 and go on. */
int fk_cli_mpi_start(int *argc, char ***argv);
/* Applies the parsed values to o->ex; call after fk_cli_parse. */
void fk_cli_extract_finish(fk_cli_extract *o);
/* The progress bar of an extraction: on stderr, on a terminal only. */
typedef struct fk_cli_progress {
    const char *label;
    double t0;
    int shown;
} fk_cli_progress;
void fk_cli_progress_attach(fk_cli_extract *o, fk_cli_progress *p, fk_extract_options *ex);
void fk_cli_progress_done(fk_cli_progress *p);
/* Seconds since fk_cli_progress_attach. */
double fk_cli_progress_seconds(const fk_cli_progress *p);

/* JSON style (print.c): main takes --compact out of argv (pretty is the
 * default) and notes whether --json was given, so that usage errors print
 * the error JSON too. */
void fk_cli_json_style(int *argc, char **argv);
int fk_cli_json_pretty(void);
int fk_cli_json_asked(void);
/* Prints a command's own JSON (text, freed here) under the shared header
 * (schema, command, fidkit_version); an array goes under array_key. */
void fk_cli_emit_json(const char *cmd, char *text, const char *array_key);
/* "skipped N undecodable images of PATH" and the first messages of list
 * (a JSON array), for people; nothing when n is 0. */
void fk_cli_print_skipped(const char *path, int64_t n, const char *list);
/* The --json of a command that wrote a file (written: fk_written_json's
 * text, freed here) with the dataset and its skipped files from prov (the
 * provenance JSON); without json, only the skipped lines. */
void fk_cli_print_written(const char *cmd, char *written, const char *prov, int json,
                          double seconds);
/* A number for people (print.c): 6 decimals, or 6 significant digits when
 * very large or small; "undefined" when not finite; never -0. */
const char *fk_cli_num(double v, char *buf, size_t n);
/* 1 when r's interval is present and both ends are finite. */
int fk_cli_interval_shown(const fk_result *r);
/* Prints results: the shared JSON (--json), else text. */
void fk_cli_print_results(const fk_results *r, const char *cmd, int json);
/* fk_output_prepare on an output before any work: 0, or the error reported
 * and its exit code. */
int fk_cli_prepare_output(const char *cmd, const char *output, const char *const *inputs,
                          int n_inputs, int json);
/* Reports an error (as JSON on stdout with --json) and returns its exit code. */
int fk_cli_fail(const char *cmd, const fk_error *e, int json);
/* Subcommands (cmd_*.c). */
int fk_cmd_fd(int argc, char **argv);
int fk_cmd_merge(int argc, char **argv);
int fk_cmd_stats_info(int argc, char **argv);
int fk_cmd_demo(int argc, char **argv);
int fk_cmd_stats(int argc, char **argv);
int fk_cmd_fid(int argc, char **argv);
int fk_cmd_is(int argc, char **argv);
int fk_cmd_backbones(int argc, char **argv);
int fk_cmd_score(int argc, char **argv);
int fk_cmd_extract(int argc, char **argv);
int fk_cmd_adm(int argc, char **argv);
int fk_cmd_clipscore(int argc, char **argv);
int fk_cmd_sweep(int argc, char **argv);
int fk_cmd_weights(int argc, char **argv);
int fk_cmd_cache(int argc, char **argv);
int fk_cmd_refs(int argc, char **argv);
/* --ref NAME: the registry's file into path; *backbone, when NULL, becomes
 * the config the reference records (cmd_refs.c). */
int fk_cli_ref_input(const char *ref, const char **backbone, char *path, size_t n, fk_error *e);
int fk_cmd_configs(int argc, char **argv);
/* Takes --offline out of argv (sets FIDKIT_OFFLINE=1) and, when stderr is a
 * terminal, sets FIDKIT_AUTO_FETCH=1 unless it is set (common.c). */
void fk_cli_fetch_policy(int *argc, char **argv);
/* Splits a comma list in place into at most cap names; returns how many. */
int fk_cli_split_list(char *s, const char **out, int cap);

/* The demo's image sets (demo_images.c): n side x side pictures as a uint8
 * NHWC .npy, "fake" ones with shifted colours, more noise and fewer shapes;
 * and its standard normal draws. */
fk_status fk_cli_demo_write_set(const char *path, int n, int side, uint64_t seed, int fake,
                                fk_error *e);
double fk_cli_demo_normal(uint64_t *s);

#endif
