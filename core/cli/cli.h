/* The fidkit command: shared pieces of the subcommands. */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdio.h>
#include "fidkit/error.h"

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

/* Subcommands (cmd_*.c). */
int fk_cmd_fd(int argc, char **argv);
int fk_cmd_stats_info(int argc, char **argv);
int fk_cmd_demo(int argc, char **argv);

#endif
