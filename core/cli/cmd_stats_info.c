#include "cli.h"
int fk_cmd_stats_info(int argc, char **argv) { (void)argc; (void)argv; return FK_EXIT_ERROR; }
