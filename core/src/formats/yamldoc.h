/* Internal: the part of reading a YAML file that configs and sweep files
 * share — loading the document (libyaml's document API keeps the line of
 * every node for messages) and two node accessors. */
#ifndef FK_YAMLDOC_H
#define FK_YAMLDOC_H

#include <yaml.h>

#include "fidkit/error.h"

/* Loads path into doc (delete it with yaml_document_delete). what names the
 * file's role in messages ("config", "sweep file"). */
fk_status fk_yaml_load(const char *path, const char *what, yaml_document_t *doc, fk_error *e);

static inline int fk_yaml_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

/* The text of a scalar node, NULL for a sequence or mapping. */
static inline const char *fk_yaml_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

#endif
