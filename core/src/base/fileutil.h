/* Internal name kept for the modules that include it: the atomic file
 * helpers are public now (fidkit/fileio.h). */
#ifndef FK_FILEUTIL_H
#define FK_FILEUTIL_H
#include "fidkit/fileio.h"
#endif
