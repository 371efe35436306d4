/* parser_internal — what the files of the parsers layer share, and the one
 * switch the unit tests need.  Not part of the public interface. */
#ifndef RCW_PARSER_INTERNAL_H
#define RCW_PARSER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "parser.h"

/* A trailing '\r' (CRLF files) is not part of the line. */
static inline size_t rcw_line_strip_cr(const char *line, size_t len)
{
  return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

/* The kv parser's ts field: an ISO 8601 time anywhere in the line.  A
 * field pattern spelled exactly so is first tried, without PCRE2, at the
 * start of the line, where Logback puts it; matching there is the
 * leftmost match the regex would find, and its optional parts are all
 * possessive, so the same span comes out.  Elsewhere the regex runs. */
#define RCW_ISO_TS_REGEX                                                                   \
  "(?<ts>\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d(?::\\d\\d(?:[.,]\\d++)?+)?+"                     \
  "(?:Z|[+-]\\d\\d(?::?\\d\\d)?+)?+)"

struct rcw_diags;

/* Whether p's ts is first sought as RCW_ISO_TS_REGEX at the start of the
 * line and read as iso8601: then a reader of many lines may take the
 * time at the start itself (the span the parser would give is what
 * RCW_ISO_TS_REGEX matches there) instead of asking for RCW_WANT_TS. */
bool rcw_parser_ts_iso_at_start(const rcw_parser *p);

/* Add msg as a diagnostic at loc (column given separately, 0: unknown),
 * prefixed with where it belongs: "parsers[N].WHAT: msg" for a config's
 * parser, "parser NAME: WHAT: msg" for a built-in.  d may be NULL. */
void rcw_parser_diag(struct rcw_diags *d, const struct rcw_parser_spec *spec,
                     const struct rcw_loc *loc, int column, const char *what, const char *msg);

/* Test hook: while set, patterns compiled afterwards are not JIT-compiled,
 * which is what happens on a host that forbids writable and executable
 * memory (systemd MemoryDenyWriteExecute=yes).  Lets tests run the
 * interpreter path on any machine.  Process-wide; not thread-safe. */
void rcw_parser_test_disable_jit(bool disable);

#endif
