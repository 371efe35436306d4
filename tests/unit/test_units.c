/* Durations and ratios as the config writes them (CONTRACT §2). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static int64_t dur(const char *s)
{
  int64_t ms = -12345;
  assert_int_equal(rcw_parse_duration(s, &ms), 0);
  return ms;
}

static void assert_bad_duration(const char *s)
{
  int64_t ms = -12345;
  assert_int_equal(rcw_parse_duration(s, &ms), -EINVAL);
  assert_int_equal(ms, -12345); /* untouched on failure */
}

static void test_duration_units(void **state)
{
  (void)state;
  assert_int_equal(dur("250ms"), 250);
  assert_int_equal(dur("30s"), 30000);
  assert_int_equal(dur("5m"), 300000);
  assert_int_equal(dur("2h"), 7200000);
  assert_int_equal(dur("1d"), 86400000);
  assert_int_equal(dur("0"), 0);
  assert_int_equal(dur("0s"), 0);
  assert_int_equal(dur("007s"), 7000);
}

static void test_duration_compound(void **state)
{
  (void)state;
  assert_int_equal(dur("1h30m"), 5400000);
  assert_int_equal(dur("1d2h3m4s5ms"), 86400000 + 7200000 + 180000 + 4000 + 5);
  assert_int_equal(dur("1m500ms"), 60500);
  /* units largest first, each once */
  assert_bad_duration("30m1h");
  assert_bad_duration("1m1m");
  assert_bad_duration("1s1m");
}

static void test_duration_rejects(void **state)
{
  (void)state;
  const char *bad[] = {"", "5", "90", "m", "5 m", " 5m", "5m ", "-5m", "+5m", "1.5m",
                       "5min", "5M", "5mss", "1w", "5ms5", "0x10s", "1e3ms"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_bad_duration(bad[i]);
  assert_int_equal(rcw_parse_duration(NULL, &(int64_t){0}), -EINVAL);
}

static void test_duration_overflow(void **state)
{
  (void)state;
  assert_bad_duration("9223372036854775808ms");
  assert_bad_duration("106751991167301d"); /* days * 86400000 > INT64_MAX */
  assert_int_equal(dur("9223372036854775807ms"), INT64_MAX);
  assert_bad_duration("106751991167d1ms99999999999999999s");
}

static void assert_ratio(const char *s, double want)
{
  double v = -1;
  assert_int_equal(rcw_parse_ratio(s, &v), 0);
  assert_float_equal(v, want, 1e-12);
}

static void test_ratio(void **state)
{
  (void)state;
  assert_ratio("2.5%", 0.025);
  assert_ratio("0.025", 0.025);
  assert_ratio("2%", 0.02);
  assert_ratio("0", 0);
  assert_ratio("0%", 0);
  assert_ratio("100%", 1.0);
  assert_ratio(".5", 0.5);
  assert_ratio("1.", 1.0);
  assert_ratio("150%", 1.5); /* a range check is the caller's (a count may exceed 1) */
  assert_ratio("12", 12.0);
}

static void test_ratio_rejects(void **state)
{
  (void)state;
  const char *bad[] = {"", "%", ".", ".%", "-1%", "-0.5", "+1", "nan", "inf", "1e-2",
                       "0x1p3", "2 %", " 2%", "2%%", "2.5.1", "2,5%", "two"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    double v = -7;
    assert_int_equal(rcw_parse_ratio(bad[i], &v), -EINVAL);
    assert_float_equal(v, -7, 0);
  }
  assert_int_equal(rcw_parse_ratio(NULL, &(double){0}), -EINVAL);
}

static void assert_format(int64_t ms, const char *want)
{
  char buf[32];
  rcw_format_duration(ms, buf, sizeof(buf));
  assert_string_equal(buf, want);
}

static void test_format_duration(void **state)
{
  (void)state;
  assert_format(0, "0");
  assert_format(300000, "5m");
  assert_format(3600000, "1h");
  assert_format(86400000, "1d");
  assert_format(90000, "90s");
  assert_format(1500, "1500ms");
  assert_format(250, "250ms");
  assert_format(7 * 86400000LL, "7d");
  assert_format(-60000, "-1m");
  assert_format(INT64_MIN, "-9223372036854775808ms");
}

static void test_format_round_trips(void **state)
{
  (void)state;
  const int64_t values[] = {1, 999, 1000, 59000, 60000, 61000, 3599000, 3600000, 86400000,
                            172800000, 123456789};
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    char buf[32];
    int64_t back = -1;
    rcw_format_duration(values[i], buf, sizeof(buf));
    assert_int_equal(rcw_parse_duration(buf, &back), 0);
    assert_int_equal(back, values[i]);
  }
}

static void test_format_truncates(void **state)
{
  (void)state;
  char buf[3] = {'x', 'x', 'x'};
  rcw_format_duration(300000000, buf, sizeof(buf)); /* "5000m" does not fit */
  assert_int_equal(buf[2], '\0');
  assert_string_equal(buf, "50");
  rcw_format_duration(1, buf, 0); /* must not write */
  assert_string_equal(buf, "50");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_duration_units),    cmocka_unit_test(test_duration_compound),
    cmocka_unit_test(test_duration_rejects),  cmocka_unit_test(test_duration_overflow),
    cmocka_unit_test(test_ratio),             cmocka_unit_test(test_ratio_rejects),
    cmocka_unit_test(test_format_duration),   cmocka_unit_test(test_format_round_trips),
    cmocka_unit_test(test_format_truncates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
