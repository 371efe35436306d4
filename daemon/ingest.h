/* ingest — the line pipeline shared by `scan` and the daemon: one line in,
 * one count out.
 *
 *   line -> rcw_parser_match -> rcw_catalog_classify -> rcw_tally
 *
 * Per line (CONTRACT §1 and §6): lines_total always; a line longer than
 * RCW_LINE_MAX, a line no pattern matches, and a line that hits a regex
 * limit are unmatched.  A matched line with a code is a request of that
 * code's entry (the description is fetched only for a code with several
 * meanings).  A matched line with no code but an HTTP status >= 500 is a
 * request in category transport, code http_<status>.  A matched line with
 * no code and a status below 500 (nginx `cvs_code=-` on a 200 or a 404)
 * says nothing rcwatch can classify: it counts as unmatched, not as a
 * request, so requests always equal matched lines.
 *
 * The hot path allocates nothing (the tally and catalog grow only when a
 * new code appears), never scans the line beyond what the parser does, and
 * runs no extra regex unless a hook asks for fields (want) or the code
 * needs its description.
 *
 * Hooks are optional.  on_event sees every request, with the fields asked
 * for in `want` (RCW_WANT_TS parses the event time; RCW_WANT_DIMS fills
 * the match's dimensions): rolling windows and rules plug in there.
 * on_new_code is called once for each code the catalog did not know.
 * Never logs. */
#ifndef RCW_INGEST_H
#define RCW_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "parser.h"
#include "tally.h"

/* What became of one line. */
enum rcw_line_result {
  RCW_LINE_REQUEST = 0,  /* matched and counted as a request */
  RCW_LINE_NO_MATCH,     /* no pattern matched (or no parser at all) */
  RCW_LINE_TOO_LONG,     /* longer than RCW_LINE_MAX */
  RCW_LINE_LIMIT,        /* a regex match or depth limit was hit */
  RCW_LINE_NO_CODE,      /* matched, but no usable code and no 5xx status */
  RCW_LINE_ERROR,        /* out of memory: counted as a line, not a request */
};

/* A request, as the hooks see it.  Everything points into the line and
 * the parser's state: valid only during the call. */
struct rcw_event {
  uint32_t entry;               /* catalog entry id */
  bool has_time;                /* time_ms is set (RCW_WANT_TS and it parsed) */
  int64_t time_ms;              /* event time, ms since the epoch, UTC */
  const struct rcw_match *match; /* code, status, dims when asked for */
  const char *line;             /* the line itself, for rcw_parser_fill */
  size_t len;
};

struct rcw_ingest_hooks {
  void (*on_event)(void *ctx, const struct rcw_event *ev);
  void (*on_new_code)(void *ctx, uint32_t entry);
  void *ctx;
  unsigned want; /* RCW_WANT_TS | RCW_WANT_DIMS: fields on_event needs */
};

/* Entry ids below this have their number of meanings remembered. */
#define RCW_INGEST_MEANINGS_CACHED 256
#define RCW_INGEST_TS_SEC_LEN 20 /* "2026-03-14 07:00:00," */

/* Embedded by its owner; the parser, catalog and tally are borrowed and
 * must outlive it, and the catalog's codes must not be redefined while it
 * is in use (build a new one, as a config reload does).  Counters are for
 * reading. */
struct rcw_ingest {
  rcw_parser *parser;        /* NULL: every line is unmatched */
  rcw_catalog *catalog;
  struct rcw_tally *tally;
  struct rcw_ingest_hooks hooks;
  uint64_t new_codes;        /* codes first seen in the input */
  uint64_t bad_times;        /* wanted event times missing or unreadable */
  uint64_t errors;           /* lines lost to out-of-memory */
  /* Per entry id: 0 not looked up yet, 1 its code has one meaning, 2
   * several.  Saves asking the catalog twice per line (meanings, then
   * entry) for the codes nearly every line carries. */
  uint8_t meanings[RCW_INGEST_MEANINGS_CACHED];
  /* The minute and second of the last event time read (RCW_WANT_TS). */
  struct rcw_time_cache time_cache;
  /* When the parser's ts is an iso8601 time at the start of the line:
   * the first 20 bytes ("2026-03-14 07:00:00,") of the last one read in
   * the shape "...SS,mmm" with nothing after it, and their second, so
   * the next lines of that second skip filling and reading their ts;
   * the parser is then asked for the other fields only (match_mask). */
  unsigned match_mask;
  bool ts_sec_ok;
  char ts_sec[RCW_INGEST_TS_SEC_LEN];
  int64_t ts_sec_ms;
};

/* hooks may be NULL. */
void rcw_ingest_init(struct rcw_ingest *in, rcw_parser *parser, rcw_catalog *catalog,
                     struct rcw_tally *tally, const struct rcw_ingest_hooks *hooks);
/* Switch parser (e.g. per input file in scan); counts carry on. */
void rcw_ingest_set_parser(struct rcw_ingest *in, rcw_parser *parser);

/* Count one line (too_long: its bytes are gone, line may be NULL). */
enum rcw_line_result rcw_ingest_line(struct rcw_ingest *in, const char *line, size_t len,
                                     bool too_long);
/* Adapter for rcw_splitter: ctx is the struct rcw_ingest. */
void rcw_ingest_line_cb(void *ctx, const char *line, size_t len, bool too_long);

/* The reason for a non-request result, for people ("no pattern matched"). */
const char *rcw_line_result_reason(enum rcw_line_result r);

#endif
