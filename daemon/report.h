/* report — renders a report (CONTRACT §4) as JSON or as text for a person.
 * `scan`, the periodic report files and `rcwatch report` all go through
 * here, so the shapes cannot drift apart.  Pure: it renders into a buffer
 * and the caller writes it out. */
#ifndef RCW_REPORT_H
#define RCW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "catalog.h"
#include "tally.h"

struct rcw_report_window {
  int64_t window_ms;
  const struct rcw_tally *tally;
};

struct rcw_report_file {
  const char *path;
  uint64_t offset;
};

struct rcw_report_source {
  const char *name;
  const struct rcw_report_file *files;
  size_t nfiles;
};

/* Where an unmatched line was (never its text: lines may hold secrets). */
struct rcw_report_unmatched {
  const char *path;
  uint64_t line_number; /* 1-based */
  const char *reason;   /* "no pattern matched", "longer than 64 KiB", ... */
};

struct rcw_report {
  int64_t generated_at;
  int64_t period_start, period_end;
  const struct rcw_tally *summary; /* the period */
  const struct rcw_report_window *windows; /* run only; NULL/0 in scan */
  size_t nwindows;
  const struct rcw_tally *lifetime; /* run only; NULL in scan */
  bool has_alerts;                  /* write the alerts member */
  const struct rcw_alert *alerts;
  size_t nalerts;
  const struct rcw_report_source *sources;
  size_t nsources;
  const struct rcw_report_unmatched *unmatched; /* text only: first few */
  size_t nunmatched;
  size_t top_codes; /* text only: how many codes to list, 0 = 20 (daemon: 10 failing) */
  /* The previous report's period, for "what changed" (NULL: none).  Its
   * entry ids are those of the same catalog as the other tallies.  JSON:
   * the extension member "previous": {"period", "summary"}. */
  const struct rcw_tally *previous;
  int64_t previous_start, previous_end;
};

/* Append the report as pretty-printed JSON.  0 or -ENOMEM. */
int rcw_report_json(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out);
/* Append the report as aligned text, 80 columns, no colours.  A `scan`
 * report (no windows, no lifetime): totals and failure rate first, then
 * categories, the top codes with descriptions, unmatched lines and
 * alerts.  A daemon report: a table of requests, failures and failure
 * rate per window, the period and the lifetime first, then categories
 * and the top failing codes (of the longest window when the period has
 * few requests), the alerts firing and for how long, and the change
 * since the previous report.  0 or -ENOMEM. */
int rcw_report_text(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out);

/* One summary object (CONTRACT §4) into an open JSON writer. */
int rcw_report_summary_json(const struct rcw_tally *t, const rcw_catalog *c,
                            struct rcw_json *j);

#endif
