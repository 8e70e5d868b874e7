/* Internal: how many threads fidkit uses where nobody said: the meaning of
 * "threads: 0" in configs and of a loader's default thread count. */
#ifndef FK_CPUS_H
#define FK_CPUS_H

/* The CPUs in the process's affinity mask (a container's cpuset, taskset),
 * else the online CPUs; at least 1, at most 256. */
int fk_cpus_usable(void);

/* A network's threads when its config says 0: OMP_NUM_THREADS when it is a
 * positive number (the convention every OpenMP program, torch included,
 * follows: users running several jobs at once set it), else
 * fk_cpus_usable(). */
int fk_threads_default(void);

#endif
