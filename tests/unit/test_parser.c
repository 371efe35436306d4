/* Unit tests for parsers/parser.c and parser_selftest.c: compiling user
 * specs (and the diagnostics when they are wrong), lazy field patterns,
 * the match limits, the interpreter fallback, and `tests:`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "diag.h"
#include "parser.h"
#include "parser_internal.h"

#define ALL (RCW_WANT_DESC | RCW_WANT_TS | RCW_WANT_DIMS | RCW_WANT_STATUS)
#define FILE_NAME "rcwatch.yaml"

/* A spec as the config loader builds it, from a few literals. */
struct spec_buf {
  struct rcw_parser_spec spec;
  struct rcw_pattern_spec patterns[4];
  struct rcw_field_spec fields[4];
  char *dims[RCW_MAX_DIMENSIONS + 2];
  struct rcw_parser_test tests[6];
};

static void spec_init(struct spec_buf *b, size_t index)
{
  memset(b, 0, sizeof(*b));
  b->spec.name = "app";
  b->spec.index = index;
  b->spec.loc = (struct rcw_loc){FILE_NAME, 10, 5};
  b->spec.patterns = b->patterns;
  b->spec.fields = b->fields;
  b->spec.dimensions = b->dims;
  b->spec.tests = b->tests;
}

/* Pattern i sits on line 12 + i, its text starting at column 10. */
static void add_pattern(struct spec_buf *b, const char *re)
{
  size_t i = b->spec.npatterns++;
  b->patterns[i].regex = (char *)re;
  b->patterns[i].loc = (struct rcw_loc){FILE_NAME, 12 + (int)i, 10};
}

static void add_field(struct spec_buf *b, const char *name, const char *re)
{
  size_t i = b->spec.nfields++;
  b->fields[i].name = (char *)name;
  b->fields[i].regex = (char *)re;
  b->fields[i].loc = (struct rcw_loc){FILE_NAME, 20 + (int)i, 11};
}

static void add_dim(struct spec_buf *b, const char *name)
{
  b->dims[b->spec.ndimensions++] = (char *)name;
}

static struct rcw_parser_test *add_test(struct spec_buf *b, const char *line)
{
  size_t i = b->spec.ntests++;
  b->tests[i].line = (char *)line;
  b->tests[i].matched = true;
  b->tests[i].loc = (struct rcw_loc){FILE_NAME, 30 + (int)i, 9};
  return &b->tests[i];
}

static void assert_field(const struct rcw_field *fl, const char *want)
{
  if (!want) {
    if (fl->ptr)
      fail_msg("expected no capture, got \"%.*s\"", (int)fl->len, fl->ptr);
    return;
  }
  if (!fl->ptr)
    fail_msg("expected \"%s\", got no capture", want);
  if (fl->len != strlen(want) || memcmp(fl->ptr, want, fl->len) != 0)
    fail_msg("expected \"%s\", got \"%.*s\"", want, (int)fl->len, fl->ptr);
}

static void assert_diag(const rcw_diags *d, size_t i, int line, int column, const char *msg)
{
  assert_true(i < rcw_diags_count(d));
  const struct rcw_diag *e = rcw_diags_get(d, i);
  assert_string_equal(e->message, msg);
  assert_string_equal(e->file, FILE_NAME);
  assert_int_equal(e->line, line);
  assert_int_equal(e->column, column);
}

static rcw_parser *compile_ok(struct spec_buf *b)
{
  rcw_diags *d = rcw_diags_new();
  rcw_parser *p = rcw_parser_compile(&b->spec, d);
  if (!p) {
    rcw_diags_print(d, stderr);
    fail_msg("spec does not compile");
  }
  assert_int_equal(rcw_diags_count(d), 0);
  rcw_diags_free(d);
  return p;
}

static double elapsed_since(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* --- compiling ------------------------------------------------------------- */

static void test_basic_spec(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "rc=(?<code>-?\\d+)(?: msg=(?<desc>\\w+))?");
  add_pattern(&b, "http=(?<status>\\d{3})");
  add_dim(&b, "shop");
  add_field(&b, "shop", "shop=(?<shop>\\w+)");
  b.spec.time_format = "epoch";
  rcw_parser *p = compile_ok(&b);
  assert_string_equal(rcw_parser_name(p), "app");
  assert_int_equal(rcw_parser_dimension_count(p), 1);
  assert_string_equal(rcw_parser_dimension(p, 0), "shop");
  assert_int_equal(rcw_parser_timefmt(p)->kind, RCW_TIME_EPOCH);

  struct rcw_match m;
  const char *l1 = "shop=north rc=1204 msg=full http=200";
  assert_int_equal(rcw_parser_match(p, l1, strlen(l1), ALL, &m), RCW_MATCH_OK);
  assert_int_equal(m.pattern_index, 0);
  assert_field(&m.code, "1204");
  assert_field(&m.desc, "full");
  assert_field(&m.dims[0], "north");
  assert_null(m.status.ptr); /* no status field pattern: only the main match */
  const char *l2 = "shop=south http=503";
  assert_int_equal(rcw_parser_match(p, l2, strlen(l2), 0, &m), RCW_MATCH_OK);
  assert_int_equal(m.pattern_index, 1);
  assert_null(m.code.ptr);
  assert_field(&m.status, "503");
  assert_null(m.dims[0].ptr);
  assert_int_equal(rcw_parser_match(p, "nothing", 7, ALL, &m), RCW_MATCH_NONE);
  assert_int_equal(m.pattern_index, -1);
  rcw_parser_free(p);
  rcw_parser_free(NULL);
}

/* The first pattern that matches wins, even when a later one would too. */
static void test_pattern_order(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "A=(?<code>\\d+)");
  add_pattern(&b, "B=(?<code>\\d+)");
  rcw_parser *p = compile_ok(&b);
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, "B=2 A=1", 7, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1");
  assert_int_equal(rcw_parser_match(p, "B=2", 3, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "2");
  assert_int_equal(m.pattern_index, 1);
  rcw_parser_free(p);
}

static void test_compile_error_offset(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 3);
  add_pattern(&b, "ok=(?<code>\\d+)");
  add_pattern(&b, "rc=(?<code>\\d+");
  add_pattern(&b, "rc=[z-a](?<code>\\d+)");
  rcw_diags *d = rcw_diags_new();
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_int_equal(rcw_diags_count(d), 2);
  /* the text starts at column 10: offset 14 is column 24 */
  assert_diag(d, 0, 13, 24,
              "parsers[3].patterns[1]: does not compile at offset 14: missing closing "
              "parenthesis");
  assert_diag(d, 1, 14, 16,
              "parsers[3].patterns[2]: does not compile at offset 6: range out of order in "
              "character class");
  /* no column known: none made up */
  rcw_diags_clear(d);
  b.patterns[1].loc.column = 0;
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_int_equal(rcw_diags_get(d, 0)->column, 0);
  rcw_diags_free(d);
}

static void test_group_errors(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 1);
  add_pattern(&b, "rc=(?<rc>\\d+)");
  add_pattern(&b, "rc=(?<code>\\d+)");
  add_dim(&b, "shop");
  add_dim(&b, "campaign");
  add_field(&b, "campaign", "campaign=(?<camp>\\w+)");
  add_field(&b, "region", "region=(?<region>\\w+)");
  add_field(&b, "desc", "desc=(?<desc>\\w+");
  rcw_diags *d = rcw_diags_new();
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_int_equal(rcw_diags_count(d), 5);
  assert_diag(d, 0, 12, 10,
              "parsers[1].patterns[0]: has neither a (?<code>...) nor a (?<status>...) group");
  assert_diag(d, 1, 20, 11, "parsers[1].fields.campaign: has no (?<campaign>...) group");
  assert_diag(d, 2, 21, 11,
              "parsers[1].fields.region: \"region\" is not code, status, desc, ts or a listed "
              "dimension");
  assert_diag(d, 3, 22, 27,
              "parsers[1].fields.desc: does not compile at offset 16: missing closing "
              "parenthesis");
  /* campaign has a field pattern (reported above): only shop has no group */
  assert_diag(d, 4, 10, 5, "parsers[1].dimensions: \"shop\" is not a named group of any pattern");
  rcw_diags_free(d);
}

static void test_spec_errors(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  b.spec.time_format = "yyyy-mm-dd";
  rcw_diags *d = rcw_diags_new();
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_int_equal(rcw_diags_count(d), 2);
  assert_non_null(strstr(rcw_diags_get(d, 0)->message,
                         "parsers[0].time_format: unknown time format \"yyyy-mm-dd\""));
  assert_diag(d, 1, 10, 5, "parsers[0].patterns: at least one pattern is required");
  rcw_diags_clear(d);

  spec_init(&b, 0);
  add_pattern(&b, "(?<code>\\d+)");
  for (size_t i = 0; i < RCW_MAX_DIMENSIONS + 1; i++)
    add_dim(&b, "d");
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_diag(d, 0, 10, 5, "parsers[0].dimensions: at most 8 dimensions, not 9");
  rcw_diags_clear(d);

  /* one error does not hide the next */
  spec_init(&b, 4);
  b.spec.time_format = "%Q";
  add_pattern(&b, "(?<code>\\d+");
  assert_null(rcw_parser_compile(&b.spec, d));
  assert_int_equal(rcw_diags_count(d), 2);
  assert_diag(d, 0, 10, 5, "parsers[4].time_format: time format \"%Q\": conversion %Q is not "
                           "supported");
  assert_diag(d, 1, 12, 21, "parsers[4].patterns[0]: does not compile at offset 11: missing "
                            "closing parenthesis");
  rcw_diags_free(d);
}

/* A broken built-in (never shipped, but the message must make sense). */
static void test_builtin_style_diag(void **state)
{
  (void)state;
  struct rcw_pattern_spec pat = {.regex = "(?<code>"};
  struct rcw_parser_spec spec = {.name = "json", .patterns = &pat, .npatterns = 1};
  rcw_diags *d = rcw_diags_new();
  assert_null(rcw_parser_compile(&spec, d));
  assert_int_equal(rcw_diags_count(d), 1);
  assert_non_null(strstr(rcw_diags_get(d, 0)->message,
                         "parser json: patterns[0]: does not compile at offset 8"));
  assert_null(rcw_parser_compile(&spec, NULL)); /* diagnostics are optional */
  rcw_diags_free(d);
}

/* --- fields ---------------------------------------------------------------- */

static void test_lazy_fields(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "rc=(?<code>\\d+)(?: d=(?<desc>\\w+))?");
  add_field(&b, "desc", "text=\"(?<desc>[^\"]*)\"");
  add_field(&b, "ts", "^(?<ts>\\d+)");
  add_field(&b, "status", "http=(?<status>\\d+)");
  rcw_parser *p = compile_ok(&b);
  const char *line = "1700000000 rc=1306 http=200 text=\"same time\"";
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, line, strlen(line), 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1306");
  assert_null(m.desc.ptr);
  assert_null(m.ts.ptr);
  assert_null(m.status.ptr);
  rcw_parser_fill(p, line, strlen(line), RCW_WANT_DESC, &m);
  assert_field(&m.desc, "same time");
  assert_null(m.ts.ptr);
  rcw_parser_fill(p, line, strlen(line), RCW_WANT_TS | RCW_WANT_STATUS, &m);
  assert_field(&m.ts, "1700000000");
  assert_field(&m.status, "200");
  /* the main match's own capture wins over the field pattern */
  const char *l2 = "rc=1306 d=main text=\"field\"";
  assert_int_equal(rcw_parser_match(p, l2, strlen(l2), RCW_WANT_DESC, &m), RCW_MATCH_OK);
  assert_field(&m.desc, "main");
  /* fill after a failed match does nothing */
  assert_int_equal(rcw_parser_match(p, "x", 1, 0, &m), RCW_MATCH_NONE);
  rcw_parser_fill(p, line, strlen(line), ALL, &m);
  assert_null(m.desc.ptr);
  rcw_parser_free(p);
}

/* (?J) lets one name stand on several groups: the one that took part counts. */
static void test_duplicate_names(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "(?J)(?:code=(?<code>\\d+)|\"code\":\"(?<code>\\d+)\")");
  rcw_parser *p = compile_ok(&b);
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, "code=12", 7, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "12");
  assert_int_equal(rcw_parser_match(p, "\"code\":\"34\"", 11, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "34");
  rcw_parser_free(p);
}

/* A pattern that asks for UTF mode still matches lines with invalid UTF-8. */
static void test_utf_pattern_invalid_line(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "(*UTF)caf\xc3\xa9 rc=(?<code>\\d+)");
  rcw_parser *p = compile_ok(&b);
  const char line[] = "\xff\xfe caf\xc3\xa9 rc=1204 \xc3";
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, line, sizeof(line) - 1, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1204");
  rcw_parser_free(p);
}

static void test_trailing_cr_not_captured(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "rc=(?<code>\\S+)$");
  rcw_parser *p = compile_ok(&b);
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, "rc=1204\r", 8, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1204");
  rcw_parser_free(p);
}

/* --- limits and the interpreter -------------------------------------------- */

static bool jit_available(void)
{
  uint32_t jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &jit);
  return jit != 0;
}

static char *catastrophic_line(size_t n)
{
  char *s = malloc(n + 2);
  assert_non_null(s);
  memset(s, 'a', n);
  s[n] = 'b';
  s[n + 1] = '\0';
  return s;
}

static void check_limit(bool interpreter)
{
  rcw_parser_test_disable_jit(interpreter);
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "(?<code>(a+)+$)");
  rcw_parser *p = compile_ok(&b);
  rcw_parser_test_disable_jit(false);
  if (interpreter)
    assert_false(rcw_parser_jit(p));
  char *line = catastrophic_line(RCW_LINE_MAX - 1);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct rcw_match m;
  for (int i = 0; i < 3; i++)
    assert_int_equal(rcw_parser_match(p, line, strlen(line), 0, &m), RCW_MATCH_LIMIT);
  double secs = elapsed_since(&t0);
  if (secs > 3.0) /* generous for a sanitizer build on a busy machine */
    fail_msg("three limited matches took %.2f s", secs);
  /* the parser is still usable after hitting the limit */
  assert_int_equal(rcw_parser_match(p, "aa", 2, 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "aa");
  free(line);
  rcw_parser_free(p);
}

static void test_match_limit_jit(void **state)
{
  (void)state;
  check_limit(false);
}

static void test_match_limit_interpreter(void **state)
{
  (void)state;
  check_limit(true);
}

/* Limits are for runaway patterns: a sane one on the longest line passes. */
static void test_long_line_within_limits(void **state)
{
  (void)state;
  for (int interp = 0; interp < 2; interp++) {
    rcw_parser_test_disable_jit(interp);
    struct spec_buf b;
    spec_init(&b, 0);
    add_pattern(&b, "^(?:\\w+=(?:\"[^\"]*\"|\\S*)\\s*)*?responseCode=(?<code>-?\\d+)");
    add_field(&b, "desc", "msg=\"(?<desc>(?:[^\"\\\\]|\\\\.)*)\"");
    rcw_parser *p = compile_ok(&b);
    rcw_parser_test_disable_jit(false);
    size_t n = RCW_LINE_MAX - 100;
    char *line = malloc(n + 20100);
    assert_non_null(line);
    size_t pos = 0;
    while (pos < n - 8) {
      memcpy(line + pos, "k=vv ", 5);
      pos += 5;
    }
    pos += (size_t)sprintf(line + pos, "responseCode=1204 msg=\"");
    memset(line + pos, 'x', 20000);
    pos += 20000;
    line[pos++] = '"';
    struct rcw_match m;
    assert_int_equal(rcw_parser_match(p, line, pos, RCW_WANT_DESC, &m), RCW_MATCH_OK);
    assert_field(&m.code, "1204");
    assert_int_equal(m.desc.len, 20000);
    free(line);
    rcw_parser_free(p);
  }
}

/* Every built-in works the same without the JIT (W^X hosts). */
static void test_interpreter_builtins(void **state)
{
  (void)state;
  rcw_catalog *c = rcw_catalog_new_default();
  rcw_diags *d = rcw_diags_new();
  for (size_t i = 0; i < rcw_builtin_parser_count(); i++) {
    const struct rcw_parser_spec *spec = rcw_builtin_parser(i);
    rcw_parser_test_disable_jit(true);
    rcw_parser *p = rcw_parser_compile(spec, d);
    rcw_parser_test_disable_jit(false);
    assert_non_null(p);
    assert_false(rcw_parser_jit(p));
    assert_int_equal(rcw_parser_run_tests(p, spec, c, d), 0);
    rcw_parser_free(p);
    p = rcw_parser_compile(spec, d);
    assert_non_null(p);
    assert_int_equal(rcw_parser_jit(p), jit_available());
    rcw_parser_free(p);
  }
  assert_int_equal(rcw_diags_count(d), 0);
  rcw_diags_free(d);
  rcw_catalog_free(c);
}

/* --- tests: ---------------------------------------------------------------- */

static void test_run_tests(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 2);
  add_pattern(&b, "responseCode=(?<code>-?\\d+)");
  add_pattern(&b, "httpStatus=(?<status>\\d+)");
  add_field(&b, "desc", "responseDesc=\"(?<desc>[^\"]*)\"");
  add_field(&b, "status", "httpStatus=(?<status>\\d+)");
  struct rcw_parser_test *t;
  t = add_test(&b, "responseCode=1204 httpStatus=200");
  t->code = "1204";
  t->status = "200";
  t->category = "stock";
  t = add_test(&b, "responseCode=1205");
  t->code = "1204";
  t = add_test(&b, "nothing to see");
  t->code = "1204";
  t = add_test(&b, "responseCode=1306 responseDesc=\"issued at the same time\"");
  t->category = "validation";
  t = add_test(&b, "httpStatus=503");
  t->code = "-1";
  t->status = "502";
  t->category = "transport";
  t = add_test(&b, "responseCode=-1");
  t->matched = false;
  rcw_parser *p = compile_ok(&b);
  rcw_catalog *c = rcw_catalog_new_default();
  rcw_diags *d = rcw_diags_new();
  assert_int_equal(rcw_parser_run_tests(p, &b.spec, c, d), 5);
  assert_int_equal(rcw_diags_count(d), 6);
  assert_diag(d, 0, 31, 9, "parsers[2].tests[1]: expected code 1204, got 1205");
  assert_diag(d, 1, 32, 9, "parsers[2].tests[2]: did not match any pattern");
  assert_diag(d, 2, 33, 9, "parsers[2].tests[3]: expected category validation, got concurrency");
  assert_diag(d, 3, 34, 9, "parsers[2].tests[4]: expected code -1, got none");
  assert_diag(d, 4, 34, 9, "parsers[2].tests[4]: expected status 502, got 503");
  assert_diag(d, 5, 35, 9, "parsers[2].tests[5]: expected no match, but patterns[0] matched");
  /* without a catalog, categories are not checked */
  rcw_diags_clear(d);
  assert_int_equal(rcw_parser_run_tests(p, &b.spec, NULL, d), 4);
  rcw_parser_free(p);
  rcw_diags_free(d);
  rcw_catalog_free(c);
}

static void test_run_tests_limit(void **state)
{
  (void)state;
  struct spec_buf b;
  spec_init(&b, 0);
  add_pattern(&b, "(?<code>(x+x+)+$)");
  char *line = malloc(5002);
  assert_non_null(line);
  memset(line, 'x', 5000);
  line[5000] = 'z';
  line[5001] = '\0';
  add_test(&b, line);
  rcw_parser *p = compile_ok(&b);
  rcw_diags *d = rcw_diags_new();
  assert_int_equal(rcw_parser_run_tests(p, &b.spec, NULL, d), 1);
  assert_diag(d, 0, 30, 9, "parsers[0].tests[0]: hit the regex match limit");
  rcw_diags_free(d);
  rcw_parser_free(p);
  free(line);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_spec),
    cmocka_unit_test(test_pattern_order),
    cmocka_unit_test(test_compile_error_offset),
    cmocka_unit_test(test_group_errors),
    cmocka_unit_test(test_spec_errors),
    cmocka_unit_test(test_builtin_style_diag),
    cmocka_unit_test(test_lazy_fields),
    cmocka_unit_test(test_duplicate_names),
    cmocka_unit_test(test_utf_pattern_invalid_line),
    cmocka_unit_test(test_trailing_cr_not_captured),
    cmocka_unit_test(test_match_limit_jit),
    cmocka_unit_test(test_match_limit_interpreter),
    cmocka_unit_test(test_long_line_within_limits),
    cmocka_unit_test(test_interpreter_builtins),
    cmocka_unit_test(test_run_tests),
    cmocka_unit_test(test_run_tests_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
