/* The backtest counts the events of a second per entry and adds them to
 * the windows as one count when the second ends.  Its alerts must be
 * those of adding every event on its own, which the backtest still does
 * when the rules watch a dimension: the same events through both, with
 * times in order, out of order, missing and far apart, give the same
 * alerts (the dimension rule's own aside). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest.h"
#include "config.h"
#include "diag.h"

#define RULES                                                                              \
  "rules:\n"                                                                               \
  "  - {name: rate, scope: total, window: 1m, above: 30%, clear_below: 20%}\n"             \
  "  - {name: count, scope: total, metric: count, window: 5m, above: 40}\n"                \
  "  - {name: stock, scope: category, match: stock, window: 1m, above: 10%}\n"             \
  "  - {name: codes, scope: code, match: \"*\", window: 5m, above: 15%, repeat: 2m}\n"

static const char batched_yaml[] = "windows: [1m, 5m]\n" RULES;
/* The same, plus a rule over a dimension the events never carry. */
static const char single_yaml[] = "windows: [1m, 5m]\n" RULES
                                  "  - {name: dim, scope: dimension, dimension: campaign,"
                                  " match: '*', metric: count, window: 1m, above: 1000000}\n";

struct run {
  rcw_diags *d;
  struct rcw_config *cfg;
  rcw_backtest *bt;
};

static void run_open(struct run *r, const char *yaml)
{
  r->d = rcw_diags_new();
  if (rcw_config_load_string(yaml, strlen(yaml), "test", &r->cfg, r->d) != 0) {
    rcw_diags_print(r->d, stderr);
    fail();
  }
  assert_int_equal(rcw_backtest_new(r->cfg, r->d, &r->bt), 0);
}

static void run_close(struct run *r)
{
  rcw_backtest_free(r->bt);
  rcw_config_free(r->cfg);
  rcw_diags_free(r->d);
}

static uint32_t entry_of(struct run *r, const char *code)
{
  return rcw_catalog_classify(r->cfg->catalog, code, strlen(code), NULL, 0, NULL);
}

static bool same_alert(const struct rcw_alert *a, const struct rcw_alert *b)
{
  return a->at == b->at && a->state == b->state && strcmp(a->rule, b->rule) == 0 &&
         strcmp(a->key ? a->key : "", b->key ? b->key : "") == 0 &&
         a->requests == b->requests && a->failures == b->failures && a->value == b->value;
}

static void assert_same_alerts(struct run *batched, struct run *single)
{
  size_t na = 0, nb = 0, j = 0;
  const struct rcw_alert *a = rcw_backtest_alerts(batched->bt, &na);
  const struct rcw_alert *b = rcw_backtest_alerts(single->bt, &nb);
  assert_true(na > 10); /* the stream must make the rules fire and clear */
  for (size_t i = 0; i < na; i++, j++) {
    while (j < nb && strcmp(b[j].rule, "dim") == 0)
      j++;
    assert_true(j < nb);
    if (!same_alert(&a[i], &b[j]))
      fail_msg("alert %zu: %s %s at %lld (%llu/%llu) vs %s %s at %lld (%llu/%llu)", i,
               a[i].rule, a[i].key, (long long)a[i].at, (unsigned long long)a[i].requests,
               (unsigned long long)a[i].failures, b[j].rule, b[j].key, (long long)b[j].at,
               (unsigned long long)b[j].requests, (unsigned long long)b[j].failures);
  }
  while (j < nb && strcmp(b[j].rule, "dim") == 0)
    j++;
  assert_int_equal(j, nb);
}

static void test_batched_alerts_equal_single_adds(void **state)
{
  (void)state;
  static const char *const codes[] = {"-1", "-1", "-1", "-1", "1204", "1209", "3001", "7111"};
  struct run batched, single;
  run_open(&batched, batched_yaml);
  run_open(&single, single_yaml);
  srand(7);
  int64_t t = 1773471600000; /* 2026-03-14 07:00 */
  for (int i = 0; i < 60000; i++) {
    int r = rand() % 1000;
    /* Phases of many failures, so rules fire and clear. */
    size_t ncodes = (i / 5000) % 2 ? 8 : 4;
    const char *code = codes[(size_t)rand() % ncodes];
    struct rcw_event ev = {.has_time = r >= 5, .time_ms = t};
    if (r >= 5 && r < 30)
      ev.time_ms = t - rand() % 400000; /* old, some too old for a window */
    ev.entry = entry_of(&batched, code);
    rcw_backtest_event_cb(batched.bt, &ev);
    ev.entry = entry_of(&single, code);
    rcw_backtest_event_cb(single.bt, &ev);
    t += r < 995 ? rand() % 60 : 100000 + rand() % 400000;
  }
  rcw_backtest_finish(batched.bt);
  rcw_backtest_finish(single.bt);
  assert_same_alerts(&batched, &single);
  assert_int_equal(rcw_backtest_untimed(batched.bt), rcw_backtest_untimed(single.bt));
  assert_int_equal(rcw_backtest_errors(batched.bt), 0);
  run_close(&batched);
  run_close(&single);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batched_alerts_equal_single_adds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
