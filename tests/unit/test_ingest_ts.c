/* The ingest's own reading of a Logback time at the start of the line
 * (the same second as the line before, without the parser or timefmt):
 * every line must get the ts span and the time the parser and timefmt
 * would give it, whatever came before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "diag.h"
#include "ingest.h"
#include "parser.h"
#include "parser_internal.h"
#include "tally.h"
#include "timefmt.h"

struct last {
  size_t nevents;
  bool has_time;
  int64_t time_ms;
  char ts[64];
  size_t ts_len;
};

struct fixture {
  rcw_catalog *catalog;
  rcw_parser *kv;
  struct rcw_tally tally;
  struct rcw_ingest in;
  struct last last;
};

static void on_event(void *ctx, const struct rcw_event *ev)
{
  struct last *l = ctx;
  l->nevents++;
  l->has_time = ev->has_time;
  l->time_ms = ev->time_ms;
  l->ts_len = ev->match->ts.ptr ? ev->match->ts.len : 0;
  assert_true(l->ts_len < sizeof(l->ts));
  if (l->ts_len)
    memcpy(l->ts, ev->match->ts.ptr, l->ts_len);
}

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  rcw_diags *d = rcw_diags_new();
  f->catalog = rcw_catalog_new_default();
  f->kv = rcw_parser_compile(rcw_builtin_parser_find("kv"), d);
  assert_non_null(f->kv);
  rcw_diags_free(d);
  rcw_tally_init(&f->tally);
  struct rcw_ingest_hooks hooks = {.ctx = &f->last, .on_event = on_event, .want = RCW_WANT_TS};
  rcw_ingest_init(&f->in, f->kv, f->catalog, &f->tally, &hooks);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  rcw_tally_destroy(&f->tally);
  rcw_parser_free(f->kv);
  rcw_catalog_free(f->catalog);
  free(f);
  return 0;
}

/* What the parser and timefmt, asked directly, make of the line. */
static void expected(rcw_parser *p, const char *text, size_t len, struct last *out)
{
  struct rcw_match m;
  memset(out, 0, sizeof(*out));
  assert_int_equal(rcw_parser_match(p, text, len, RCW_WANT_TS, &m), RCW_MATCH_OK);
  out->ts_len = m.ts.ptr ? m.ts.len : 0;
  if (out->ts_len)
    memcpy(out->ts, m.ts.ptr, out->ts_len);
  out->has_time = m.ts.ptr &&
                  rcw_time_parse(rcw_parser_timefmt(p), m.ts.ptr, m.ts.len, &out->time_ms) == 0;
}

/* Ingest one line (without its NUL: the fast path must not read past
 * the line) and compare the event with the direct reading. */
static void check_line(struct fixture *f, const char *head, const char *rest)
{
  char text[512];
  int n = snprintf(text, sizeof(text), "%s%s", head, rest);
  assert_true(n > 0 && (size_t)n < sizeof(text));
  char *copy = malloc((size_t)n);
  memcpy(copy, text, (size_t)n);
  struct last want;
  expected(f->kv, copy, (size_t)n, &want);
  size_t before = f->last.nevents;
  assert_int_equal(rcw_ingest_line(&f->in, copy, (size_t)n, false), RCW_LINE_REQUEST);
  assert_int_equal(f->last.nevents, before + 1);
  if (f->last.has_time != want.has_time || f->last.ts_len != want.ts_len ||
      memcmp(f->last.ts, want.ts, want.ts_len) != 0 ||
      (want.has_time && f->last.time_ms != want.time_ms))
    fail_msg("line \"%s\": got ts \"%.*s\" time %d/%lld, want \"%.*s\" %d/%lld", text,
             (int)f->last.ts_len, f->last.ts, f->last.has_time, (long long)f->last.time_ms,
             (int)want.ts_len, want.ts, want.has_time, (long long)want.time_ms);
  free(copy);
}

#define REST " INFO  [exec-1] c.a.CvsClient - cvs_call responseCode=1204 responseDesc=\"x\""

static void test_kv_reads_ts_at_start(void **state)
{
  struct fixture *f = *state;
  assert_true(rcw_parser_ts_iso_at_start(f->kv));
  assert_false(f->in.match_mask & RCW_WANT_TS);
}

/* A second read the long way, then lines of that second and others. */
static void test_same_second_matches_direct_reading(void **state)
{
  struct fixture *f = *state;
  static const char *const heads[] = {
      "2026-03-14 07:00:00,003", "2026-03-14 07:00:00,999", "2026-03-14 07:00:00,000",
      "2026-03-14 07:00:00.500", /* another separator: the long way */
      "2026-03-14 07:00:00,501", "2026-03-14 07:00:01,002", "2026-03-14 07:00:00,004",
      "2026-03-14T07:00:01,003", "2026-03-14 07:00:01,0045", /* four digits */
      "2026-03-14 07:00:01,004Z", "2026-03-14 07:00:01,005+02:00",
      "2026-03-14 07:00:01,006-0130", "2026-03-14 07:00:01,007",
      "2026-03-14 07:00:01,07",  /* two digits */
      "2026-03-14 07:00:01,0a8", "2026-03-14 07:00:01", "2026-03-14 07:00",
      "2026-02-30 07:00:01,009", /* no such day */
      "2026-12-31 23:59:59,999", "2027-01-01 00:00:00,000", "2026-12-31 23:59:59,998",
  };
  for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
    check_line(f, heads[i], REST);
}

/* Lines that end right after the fraction, or with a CR there. */
static void test_short_lines(void **state)
{
  struct fixture *f = *state;
  check_line(f, "2026-03-14 07:00:05,001", " responseCode=1204");
  check_line(f, "2026-03-14 07:00:05,002", " responseCode=1204\r");
  check_line(f, "responseCode=1204 at 2026-03-14 07:00:05,003", "");
  check_line(f, "2026-03-14 07:00:05,004", " responseCode=1204");
}

/* Another parser (ts not at the start) and back: nothing remembered
 * from the other parser's lines is used. */
static void test_switching_parser(void **state)
{
  struct fixture *f = *state;
  rcw_diags *d = rcw_diags_new();
  rcw_parser *json = rcw_parser_compile(rcw_builtin_parser_find("json"), d);
  assert_non_null(json);
  rcw_diags_free(d);
  check_line(f, "2026-03-14 07:00:06,001", REST);
  rcw_ingest_set_parser(&f->in, json);
  assert_true(f->in.match_mask & RCW_WANT_TS);
  rcw_ingest_set_parser(&f->in, f->kv);
  assert_false(f->in.ts_sec_ok);
  check_line(f, "2026-03-14 07:00:06,002", REST);
  rcw_parser_free(json);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_kv_reads_ts_at_start, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_second_matches_direct_reading, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_short_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_switching_parser, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
