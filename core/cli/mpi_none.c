/* The fidkit command without MPI (FIDKIT_MPI=OFF or no MPI found): one
 * process does everything; core/src/mpi/cli_mpi.c replaces these. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#ifndef FK_HAVE_MPI
int fk_cli_mpi_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Several copies started by mpirun/srun would each do the whole job:
     * say so (but go on: a job-array script may run under an MPI launcher). */
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n)
        n = getenv("PMI_SIZE");
    if (n && atoi(n) > 1)
        fprintf(stderr, "fidkit: warning: started as one of %s MPI processes, but this fidkit "
                "was built without MPI (FIDKIT_MPI): every process runs the whole command\n", n);
    return -1;
}

void fk_cli_mpi_attach(fk_extract_options *ex)
{
    (void)ex;
}
#endif
