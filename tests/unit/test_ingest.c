/* The line pipeline: what each kind of line becomes (CONTRACT §1, §6),
 * with the real built-in parsers and the embedded catalog. */
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
#include "tally.h"

#define MAX_EVENTS 16

struct seen {
  size_t nevents;
  uint32_t entries[MAX_EVENTS];
  bool has_time[MAX_EVENTS];
  int64_t times[MAX_EVENTS];
  char campaign[MAX_EVENTS][16];
  size_t nnew;
  uint32_t new_entries[MAX_EVENTS];
};

struct fixture {
  rcw_catalog *catalog;
  rcw_parser *kv, *json, *nginx;
  struct rcw_tally tally;
  struct rcw_ingest in;
  struct seen seen;
};

static rcw_parser *builtin(const char *name)
{
  rcw_diags *d = rcw_diags_new();
  rcw_parser *p = rcw_parser_compile(rcw_builtin_parser_find(name), d);
  assert_non_null(p);
  rcw_diags_free(d);
  return p;
}

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  f->catalog = rcw_catalog_new_default();
  f->kv = builtin("kv");
  f->json = builtin("json");
  f->nginx = builtin("nginx");
  rcw_tally_init(&f->tally);
  rcw_ingest_init(&f->in, f->kv, f->catalog, &f->tally, NULL);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  rcw_tally_destroy(&f->tally);
  rcw_parser_free(f->kv);
  rcw_parser_free(f->json);
  rcw_parser_free(f->nginx);
  rcw_catalog_free(f->catalog);
  free(f);
  return 0;
}

static enum rcw_line_result line(struct fixture *f, const char *text)
{
  return rcw_ingest_line(&f->in, text, strlen(text), false);
}

static uint64_t count_of(struct fixture *f, uint32_t entry)
{
  return entry < f->tally.nentries ? f->tally.by_entry[entry] : 0;
}

static const struct rcw_entry *entry_of(struct fixture *f, uint32_t id)
{
  const struct rcw_entry *e = rcw_catalog_entry(f->catalog, id);
  assert_non_null(e);
  return e;
}

static const char *category_of(struct fixture *f, uint32_t id)
{
  return rcw_catalog_category(f->catalog, entry_of(f, id)->category)->name;
}

/* The single entry of a code with one meaning. */
static uint32_t entry_id(struct fixture *f, const char *code)
{
  return rcw_catalog_classify(f->catalog, code, strlen(code), NULL, 0, NULL);
}

static void assert_lines(struct fixture *f, uint64_t total, uint64_t matched)
{
  assert_int_equal(f->tally.lines_total, total);
  assert_int_equal(f->tally.lines_matched, matched);
  assert_int_equal(f->tally.lines_unmatched, total - matched);
}

static void test_codes_are_requests(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(line(f, "2026-03-14 09:12:44,512 INFO cvs_call httpStatus=200 "
                           "responseCode=1209 responseDesc=\"User has reached\""),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "x responseCode=-1"), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "x responseCode=\"-1\" httpStatus=503"), RCW_LINE_REQUEST);
  assert_lines(f, 3, 3);
  assert_int_equal(count_of(f, entry_id(f, "1209")), 1);
  assert_int_equal(count_of(f, entry_id(f, "-1")), 2); /* the code wins over a 5xx */
  assert_int_equal(f->in.new_codes, 0);
}

static void test_unmatched_kinds(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(line(f, ""), RCW_LINE_NO_MATCH);
  assert_int_equal(line(f, "java.net.SocketTimeoutException: Read timed out"),
                   RCW_LINE_NO_MATCH);
  assert_int_equal(rcw_ingest_line(&f->in, NULL, 70000, true), RCW_LINE_TOO_LONG);
  /* a pattern matched, but there is no code and the status says nothing */
  assert_int_equal(line(f, "cvs_call endpoint=/coupons httpStatus=404 latencyMs=3"),
                   RCW_LINE_NO_CODE);
  assert_lines(f, 4, 0);
  assert_int_equal(f->tally.unmatched_too_long, 1);
  assert_int_equal(f->tally.unmatched_limit, 0);
  for (size_t i = 0; i < f->tally.nentries; i++)
    assert_int_equal(f->tally.by_entry[i], 0); /* no request counted */
}

static void test_5xx_without_code_is_transport(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(line(f, "cvs_call endpoint=/coupons httpStatus=502 latencyMs=3"),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "cvs_call endpoint=/coupons httpStatus=502 latencyMs=9"),
                   RCW_LINE_REQUEST);
  rcw_ingest_set_parser(&f->in, f->nginx);
  assert_int_equal(line(f, "10.0.0.1 - - [14/Mar/2026:09:12:45 +0200] \"GET /x HTTP/1.1\" 503 "
                           "157 \"okhttp\" rt=30.001 cvs_code=- api_id=A"),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "10.0.0.1 - - [14/Mar/2026:09:12:45 +0200] \"GET /x HTTP/1.1\" 200 "
                           "157 \"okhttp\" rt=0.001 cvs_code=- api_id=A"),
                   RCW_LINE_NO_CODE);
  assert_lines(f, 4, 3);
  uint32_t e502 = rcw_catalog_classify_status(f->catalog, 502);
  uint32_t e503 = rcw_catalog_classify_status(f->catalog, 503);
  assert_int_equal(count_of(f, e502), 2);
  assert_int_equal(count_of(f, e503), 1);
  assert_string_equal(entry_of(f, e502)->code, "http_502");
  assert_string_equal(category_of(f, e503), "transport");
}

/* A code the catalog cannot use (longer than RCW_CODE_MAX_LEN) is no code:
 * the status decides, even though parsers skip it when a code matched. */
static void test_unusable_code_falls_back_to_status(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(line(f, "httpStatus=504 responseCode=12345678901234567890123456789012345"),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "httpStatus=200 responseCode=12345678901234567890123456789012345"),
                   RCW_LINE_NO_CODE);
  assert_lines(f, 2, 1);
  assert_int_equal(count_of(f, rcw_catalog_classify_status(f->catalog, 504)), 1);
}

static void test_1306_meaning_from_description(void **state)
{
  struct fixture *f = *state;
  const char *same = "responseCode=1306 responseDesc=\"Another request issued at the same "
                     "time. Failing call.\"";
  const char *required = "responseCode=\"1306\" responseDesc=\"Required field missing\"";
  assert_int_equal(line(f, same), RCW_LINE_REQUEST);
  assert_int_equal(line(f, required), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "responseCode=1306"), RCW_LINE_REQUEST);
  uint32_t conc = rcw_catalog_classify(f->catalog, "1306", 4, "at the same time", 16, NULL);
  uint32_t val = rcw_catalog_classify(f->catalog, "1306", 4, NULL, 0, NULL);
  assert_int_not_equal(conc, val);
  assert_string_equal(category_of(f, conc), "concurrency");
  assert_string_equal(category_of(f, val), "validation");
  assert_int_equal(count_of(f, conc), 1);
  assert_int_equal(count_of(f, val), 2);
  rcw_ingest_set_parser(&f->in, f->json);
  assert_int_equal(line(f, "{\"response\":{\"responseCode\":1306,\"responseDesc\":\"Another "
                           "request issued at the same time.\"}}"),
                   RCW_LINE_REQUEST);
  assert_int_equal(count_of(f, conc), 2);
}

static void on_new_code(void *ctx, uint32_t entry)
{
  struct seen *s = ctx;
  assert_true(s->nnew < MAX_EVENTS);
  s->new_entries[s->nnew++] = entry;
}

static void on_event(void *ctx, const struct rcw_event *ev)
{
  struct seen *s = ctx;
  assert_true(s->nevents < MAX_EVENTS);
  size_t i = s->nevents++;
  s->entries[i] = ev->entry;
  s->has_time[i] = ev->has_time;
  s->times[i] = ev->time_ms;
  const struct rcw_field *c = &ev->match->dims[1]; /* kv: endpoint, campaign, method */
  if (c->ptr && c->len < sizeof(s->campaign[i]))
    memcpy(s->campaign[i], c->ptr, c->len);
}

static void test_new_codes_reported_once(void **state)
{
  struct fixture *f = *state;
  struct rcw_ingest_hooks hooks = {.on_new_code = on_new_code, .ctx = &f->seen};
  rcw_ingest_init(&f->in, f->kv, f->catalog, &f->tally, &hooks);
  assert_int_equal(line(f, "responseCode=4242"), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "responseCode=4242"), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "responseCode=-7"), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "responseCode=1204"), RCW_LINE_REQUEST);
  assert_int_equal(f->in.new_codes, 2);
  assert_int_equal(f->seen.nnew, 2);
  assert_string_equal(entry_of(f, f->seen.new_entries[0])->code, "4242");
  assert_string_equal(entry_of(f, f->seen.new_entries[1])->code, "-7");
  assert_string_equal(category_of(f, f->seen.new_entries[0]), "unknown");
  assert_int_equal(count_of(f, f->seen.new_entries[0]), 2);
}

static void test_events_carry_time_and_dimensions(void **state)
{
  struct fixture *f = *state;
  struct rcw_ingest_hooks hooks = {
    .on_event = on_event, .ctx = &f->seen, .want = RCW_WANT_TS | RCW_WANT_DIMS};
  rcw_ingest_init(&f->in, f->kv, f->catalog, &f->tally, &hooks);
  assert_int_equal(line(f, "2026-03-14 07:00:01,500 INFO cvs_call campaignId=48184 "
                           "httpStatus=200 responseCode=1204"),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "no time here campaignId=7 responseCode=-1"), RCW_LINE_REQUEST);
  assert_int_equal(line(f, "2026-03-14 07:00:02,000 INFO starting"), RCW_LINE_NO_MATCH);
  assert_int_equal(f->seen.nevents, 2); /* requests only */
  assert_int_equal(f->seen.entries[0], entry_id(f, "1204"));
  assert_true(f->seen.has_time[0]);
  assert_int_equal(f->seen.times[0], 1773471601500LL);
  assert_string_equal(f->seen.campaign[0], "48184");
  assert_false(f->seen.has_time[1]);
  assert_string_equal(f->seen.campaign[1], "7");
  assert_int_equal(f->in.bad_times, 1);
}

/* Past the entries whose meanings ingest remembers, lines still count
 * right, and a code with two meanings still reads its description. */
static void test_many_codes(void **state)
{
  struct fixture *f = *state;
  char buf[64];
  for (int round = 0; round < 2; round++) {
    for (int code = 5000; code < 5000 + RCW_INGEST_MEANINGS_CACHED + 50; code++) {
      snprintf(buf, sizeof(buf), "responseCode=%d", code);
      assert_int_equal(line(f, buf), RCW_LINE_REQUEST);
    }
  }
  assert_int_equal(f->in.new_codes, RCW_INGEST_MEANINGS_CACHED + 50);
  snprintf(buf, sizeof(buf), "%d", 5000 + RCW_INGEST_MEANINGS_CACHED + 49);
  uint32_t last = entry_id(f, buf);
  assert_true(last >= RCW_INGEST_MEANINGS_CACHED);
  assert_int_equal(count_of(f, last), 2);
  assert_int_equal(line(f, "responseCode=1306 responseDesc=\"at the same time\""),
                   RCW_LINE_REQUEST);
  assert_int_equal(line(f, "responseCode=1306"), RCW_LINE_REQUEST);
  uint32_t conc = rcw_catalog_classify(f->catalog, "1306", 4, "same time", 9, NULL);
  assert_string_equal(category_of(f, conc), "concurrency");
  assert_int_equal(count_of(f, conc), 1);
}

static void test_bytes_are_bytes(void **state)
{
  struct fixture *f = *state;
  static const char l1[] = "2026-03-14 07:00:01,500 [exec-\0\xff\xfe] responseCode=1209 x=\xc3\x28";
  assert_int_equal(rcw_ingest_line(&f->in, l1, sizeof(l1) - 1, false), RCW_LINE_REQUEST);
  rcw_ingest_set_parser(&f->in, f->json);
  static const char l2[] = "{\"apiId\":\"A\0\xff\",\"responseCode\":\"7101\"}";
  assert_int_equal(rcw_ingest_line(&f->in, l2, sizeof(l2) - 1, false), RCW_LINE_REQUEST);
  assert_int_equal(count_of(f, entry_id(f, "1209")), 1);
  assert_int_equal(count_of(f, entry_id(f, "7101")), 1);
}

static void test_no_parser_counts_unmatched(void **state)
{
  struct fixture *f = *state;
  rcw_ingest_set_parser(&f->in, NULL);
  assert_int_equal(line(f, "responseCode=1204"), RCW_LINE_NO_MATCH);
  assert_lines(f, 1, 0);
}

/* A pattern that backtracks without end hits the parser's match limit:
 * the line is unmatched, counted apart, and the pipeline goes on. */
static void test_regex_limit(void **state)
{
  struct fixture *f = *state;
  struct rcw_pattern_spec pat = {.regex = "^(?:a+)+(?<code>\\d)$"};
  struct rcw_parser_spec spec = {.name = "slow", .patterns = &pat, .npatterns = 1};
  rcw_diags *d = rcw_diags_new();
  rcw_parser *slow = rcw_parser_compile(&spec, d);
  assert_non_null(slow);
  rcw_diags_free(d);
  rcw_ingest_set_parser(&f->in, slow);
  char bad[200];
  memset(bad, 'a', sizeof(bad) - 2);
  bad[sizeof(bad) - 2] = 'b';
  bad[sizeof(bad) - 1] = '\0';
  assert_int_equal(line(f, bad), RCW_LINE_LIMIT);
  assert_int_equal(line(f, "aaa7"), RCW_LINE_REQUEST);
  assert_lines(f, 2, 1);
  assert_int_equal(f->tally.unmatched_limit, 1);
  rcw_parser_free(slow);
}

static void test_reasons(void **state)
{
  assert_string_equal(rcw_line_result_reason(RCW_LINE_TOO_LONG), "longer than 64 KiB");
  assert_string_equal(rcw_line_result_reason(RCW_LINE_NO_MATCH), "no pattern matched");
  assert_string_not_equal(rcw_line_result_reason(RCW_LINE_NO_CODE),
                          rcw_line_result_reason(RCW_LINE_LIMIT));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_codes_are_requests, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unmatched_kinds, setup, teardown),
    cmocka_unit_test_setup_teardown(test_5xx_without_code_is_transport, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unusable_code_falls_back_to_status, setup, teardown),
    cmocka_unit_test_setup_teardown(test_1306_meaning_from_description, setup, teardown),
    cmocka_unit_test_setup_teardown(test_new_codes_reported_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_events_carry_time_and_dimensions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_many_codes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bytes_are_bytes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_parser_counts_unmatched, setup, teardown),
    cmocka_unit_test_setup_teardown(test_regex_limit, setup, teardown),
    cmocka_unit_test(test_reasons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
