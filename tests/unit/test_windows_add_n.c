/* rcw_windows_add_n must leave the windows exactly as n calls of
 * rcw_windows_add would: the same counts, late counts, now and latest,
 * with events pending, crossing buckets, old and late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "windows.h"

#define NENTRIES 5

static rcw_windows *make(const int64_t *spans, size_t n)
{
  struct rcw_windows_spec spec = {.windows_ms = spans, .nwindows = n};
  rcw_windows *w = NULL;
  assert_int_equal(rcw_windows_new(&spec, &w), 0);
  return w;
}

static void assert_same(const rcw_windows *a, const rcw_windows *b)
{
  assert_int_equal(rcw_windows_now(a), rcw_windows_now(b));
  assert_int_equal(rcw_windows_latest(a), rcw_windows_latest(b));
  for (size_t i = 0; i < rcw_windows_count(a); i++) {
    struct rcw_win_counts ta = rcw_windows_total(a, i), tb = rcw_windows_total(b, i);
    assert_int_equal(ta.requests, tb.requests);
    assert_int_equal(ta.failures, tb.failures);
    assert_int_equal(rcw_windows_late(a, i), rcw_windows_late(b, i));
    for (uint32_t c = 0; c < 3; c++) {
      struct rcw_win_counts ca = rcw_windows_category(a, i, c);
      struct rcw_win_counts cb = rcw_windows_category(b, i, c);
      assert_int_equal(ca.requests, cb.requests);
      assert_int_equal(ca.failures, cb.failures);
    }
    for (uint32_t e = 0; e < NENTRIES; e++)
      assert_int_equal(rcw_windows_entry(a, i, e), rcw_windows_entry(b, i, e));
  }
  size_t na, nb;
  const uint32_t *ea = rcw_windows_entries_seen(a, &na);
  const uint32_t *eb = rcw_windows_entries_seen(b, &nb);
  assert_int_equal(na, nb);
  for (size_t k = 0; k < na; k++)
    assert_int_equal(ea[k], eb[k]);
}

/* Random runs against single adds, for one set of spans. */
static void compare_runs(const int64_t *spans, size_t nspans, unsigned seed)
{
  rcw_windows *a = make(spans, nspans), *b = make(spans, nspans);
  srand(seed);
  int64_t t = 1773471600000; /* 2026-03-14 07:00 */
  for (int step = 0; step < 3000; step++) {
    int r = rand() % 100;
    if (r < 60)
      t += rand() % 400;
    else if (r < 62)
      t += 20000 + rand() % 200000; /* a gap: buckets fall out */
    int64_t at = r >= 95 ? t - rand() % 4000000 : t; /* now and then an old one */
    uint32_t entry = (uint32_t)(rand() % NENTRIES);
    struct rcw_win_event ev = {
        .time_ms = at, .entry = entry, .category = entry % 3, .failure = entry % 2 == 1,
    };
    uint32_t n = (uint32_t)(rand() % 6);
    assert_int_equal(rcw_windows_add_n(a, &ev, n), 0);
    for (uint32_t k = 0; k < n; k++)
      assert_int_equal(rcw_windows_add(b, &ev), 0);
    assert_same(a, b);
  }
  rcw_windows_free(a);
  rcw_windows_free(b);
}

static void test_whole_second_buckets(void **state)
{
  (void)state;
  static const int64_t spans[] = {60000, 300000, 900000, 3600000};
  compare_runs(spans, 4, 1);
}

static void test_uneven_buckets(void **state)
{
  (void)state;
  static const int64_t spans[] = {250, 10000, 90000, 300000};
  compare_runs(spans, 4, 2);
}

static void test_invalid_entry(void **state)
{
  (void)state;
  static const int64_t spans[] = {60000};
  rcw_windows *w = make(spans, 1);
  struct rcw_win_event ev = {.time_ms = 1000, .entry = RCW_ENTRY_NONE, .category = 0};
  assert_int_equal(rcw_windows_add_n(w, &ev, 3), -EINVAL);
  assert_int_equal(rcw_windows_total(w, 0).requests, 0);
  rcw_windows_free(w);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_whole_second_buckets),
      cmocka_unit_test(test_uneven_buckets),
      cmocka_unit_test(test_invalid_entry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
