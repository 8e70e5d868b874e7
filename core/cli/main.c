/* fidkit — the command line. Thin: parses arguments, calls libfidkit. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const fk_command commands[] = {
    {"demo", "the built-in default job: a score on generated data, nothing to download", fk_cmd_demo},
    {"fid", "FID between two datasets or stats files", fk_cmd_fid},
    {"stats", "write the feature statistics of a dataset", fk_cmd_stats},
    {"is", "Inception Score of a dataset", fk_cmd_is},
    {"score", "several metrics from one pass, each with a 95 % interval", fk_cmd_score},
    {"sweep", "ablation sweeps from a YAML file: resumable, cached, tables, plots, report", fk_cmd_sweep},
    {"clipscore", "CLIP-Score of (image, caption) pairs, in a named convention", fk_cmd_clipscore},
    {"adm", "the ADM evaluator's IS, FID, sFID, precision, recall", fk_cmd_adm},
    {"extract", "keep a dataset's feature rows for later metrics", fk_cmd_extract},
    {"merge", "join the shards of `stats --shard` or `extract --shard` into one file", fk_cmd_merge},
    {"fd", "Fréchet distance between two stats files", fk_cmd_fd},
    {"stats-info", "what a stats file holds: d, N, tag, provenance", fk_cmd_stats_info},
    {"backbones", "the backbone plugins found and their outputs", fk_cmd_backbones},
    {"weights", "the configs' weights files: list, fetch (checksummed), verify", fk_cmd_weights},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

int fk_cli_exit_code(fk_status s)
{
    switch (s) {
    case FK_OK: return FK_EXIT_OK;
    case FK_ERR_TAG: return FK_EXIT_TAG;
    case FK_ERR_ARG: return FK_EXIT_USAGE;
    case FK_ERR_FORMAT: return FK_EXIT_DATA;
    default: return FK_EXIT_ERROR;
    }
}

int fk_cli_report(const char *cmd, const fk_error *e)
{
    fprintf(stderr, "fidkit %s: %s\n", cmd, e->msg[0] ? e->msg : fk_status_name(e->code));
    return fk_cli_exit_code(e->code);
}

int fk_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fidkit %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'fidkit %s --help'.\n", cmd);
    return FK_EXIT_USAGE;
}

int fk_cli_is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fidkit COMMAND [ARGS...]\n"
            "\n"
            "Scores generative image models in the feature space of pluggable\n"
            "backbones. Every score carries the tag of the backbone that measured it,\n"
            "and scores of different backbones are never compared.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "'fidkit COMMAND --help' tells more about one command.\n"
            "\n"
            "Exit status: 0 success, 1 runtime error (I/O, memory, numerics, plugins),\n"
            "2 bad command line or config, 3 refused because the inputs come from\n"
            "different backbones (their tags differ), 4 bad input data (a file whose\n"
            "contents are invalid: a damaged image, archive, array or caption, an empty\n"
            "dataset).\n");
}

int main(int argc, char **argv)
{
    fk_cli_fetch_policy(&argc, argv);   /* --offline, and auto-fetch on a terminal */
    /* Under mpirun/srun (MPI build): ranks other than 0 serve extraction and
     * end here; rank 0 runs the command. */
    int worker_exit = fk_cli_mpi_start(&argc, &argv);
    if (worker_exit >= 0)
        return worker_exit;
    if (argc < 2 || fk_cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? FK_EXIT_USAGE : FK_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("fidkit %s\n", fk_version());
        /* The torch runtime the backbones link: libtorch, CUDA, devices. */
        char rt[1024];
        if (fk_torch_runtime(rt, sizeof rt, NULL) == FK_OK)
            printf("torch: %s\n", rt);
        else
            printf("torch: no plugin on the search path links the torch shim\n");
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fidkit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return FK_EXIT_USAGE;
}
