/* The fidkit command: shared pieces of the subcommands. */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdio.h>
#include "fidkit/error.h"
#include "fidkit/extract.h"
#include "fidkit/frechet.h"
#include "fidkit/registry.h"

/* Exit codes, documented in `fidkit --help` and docs/cli.md. */
enum {
    FK_EXIT_OK = 0,
    FK_EXIT_ERROR = 1,   /* bad input, I/O, numerics, plugins */
    FK_EXIT_USAGE = 2,   /* bad command line */
    FK_EXIT_TAG = 3      /* refused: the inputs were measured by different backbones */
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

/* Options every command that extracts features takes (common.c). */
typedef struct fk_cli_extract {
    const char *backbone;        /* config path or name; NULL = the default */
    fk_extract_options ex;
    int json;
    int quiet;                   /* no progress bar */
} fk_cli_extract;

#define FK_CLI_DEFAULT_BACKBONE "inception_v3_fid"
#define FK_CLI_EXTRACT_HELP                                                              \
    "  --backbone CONFIG       a config file or name (default " FK_CLI_DEFAULT_BACKBONE ";\n" \
    "                          `fidkit backbones` lists them)\n"                           \
    "  --batch-size N          images per forward pass (default: the config's)\n"       \
    "  --threads N             decode/resize threads (default: all cores)\n"            \
    "  --limit N               use the first N images\n"                                \
    "  --subset N --seed S     use a seeded random subset of N images\n"                \
    "  --skip-bad              skip undecodable images (counted in the report)\n"       \
    "                          instead of stopping at the first\n"                      \
    "  --gray16-pil            clip 16-bit greyscale at 255 as PIL does\n"              \
    "  --quiet                 no progress bar\n"                                       \
    "  --json                  print one JSON object\n"

void fk_cli_extract_init(fk_cli_extract *o);
/* Takes argv[*i] (and its value) if it is one of the options above: returns
 * 1 if taken, 0 if not, -1 after printing a usage error. */
int fk_cli_extract_option(const char *cmd, int argc, char **argv, int *i, fk_cli_extract *o);
/* Finds, loads and opens the backbone (outputs NULL: the config's). */
fk_status fk_cli_open_backbone(fk_cli_extract *o, const char *const *outputs, int n,
                               fk_backbone **b, fk_error *e);
/* Extracts with a progress bar on a terminal. */
fk_status fk_cli_extract_run(fk_cli_extract *o, fk_backbone *b, const char *dataset,
                             fk_feature_set *sets, fk_error *e);

/* The report of a Fréchet distance, text or JSON. n1, n2 may be 0 (unknown). */
void fk_cli_print_fd(const char *metric, const fk_fd_result *r, const fk_tag *tag, int d,
                     int64_t n1, int64_t n2, int json);

/* An .npz holding `mu` and `sigma`: a stats file. */
int fk_cli_is_stats_file(const char *path);

/* Subcommands (cmd_*.c). */
int fk_cmd_fd(int argc, char **argv);
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
/* Takes --offline out of argv (sets FIDKIT_OFFLINE=1) and, when stderr is a
 * terminal, sets FIDKIT_AUTO_FETCH=1 unless it is set (cmd_weights.c). */
void fk_cli_fetch_policy(int *argc, char **argv);
/* Splits a comma list in place into at most cap names; returns how many. */
int fk_cli_split_list(char *s, const char **out, int cap);

#endif
