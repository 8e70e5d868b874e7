/* Internal: how many CPUs this process may run on, the meaning of
 * "threads: 0" in configs and of a loader's default thread count. */
#ifndef FK_CPUS_H
#define FK_CPUS_H

/* The CPUs in the process's affinity mask (a container's cpuset, taskset),
 * else the online CPUs; at least 1, at most 256. */
int fk_cpus_usable(void);

#endif
