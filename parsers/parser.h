/* parser — turns one log line into the fields rcwatch counts.
 *
 * A parser is a list of PCRE2 patterns tried in order (the first match
 * wins) plus optional per-field patterns that are run only when a caller
 * asks for a field the main match did not capture (e.g. the description of
 * a code with two meanings, or the event time when windows need it).  The
 * built-in parsers json, kv and nginx are specs like any other.
 *
 * Patterns are JIT-compiled where the platform allows it and interpreted
 * where it does not (JIT fails under W^X); match data is allocated once per
 * parser; match and depth limits keep a catastrophic pattern from stalling
 * the loop: a line that hits them counts as unmatched (RCW_MATCH_LIMIT).
 *
 * A rcw_parser is not thread-safe (it owns its match data).  Never logs. */
#ifndef RCW_PARSER_H
#define RCW_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timefmt.h"

struct rcw_diags;

#define RCW_LINE_MAX (64 * 1024) /* longer lines count as unmatched */
#define RCW_MAX_DIMENSIONS 8     /* dimensions one parser may declare */

/* Where a spec came from, for diagnostics.  file NULL: built in. */
struct rcw_loc {
  const char *file;
  int line;
  int column;
};

struct rcw_pattern_spec {
  char *regex;
  struct rcw_loc loc; /* the regex's first character (inside the quotes of a
                         quoted scalar): a compile error at offset N is
                         reported at column loc.column + N */
};

/* Extension (parsers[].fields): a pattern for one named group, run lazily. */
struct rcw_field_spec {
  char *name; /* desc, ts, status, code or a dimension name */
  char *regex; /* must contain a group of that name */
  struct rcw_loc loc; /* as in rcw_pattern_spec */
};

/* parsers[].tests: `rcwatch check` runs each line and compares. */
struct rcw_parser_test {
  char *line;
  char *code;     /* expected code; NULL: not checked */
  char *status;   /* expected HTTP status; NULL: not checked */
  char *category; /* expected category; NULL: not checked */
  bool matched;   /* expected to match (default true) */
  struct rcw_loc loc;
};

struct rcw_parser_spec {
  char *name;
  struct rcw_loc loc;
  size_t index; /* position in the config's parsers list: diagnostics say
                   "parsers[index]..." (built-ins, loc.file NULL: "parser NAME") */
  struct rcw_pattern_spec *patterns;
  size_t npatterns;
  struct rcw_field_spec *fields;
  size_t nfields;
  char *time_format; /* NULL: iso8601 */
  char **dimensions;
  size_t ndimensions;
  struct rcw_parser_test *tests;
  size_t ntests;
};

/* A captured field: a slice of the line.  ptr == NULL: not captured. */
struct rcw_field {
  const char *ptr;
  size_t len;
};

/* Fields a caller wants beyond code and status (bit mask). */
enum {
  RCW_WANT_DESC = 1u << 0,
  RCW_WANT_TS = 1u << 1,
  RCW_WANT_DIMS = 1u << 2,
  RCW_WANT_STATUS = 1u << 3, /* the status even when a code matched */
};

struct rcw_match {
  struct rcw_field code;
  struct rcw_field status;
  struct rcw_field desc;
  struct rcw_field ts;
  struct rcw_field dims[RCW_MAX_DIMENSIONS]; /* in spec->dimensions order */
  int pattern_index; /* which main pattern matched */
};

enum rcw_match_result {
  RCW_MATCH_OK = 0,    /* a pattern matched (code and/or status may be set) */
  RCW_MATCH_NONE = 1,  /* no pattern matched */
  RCW_MATCH_LIMIT = 2, /* a match or depth limit was hit: count as unmatched */
};

typedef struct rcw_parser rcw_parser;

/* Compile every pattern of spec.  On failure returns NULL and adds one
 * diagnostic per bad pattern (with the PCRE2 message and offset, located
 * at the pattern's loc).  A main pattern with neither a `code` nor a
 * `status` group is an error; so is a dimension listed in spec but not a
 * named group of any pattern. */
rcw_parser *rcw_parser_compile(const struct rcw_parser_spec *spec, struct rcw_diags *d);
void rcw_parser_free(rcw_parser *p); /* accepts NULL */

const char *rcw_parser_name(const rcw_parser *p);
size_t rcw_parser_dimension_count(const rcw_parser *p);
const char *rcw_parser_dimension(const rcw_parser *p, size_t i);
const struct rcw_timefmt *rcw_parser_timefmt(const rcw_parser *p);
bool rcw_parser_jit(const rcw_parser *p); /* true when every pattern is JIT-compiled */

/* Match one line (bytes; NUL bytes and invalid UTF-8 are fine).  Fills
 * code and status from the main pattern, and the fields in `want` (from
 * the main match, else from field patterns).  Fields not captured are
 * {NULL, 0}. */
enum rcw_match_result rcw_parser_match(rcw_parser *p, const char *line, size_t len,
                                       unsigned want, struct rcw_match *m);
/* After a match, fill further fields (e.g. RCW_WANT_DESC once the code
 * turned out to need it) without matching the main pattern again. */
void rcw_parser_fill(rcw_parser *p, const char *line, size_t len, unsigned want,
                     struct rcw_match *m);

/* Run spec->tests against the compiled parser; add a diagnostic for each
 * mismatch, at the test's loc.  Returns the number of failures.  catalog
 * may be NULL (then categories are not checked). */
struct rcw_catalog;
int rcw_parser_run_tests(rcw_parser *p, const struct rcw_parser_spec *spec,
                         struct rcw_catalog *catalog, struct rcw_diags *d);

/* The built-in specs (json, kv, nginx), static and never freed. */
size_t rcw_builtin_parser_count(void);
const struct rcw_parser_spec *rcw_builtin_parser(size_t i);
const struct rcw_parser_spec *rcw_builtin_parser_find(const char *name);

/* Format detection: the index among `parsers` that matches most of the
 * sample lines (ties go to the earlier parser), or -1 when none matches
 * any line.  Empty lines are ignored.  sample is split on '\n'. */
int rcw_detect_parser(rcw_parser *const *parsers, size_t nparsers,
                      const char *sample, size_t len);

#endif
