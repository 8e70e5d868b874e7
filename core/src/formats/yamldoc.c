#include "formats/yamldoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

fk_status fk_yaml_load(const char *path, const char *what, yaml_document_t *doc, fk_error *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    fk_status st = FK_OK;
    if (!yaml_parser_load(&parser, doc))
        st = fk_fail(e, FK_ERR_ARG, "%s:%d: malformed YAML: %s", path,
                     (int)parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
    yaml_parser_delete(&parser);
    fclose(f);
    return st;
}
