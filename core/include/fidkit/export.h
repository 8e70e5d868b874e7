/* fidkit — which names the libraries export.
 *
 * libfidkit and libfidkit_sweep are built with -fvisibility=hidden: a
 * function is part of the shared library's interface only when its public
 * declaration (a header in core/include/fidkit/) begins with FK_API. Internal
 * functions, shared between the library's own files, stay hidden even when
 * their names begin with fk_. tests/check_exports.sh (ctest test_exports)
 * checks both directions: every exported symbol is declared in a public
 * header, and every FK_API function is exported.
 *
 * A plugin exports one symbol, its entry point: FK_PLUGIN_EXPORT
 * (fidkit/plugin.h). */
#ifndef FIDKIT_EXPORT_H
#define FIDKIT_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define FK_API __attribute__((visibility("default")))
#else
#define FK_API
#endif

#endif
