/* Torch's own default is the physical core count as cpuinfo reads it, which
 * is 1 on this project's 2-vCPU build machine (lscpu: 2 cores): a config's
 * "threads: 0" left to torch ran Inception at 10 img/s instead of 17. So
 * fidkit decides, from the affinity mask, which honours cpusets. */
#define _GNU_SOURCE
#include "base/cpus.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

int fk_cpus_usable(void)
{
    long n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        return 1;
    return n > 256 ? 256 : (int)n;
}

int fk_threads_default(void)
{
    const char *v = getenv("OMP_NUM_THREADS");
    if (v && *v) {
        char *end;
        long n = strtol(v, &end, 10);
        if ((*end == '\0' || *end == ',') && n > 0)
            return n > 256 ? 256 : (int)n;
    }
    return fk_cpus_usable();
}
