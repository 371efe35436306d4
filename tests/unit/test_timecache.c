/* Unit tests for rcw_time_parse_cached: with the minute cache, every text
 * reads exactly as without it, whatever came before — across second,
 * minute, hour, day and year boundaries, with offsets, out of order, and
 * after texts that do not parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "timefmt.h"

/* Parse text with and without the cache: same result, same value. */
static void same(const struct rcw_timefmt *tf, struct rcw_time_cache *cache, const char *text)
{
  int64_t plain = -7, cached = -7;
  int r1 = rcw_time_parse(tf, text, strlen(text), &plain);
  int r2 = rcw_time_parse_cached(tf, cache, text, strlen(text), &cached);
  if (r1 != r2 || plain != cached)
    fail_msg("\"%s\": %d/%lld without the cache, %d/%lld with it", text, r1, (long long)plain,
             r2, (long long)cached);
}

static void iso(struct rcw_timefmt *tf)
{
  char err[128];
  assert_int_equal(rcw_timefmt_init(tf, "iso8601", err, sizeof(err)), 0);
}

static void test_sequence(void **state)
{
  (void)state;
  static const char *const texts[] = {
    "2026-03-14 09:12:44,512",       "2026-03-14 09:12:44,513",
    "2026-03-14 09:12:45,001",       "2026-03-14 09:12:59.999",
    "2026-03-14 09:13:00.000",       "2026-03-14 09:12:59.998", /* back a minute */
    "2026-03-14 09:59:59.5",         "2026-03-14 10:00:00",
    "2026-03-14 23:59:60.250",       "2026-03-15 00:00:00.001",
    "2026-12-31T23:59:59.999Z",      "2027-01-01T00:00:00.000Z",
    "2028-02-29T12:00:00+02:00",     "2028-02-29T12:00:00-0530",
    "2028-02-29T12:00:00+01",        "2028-02-29T12:00+01:00",
    "2028-02-29T12:00Z",             "2028-02-29T12:00",
    "2028-02-29T12:00:01.123456789", "2028-02-29t12:00:01",
    "2028-02-29",                    "2028-02-29T12:00:01,5+14:00",
    "1969-12-31T23:59:59.999Z",      "1970-01-01T00:00:00Z",
    "2026-03-14 09:12:44,512",       /* an old minute again */
  };
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  iso(&tf);
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
    same(&tf, &cache, texts[i]);
  /* And in reverse order. */
  for (size_t i = sizeof(texts) / sizeof(texts[0]); i-- > 0;)
    same(&tf, &cache, texts[i]);
  rcw_timefmt_destroy(&tf);
}

/* Same 16-byte head, tails that must still fail or differ. */
static void test_bad_tails(void **state)
{
  (void)state;
  static const char *const texts[] = {
    "2026-03-14 09:12:44,512", "2026-03-14 09:12:61",     "2026-03-14 09:12:",
    "2026-03-14 09:12:4",      "2026-03-14 09:12:44x",    "2026-03-14 09:12:44+25:00",
    "2026-03-14 09:12:44+02:6", "2026-03-14 09:12:44 ",   "2026-03-14 09:12",
    "2026-03-14 09:12:44,",    "2026-03-14 09:12+02:00x", "2026-03-14 09:12:44,512",
  };
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  iso(&tf);
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
    same(&tf, &cache, texts[i]);
  rcw_timefmt_destroy(&tf);
}

/* Heads that do not parse never enter the cache; the next good one does. */
static void test_bad_heads(void **state)
{
  (void)state;
  static const char *const texts[] = {
    "2026-02-30 09:12:44", "2026-03-14 24:00:00", "2026-03-14 09:60:00",
    "2026-03-14x09:12:44", "2026-03-14 09:12:44", "2026-02-30 09:12:44",
    "2026-03-14 9:12:44",  "2026-03-1",           "",
  };
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  iso(&tf);
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    same(&tf, &cache, texts[i]);
    if (cache.valid)
      assert_memory_equal(cache.head, "2026-03-14 09:12", 16);
  }
  assert_true(cache.valid);
  rcw_timefmt_destroy(&tf);
}

/* The cache is what makes the second read cheap: it holds the minute. */
static void test_cache_holds_minute(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  int64_t ms;
  iso(&tf);
  const char *a = "2026-03-14T09:12:44.512+02:00";
  assert_int_equal(rcw_time_parse_cached(&tf, &cache, a, strlen(a), &ms), 0);
  assert_true(cache.valid);
  assert_memory_equal(cache.head, "2026-03-14T09:12", 16);
  /* 2026-03-14T09:12 as read, before the +02:00 offset. */
  assert_int_equal(cache.minute_ms, INT64_C(1773479520000));
  assert_int_equal(ms, INT64_C(1773479564512) - 2 * 3600 * 1000);
  rcw_timefmt_destroy(&tf);
}

/* One second and its neighbours: the second cache and the remembered
 * offset text must never carry over to a text that differs in either,
 * nor to one whose fraction is not exactly three digits. */
static void test_same_second(void **state)
{
  (void)state;
  static const char *const texts[] = {
    "2026-03-14 09:12:44,512",        "2026-03-14 09:12:44,513",
    "2026-03-14 09:12:44.999",        "2026-03-14 09:12:44,5",
    "2026-03-14 09:12:44,5129",       "2026-03-14 09:12:44,51",
    "2026-03-14 09:12:44",            "2026-03-14 09:12:44,",
    "2026-03-14 09:12:44,512Z",       "2026-03-14 09:12:44,513Z",
    "2026-03-14 09:12:44,514+02:00",  "2026-03-14 09:12:44,515+02:00",
    "2026-03-14 09:12:44,516-02:00",  "2026-03-14 09:12:44,517+0200",
    "2026-03-14 09:12:44,518+02",     "2026-03-14 09:12:44,519+02:00x",
    "2026-03-14 09:12:44,520+25:00",  "2026-03-14 09:12:44,521+02:00",
    "2026-03-14 09:12:44x521+02:00",  "2026-03-14 09:12:44,5x1+02:00",
    "2026-03-14 09:12:45,001+02:00",  "2026-03-14 09:12:45,002",
    "2026-03-14 09:12+02:00",         "2026-03-14 09:12:45,003+02:00",
    "2026-03-14 09:13:45,003+02:00",  "2026-03-14 09:12:45,004+02:00",
    "2026-03-14 09:12:60,000",        "2026-03-14 09:12:60,001",
    "2026-03-14 09:12:61,000",        "2026-03-14 09:12:44,512",
  };
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  iso(&tf);
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
      same(&tf, &cache, texts[i]);
    for (size_t i = sizeof(texts) / sizeof(texts[0]); i-- > 0;)
      same(&tf, &cache, texts[i]);
  }
  rcw_timefmt_destroy(&tf);
}

/* A cache left by one minute's second must not apply in the next
 * minute, even when the bytes after the minute are the same. */
static void test_second_follows_minute(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  int64_t a, b;
  iso(&tf);
  const char *t1 = "2026-03-14 09:12:44,512+01:00", *t2 = "2026-03-14 09:13:44,512+01:00";
  assert_int_equal(rcw_time_parse_cached(&tf, &cache, t1, strlen(t1), &a), 0);
  assert_true(cache.sec_valid);
  assert_int_equal(cache.second_ms, cache.minute_ms + 44000);
  assert_int_equal(rcw_time_parse_cached(&tf, &cache, t2, strlen(t2), &b), 0);
  assert_int_equal(b - a, 60000);
  assert_int_equal(a, INT64_C(1773479564512) - 3600 * 1000);
  /* A minute without seconds forgets the second it replaced. */
  const char *t3 = "2026-03-14 09:14Z", *t4 = "2026-03-14 09:14:44,512+01:00";
  assert_int_equal(rcw_time_parse_cached(&tf, &cache, t3, strlen(t3), &b), 0);
  assert_false(cache.sec_valid);
  assert_int_equal(rcw_time_parse_cached(&tf, &cache, t4, strlen(t4), &b), 0);
  assert_int_equal(b - a, 120000);
  rcw_timefmt_destroy(&tf);
}

/* Other formats ignore the cache and leave it alone. */
static void test_other_formats(void **state)
{
  (void)state;
  struct rcw_timefmt tf;
  struct rcw_time_cache cache = {0};
  char err[128];
  assert_int_equal(rcw_timefmt_init(&tf, "epoch_ms", err, sizeof(err)), 0);
  same(&tf, &cache, "1773479564512");
  same(&tf, &cache, "2026-03-14T09:12:44Z");
  assert_false(cache.valid);
  rcw_timefmt_destroy(&tf);
  assert_int_equal(rcw_timefmt_init(&tf, "%d/%b/%Y:%H:%M:%S %z", err, sizeof(err)), 0);
  same(&tf, &cache, "14/Mar/2026:09:12:44 +0200");
  assert_false(cache.valid);
  rcw_timefmt_destroy(&tf);
  int64_t ms;
  iso(&tf);
  assert_int_equal(rcw_time_parse_cached(&tf, NULL, "2026-03-14T09:12:44Z", 20, &ms), 0);
  rcw_timefmt_destroy(&tf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sequence),
    cmocka_unit_test(test_bad_tails),
    cmocka_unit_test(test_bad_heads),
    cmocka_unit_test(test_cache_holds_minute),
    cmocka_unit_test(test_other_formats),
    cmocka_unit_test(test_same_second),
    cmocka_unit_test(test_second_follows_minute),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
