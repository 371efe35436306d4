/* Unit tests for parsers/detect.c: picking a parser from a log's first
 * lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parser.h"

#define JSON_LINE                                                                             \
  "{\"ts\":\"2026-03-14T09:12:44.512+02:00\",\"method\":\"POST\",\"status\":200,"             \
  "\"responseCode\":\"7101\",\"responseDesc\":\"Amount to issue exceeds available float.\"}\n"
#define JSON_503 "{\"path\":\"/cvs-issuer/rest/coupons\",\"status\":503}\n"
#define KV_LINE                                                                               \
  "2026-03-14 09:12:44,512 INFO  [exec-7] c.a.rewards.CvsClient - cvs_call method=POST "       \
  "endpoint=/coupons httpStatus=200 responseCode=1209 responseDesc=\"User limit.\"\n"
#define KV_503 "2026-03-14 09:12:46,100 WARN cvs_call httpStatus=503 latencyMs=30001\n"
#define NGINX_LINE                                                                            \
  "10.20.1.15 - - [14/Mar/2026:09:12:44 +0200] \"POST /cvs-issuer/rest/coupons HTTP/1.1\" "   \
  "200 412 \"okhttp/4.12.0\" rt=0.097 cvs_code=1204 api_id=AcmeProd\n"
#define NGINX_502                                                                             \
  "10.20.1.15 - - [14/Mar/2026:09:12:45 +0200] \"GET /x HTTP/1.1\" 502 1 \"-\" cvs_code=-\n"
#define OTHER "Mar 14 09:12:44 host systemd[1]: Started something.\n"

struct fixture {
  rcw_parser *ps[3]; /* json, kv, nginx */
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  rcw_diags *d = rcw_diags_new();
  assert_non_null(f);
  for (size_t i = 0; i < 3; i++) {
    f->ps[i] = rcw_parser_compile(rcw_builtin_parser(i), d);
    assert_non_null(f->ps[i]);
  }
  rcw_diags_free(d);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  for (size_t i = 0; i < 3; i++)
    rcw_parser_free(f->ps[i]);
  free(f);
  return 0;
}

static int detect(struct fixture *f, const char *sample)
{
  return rcw_detect_parser(f->ps, 3, sample, strlen(sample));
}

/* n copies of s, concatenated (caller frees). */
static char *repeat(const char *s, size_t n)
{
  size_t len = strlen(s);
  char *out = malloc(len * n + 1);
  assert_non_null(out);
  for (size_t i = 0; i < n; i++)
    memcpy(out + i * len, s, len);
  out[len * n] = '\0';
  return out;
}

static void test_each_format(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(detect(f, JSON_LINE JSON_LINE JSON_503), 0);
  assert_int_equal(detect(f, KV_LINE KV_503 KV_LINE), 1);
  assert_int_equal(detect(f, NGINX_LINE NGINX_502), 2);
  /* one line is enough, and the last line need not end in a newline */
  assert_int_equal(detect(f, "{\"responseCode\":-1}"), 0);
  assert_int_equal(detect(f, "x responseCode=-1"), 1);
}

static void test_status_only_counts(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(detect(f, JSON_503 JSON_503), 0);
  assert_int_equal(detect(f, KV_503), 1);
  assert_int_equal(detect(f, NGINX_502), 2);
}

static void test_mixed(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(detect(f, JSON_LINE KV_LINE KV_LINE NGINX_LINE OTHER KV_503), 1);
  assert_int_equal(detect(f, OTHER NGINX_LINE JSON_LINE NGINX_502 OTHER), 2);
  assert_int_equal(detect(f, OTHER OTHER JSON_LINE OTHER), 0);
}

static void test_ties_go_to_the_earlier(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(detect(f, KV_LINE JSON_LINE), 0);
  assert_int_equal(detect(f, NGINX_LINE KV_LINE), 1);
  rcw_parser *rev[3] = {f->ps[2], f->ps[1], f->ps[0]};
  const char *s = KV_LINE JSON_LINE;
  assert_int_equal(rcw_detect_parser(rev, 3, s, strlen(s)), 1);
}

static void test_none(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(detect(f, ""), -1);
  assert_int_equal(detect(f, "\n\n\r\n"), -1);
  assert_int_equal(detect(f, OTHER OTHER), -1);
  assert_int_equal(rcw_detect_parser(f->ps, 3, NULL, 0), -1);
  assert_int_equal(rcw_detect_parser(f->ps, 0, KV_LINE, strlen(KV_LINE)), -1);
  rcw_parser *holes[2] = {NULL, f->ps[1]};
  assert_int_equal(rcw_detect_parser(holes, 2, KV_LINE, strlen(KV_LINE)), 1);
}

/* Only the first 50 non-empty lines are looked at; blank lines are free. */
static void test_sample_window(void **state)
{
  struct fixture *f = *state;
  char *json = repeat(JSON_LINE "\n\r\n", 50);
  char *kv = repeat(KV_LINE, 200);
  size_t a = strlen(json), b = strlen(kv);
  char *s = malloc(a + b + 1);
  assert_non_null(s);
  memcpy(s, json, a);
  memcpy(s + a, kv, b + 1);
  assert_int_equal(detect(f, s), 0);
  /* one json line fewer and the kv lines get their say: 49 against 1 */
  assert_int_equal(detect(f, s + strlen(JSON_LINE "\n\r\n")), 0);
  char *json30 = repeat(JSON_LINE, 30);
  char *kv40 = repeat(KV_LINE, 40);
  char *mix = malloc(strlen(json30) + strlen(kv40) + 1);
  assert_non_null(mix);
  strcpy(mix, json30);
  strcat(mix, kv40);
  assert_int_equal(detect(f, mix), 0); /* 30 json against the first 20 kv */
  free(mix);
  free(json30);
  free(kv40);
  free(s);
  free(json);
  free(kv);
}

/* A line over the length cap is unmatched for every parser. */
static void test_overlong_line_skipped(void **state)
{
  struct fixture *f = *state;
  size_t n = RCW_LINE_MAX + 10;
  char *s = malloc(n + sizeof(KV_LINE) + 1);
  assert_non_null(s);
  memcpy(s, "{\"responseCode\":1,\"pad\":\"", 25);
  memset(s + 25, 'p', n - 25);
  s[n - 1] = '\n';
  memcpy(s + n, KV_LINE, sizeof(KV_LINE));
  assert_int_equal(rcw_detect_parser(f->ps, 3, s, strlen(s)), 1);
  free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_each_format),
    cmocka_unit_test(test_status_only_counts),
    cmocka_unit_test(test_mixed),
    cmocka_unit_test(test_ties_go_to_the_earlier),
    cmocka_unit_test(test_none),
    cmocka_unit_test(test_sample_window),
    cmocka_unit_test(test_overlong_line_skipped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
