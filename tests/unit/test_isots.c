/* Unit tests for the kv parser's ts field read without PCRE2 at the start
 * of the line: on every line it must give the span the regex gives.  The
 * reference is the same regex in a non-capturing group, which the parser
 * runs through PCRE2 as it would any user's pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parser.h"
#include "parser_internal.h"

struct pair {
  rcw_parser *fast, *regex;
};

static rcw_parser *compile_with_ts(const char *ts_regex)
{
  static struct rcw_pattern_spec pats[] = {{.regex = "responseCode=(?<code>-?\\d++)"}};
  struct rcw_field_spec fields[] = {
    {.name = "desc", .regex = "\\bresponseDesc=\"(?<desc>[^\"]*+)\""},
    {.name = "ts", .regex = (char *)ts_regex},
  };
  struct rcw_parser_spec spec = {.name = "isots", .patterns = pats, .npatterns = 1,
                                 .fields = fields, .nfields = 2};
  rcw_parser *p = rcw_parser_compile(&spec, NULL);
  assert_non_null(p);
  return p;
}

static int setup(void **state)
{
  static struct pair pp;
  pp.fast = compile_with_ts(RCW_ISO_TS_REGEX);
  pp.regex = compile_with_ts("(?:" RCW_ISO_TS_REGEX ")");
  *state = &pp;
  return 0;
}

static int teardown(void **state)
{
  struct pair *pp = *state;
  rcw_parser_free(pp->fast);
  rcw_parser_free(pp->regex);
  return 0;
}

static void same_ts(struct pair *pp, const char *line, size_t len)
{
  struct rcw_match a, b;
  enum rcw_match_result ra = rcw_parser_match(pp->fast, line, len, RCW_WANT_TS, &a);
  enum rcw_match_result rb = rcw_parser_match(pp->regex, line, len, RCW_WANT_TS, &b);
  assert_int_equal(ra, rb);
  if (ra != RCW_MATCH_OK)
    return;
  if (a.ts.ptr != b.ts.ptr || a.ts.len != b.ts.len)
    fail_msg("\"%.*s\": ts at %td+%zu, the regex says %td+%zu", (int)len, line,
             a.ts.ptr ? a.ts.ptr - line : -1, a.ts.len, b.ts.ptr ? b.ts.ptr - line : -1,
             b.ts.len);
}

static void test_lines(void **state)
{
  static const char *const lines[] = {
    "2026-03-14 09:12:44,512 INFO x responseCode=1209",
    "2026-03-14 09:12:44,513 INFO x responseCode=1209",
    "2026-03-14T09:12:44.512+02:00 responseCode=-1",
    "2026-03-14T09:12:44.512+0200 responseCode=-1",
    "2026-03-14T09:12:44.512+02:0 responseCode=-1",
    "2026-03-14T09:12:44.512+02: responseCode=-1",
    "2026-03-14T09:12:44.512+2 responseCode=-1",
    "2026-03-14T09:12:44.512-05 responseCode=-1",
    "2026-03-14T09:12:44Z responseCode=-1",
    "2026-03-14T09:12:44z responseCode=-1",
    "2026-03-14T09:12Z responseCode=-1",
    "2026-03-14T09:12:4 responseCode=-1",
    "2026-03-14T09:12:44. responseCode=-1",
    "2026-03-14T09:12:44,x responseCode=-1",
    "2026-03-14t09:12:44 responseCode=-1 2026-03-14 09:12:45",
    "2026-03-14x09:12:44 responseCode=-1",
    "[main] 2026-03-14 09:12:44,512 responseCode=-1",
    "99999-03-14 09:12:44 responseCode=-1",
    "responseCode=7 2026-03-14 09:12",
    "responseCode=7 2026-03-14 09:1",
    "2026-03-14 09:12:44,5124567890123responseCode=7",
    "2026-13-45 29:99:99 responseCode=7",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    same_ts(*state, lines[i], strlen(lines[i]));
}

/* Lines cut short inside the time, and ending right after it. */
static void test_truncated(void **state)
{
  const char *full = "2026-03-14T09:12:44.512+02:00";
  char buf[64];
  for (size_t n = 0; n <= strlen(full); n++) {
    snprintf(buf, sizeof(buf), "%.*s", (int)n, full);
    /* The code comes first, the time last, cut at n. */
    char line[96];
    int len = snprintf(line, sizeof(line), "responseCode=1 %s", buf);
    same_ts(*state, line, (size_t)len);
    /* And the time first, without the rest of the line beyond it. */
    len = snprintf(line, sizeof(line), "%sresponseCode=1", buf);
    same_ts(*state, line, (size_t)len);
    /* A time alone at the start of a line the code pattern ends. */
    same_ts(*state, buf, n);
  }
}

/* Random lines from the characters a time is made of. */
static void test_random(void **state)
{
  static const char alphabet[] = "0123456789-:T .,Z+x";
  uint32_t seed = 12345;
  char line[64];
  for (int k = 0; k < 50000; k++) {
    size_t n = 0;
    /* Half of them start from a real time, so the fast path gets far. */
    if (k % 2 == 0)
      n = (size_t)snprintf(line, sizeof(line), "2026-03-14 09:12");
    size_t extra = (seed = seed * 1103515245u + 12345u) >> 27;
    for (size_t i = 0; i < extra; i++) {
      seed = seed * 1103515245u + 12345u;
      line[n++] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, " responseCode=1");
    same_ts(*state, line, n);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lines),
    cmocka_unit_test(test_truncated),
    cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
