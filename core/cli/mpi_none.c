/* The fidkit command without MPI (FIDKIT_MPI=OFF or no MPI found): one
 * process does everything; core/src/mpi/cli_mpi.c replaces these. */
#include "cli.h"

#ifndef FK_HAVE_MPI
int fk_cli_mpi_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return -1;
}

void fk_cli_mpi_attach(fk_extract_options *ex)
{
    (void)ex;
}
#endif
