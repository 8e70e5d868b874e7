/* The one option parser of the fidkit command: each command describes its
 * options in a table and gets its positional arguments back. Numbers are
 * checked (whole, in range, nothing trailing); an unknown option, a
 * missing value or a bad number is a usage error naming the option. */
#ifndef FK_CLI_OPTS_H
#define FK_CLI_OPTS_H

#include <stdint.h>

typedef enum fk_opt_kind {
    FK_ARG_FLAG,    /* int *: set to 1 */
    FK_ARG_STR,     /* const char **: the value */
    FK_ARG_INT,     /* int *: a whole number >= min */
    FK_ARG_I64,     /* int64_t *: a whole number >= min */
    FK_ARG_U64,     /* uint64_t *: a whole number >= 0 */
    FK_ARG_DOUBLE,  /* double *: a finite number >= min */
    FK_ARG_CHOICE   /* int *: the index of the value in choices */
} fk_opt_kind;

typedef struct fk_opt {
    const char *name;             /* "--metrics" */
    fk_opt_kind kind;
    void *dst;
    long long min;
    const char *const *choices;   /* FK_ARG_CHOICE: NULL-terminated */
} fk_opt;

/* Parses argv[1..]: options from the tables (a NULL-name entry ends each),
 * positionals into pos (at most max_pos). Returns 0 to go on, 1 when --help
 * was asked (usage printed to stdout), -1 after a usage error. */
int fk_cli_parse(const char *cmd, int argc, char **argv, const fk_opt *const *tables,
                 const char *usage, const char **pos, int max_pos, int *n_pos);

#endif
