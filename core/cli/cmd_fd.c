#include "cli.h"
int fk_cmd_fd(int argc, char **argv) { (void)argc; (void)argv; return FK_EXIT_ERROR; }
