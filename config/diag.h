/* diag — diagnostics collected while loading a config or compiling a
 * pattern: a bounded list of "FILE:LINE:COLUMN: message" entries.
 *
 * Library modules fill a rcw_diags and return an error; only the daemon
 * layer prints them.  The list keeps at most RCW_DIAGS_MAX entries so a
 * hostile file cannot grow it without end; the overflow is counted. */
#ifndef RCW_DIAG_H
#define RCW_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define RCW_DIAGS_MAX 200

struct rcw_diag {
  char *file;   /* as given by the caller, e.g. the config path */
  int line;     /* 1-based; 0 when unknown */
  int column;   /* 1-based; 0 when unknown */
  char *message;
};

typedef struct rcw_diags rcw_diags;

rcw_diags *rcw_diags_new(void);
void rcw_diags_free(rcw_diags *d); /* accepts NULL */

/* Append one entry; the message is printf-formatted.  Never fails from the
 * caller's point of view: out of memory or over the cap only counts. */
void rcw_diags_add(rcw_diags *d, const char *file, int line, int column,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void rcw_diags_vadd(rcw_diags *d, const char *file, int line, int column,
                    const char *fmt, va_list ap);

size_t rcw_diags_count(const rcw_diags *d);
size_t rcw_diags_dropped(const rcw_diags *d); /* entries over the cap */
const struct rcw_diag *rcw_diags_get(const rcw_diags *d, size_t i);

/* Write every entry as "FILE:LINE:COLUMN: message\n" (LINE and COLUMN
 * omitted when 0), in the order added, then a line for dropped entries. */
void rcw_diags_print(const rcw_diags *d, FILE *out);

void rcw_diags_clear(rcw_diags *d);

#endif
