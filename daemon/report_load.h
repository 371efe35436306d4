/* report_load — a report JSON document (CONTRACT §4) read back into the
 * struct rcw_report that rendered it, so `rcwatch report` can show a
 * periodic report file as text through the same renderer as `scan`.
 *
 * A report names its codes, not catalog entry ids, and the daemon that
 * wrote it may have run with another config.  So the loaded report brings
 * its own catalog, rebuilt from the codes and categories it lists.  The
 * catalog in force (the caller's config) only fills in what the JSON does
 * not carry: category severities, and whether a code is a success when
 * the figures leave it open.  Which codes were successes is otherwise read
 * from the category figures (a category with no failures holds
 * successes), and each summary's requests and failures must then agree
 * with its codes.
 *
 * A code listed under two meanings (1306 as concurrency and as
 * validation) gets an entry for each, so their counts stay apart.
 *
 * The extension member "previous" (the previous report's period) is read
 * back too.  Members a reader does not know are ignored, so a newer
 * rcwatch can add some.  The unmatched-line locations of a `scan` text
 * report are not in the JSON, so they are absent here.  Never logs. */
#ifndef RCW_REPORT_LOAD_H
#define RCW_REPORT_LOAD_H

#include <stddef.h>

#include "catalog.h"
#include "jsonread.h"
#include "report.h"

typedef struct rcw_loaded_report rcw_loaded_report;

/* Load a report from data[0..len) (copied).  conf may be NULL: then
 * success, transport and unknown keep their built-in severities and every
 * other category is a warning.  Returns 0 and *out, or -EINVAL (not JSON,
 * or not a report: err has the line, column and message), -E2BIG (over a
 * jsonread cap), -ENOMEM. */
int rcw_report_load(const char *data, size_t len, const rcw_catalog *conf,
                    rcw_loaded_report **out, struct rcw_jread_error *err);

/* The same from a file, read whole (at most RCW_JREAD_MAX_SIZE bytes).  An
 * unreadable file returns -errno with err->line 0 and the reason in
 * err->message. */
int rcw_report_load_file(const char *path, const rcw_catalog *conf,
                         rcw_loaded_report **out, struct rcw_jread_error *err);

void rcw_loaded_report_free(rcw_loaded_report *lr); /* accepts NULL */

/* The report and the catalog to render it with (both owned by lr). */
const struct rcw_report *rcw_loaded_report_get(const rcw_loaded_report *lr);
const rcw_catalog *rcw_loaded_report_catalog(const rcw_loaded_report *lr);
/* The document exactly as it was read. */
const char *rcw_loaded_report_data(const rcw_loaded_report *lr, size_t *len);

#endif
