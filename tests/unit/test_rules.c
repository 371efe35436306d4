/* Unit tests for the rule engine: each rule option alone and combined,
 * hysteresis, min_requests, `for`, repeat, "*" keys, code keys over
 * several meanings, dimension rules and their overflow key, inhibition,
 * severity defaults, alert fields and descriptions, second-by-second
 * evaluation, checkpoints and reloads.  Time is injected: no test sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "catalog.h"
#include "config.h"
#include "diag.h"
#include "rules.h"
#include "windows.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)

static const int64_t spans[] = {1 * M, 5 * M, 1 * H};

struct fx {
  rcw_catalog *c;
  rcw_windows *w;
  rcw_rules *r;
  struct rcw_alert **a;
  size_t n, cap;
};

static void collect(void *ctx, const struct rcw_alert *a)
{
  struct fx *f = ctx;
  if (f->n == f->cap) {
    f->cap = f->cap ? 2 * f->cap : 16;
    f->a = realloc(f->a, f->cap * sizeof(*f->a));
    assert_non_null(f->a);
  }
  f->a[f->n++] = rcw_alert_dup(a);
}

static void clear_alerts(struct fx *f)
{
  for (size_t i = 0; i < f->n; i++)
    rcw_alert_free(f->a[i]);
  f->n = 0;
}

/* A rule with every option at its neutral value. */
static struct rcw_rule_spec base(const char *name, enum rcw_scope scope, char **match,
                                 size_t nmatch, enum rcw_metric metric, double above)
{
  return (struct rcw_rule_spec){.name = (char *)name, .scope = scope, .match = match,
                                .nmatch = nmatch, .match_all = match == NULL,
                                .metric = metric, .window_ms = 1 * M, .above = above,
                                .clear_below = above, .min_requests = 0, .severity = -1};
}

static void fx_open(struct fx *f, const struct rcw_rule_spec *rules, size_t n, size_t cap)
{
  memset(f, 0, sizeof(*f));
  f->c = rcw_catalog_new_default();
  const char *dims[] = {"campaign"};
  struct rcw_windows_spec ws = {spans, 3, cap, dims, 1, rules, n, f->c};
  assert_int_equal(rcw_windows_new(&ws, &f->w), 0);
  assert_int_equal(rcw_rules_new(rules, n, f->c, f->w, NULL, &f->r), 0);
}

static void fx_close(struct fx *f)
{
  clear_alerts(f);
  free(f->a);
  rcw_rules_free(f->r);
  rcw_windows_free(f->w);
  rcw_catalog_free(f->c);
}

/* n requests of code (with a logged description and a campaign) at t. */
static void hit_full(struct fx *f, int64_t t, const char *code, const char *desc,
                     const char *campaign, int n)
{
  uint32_t id = rcw_catalog_classify(f->c, code, strlen(code), desc, desc ? strlen(desc) : 0,
                                     NULL);
  const struct rcw_entry *e = rcw_catalog_entry(f->c, id);
  struct rcw_field dim = {campaign, campaign ? strlen(campaign) : 0};
  struct rcw_win_event ev = {t, id, e->category, !e->success, &dim, NULL, 1};
  for (int i = 0; i < n; i++)
    assert_int_equal(rcw_windows_add(f->w, &ev), 0);
}

static void hit(struct fx *f, int64_t t, const char *code, int n)
{
  hit_full(f, t, code, NULL, NULL, n);
}

static void eval(struct fx *f, int64_t t)
{
  assert_int_equal(rcw_rules_evaluate(f->r, t, collect, f), 0);
}

static void eval_seconds(struct fx *f, int64_t from, int64_t to)
{
  for (int64_t t = from; t <= to; t += S)
    eval(f, t);
}

static void assert_alert(const struct rcw_alert *a, enum rcw_alert_state state, int64_t at,
                         const char *key)
{
  assert_non_null(a);
  assert_int_equal(a->state, state);
  assert_int_equal(a->at, at);
  assert_string_equal(a->key, key);
}

/* --- thresholds -------------------------------------------------------- */

static void test_fires_strictly_above_with_fields(void **state)
{
  (void)state;
  char *m[] = {"auth"};
  struct rcw_rule_spec rule = base("auth-failures", RCW_SCOPE_CATEGORY, m, 1,
                                   RCW_METRIC_FAILURE_RATE, 0.5);
  rule.window_ms = 5 * M;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit(&f, 10 * S, "-1", 5);
  hit(&f, 10 * S, "1001", 5);
  eval(&f, 10 * S);
  assert_int_equal(f.n, 0); /* exactly at the threshold: not above */
  hit(&f, 11 * S, "1000", 2);
  hit(&f, 11 * S, "-1", 2);
  eval(&f, 12 * S); /* 7 of 14 */
  assert_int_equal(f.n, 0);
  hit(&f, 12 * S, "1001", 1);
  eval(&f, 13 * S); /* 8 of 15 */
  assert_int_equal(f.n, 1);
  const struct rcw_alert *a = f.a[0];
  assert_alert(a, RCW_ALERT_FIRING, 13 * S, "auth");
  assert_string_equal(a->rule, "auth-failures");
  assert_int_equal(a->severity, RCW_SEV_CRITICAL);
  assert_int_equal(a->scope, RCW_SCOPE_CATEGORY);
  assert_int_equal(a->window_ms, 5 * M);
  assert_int_equal(a->metric, RCW_METRIC_FAILURE_RATE);
  assert_true(a->value > 0.5333 && a->value < 0.5334);
  assert_true(a->threshold == 0.5);
  assert_int_equal(a->requests, 15);
  assert_int_equal(a->failures, 8);
  assert_string_equal(a->description,
                      "auth failures at 53.3% of 15 requests over 5m (threshold 50%): "
                      "API credentials wrong or inactive: every call fails");
  eval_seconds(&f, 14 * S, 20 * S);
  assert_int_equal(f.n, 1); /* firing is sent once */
  fx_close(&f);
}

/* The same input, with and without hysteresis. */
static size_t flap(double clear_below, struct fx *f)
{
  char *m[] = {"auth"};
  struct rcw_rule_spec rule = base("auth", RCW_SCOPE_CATEGORY, m, 1, RCW_METRIC_COUNT, 10);
  rule.clear_below = clear_below;
  fx_open(f, &rule, 1, 0);
  hit(f, 0, "1001", 4);
  hit(f, 10 * S, "1001", 8);
  eval_seconds(f, 10 * S, 60 * S); /* 12: fires at 10 s; at 60 s the first 4 leave: 8 */
  hit(f, 61 * S, "1001", 4);
  eval_seconds(f, 61 * S, 69 * S); /* 12 again */
  eval(f, 70 * S);                 /* the 8 of 10 s leave: 4 */
  return f->n;
}

static void test_clear_below_holds_back_flapping(void **state)
{
  (void)state;
  struct fx f;
  assert_int_equal(flap(5, &f), 2);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 10 * S, "auth");
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 70 * S, "auth");
  assert_true(f.a[1]->threshold == 5);
  assert_true(f.a[1]->value == 4);
  assert_string_equal(f.a[1]->description,
                      "auth failures down to 4 of 4 requests over 1m (clears at 5): "
                      "API credentials wrong or inactive: every call fails");
  fx_close(&f);
  /* Without clear_below (= above) the dip to 8 resolves and 12 fires again. */
  assert_int_equal(flap(10, &f), 4);
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 60 * S, "auth");
  assert_alert(f.a[2], RCW_ALERT_FIRING, 61 * S, "auth");
  assert_alert(f.a[3], RCW_ALERT_RESOLVED, 70 * S, "auth");
  fx_close(&f);
}

static void test_min_requests(void **state)
{
  (void)state;
  struct rcw_rule_spec rule = base("total", RCW_SCOPE_TOTAL, NULL, 0,
                                   RCW_METRIC_FAILURE_RATE, 0.5);
  rule.min_requests = 20;
  rule.for_ms = 3 * S;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  /* A quiet night: 3 requests, all failing, is 100% but stays silent. */
  hit(&f, 0, "1204", 3);
  eval_seconds(&f, 0, 30 * S);
  assert_int_equal(f.n, 0);
  assert_int_equal(rcw_rules_active(f.r), 0);
  /* 17 more: 20 requests, 20 failures; pending for 3 s, then firing. */
  hit(&f, 31 * S, "1204", 17);
  eval_seconds(&f, 31 * S, 33 * S);
  assert_int_equal(f.n, 0);
  assert_int_equal(rcw_rules_active(f.r), 1);
  eval(&f, 34 * S);
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 34 * S, "total");
  assert_string_equal(f.a[0]->description,
                      "all failures at 100% of 20 requests over 1m (threshold 50%)");
  /* The outage traffic leaves; a trickle of 5 good requests is too little
   * to call it over ... */
  hit(&f, 70 * S, "-1", 5);
  eval_seconds(&f, 70 * S, 91 * S);
  assert_int_equal(f.n, 1);
  /* ... but a window with no requests at all resolves. */
  eval(&f, 130 * S);
  assert_int_equal(f.n, 2);
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 130 * S, "total");
  assert_int_equal(f.a[1]->requests, 0);
  assert_string_equal(f.a[1]->description, "all failures resolved: no requests over 1m");
  /* Pending falls back when the requests drop below min_requests. */
  hit(&f, 200 * S, "1204", 25);
  hit(&f, 230 * S, "1204", 5);
  eval(&f, 200 * S);
  assert_int_equal(rcw_rules_active(f.r), 1);
  eval(&f, 261 * S); /* 5 requests, all failing: below min_requests */
  assert_int_equal(rcw_rules_active(f.r), 0);
  assert_int_equal(f.n, 2);
  fx_close(&f);
}

static void test_count_ignores_min_requests(void **state)
{
  (void)state;
  struct rcw_rule_spec rule = base("few", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 2);
  rule.min_requests = 1000;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit(&f, 0, "1204", 3);
  eval(&f, 0);
  assert_int_equal(f.n, 1);
  assert_true(f.a[0]->value == 3);
  assert_string_equal(f.a[0]->description,
                      "all failures: 3 of 3 requests over 1m (threshold 2)");
  fx_close(&f);
}

/* --- for and repeat ---------------------------------------------------- */

static void test_for_waits_and_restarts(void **state)
{
  (void)state;
  char *m[] = {"auth"};
  struct rcw_rule_spec rule = base("auth", RCW_SCOPE_CATEGORY, m, 1, RCW_METRIC_COUNT, 0);
  rule.for_ms = 30 * S;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit(&f, 0, "1001", 1);
  eval_seconds(&f, 0, 29 * S);
  assert_int_equal(f.n, 0);
  eval(&f, 30 * S); /* held for exactly 30 s */
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 30 * S, "auth");
  fx_close(&f);

  fx_open(&f, &rule, 1, 0);
  hit(&f, 0, "1001", 1);
  eval_seconds(&f, 0, 60 * S); /* fires at 30 s, resolves when the event leaves */
  assert_int_equal(f.n, 2);
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 60 * S, "auth");
  clear_alerts(&f);
  /* Holds from 100 s, drops (the window empties) at 160 s, holds again
   * from 170 s: the wait starts over. */
  hit(&f, 100 * S, "1001", 1);
  eval_seconds(&f, 100 * S, 120 * S);
  eval(&f, 160 * S);
  hit(&f, 170 * S, "1001", 1);
  eval_seconds(&f, 170 * S, 199 * S); /* the wait restarted at 170 s */
  assert_int_equal(f.n, 0);
  eval(&f, 200 * S);
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 200 * S, "auth");
  fx_close(&f);
}

static void test_repeat_resends(void **state)
{
  (void)state;
  char *m[] = {"stock"};
  struct rcw_rule_spec rule = base("stock", RCW_SCOPE_CATEGORY, m, 1, RCW_METRIC_COUNT, 5);
  rule.window_ms = 1 * H;
  rule.repeat_ms = 10 * M;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit(&f, 0, "1204", 6);
  for (int64_t t = 0; t <= 25 * M; t += 30 * S)
    eval(&f, t);
  assert_int_equal(f.n, 3);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "stock");
  assert_alert(f.a[1], RCW_ALERT_FIRING, 10 * M, "stock");
  assert_alert(f.a[2], RCW_ALERT_FIRING, 20 * M, "stock");
  hit(&f, 26 * M, "1204", 4);
  eval(&f, 30 * M);
  assert_int_equal(f.n, 4);
  assert_int_equal(f.a[3]->failures, 10); /* a repeat carries current values */
  fx_close(&f);
}

static void test_options_combined(void **state)
{
  (void)state;
  char *m[] = {"validation"};
  struct rcw_rule_spec rule = base("deploy-bug", RCW_SCOPE_CATEGORY, m, 1,
                                   RCW_METRIC_FAILURE_RATE, 0.2);
  rule.clear_below = 0.1;
  rule.min_requests = 10;
  rule.for_ms = 2 * S;
  rule.repeat_ms = 5 * S;
  rule.severity = RCW_SEV_INFO;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit(&f, 0, "1205", 3);
  hit(&f, 0, "-1", 7); /* 30% of 10 */
  eval_seconds(&f, 0, 1 * S);
  assert_int_equal(f.n, 0);
  eval_seconds(&f, 2 * S, 12 * S); /* fires at 2 s, repeats at 7 s and 12 s */
  assert_int_equal(f.n, 3);
  assert_int_equal(f.a[0]->severity, RCW_SEV_INFO);
  assert_int_equal(f.a[2]->at, 12 * S);
  hit(&f, 13 * S, "-1", 5); /* 3 of 15: 20%, between clear_below and above */
  eval(&f, 13 * S);
  assert_int_equal(f.n, 3);
  hit(&f, 14 * S, "-1", 15); /* 3 of 30: 10%, at clear_below */
  eval(&f, 14 * S);
  assert_int_equal(f.n, 4);
  assert_alert(f.a[3], RCW_ALERT_RESOLVED, 14 * S, "validation");
  assert_true(f.a[3]->threshold == 0.1);
  fx_close(&f);
}

/* --- keys --------------------------------------------------------------- */

static void test_star_keys_are_independent(void **state)
{
  (void)state;
  struct rcw_rule_spec rule = base("per-category", RCW_SCOPE_CATEGORY, NULL, 0,
                                   RCW_METRIC_COUNT, 2);
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  assert_int_equal(rcw_rules_state_count(f.r), 0);
  hit(&f, 0, "1001", 3);
  hit(&f, 0, "1204", 1);
  eval(&f, 0);
  assert_int_equal(rcw_rules_state_count(f.r), 2); /* keys join as first seen */
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "auth");
  hit(&f, 30 * S, "1204", 4);
  eval(&f, 30 * S);
  assert_int_equal(f.n, 2);
  assert_alert(f.a[1], RCW_ALERT_FIRING, 30 * S, "stock");
  eval(&f, 60 * S); /* auth's 3 leave; stock keeps 4 */
  assert_int_equal(f.n, 3);
  assert_alert(f.a[2], RCW_ALERT_RESOLVED, 60 * S, "auth");
  fx_close(&f);
}

static void test_code_keys(void **state)
{
  (void)state;
  char *list[] = {"1306", "1001"};
  struct rcw_rule_spec rules[] = {
    base("codes", RCW_SCOPE_CODE, list, 2, RCW_METRIC_COUNT, 3),
    base("any-code", RCW_SCOPE_CODE, NULL, 0, RCW_METRIC_FAILURE_RATE, 0.9),
  };
  struct fx f;
  fx_open(&f, rules, 2, 0);
  /* Both meanings of 1306 count for the one code key. */
  hit_full(&f, 0, "1306", "Another request issued at the same time.", NULL, 2);
  hit_full(&f, 0, "1306", "Required field missing", NULL, 2);
  hit(&f, 0, "1005", 9); /* not in the list */
  hit(&f, 0, "-1", 1);
  eval(&f, 0);
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "1306");
  assert_string_equal(f.a[0]->rule, "codes");
  assert_int_equal(f.a[0]->failures, 4);
  assert_int_equal(f.a[0]->requests, 14);
  assert_int_equal(f.a[0]->severity, RCW_SEV_WARNING);
  assert_string_equal(f.a[0]->description,
                      "code 1306 failures: 4 of 14 requests over 1m (threshold 3): "
                      "Another request issued at the same time. Failing call. / "
                      "Required field missing");
  /* "*" joins every code seen, success included; -1 never has failures. */
  assert_int_equal(rcw_rules_state_count(f.r), 1 + 3);
  fx_close(&f);
}

static void test_dimension_rules(void **state)
{
  (void)state;
  char *stock[] = {"stock"};
  struct rcw_rule_spec rule = base("campaign-stock", RCW_SCOPE_DIMENSION, NULL, 0,
                                   RCW_METRIC_FAILURE_RATE, 0.5);
  rule.dimension = "campaign";
  rule.categories = stock;
  rule.ncategories = 1;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  hit_full(&f, 0, "1204", NULL, "48184", 6);
  hit_full(&f, 0, "-1", NULL, "48184", 4);
  hit_full(&f, 0, "1001", NULL, "9000", 6); /* auth, not stock */
  hit_full(&f, 0, "-1", NULL, "9000", 4);
  hit(&f, 0, "1204", 50); /* no campaign: counts for no value */
  eval(&f, 0);
  assert_int_equal(f.n, 1);
  const struct rcw_alert *a = f.a[0];
  assert_alert(a, RCW_ALERT_FIRING, 0, "48184");
  assert_int_equal(a->scope, RCW_SCOPE_DIMENSION);
  assert_int_equal(a->requests, 10);
  assert_int_equal(a->failures, 6);
  assert_int_equal(a->severity, RCW_SEV_WARNING);
  assert_string_equal(a->description,
                      "campaign 48184 stock failures at 60% of 10 requests over 1m "
                      "(threshold 50%)");
  fx_close(&f);
}

static void test_dimension_overflow_key(void **state)
{
  (void)state;
  struct rcw_rule_spec rule = base("per-campaign", RCW_SCOPE_DIMENSION, NULL, 0,
                                   RCW_METRIC_COUNT, 2);
  rule.dimension = "campaign";
  struct fx f;
  fx_open(&f, &rule, 1, 2);
  hit_full(&f, 0, "1204", NULL, "a", 1);
  hit_full(&f, 0, "1204", NULL, "b", 1);
  hit_full(&f, 0, "1204", NULL, "c", 2);
  hit_full(&f, 0, "1204", NULL, "d", 1);
  eval(&f, 0);
  assert_int_equal(rcw_rules_state_count(f.r), 3);
  assert_int_equal(rcw_windows_value_overflow(f.w, 0), 3);
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "_other");
  fx_close(&f);
}

static void test_state_cap(void **state)
{
  (void)state;
  enum { NRULES = 101 };
  struct rcw_rule_spec rules[NRULES];
  char names[NRULES][16];
  for (int i = 0; i < NRULES; i++) {
    snprintf(names[i], sizeof(names[i]), "r%d", i);
    rules[i] = base(names[i], RCW_SCOPE_DIMENSION, NULL, 0, RCW_METRIC_COUNT, 5);
    rules[i].dimension = "campaign";
  }
  struct fx f;
  fx_open(&f, rules, NRULES, 0);
  char v[16];
  for (int i = 0; i < 1000; i++) {
    snprintf(v, sizeof(v), "%d", i);
    hit_full(&f, 0, "1204", NULL, v, 1);
  }
  eval(&f, 0);
  assert_int_equal(rcw_rules_state_count(f.r), RCW_RULES_MAX_STATES);
  assert_int_equal(rcw_rules_dropped(f.r), NRULES * 1000 - RCW_RULES_MAX_STATES);
  fx_close(&f);
}

/* --- inhibition --------------------------------------------------------- */

static struct fx *inhibit_fx(struct fx *f, double cat_above, double code_above)
{
  static char *auth[] = {"auth"};
  static struct rcw_rule_spec rules[2];
  rules[0] = base("codes", RCW_SCOPE_CODE, NULL, 0, RCW_METRIC_COUNT, code_above);
  rules[1] = base("auth", RCW_SCOPE_CATEGORY, auth, 1, RCW_METRIC_COUNT, cat_above);
  fx_open(f, rules, 2, 0);
  return f;
}

static void test_inhibition_releases_held_alert(void **state)
{
  (void)state;
  struct fx f;
  inhibit_fx(&f, 5, 2);
  hit(&f, 0, "1001", 6);
  hit(&f, 30 * S, "1001", 4);
  eval_seconds(&f, 0, 59 * S);
  assert_int_equal(f.n, 1); /* the category alert; 1001's is held back */
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "auth");
  size_t held = 0;
  assert_int_equal(rcw_rules_active(f.r), 2);
  rcw_rules_firing(f.r, false, collect, &f);
  held = f.n;
  assert_int_equal(held, 2); /* the sent one only */
  rcw_rules_firing(f.r, true, collect, &f);
  assert_int_equal(f.n, 4); /* ... and with the held one, in rule order */
  assert_string_equal(f.a[2]->key, "1001");
  assert_int_equal(f.a[2]->at, 0);
  assert_string_equal(f.a[3]->key, "auth");
  f.n = 1;
  for (size_t i = 1; i < 4; i++)
    rcw_alert_free(f.a[i]);
  eval(&f, 60 * S); /* 4 left: auth resolves (<= 5), 1001 still above 2 */
  assert_int_equal(f.n, 3);
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 60 * S, "auth");
  assert_alert(f.a[2], RCW_ALERT_FIRING, 60 * S, "1001");
  assert_string_equal(f.a[2]->description,
                      "code 1001 failures: 4 of 4 requests over 1m (threshold 2): "
                      "Interface Authentication Failed. Invalid password. "
                      "(held back while the auth category alert was firing)");
  eval(&f, 90 * S);
  assert_int_equal(f.n, 4);
  assert_alert(f.a[3], RCW_ALERT_RESOLVED, 90 * S, "1001");
  fx_close(&f);
}

static void test_held_alert_that_resolves_is_never_sent(void **state)
{
  (void)state;
  struct fx f;
  inhibit_fx(&f, 1, 5);
  hit(&f, 0, "1001", 6);
  hit(&f, 30 * S, "1000", 3);
  eval_seconds(&f, 0, 60 * S); /* at 60 s 1001 drops to 0 while held */
  assert_int_equal(f.n, 1);
  assert_alert(f.a[0], RCW_ALERT_FIRING, 0, "auth");
  eval_seconds(&f, 61 * S, 95 * S);
  assert_int_equal(f.n, 2);
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, 90 * S, "auth");
  fx_close(&f);
}

static void test_sent_code_alert_is_not_taken_back(void **state)
{
  (void)state;
  static char *rep[] = {"auth"};
  struct rcw_rule_spec rules[2] = {
    base("codes", RCW_SCOPE_CODE, NULL, 0, RCW_METRIC_COUNT, 2),
    base("auth", RCW_SCOPE_CATEGORY, rep, 1, RCW_METRIC_COUNT, 5),
  };
  rules[0].repeat_ms = 10 * S;
  struct fx f;
  fx_open(&f, rules, 2, 0);
  hit(&f, 0, "1001", 3);
  eval(&f, 0);
  assert_int_equal(f.n, 1); /* 1001 first: nothing holds it */
  hit(&f, 5 * S, "1001", 3);
  eval_seconds(&f, 5 * S, 59 * S);
  assert_int_equal(f.n, 2); /* auth fires at 5 s; 1001's repeats wait */
  assert_alert(f.a[1], RCW_ALERT_FIRING, 5 * S, "auth");
  eval(&f, 60 * S); /* 3 left: auth resolves; a repeat of 1001 is due again */
  assert_int_equal(f.n, 4);
  assert_alert(f.a[2], RCW_ALERT_RESOLVED, 60 * S, "auth");
  assert_alert(f.a[3], RCW_ALERT_FIRING, 60 * S, "1001");
  eval(&f, 65 * S);
  assert_int_equal(f.n, 5);
  assert_alert(f.a[4], RCW_ALERT_RESOLVED, 65 * S, "1001");
  fx_close(&f);
}

/* --- severity ------------------------------------------------------------- */

static void test_severity_defaults(void **state)
{
  (void)state;
  struct rcw_rule_spec rules[] = {
    base("cat", RCW_SCOPE_CATEGORY, NULL, 0, RCW_METRIC_COUNT, 0),
    base("total", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 0),
    base("dim", RCW_SCOPE_DIMENSION, NULL, 0, RCW_METRIC_COUNT, 0),
    base("forced", RCW_SCOPE_CATEGORY, NULL, 0, RCW_METRIC_COUNT, 0),
  };
  rules[2].dimension = "campaign";
  rules[3].severity = RCW_SEV_CRITICAL;
  struct fx f;
  fx_open(&f, rules, 4, 0);
  hit_full(&f, 0, "1209", NULL, "7", 1); /* user_limit: info */
  eval(&f, 0);
  assert_int_equal(f.n, 4);
  assert_string_equal(f.a[0]->rule, "cat");
  assert_int_equal(f.a[0]->severity, RCW_SEV_INFO);
  assert_string_equal(f.a[1]->rule, "total");
  assert_int_equal(f.a[1]->severity, RCW_SEV_WARNING);
  assert_string_equal(f.a[2]->rule, "dim");
  assert_int_equal(f.a[2]->severity, RCW_SEV_WARNING);
  assert_string_equal(f.a[3]->rule, "forced");
  assert_int_equal(f.a[3]->severity, RCW_SEV_CRITICAL);
  fx_close(&f);
  /* A code: its category's; for a code of several meanings the highest
   * of those seen. */
  struct rcw_rule_spec code = base("code", RCW_SCOPE_CODE, NULL, 0, RCW_METRIC_COUNT, 0);
  fx_open(&f, &code, 1, 0);
  const char *codes[] = {"1209", "1204", "1306"};
  const enum rcw_severity want[] = {RCW_SEV_INFO, RCW_SEV_CRITICAL, RCW_SEV_WARNING};
  for (int i = 0; i < 3; i++) {
    hit(&f, i * S, codes[i], 1);
    eval(&f, i * S);
    assert_int_equal(f.n, (size_t)i + 1);
    assert_string_equal(f.a[i]->key, codes[i]);
    assert_int_equal(f.a[i]->severity, want[i]);
  }
  /* 1306's other meaning, in a category made critical, raises the key. */
  assert_int_equal(rcw_catalog_set_category(f.c, "concurrency", "retry storm",
                                            RCW_SEV_CRITICAL), 0);
  hit_full(&f, 3 * S, "1306", "issued at the same time", NULL, 1);
  eval(&f, 3 * S);
  clear_alerts(&f);
  rcw_rules_firing(f.r, false, collect, &f);
  assert_int_equal(f.n, 3);
  assert_string_equal(f.a[2]->key, "1306");
  assert_int_equal(f.a[2]->severity, RCW_SEV_CRITICAL);
  fx_close(&f);
}

/* --- time ------------------------------------------------------------------ */

static void test_evaluate_through(void **state)
{
  (void)state;
  char *m[] = {"auth"};
  struct rcw_rule_spec rule = base("auth", RCW_SCOPE_CATEGORY, m, 1, RCW_METRIC_COUNT, 0);
  rule.for_ms = 5 * S;
  struct fx f;
  fx_open(&f, &rule, 1, 0);
  int64_t t0 = 1700000000000LL;
  /* The scan loop: before each event, evaluate the seconds before it. */
  int64_t times[] = {t0 + 200, t0 + 3 * S + 1, t0 + 9 * S + 500, t0 + 30 * 86400 * S};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(rcw_rules_evaluate_through(f.r, times[i] - 1, collect, &f), 0);
    hit(&f, times[i], "1001", 1);
  }
  /* Pending from t0+1s (the first second that saw the event at t0+200). */
  assert_int_equal(f.n, 2);
  assert_alert(f.a[0], RCW_ALERT_FIRING, t0 + 6 * S, "auth");
  /* Resolved the second the 9.5 s event left the 1m window, not at the end
   * of the month-long gap, which was skipped. */
  assert_alert(f.a[1], RCW_ALERT_RESOLVED, t0 + 69 * S, "auth");
  assert_int_equal(rcw_rules_last_evaluation(f.r), t0 + 30 * 86400 * S - 1000);
  assert_int_equal(rcw_rules_active(f.r), 0);
  fx_close(&f);
}

/* --- diagnostics ------------------------------------------------------------ */

static void test_bad_rules(void **state)
{
  (void)state;
  char *nope[] = {"no_such_category"};
  struct rcw_rule_spec rules[] = {
    base("win", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 1),
    base("cat", RCW_SCOPE_CATEGORY, nope, 1, RCW_METRIC_COUNT, 1),
    base("dim", RCW_SCOPE_DIMENSION, NULL, 0, RCW_METRIC_COUNT, 1),
    base("hyst", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 1),
  };
  rules[0].window_ms = 7 * M;
  rules[0].loc = (struct rcw_loc){"rcwatch.yaml", 12, 5};
  rules[2].dimension = "endpoint";
  rules[3].clear_below = 2;
  rcw_catalog *c = rcw_catalog_new_default();
  const char *dims[] = {"campaign"};
  struct rcw_windows_spec ws = {spans, 3, 0, dims, 1, NULL, 0, c};
  rcw_windows *w;
  assert_int_equal(rcw_windows_new(&ws, &w), 0);
  rcw_diags *d = rcw_diags_new();
  rcw_rules *r = NULL;
  assert_int_equal(rcw_rules_new(rules, 4, c, w, d, &r), -EINVAL);
  assert_null(r);
  assert_int_equal(rcw_diags_count(d), 4);
  const struct rcw_diag *first = rcw_diags_get(d, 0);
  assert_string_equal(first->file, "rcwatch.yaml");
  assert_int_equal(first->line, 12);
  assert_string_equal(first->message,
                      "rule win: window is not one of the configured windows: 7m");
  assert_non_null(strstr(rcw_diags_get(d, 1)->message, "no_such_category"));
  assert_non_null(strstr(rcw_diags_get(d, 2)->message, "endpoint"));
  assert_non_null(strstr(rcw_diags_get(d, 3)->message, "clear_below"));
  rcw_diags_free(d);
  rcw_windows_free(w);
  rcw_catalog_free(c);
}

/* --- checkpoints and reloads --------------------------------------------------- */

static struct rcw_rule_spec ckpt_rules[4];

static void ckpt_open(struct fx *f)
{
  static char *auth[] = {"auth"};
  ckpt_rules[0] = base("codes", RCW_SCOPE_CODE, NULL, 0, RCW_METRIC_COUNT, 2);
  ckpt_rules[1] = base("auth", RCW_SCOPE_CATEGORY, auth, 1, RCW_METRIC_COUNT, 5);
  ckpt_rules[2] = base("slow", RCW_SCOPE_DIMENSION, NULL, 0, RCW_METRIC_COUNT, 1);
  ckpt_rules[2].dimension = "campaign";
  ckpt_rules[2].window_ms = 1 * H;
  ckpt_rules[2].for_ms = 2 * M;
  ckpt_rules[3] = base("rep", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 1);
  ckpt_rules[3].repeat_ms = 7 * S;
  fx_open(f, ckpt_rules, 4, 0);
}

/* Alerts of both runs, field by field. */
static void assert_same_alerts(const struct fx *a, const struct fx *b)
{
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_int_equal(a->a[i]->at, b->a[i]->at);
    assert_int_equal(a->a[i]->state, b->a[i]->state);
    assert_string_equal(a->a[i]->rule, b->a[i]->rule);
    assert_string_equal(a->a[i]->key, b->a[i]->key);
    assert_string_equal(a->a[i]->description, b->a[i]->description);
    assert_int_equal(a->a[i]->failures, b->a[i]->failures);
  }
}

static void ckpt_feed(struct fx *f)
{
  hit_full(f, 0, "1001", NULL, "48184", 6); /* auth fires, 1001 held */
  eval_seconds(f, 0, 9 * S);
  hit_full(f, 10 * S, "1204", NULL, "9000", 3); /* 1204 fires; 9000 pending */
  eval_seconds(f, 10 * S, 20 * S);
}

static void test_save_load_round_trip(void **state)
{
  (void)state;
  struct fx a, b;
  ckpt_open(&a);
  ckpt_open(&b);
  ckpt_feed(&a);
  struct rcw_buf wblob = RCW_BUF_INIT, rblob = RCW_BUF_INIT, again = RCW_BUF_INIT;
  assert_int_equal(rcw_windows_save(a.w, a.c, &wblob), 0);
  assert_int_equal(rcw_rules_save(a.r, &rblob), 0);
  assert_int_equal(rcw_windows_load(b.w, b.c, wblob.data, wblob.len), 0);
  assert_int_equal(rcw_rules_load(b.r, rblob.data, rblob.len), 0);
  assert_int_equal(rcw_rules_active(b.r), rcw_rules_active(a.r));
  assert_int_equal(rcw_rules_last_evaluation(b.r), 20 * S);
  assert_int_equal(rcw_rules_save(b.r, &again), 0);
  assert_int_equal(again.len, rblob.len);
  assert_memory_equal(again.data, rblob.data, rblob.len);
  /* From here on both engines must send exactly the same alerts. */
  clear_alerts(&a);
  for (int64_t t = 21 * S; t <= 2 * H; t += S) {
    if (t == 30 * S) {
      hit_full(&a, t, "1000", NULL, "48184", 1);
      hit_full(&b, t, "1000", NULL, "48184", 1);
    }
    if (t % (5 * M) == 0) {
      hit_full(&a, t, "1204", NULL, "9000", 2);
      hit_full(&b, t, "1204", NULL, "9000", 2);
    }
    eval(&a, t);
    eval(&b, t);
  }
  assert_true(a.n > 5);
  assert_same_alerts(&a, &b);
  rcw_buf_free(&wblob);
  rcw_buf_free(&rblob);
  rcw_buf_free(&again);
  fx_close(&a);
  fx_close(&b);
}

static void test_load_garbage(void **state)
{
  (void)state;
  struct fx a, b;
  ckpt_open(&a);
  ckpt_open(&b);
  ckpt_feed(&a);
  hit(&b, 0, "1001", 6);
  eval(&b, 0);
  size_t active = rcw_rules_active(b.r);
  struct rcw_buf blob = RCW_BUF_INIT;
  assert_int_equal(rcw_rules_save(a.r, &blob), 0);
  for (size_t n = 0; n < blob.len; n++) {
    assert_int_equal(rcw_rules_load(b.r, blob.data, n), -EINVAL);
    assert_int_equal(rcw_rules_active(b.r), active); /* unchanged */
  }
  unsigned char *copy = malloc(blob.len + 1);
  memcpy(copy, blob.data, blob.len);
  assert_int_equal(rcw_rules_load(b.r, copy, blob.len + 1), -EINVAL);
  uint64_t seed = 3;
  for (int k = 0; k < 3000; k++) {
    memcpy(copy, blob.data, blob.len);
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    copy[(seed >> 33) % blob.len] ^= (unsigned char)(1 + (seed >> 20) % 255);
    int r = rcw_rules_load(b.r, copy, blob.len);
    assert_true(r == 0 || r == -EINVAL);
    assert_int_equal(rcw_rules_evaluate(b.r, 30 * S, NULL, NULL), 0);
  }
  free(copy);
  rcw_buf_free(&blob);
  fx_close(&a);
  fx_close(&b);
}

static void test_adopt_on_reload(void **state)
{
  (void)state;
  struct fx old;
  ckpt_open(&old);
  ckpt_feed(&old);
  clear_alerts(&old);
  /* The new config drops "codes", keeps "auth" with another threshold,
   * narrows "slow" to one campaign and adds a rule. */
  static char *auth[] = {"auth"};
  static char *one[] = {"9000"};
  struct rcw_rule_spec rules[] = {
    base("auth", RCW_SCOPE_CATEGORY, auth, 1, RCW_METRIC_COUNT, 4),
    base("slow", RCW_SCOPE_DIMENSION, one, 1, RCW_METRIC_COUNT, 1),
    base("new", RCW_SCOPE_TOTAL, NULL, 0, RCW_METRIC_COUNT, 100),
  };
  rules[1].dimension = "campaign";
  rules[1].window_ms = 1 * H;
  rules[1].for_ms = 2 * M;
  struct fx nw;
  fx_open(&nw, rules, 3, 0);
  assert_int_equal(rcw_windows_adopt(nw.w, nw.c, old.w, old.c), 0);
  assert_int_equal(rcw_rules_adopt(nw.r, old.r, 21 * S, collect, &nw), 0);
  /* 1204's and the total's alerts were sent and their rules are gone:
   * resolved now.  1001's was held, never sent: nothing to take back. */
  assert_int_equal(nw.n, 2);
  assert_alert(nw.a[0], RCW_ALERT_RESOLVED, 21 * S, "1204");
  assert_string_equal(nw.a[0]->rule, "codes");
  assert_string_equal(nw.a[0]->description,
                      "codes alert for 1204 resolved: the rule was removed or changed by a "
                      "config reload");
  assert_alert(nw.a[1], RCW_ALERT_RESOLVED, 21 * S, "total");
  assert_string_equal(nw.a[1]->rule, "rep");
  /* auth stays firing (no second firing); 9000 stays pending from 10 s. */
  eval_seconds(&nw, 21 * S, 30 * S);
  assert_int_equal(nw.n, 2);
  assert_int_equal(rcw_rules_active(nw.r), 2);
  clear_alerts(&nw);
  rcw_rules_firing(nw.r, false, collect, &nw);
  assert_int_equal(nw.n, 1);
  assert_alert(nw.a[0], RCW_ALERT_FIRING, 0, "auth");
  clear_alerts(&nw);
  hit_full(&nw, 31 * S, "1204", NULL, "9000", 5);
  eval_seconds(&nw, 31 * S, 200 * S);
  assert_int_equal(nw.n, 2); /* auth resolved at 60 s; 9000 fired 2m after 10 s */
  assert_alert(nw.a[0], RCW_ALERT_RESOLVED, 60 * S, "auth");
  assert_alert(nw.a[1], RCW_ALERT_FIRING, 130 * S, "9000");
  fx_close(&old);
  fx_close(&nw);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fires_strictly_above_with_fields),
    cmocka_unit_test(test_clear_below_holds_back_flapping),
    cmocka_unit_test(test_min_requests),
    cmocka_unit_test(test_count_ignores_min_requests),
    cmocka_unit_test(test_for_waits_and_restarts),
    cmocka_unit_test(test_repeat_resends),
    cmocka_unit_test(test_options_combined),
    cmocka_unit_test(test_star_keys_are_independent),
    cmocka_unit_test(test_code_keys),
    cmocka_unit_test(test_dimension_rules),
    cmocka_unit_test(test_dimension_overflow_key),
    cmocka_unit_test(test_state_cap),
    cmocka_unit_test(test_inhibition_releases_held_alert),
    cmocka_unit_test(test_held_alert_that_resolves_is_never_sent),
    cmocka_unit_test(test_sent_code_alert_is_not_taken_back),
    cmocka_unit_test(test_severity_defaults),
    cmocka_unit_test(test_evaluate_through),
    cmocka_unit_test(test_bad_rules),
    cmocka_unit_test(test_save_load_round_trip),
    cmocka_unit_test(test_load_garbage),
    cmocka_unit_test(test_adopt_on_reload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
