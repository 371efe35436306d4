/* Unit tests for parsers/timefmt.c: event times to epoch milliseconds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* 2026-03-14T09:12:44.512Z */
#define T0 INT64_C(1773479564512)

static int64_t parse_ok(const char *spec, const char *text)
{
  struct rcw_timefmt tf;
  char err[256];
  int64_t ms = -42;
  assert_int_equal(rcw_timefmt_init(&tf, spec, err, sizeof(err)), 0);
  int r = rcw_time_parse(&tf, text, strlen(text), &ms);
  if (r != 0)
    fail_msg("\"%s\" as %s: %d", text, spec ? spec : "(null)", r);
  rcw_timefmt_destroy(&tf);
  return ms;
}

static void parse_bad(const char *spec, const char *text)
{
  struct rcw_timefmt tf;
  char err[256];
  int64_t ms = 7;
  assert_int_equal(rcw_timefmt_init(&tf, spec, err, sizeof(err)), 0);
  if (rcw_time_parse(&tf, text, strlen(text), &ms) != -EINVAL)
    fail_msg("\"%s\" as %s should not parse", text, spec);
  assert_int_equal(ms, 7); /* output untouched on failure */
  rcw_timefmt_destroy(&tf);
}

static void test_days_from_civil(void **state)
{
  (void)state;
  assert_int_equal(rcw_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(rcw_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(rcw_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(rcw_days_from_civil(2000, 2, 29), 11016);
  assert_int_equal(rcw_days_from_civil(1900, 3, 1), -25508);
  assert_int_equal(rcw_days_from_civil(0, 3, 1), -719468);
  assert_int_equal(rcw_days_from_civil(2026, 3, 14), 20526);
}

/* The calendar must agree with libc's timegm over a long span. */
static void test_days_against_timegm(void **state)
{
  (void)state;
  for (int64_t d = -800000; d < 800000; d += 997) {
    time_t t = (time_t)(d * 86400);
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    assert_int_equal(rcw_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                                         (unsigned)tm.tm_mday),
                     d);
  }
}

static void test_iso_variants(void **state)
{
  (void)state;
  assert_int_equal(parse_ok("iso8601", "2026-03-14T09:12:44.512Z"), T0);
  assert_int_equal(parse_ok(NULL, "2026-03-14T09:12:44.512Z"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T11:12:44.512+02:00"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T11:12:44.512+0200"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T11:12:44.512+02"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T03:42:44.512-05:30"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14 09:12:44,512"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14t09:12:44.512z"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T09:12:44.512987654Z"), T0);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T09:12:44.5Z"), T0 - 12);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T09:12:44Z"), T0 - 512);
  assert_int_equal(parse_ok("iso8601", "2026-03-14T09:12Z"), T0 - 44512);
  assert_int_equal(parse_ok("iso8601", "2026-03-14"), T0 - (9 * 3600 + 12 * 60 + 44) * 1000 - 512);
  assert_int_equal(parse_ok("iso8601", "1969-12-31T23:59:59.999Z"), -1);
  assert_int_equal(parse_ok("iso8601", "2024-02-29T00:00:00Z"), INT64_C(1709164800000));
  /* a leap second lands on the next minute */
  assert_int_equal(parse_ok("iso8601", "2016-12-31T23:59:60Z"), INT64_C(1483228800000));
}

static void test_iso_invalid(void **state)
{
  (void)state;
  const char *bad[] = {
    "", "2026", "2026-03", "2026-3-14", "2026-13-01", "2026-00-10", "2026-02-29",
    "2026-04-31", "2026-03-14T", "2026-03-14T24:00:00Z", "2026-03-14T09:60:00Z",
    "2026-03-14T09:12:61Z", "2026-03-14T09:12:44+2", "2026-03-14T09:12:44+24:00",
    "2026-03-14T09:12:44+02:60", "2026-03-14T09:12:44Zjunk", "2026-03-14T09:12:44 ",
    "2026-03-14X09:12:44", "14/Mar/2026:09:12:44 +0200", "1773479564",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    parse_bad("iso8601", bad[i]);
}

/* Text is bytes with a length: nothing past len is read. */
static void test_not_nul_terminated(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  char err[64];
  int64_t ms;
  const char *s = "2026-03-14T09:12:44.512Z\",\"level\":\"WARN\"";
  assert_int_equal(rcw_timefmt_init(&tf, "iso8601", err, sizeof(err)), 0);
  assert_int_equal(rcw_time_parse(&tf, s, 24, &ms), 0);
  assert_int_equal(ms, T0);
  assert_int_equal(rcw_time_parse(&tf, s, 23, &ms), 0); /* the Z cut off: still UTC */
  assert_int_equal(rcw_time_parse(&tf, s, 25, &ms), -EINVAL);
  assert_int_equal(rcw_time_parse(&tf, NULL, 0, &ms), -EINVAL);
  const char with_nul[] = "2026-03-14T09:12\0:44Z";
  assert_int_equal(rcw_time_parse(&tf, with_nul, sizeof(with_nul) - 1, &ms), -EINVAL);
  rcw_timefmt_destroy(&tf);
}

static void test_epoch(void **state)
{
  (void)state;
  assert_int_equal(parse_ok("epoch", "1773479564"), T0 - 512);
  assert_int_equal(parse_ok("epoch", "1773479564.512"), T0);
  assert_int_equal(parse_ok("epoch", "1773479564.5129"), T0);
  assert_int_equal(parse_ok("epoch", "1773479564.5"), T0 - 12);
  assert_int_equal(parse_ok("epoch", "0"), 0);
  assert_int_equal(parse_ok("epoch", "-1.5"), -1500);
  assert_int_equal(parse_ok("epoch_ms", "1773479564512"), T0);
  assert_int_equal(parse_ok("epoch_ms", "1773479564512.9"), T0);
  assert_int_equal(parse_ok("epoch_ms", "-1"), -1);
  const char *bad[] = {"", "-", "abc", "1e9", "1773479564x", " 1773479564", "+5",
                       "1234567890123456", "1.2.3",
                       /* far more digits than int64 holds: refused, no overflow */
                       "99999999999999999999999999999999999999"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    parse_bad("epoch", bad[i]);
    parse_bad("epoch_ms", bad[i]);
  }
}

#define NGINX_FMT "%d/%b/%Y:%H:%M:%S %z"

static void test_nginx(void **state)
{
  (void)state;
  assert_int_equal(parse_ok(NGINX_FMT, "14/Mar/2026:11:12:44 +0200"), T0 - 512);
  assert_int_equal(parse_ok(NGINX_FMT, "14/mar/2026:09:12:44 +0000"), T0 - 512);
  assert_int_equal(parse_ok(NGINX_FMT, "14/Mar/2026:04:12:44 -0500"), T0 - 512);
  assert_int_equal(parse_ok(NGINX_FMT, "01/Jan/1970:00:00:00 +0000"), 0);
  assert_int_equal(parse_ok(NGINX_FMT, "31/Dec/1969:23:59:59 +0000"), -1000);
  /* not the exact nginx shape: strptime still reads it */
  assert_int_equal(parse_ok(NGINX_FMT, "4/Mar/2026:09:12:44 +0000"),
                   T0 - 512 - INT64_C(10) * 86400000);
  parse_bad(NGINX_FMT, "14/Foo/2026:09:12:44 +0200");
  parse_bad(NGINX_FMT, "31/Feb/2026:09:12:44 +0200");
  parse_bad(NGINX_FMT, "14/Mar/2026:25:12:44 +0200");
  parse_bad(NGINX_FMT, "14/Mar/2026:09:12:44");
  parse_bad(NGINX_FMT, "14/Mar/2026:09:12:44 +0200 trailing");
  parse_bad(NGINX_FMT, "2026-03-14T09:12:44Z");
}

static void test_strptime_other(void **state)
{
  (void)state;
  assert_int_equal(parse_ok("%Y-%m-%d %H:%M:%S", "2026-03-14 09:12:44"), T0 - 512);
  assert_int_equal(parse_ok("%d.%m.%Y %H:%M:%S %z", "14.03.2026 10:12:44 +0100"), T0 - 512);
  assert_int_equal(parse_ok("%b %d %Y %H:%M:%S", "Mar 14 2026 09:12:44"), T0 - 512);
  parse_bad("%Y-%m-%d %H:%M:%S", "2026-03-14");
  /* longer than any time text: refused, not truncated */
  char big[300];
  memset(big, '1', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  parse_bad("%Y%m%d", big);
}

/* Neither TZ nor the locale changes what a time means. */
static void test_tz_independent(void **state)
{
  (void)state;
  const char *old = getenv("TZ");
  char *saved = old ? strdup(old) : NULL;
  setenv("TZ", "America/New_York", 1);
  tzset();
  assert_int_equal(parse_ok("%Y-%m-%d %H:%M:%S", "2026-03-14 09:12:44"), T0 - 512);
  assert_int_equal(parse_ok("iso8601", "2026-03-14 09:12:44,512"), T0);
  assert_int_equal(parse_ok(NGINX_FMT, "4/Mar/2026:09:12:44 +0000"),
                   T0 - 512 - INT64_C(10) * 86400000);
  if (saved)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  tzset();
  free(saved);
}

static void test_init(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  char err[256];
  assert_int_equal(rcw_timefmt_init(&tf, NULL, err, sizeof(err)), 0);
  assert_int_equal(tf.kind, RCW_TIME_ISO8601);
  assert_int_equal(rcw_timefmt_init(&tf, "epoch", err, sizeof(err)), 0);
  assert_int_equal(tf.kind, RCW_TIME_EPOCH);
  assert_int_equal(rcw_timefmt_init(&tf, "epoch_ms", err, sizeof(err)), 0);
  assert_int_equal(tf.kind, RCW_TIME_EPOCH_MS);
  assert_int_equal(rcw_timefmt_init(&tf, NGINX_FMT, err, sizeof(err)), 0);
  assert_int_equal(tf.kind, RCW_TIME_STRPTIME);
  assert_string_equal(tf.strptime_format, NGINX_FMT);
  rcw_timefmt_destroy(&tf);
  rcw_timefmt_destroy(&tf); /* twice is harmless */
  rcw_timefmt_destroy(NULL);

  assert_int_equal(rcw_timefmt_init(&tf, "isoo8601", err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "unknown time format \"isoo8601\""));
  assert_int_equal(rcw_timefmt_init(&tf, "%s", err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "%s is not supported"));
  assert_int_equal(rcw_timefmt_init(&tf, "%Y-%Q", err, sizeof(err)), -EINVAL);
  assert_int_equal(rcw_timefmt_init(&tf, "%Y-%", err, sizeof(err)), -EINVAL);
  char longfmt[200];
  memset(longfmt, 'x', sizeof(longfmt) - 1);
  longfmt[0] = '%';
  longfmt[1] = 'Y';
  longfmt[sizeof(longfmt) - 1] = '\0';
  assert_int_equal(rcw_timefmt_init(&tf, longfmt, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "longer than"));
}

static void test_format_iso(void **state)
{
  (void)state;
  char out[RCW_TIME_ISO_LEN];
  rcw_time_format_iso(0, out);
  assert_string_equal(out, "1970-01-01T00:00:00.000Z");
  rcw_time_format_iso(-1, out);
  assert_string_equal(out, "1969-12-31T23:59:59.999Z");
  rcw_time_format_iso(T0, out);
  assert_string_equal(out, "2026-03-14T09:12:44.512Z");
  rcw_time_format_iso(INT64_C(1796378400000), out);
  assert_string_equal(out, "2026-12-04T10:00:00.000Z");
  rcw_time_format_iso(INT64_C(-62135596800000), out);
  assert_string_equal(out, "0001-01-01T00:00:00.000Z");
  rcw_time_format_iso(INT64_MIN, out); /* absurd, but no crash, no overflow */
  assert_true(strlen(out) < RCW_TIME_ISO_LEN);
  rcw_time_format_iso(INT64_MAX, out);
  assert_true(strlen(out) < RCW_TIME_ISO_LEN);
}

/* format then parse gives back the same instant, either side of 1970. */
static void test_roundtrip(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  char err[64], out[RCW_TIME_ISO_LEN];
  assert_int_equal(rcw_timefmt_init(&tf, "iso8601", err, sizeof(err)), 0);
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t ms = (int64_t)(x % UINT64_C(315000000000000)) - INT64_C(62000000000000); /* years 3..9951 */
    int64_t back;
    rcw_time_format_iso(ms, out);
    assert_int_equal(rcw_time_parse(&tf, out, strlen(out), &back), 0);
    assert_int_equal(back, ms);
  }
  rcw_timefmt_destroy(&tf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_days_from_civil),
    cmocka_unit_test(test_days_against_timegm),
    cmocka_unit_test(test_iso_variants),
    cmocka_unit_test(test_iso_invalid),
    cmocka_unit_test(test_not_nul_terminated),
    cmocka_unit_test(test_epoch),
    cmocka_unit_test(test_nginx),
    cmocka_unit_test(test_strptime_other),
    cmocka_unit_test(test_tz_independent),
    cmocka_unit_test(test_init),
    cmocka_unit_test(test_format_iso),
    cmocka_unit_test(test_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
