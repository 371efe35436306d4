/* Unit tests for parsers/builtin.c: the json, kv and nginx formats on the
 * lines users really have, and on the lines that go wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"
#include "parser.h"

#define ALL (RCW_WANT_DESC | RCW_WANT_TS | RCW_WANT_DIMS | RCW_WANT_STATUS)

struct fixture {
  rcw_parser *json, *kv, *nginx;
  rcw_catalog *catalog;
  rcw_diags *diags;
};

static rcw_parser *compile_builtin(const char *name, rcw_diags *d)
{
  const struct rcw_parser_spec *spec = rcw_builtin_parser_find(name);
  assert_non_null(spec);
  rcw_parser *p = rcw_parser_compile(spec, d);
  if (!p) {
    rcw_diags_print(d, stderr);
    fail_msg("built-in parser %s does not compile", name);
  }
  return p;
}

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->diags = rcw_diags_new();
  f->json = compile_builtin("json", f->diags);
  f->kv = compile_builtin("kv", f->diags);
  f->nginx = compile_builtin("nginx", f->diags);
  f->catalog = rcw_catalog_new_default();
  assert_non_null(f->catalog);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  rcw_parser_free(f->json);
  rcw_parser_free(f->kv);
  rcw_parser_free(f->nginx);
  rcw_catalog_free(f->catalog);
  rcw_diags_free(f->diags);
  free(f);
  return 0;
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

/* Match a NUL-terminated line; expect a match with this code and status. */
static struct rcw_match expect(rcw_parser *p, const char *line, const char *code,
                               const char *status)
{
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(p, line, strlen(line), ALL, &m), RCW_MATCH_OK);
  assert_field(&m.code, code);
  assert_field(&m.status, status);
  return m;
}

static void expect_none(rcw_parser *p, const char *line)
{
  struct rcw_match m;
  size_t len = line ? strlen(line) : 0;
  assert_int_equal(rcw_parser_match(p, line, len, ALL, &m), RCW_MATCH_NONE);
  assert_null(m.code.ptr);
  assert_null(m.status.ptr);
}

static const char *category(struct fixture *f, rcw_parser *p, const char *line)
{
  struct rcw_match m;
  size_t len = strlen(line);
  assert_int_equal(rcw_parser_match(p, line, len, 0, &m), RCW_MATCH_OK);
  assert_non_null(m.code.ptr);
  if (rcw_catalog_needs_desc(f->catalog, m.code.ptr, m.code.len))
    rcw_parser_fill(p, line, len, RCW_WANT_DESC, &m);
  uint32_t e = rcw_catalog_classify(f->catalog, m.code.ptr, m.code.len, m.desc.ptr,
                                    m.desc.len, NULL);
  assert_int_not_equal(e, RCW_ENTRY_NONE);
  return rcw_catalog_category(f->catalog, rcw_catalog_entry(f->catalog, e)->category)->name;
}

static char *long_line(const char *prefix, size_t fill, const char *suffix)
{
  size_t a = strlen(prefix), c = strlen(suffix);
  char *s = malloc(a + fill + c + 1);
  assert_non_null(s);
  memcpy(s, prefix, a);
  for (size_t i = 0; i < fill; i++)
    s[a + i] = (char)('a' + i % 26);
  memcpy(s + a + fill, suffix, c + 1);
  return s;
}

/* --- the table ------------------------------------------------------------- */

static void test_table(void **state)
{
  (void)state;
  assert_int_equal(rcw_builtin_parser_count(), 3);
  assert_string_equal(rcw_builtin_parser(0)->name, "json");
  assert_string_equal(rcw_builtin_parser(1)->name, "kv");
  assert_string_equal(rcw_builtin_parser(2)->name, "nginx");
  assert_null(rcw_builtin_parser(3));
  assert_ptr_equal(rcw_builtin_parser_find("kv"), rcw_builtin_parser(1));
  assert_null(rcw_builtin_parser_find("syslog"));
  assert_null(rcw_builtin_parser_find(NULL));
}

/* The specs carry the formats' sample lines as tests: they all pass. */
static void test_own_tests_pass(void **state)
{
  struct fixture *f = *state;
  rcw_parser *ps[] = {f->json, f->kv, f->nginx};
  for (size_t i = 0; i < 3; i++) {
    const struct rcw_parser_spec *spec = rcw_builtin_parser(i);
    assert_true(spec->ntests >= 3);
    int failed = rcw_parser_run_tests(ps[i], spec, f->catalog, f->diags);
    if (failed) {
      rcw_diags_print(f->diags, stderr);
      fail_msg("%s: %d tests failed", spec->name, failed);
    }
  }
  assert_int_equal(rcw_diags_count(f->diags), 0);
}

static void test_dimensions_declared(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(rcw_parser_dimension_count(f->json), 4);
  assert_string_equal(rcw_parser_dimension(f->json, 0), "endpoint");
  assert_string_equal(rcw_parser_dimension(f->json, 1), "campaign");
  assert_string_equal(rcw_parser_dimension(f->json, 2), "api_id");
  assert_string_equal(rcw_parser_dimension(f->json, 3), "method");
  assert_int_equal(rcw_parser_dimension_count(f->kv), 3);
  assert_string_equal(rcw_parser_dimension(f->kv, 1), "campaign");
  assert_int_equal(rcw_parser_dimension_count(f->nginx), 3);
  assert_string_equal(rcw_parser_dimension(f->nginx, 2), "api_id");
  assert_null(rcw_parser_dimension(f->nginx, 3));
  assert_int_equal(rcw_parser_timefmt(f->nginx)->kind, RCW_TIME_STRPTIME);
  assert_int_equal(rcw_parser_timefmt(f->kv)->kind, RCW_TIME_ISO8601);
}

/* --- json ------------------------------------------------------------------ */

static const char json_sample[] =
  "{\"ts\":\"2026-03-14T09:12:44.512+02:00\",\"level\":\"WARN\",\"method\":\"POST\","
  "\"path\":\"/cvs-issuer/rest/giftcards?x=1\",\"status\":200,\"latency_ms\":184,"
  "\"apiId\":\"AcmeProd\",\"campaignId\":9000,\"responseCode\":\"7101\","
  "\"responseDesc\":\"Amount to issue exceeds available float for campaign.\"}";

static void test_json_fields(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m = expect(f->json, json_sample, "7101", "200");
  assert_int_equal(m.pattern_index, 0);
  assert_field(&m.desc, "Amount to issue exceeds available float for campaign.");
  assert_field(&m.ts, "2026-03-14T09:12:44.512+02:00");
  assert_field(&m.dims[0], "/cvs-issuer/rest/giftcards");
  assert_field(&m.dims[1], "9000");
  assert_field(&m.dims[2], "AcmeProd");
  assert_field(&m.dims[3], "POST");
  int64_t ms;
  assert_int_equal(rcw_time_parse(rcw_parser_timefmt(f->json), m.ts.ptr, m.ts.len, &ms), 0);
  assert_int_equal(ms, INT64_C(1773472364512));
}

static void test_json_code_forms(void **state)
{
  struct fixture *f = *state;
  expect(f->json, "{\"responseCode\":\"1204\"}", "1204", NULL);
  expect(f->json, "{\"responseCode\":1204}", "1204", NULL);
  expect(f->json, "{\"responseCode\" : \"1204\" }", "1204", NULL);
  expect(f->json, "{\"responseCode\":\"-1\"}", "-1", NULL);
  expect(f->json, "{\"responseCode\":-1,\"status\":200}", "-1", "200");
  expect(f->json, "{\"a\":1,\"response\":{\"responseCode\":\"1204\",\"responseDesc\":\"x\"}}",
         "1204", NULL);
  expect(f->json, "{\"req\":{\"campaignId\":\"C-7\"},\"res\":{\"body\":{\"responseCode\":7105}}}",
         "7105", NULL);
  struct rcw_match m = expect(f->json, "{\"campaignId\":\"Spring Sale\",\"responseCode\":1}",
                              "1", NULL);
  assert_field(&m.dims[1], "Spring Sale");
  /* a code in another key's text is not the response code */
  expect_none(f->json, "{\"msg\":\"got \\\"responseCode\\\":\\\"1204\\\"\"}");
}

static void test_json_escaped_desc(void **state)
{
  struct fixture *f = *state;
  const char *line = "{\"responseCode\":\"1306\",\"responseDesc\":\"He said \\\"same time\\\", "
                     "\\\\ twice\",\"x\":1}";
  struct rcw_match m = expect(f->json, line, "1306", NULL);
  assert_field(&m.desc, "He said \\\"same time\\\", \\\\ twice");
}

static void test_json_status_only(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m =
    expect(f->json, "{\"path\":\"/cvs-issuer/rest/coupons\",\"status\":503}", NULL, "503");
  assert_int_equal(m.pattern_index, 1);
  expect(f->json, "{\"httpStatus\":\"502\",\"error\":\"upstream\"}", NULL, "502");
  expect(f->json, "{\"status\":404}", NULL, "404");
  expect(f->json, "{\"status\":200,\"responseCode\":null}", NULL, "200");
  /* not a three-digit status */
  expect_none(f->json, "{\"status\":\"ACTIVE\"}");
  expect_none(f->json, "{\"status\":5030}");
}

/* --- kv -------------------------------------------------------------------- */

static const char kv_sample[] =
  "2026-03-14 09:12:44,512 INFO  [http-nio-8080-exec-7] c.a.rewards.CvsClient - cvs_call "
  "method=POST endpoint=/coupons?issueWiCode=true campaignId=48184 httpStatus=200 "
  "responseCode=1209 responseDesc=\"User has reached the maximum allowed live coupons per "
  "user on campaign.\" latencyMs=97";

static void test_kv_fields(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m = expect(f->kv, kv_sample, "1209", "200");
  assert_field(&m.desc, "User has reached the maximum allowed live coupons per user on campaign.");
  assert_field(&m.ts, "2026-03-14 09:12:44,512");
  assert_field(&m.dims[0], "/coupons");
  assert_field(&m.dims[1], "48184");
  assert_field(&m.dims[2], "POST");
  int64_t ms;
  assert_int_equal(rcw_time_parse(rcw_parser_timefmt(f->kv), m.ts.ptr, m.ts.len, &ms), 0);
  assert_int_equal(ms, INT64_C(1773479564512));
}

static void test_kv_code_forms(void **state)
{
  struct fixture *f = *state;
  expect(f->kv, "cvs_call responseCode=1204", "1204", NULL);
  expect(f->kv, "cvs_call responseCode=\"1204\" responseDesc=x", "1204", NULL);
  expect(f->kv, "cvs_call responseCode='7101'", "7101", NULL);
  expect(f->kv, "cvs_call responseCode=-1 httpStatus=200", "-1", "200");
  struct rcw_match m =
    expect(f->kv, "x responseCode=1204 responseDesc=\"say \\\"hi\\\"\" y=1", "1204", NULL);
  assert_field(&m.desc, "say \\\"hi\\\"");
  m = expect(f->kv, "x responseCode=1204 responseDesc=Campaign_full y=1", "1204", NULL);
  assert_field(&m.desc, "Campaign_full");
}

static void test_kv_status_only(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m = expect(f->kv, "2026-03-14 09:12:46,100 WARN cvs_call httpStatus=503 "
                                     "latencyMs=30001", NULL, "503");
  assert_int_equal(m.pattern_index, 1);
  expect(f->kv, "cvs_call status=502", NULL, "502");
  expect(f->kv, "cvs_call httpStatus=\"404\"", NULL, "404");
  expect(f->kv, "cvs_call httpStatus=200", NULL, "200");
  expect_none(f->kv, "cvs_call httpStatus=2000");
  expect_none(f->kv, "2026-03-14 09:12:47,000 INFO c.a.App - started");
}

/* --- nginx ----------------------------------------------------------------- */

static const char nginx_sample[] =
  "10.20.1.15 - - [14/Mar/2026:09:12:44 +0200] \"POST /cvs-issuer/rest/coupons?issueWiCode=true "
  "HTTP/1.1\" 200 412 \"okhttp/4.12.0\" rt=0.097 cvs_code=1204 api_id=AcmeProd";

static void test_nginx_fields(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m = expect(f->nginx, nginx_sample, "1204", "200");
  assert_null(m.desc.ptr);
  assert_field(&m.ts, "14/Mar/2026:09:12:44 +0200");
  assert_field(&m.dims[0], "/cvs-issuer/rest/coupons");
  assert_field(&m.dims[1], "POST");
  assert_field(&m.dims[2], "AcmeProd");
  int64_t ms;
  assert_int_equal(rcw_time_parse(rcw_parser_timefmt(f->nginx), m.ts.ptr, m.ts.len, &ms), 0);
  assert_int_equal(ms, INT64_C(1773472364000));
}

static void test_nginx_codes(void **state)
{
  struct fixture *f = *state;
  expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x HTTP/1.1\" 200 1 \"-\" "
                   "cvs_code=-1", "-1", "200");
  struct rcw_match m =
    expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x HTTP/1.1\" 502 157 "
                     "\"-\" rt=30.0 cvs_code=- api_id=-", NULL, "502");
  assert_int_equal(m.pattern_index, 1);
  assert_null(m.dims[2].ptr); /* api_id=- is no api id */
  expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x HTTP/1.1\" 200 1 \"-\" "
                   "cvs_code=-", NULL, "200");
  expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x?q=\\\"a\\\" HTTP/1.1\" "
                   "404 1 \"-\" cvs_code=-", NULL, "404");
  /* no cvs_code field at all: not an Issuer API line */
  const char *plain = "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /healthz HTTP/1.1\" 200 2";
  expect_none(f->nginx, plain);
}

/* --- bytes, not text ------------------------------------------------------- */

static void test_trailing_cr(void **state)
{
  struct fixture *f = *state;
  expect(f->json, "{\"responseCode\":\"1204\"}\r", "1204", NULL);
  struct rcw_match m = expect(f->kv, "x responseCode=1204 responseDesc=Full\r", "1204", NULL);
  assert_field(&m.desc, "Full");
  m = expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x HTTP/1.1\" 502 1 "
                       "\"-\" cvs_code=-\r", NULL, "502");
  expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /x HTTP/1.1\" 200 1 "
                   "\"-\" cvs_code=1204\r", "1204", "200");
  expect(f->kv, "cvs_call httpStatus=503\r", NULL, "503");
}

static void test_nul_bytes(void **state)
{
  struct fixture *f = *state;
  const char kv[] = "2026-03-14 09:12:44,512 msg=\"a\0b\" responseCode=1204 responseDesc=\"x\0y\"";
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(f->kv, kv, sizeof(kv) - 1, ALL, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1204");
  assert_int_equal(m.desc.len, 3);
  assert_memory_equal(m.desc.ptr, "x\0y", 3);
  const char js[] = "{\"note\":\"\0\0\0\",\"responseCode\":\"7101\"}";
  assert_int_equal(rcw_parser_match(f->json, js, sizeof(js) - 1, ALL, &m), RCW_MATCH_OK);
  assert_field(&m.code, "7101");
  const char ng[] = "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /\0 HTTP/1.1\" 503 1 \"\0\" "
                    "cvs_code=-";
  assert_int_equal(rcw_parser_match(f->nginx, ng, sizeof(ng) - 1, ALL, &m), RCW_MATCH_OK);
  assert_field(&m.status, "503");
}

static void test_invalid_utf8(void **state)
{
  struct fixture *f = *state;
  expect(f->json, "{\"user\":\"\xff\xfe\xc3\x28\xe2\x82\",\"responseCode\":\"1209\"}", "1209", NULL);
  struct rcw_match m =
    expect(f->kv, "user=\xc0\xaf\xed\xa0\x80 responseCode=1204 responseDesc=\"\xff caf\xe9\"",
           "1204", NULL);
  assert_field(&m.desc, "\xff caf\xe9");
  expect(f->nginx, "1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /\xff\xfe HTTP/1.1\" 200 1 "
                   "\"\x80\" cvs_code=1300", "1300", "200");
}

static void test_empty_line(void **state)
{
  struct fixture *f = *state;
  expect_none(f->json, "");
  expect_none(f->kv, "");
  expect_none(f->nginx, "");
  expect_none(f->kv, "\r");
  expect_none(f->json, NULL);
}

/* 100 KiB: bigger than the splitter lets through, handled all the same. */
static void test_long_line(void **state)
{
  struct fixture *f = *state;
  size_t fill = 100 * 1024;
  char *js = long_line("{\"pad\":\"", fill, "\",\"responseCode\":\"1204\",\"responseDesc\":\"d\"}");
  struct rcw_match m = expect(f->json, js, "1204", NULL);
  assert_field(&m.desc, "d");
  free(js);
  char *kv = long_line("2026-03-14 09:12:44,512 pad=", fill, " httpStatus=503 responseDesc=\"z\"");
  m = expect(f->kv, kv, NULL, "503");
  assert_field(&m.ts, "2026-03-14 09:12:44,512");
  free(kv);
  char *ng = long_line("1.2.3.4 - - [14/Mar/2026:09:12:44 +0200] \"GET /", fill,
                       " HTTP/1.1\" 502 1 \"-\" cvs_code=-");
  expect(f->nginx, ng, NULL, "502");
  free(ng);
  char *none = long_line("", fill, "");
  expect_none(f->json, none);
  expect_none(f->kv, none);
  expect_none(f->nginx, none);
  free(none);
  /* an unterminated JSON string running to the end of a long line */
  char *open = long_line("{\"responseCode\":\"1204\",\"responseDesc\":\"", fill, "");
  m = expect(f->json, open, "1204", NULL);
  assert_null(m.desc.ptr);
  free(open);
}

/* --- 1306: one code, two meanings, told apart by the description ---------- */

static void test_1306(void **state)
{
  struct fixture *f = *state;
  assert_string_equal(category(f, f->kv, "cvs_call responseCode=1306 responseDesc=\"Another "
                                         "request issued at the same time. Failing call.\""),
                      "concurrency");
  assert_string_equal(category(f, f->kv, "cvs_call responseCode=1306 responseDesc=\"Required "
                                         "field missing\""),
                      "validation");
  assert_string_equal(category(f, f->kv, "cvs_call responseCode=1306"), "validation");
  assert_string_equal(category(f, f->json, "{\"responseCode\":\"1306\",\"responseDesc\":"
                                           "\"Another request issued at the same time. "
                                           "Failing call.\"}"),
                      "concurrency");
  assert_string_equal(category(f, f->json, "{\"responseCode\":1306,\"responseDesc\":\"Required "
                                           "field missing\"}"),
                      "validation");
  assert_string_equal(category(f, f->json, "{\"responseCode\":1306}"), "validation");
  assert_string_equal(category(f, f->json, json_sample), "stock");
}

/* Without a want, only the main pattern runs: the fields stay empty. */
static void test_lazy_fields(void **state)
{
  struct fixture *f = *state;
  struct rcw_match m;
  assert_int_equal(rcw_parser_match(f->kv, kv_sample, strlen(kv_sample), 0, &m), RCW_MATCH_OK);
  assert_field(&m.code, "1209");
  assert_null(m.status.ptr);
  assert_null(m.desc.ptr);
  assert_null(m.ts.ptr);
  assert_null(m.dims[0].ptr);
  rcw_parser_fill(f->kv, kv_sample, strlen(kv_sample), RCW_WANT_TS, &m);
  assert_field(&m.ts, "2026-03-14 09:12:44,512");
  assert_null(m.desc.ptr);
  rcw_parser_fill(f->kv, kv_sample, strlen(kv_sample), RCW_WANT_DIMS | RCW_WANT_STATUS, &m);
  assert_field(&m.dims[1], "48184");
  assert_field(&m.status, "200");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table),
    cmocka_unit_test(test_own_tests_pass),
    cmocka_unit_test(test_dimensions_declared),
    cmocka_unit_test(test_json_fields),
    cmocka_unit_test(test_json_code_forms),
    cmocka_unit_test(test_json_escaped_desc),
    cmocka_unit_test(test_json_status_only),
    cmocka_unit_test(test_kv_fields),
    cmocka_unit_test(test_kv_code_forms),
    cmocka_unit_test(test_kv_status_only),
    cmocka_unit_test(test_nginx_fields),
    cmocka_unit_test(test_nginx_codes),
    cmocka_unit_test(test_trailing_cr),
    cmocka_unit_test(test_nul_bytes),
    cmocka_unit_test(test_invalid_utf8),
    cmocka_unit_test(test_empty_line),
    cmocka_unit_test(test_long_line),
    cmocka_unit_test(test_1306),
    cmocka_unit_test(test_lazy_fields),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
