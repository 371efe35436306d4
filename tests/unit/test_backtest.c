/* Unit tests for the backtest's per-entry memory of category and
 * success: events of many entries, most first seen mid-run, must count
 * as the catalog classifies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backtest.h"
#include "config.h"
#include "diag.h"

static const char yaml[] = "windows: [1m]\n"
                           "rules:\n"
                           "  - {name: rate, scope: total, window: 1m, above: 50%}\n";

static void event(rcw_backtest *bt, uint32_t entry, int64_t t)
{
  struct rcw_event ev = {.entry = entry, .has_time = true, .time_ms = t};
  rcw_backtest_event_cb(bt, &ev);
}

/* 100 successes, then 300 codes never seen before (failures), each its
 * own new entry: the one alert counts every event with its success. */
static void test_many_new_entries(void **state)
{
  (void)state;
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  assert_int_equal(rcw_config_load_string(yaml, strlen(yaml), "test", &cfg, d), 0);
  rcw_backtest *bt = NULL;
  assert_int_equal(rcw_backtest_new(cfg, d, &bt), 0);
  int64_t t0 = 1773479520000;
  uint32_t ok = rcw_catalog_classify(cfg->catalog, "-1", 2, NULL, 0, NULL);
  for (int i = 0; i < 100; i++)
    event(bt, ok, t0 + i);
  for (int i = 0; i < 300; i++) {
    char code[8];
    int n = snprintf(code, sizeof(code), "%d", 9000 + i);
    uint32_t e = rcw_catalog_classify(cfg->catalog, code, (size_t)n, NULL, 0, NULL);
    event(bt, e, t0 + 100 + i);
    event(bt, e, t0 + 100 + i); /* the second time from memory */
  }
  event(bt, RCW_ENTRY_NONE - 1, t0 + 500); /* no such entry: ignored */
  rcw_backtest_finish(bt);
  size_t n = 0;
  const struct rcw_alert *a = rcw_backtest_alerts(bt, &n);
  assert_int_equal(n, 1);
  assert_string_equal(a[0].rule, "rate");
  assert_int_equal(a[0].requests, 700);
  assert_int_equal(a[0].failures, 600);
  assert_int_equal(rcw_backtest_errors(bt), 0);
  rcw_backtest_free(bt);
  rcw_config_free(cfg);
  rcw_diags_free(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_many_new_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
