/* report_load: a report rendered to JSON and loaded back renders to the
 * same JSON byte for byte and to the same text, with the numbers intact;
 * documents that are not reports are refused with a position. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"
#include "report_load.h"

#define T0 INT64_C(1796378400000) /* 2026-12-04T10:00:00.000Z */

/* A report as `run` would produce it, over a catalog like a config's. */
struct original {
  rcw_catalog *cat;
  struct rcw_tally summary, w1, w5, lifetime, previous;
  struct rcw_report_window windows[2];
  struct rcw_alert alerts[3];
  struct rcw_report_file files_a[2], files_b[1];
  struct rcw_report_source sources[2];
  struct rcw_report report;
};

static uint32_t code(rcw_catalog *c, const char *text, const char *desc)
{
  uint32_t id = rcw_catalog_classify(c, text, strlen(text), desc, desc ? strlen(desc) : 0, NULL);
  assert_int_not_equal(id, RCW_ENTRY_NONE);
  return id;
}

static void count(struct rcw_tally *t, uint32_t entry, uint64_t n)
{
  assert_int_equal(rcw_tally_count(t, entry, n), 0);
  t->lines_total += n;
  t->lines_matched += n;
}

/* The config's own touches: a success code "0" in a category of its own,
 * and a success code placed in a failure category (so its category mixes
 * both and only the catalog in force can tell). */
static void customise(rcw_catalog *c)
{
  static const char *const success[] = {"-1", "0", "2000"};
  assert_int_equal(rcw_catalog_set_category(c, "ok", "Fine", RCW_SEV_INFO), 0);
  assert_int_equal(rcw_catalog_set_code(c, "0", "ok", "Accepted for later"), 0);
  assert_int_equal(rcw_catalog_set_code(c, "2000", "auth", "Re-authenticated"), 0);
  assert_int_equal(rcw_catalog_set_success(c, success, 3), 0);
}

static void fill_tallies(struct original *o)
{
  rcw_catalog *c = o->cat;
  count(&o->summary, code(c, "-1", NULL), 1200);
  count(&o->summary, code(c, "1204", NULL), 37);
  count(&o->summary, code(c, "1001", NULL), 12);
  count(&o->summary, code(c, "2000", NULL), 3);
  count(&o->summary, code(c, "1306", "Another request issued at the same time."), 5);
  count(&o->summary, code(c, "9876", NULL), 2); /* unknown to the catalog */
  count(&o->summary, code(c, "0", NULL), 9);
  count(&o->summary, rcw_catalog_classify_status(c, 503), 4);
  o->summary.lines_total += 10;
  o->summary.lines_unmatched = 10;
  o->summary.unmatched_too_long = 1;
  o->summary.unmatched_limit = 2;

  count(&o->w1, code(c, "-1", NULL), 50);
  count(&o->w1, code(c, "1204", NULL), 5);
  count(&o->w5, code(c, "-1", NULL), 300);
  count(&o->w5, code(c, "1204", NULL), 9);
  count(&o->w5, code(c, "1001", NULL), 1);
  assert_int_equal(rcw_tally_merge(&o->lifetime, &o->summary), 0);
  count(&o->lifetime, code(c, "7101", NULL), 1000000007);

  count(&o->previous, code(c, "-1", NULL), 900);
  count(&o->previous, code(c, "1204", NULL), 40);
  count(&o->previous, code(c, "1306", "Required field missing"), 2);
  count(&o->previous, code(c, "2000", NULL), 1);
  count(&o->previous, code(c, "1001", NULL), 1);
  o->previous.lines_total += 4;
  o->previous.lines_unmatched = 4;
}

static void fill_rest(struct original *o)
{
  o->windows[0] = (struct rcw_report_window){60000, &o->w1};
  o->windows[1] = (struct rcw_report_window){300000, &o->w5};
  o->alerts[0] = (struct rcw_alert){T0 - 60000, RCW_ALERT_FIRING, "stock-out", RCW_SEV_CRITICAL,
                                    RCW_SCOPE_CATEGORY, "stock", 300000, RCW_METRIC_FAILURE_RATE,
                                    0.0291262135922330, 0.02, 309, 9,
                                    "Campaign cap \"used up\"\n"};
  o->alerts[1] = (struct rcw_alert){T0 - 1000, RCW_ALERT_RESOLVED, "auth", RCW_SEV_WARNING,
                                    RCW_SCOPE_CODE, "1001", 60000, RCW_METRIC_COUNT, 0, 3, 55, 0,
                                    NULL};
  o->alerts[2] = (struct rcw_alert){T0, RCW_ALERT_FIRING, "odd", RCW_SEV_INFO,
                                    RCW_SCOPE_DIMENSION, "caf\xc3\xa9", 3600000, RCW_METRIC_COUNT,
                                    NAN, 1e-9, 0, 0, "value unknown"};
  o->files_a[0] = (struct rcw_report_file){"/var/log/issuer/a.log", 123456789};
  o->files_a[1] = (struct rcw_report_file){"/var/log/issuer/b \"q\".log", 0};
  o->files_b[0] = (struct rcw_report_file){"/srv/nginx/access.log", UINT64_MAX};
  o->sources[0] = (struct rcw_report_source){"issuer-api", o->files_a, 2};
  o->sources[1] = (struct rcw_report_source){"edge", o->files_b, 1};
  o->report = (struct rcw_report){
    .generated_at = T0 + 17, .period_start = T0 - 3600000, .period_end = T0,
    .summary = &o->summary, .windows = o->windows, .nwindows = 2, .lifetime = &o->lifetime,
    .has_alerts = true, .alerts = o->alerts, .nalerts = 3, .sources = o->sources, .nsources = 2,
    .previous = &o->previous, .previous_start = T0 - 7200000, .previous_end = T0 - 3600000,
  };
}

static struct original *original_new(void)
{
  struct original *o = calloc(1, sizeof(*o));
  assert_non_null(o);
  o->cat = rcw_catalog_new_default();
  assert_non_null(o->cat);
  customise(o->cat);
  rcw_tally_init(&o->summary);
  rcw_tally_init(&o->w1);
  rcw_tally_init(&o->w5);
  rcw_tally_init(&o->lifetime);
  rcw_tally_init(&o->previous);
  fill_tallies(o);
  fill_rest(o);
  return o;
}

static void original_free(struct original *o)
{
  rcw_tally_destroy(&o->summary);
  rcw_tally_destroy(&o->w1);
  rcw_tally_destroy(&o->w5);
  rcw_tally_destroy(&o->lifetime);
  rcw_tally_destroy(&o->previous);
  rcw_catalog_free(o->cat);
  free(o);
}

static void render(const struct rcw_report *r, const rcw_catalog *c, bool json, struct rcw_buf *b)
{
  assert_int_equal(json ? rcw_report_json(r, c, b) : rcw_report_text(r, c, b), 0);
  assert_false(b->oom);
}

static rcw_loaded_report *load_ok(const char *data, size_t len, const rcw_catalog *conf)
{
  rcw_loaded_report *lr = NULL;
  struct rcw_jread_error err;
  int r = rcw_report_load(data, len, conf, &lr, &err);
  if (r != 0)
    print_error("load failed: %d:%d: %s\n", err.line, err.column, err.message);
  assert_int_equal(r, 0);
  return lr;
}

static void assert_same_summary(const struct rcw_tally *a, const rcw_catalog *ca,
                                const struct rcw_tally *b, const rcw_catalog *cb)
{
  struct rcw_summary sa, sb;
  assert_int_equal(rcw_summary_build(&sa, a, ca), 0);
  assert_int_equal(rcw_summary_build(&sb, b, cb), 0);
  assert_true(sa.lines_total == sb.lines_total && sa.lines_matched == sb.lines_matched);
  assert_true(sa.lines_unmatched == sb.lines_unmatched);
  assert_true(sa.unmatched_too_long == sb.unmatched_too_long);
  assert_true(sa.unmatched_limit == sb.unmatched_limit);
  assert_true(sa.requests == sb.requests && sa.failures == sb.failures);
  assert_true(sa.failure_rate == sb.failure_rate);
  assert_int_equal(sa.ncodes, sb.ncodes);
  for (size_t i = 0; i < sa.ncodes; i++) {
    const struct rcw_entry *ea = rcw_catalog_entry(ca, sa.codes[i].entry);
    const struct rcw_entry *eb = rcw_catalog_entry(cb, sb.codes[i].entry);
    assert_string_equal(ea->code, eb->code);
    assert_string_equal(ea->description, eb->description);
    assert_int_equal(ea->success, eb->success);
    assert_string_equal(rcw_catalog_category(ca, ea->category)->name,
                        rcw_catalog_category(cb, eb->category)->name);
    assert_true(sa.codes[i].count == sb.codes[i].count);
  }
  assert_int_equal(sa.ncategories, sb.ncategories);
  for (size_t i = 0; i < sa.ncategories; i++) {
    const struct rcw_category *ka = rcw_catalog_category(ca, sa.categories[i].category);
    const struct rcw_category *kb = rcw_catalog_category(cb, sb.categories[i].category);
    assert_string_equal(ka->name, kb->name);
    assert_int_equal(ka->severity, kb->severity);
    assert_true(sa.categories[i].failures == sb.categories[i].failures);
  }
  rcw_summary_destroy(&sa);
  rcw_summary_destroy(&sb);
}

static void assert_same_alert(const struct rcw_alert *a, const struct rcw_alert *b)
{
  assert_true(a->at == b->at);
  assert_int_equal(a->state, b->state);
  assert_string_equal(a->rule, b->rule);
  assert_int_equal(a->severity, b->severity);
  assert_int_equal(a->scope, b->scope);
  assert_string_equal(a->key, b->key);
  assert_true(a->window_ms == b->window_ms);
  assert_int_equal(a->metric, b->metric);
  assert_true(a->value == b->value || (isnan(a->value) && isnan(b->value)));
  assert_true(a->threshold == b->threshold);
  assert_true(a->requests == b->requests && a->failures == b->failures);
  if (a->description)
    assert_string_equal(a->description, b->description);
  else
    assert_null(b->description);
}

static void test_round_trip_numbers(void **state)
{
  (void)state;
  struct original *o = original_new();
  struct rcw_buf json = RCW_BUF_INIT;
  render(&o->report, o->cat, true, &json);
  rcw_loaded_report *lr = load_ok(json.data, json.len, o->cat);
  const struct rcw_report *r = rcw_loaded_report_get(lr);
  const rcw_catalog *c = rcw_loaded_report_catalog(lr);

  assert_true(r->generated_at == T0 + 17);
  assert_true(r->period_start == T0 - 3600000 && r->period_end == T0);
  assert_same_summary(o->report.summary, o->cat, r->summary, c);
  assert_int_equal(r->nwindows, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_true(r->windows[i].window_ms == o->windows[i].window_ms);
    assert_same_summary(o->windows[i].tally, o->cat, r->windows[i].tally, c);
  }
  assert_non_null(r->lifetime);
  assert_same_summary(o->report.lifetime, o->cat, r->lifetime, c);
  assert_non_null(r->previous);
  assert_true(r->previous_start == T0 - 7200000 && r->previous_end == T0 - 3600000);
  assert_same_summary(o->report.previous, o->cat, r->previous, c);
  assert_true(r->has_alerts);
  assert_int_equal(r->nalerts, 3);
  for (size_t i = 0; i < 3; i++)
    assert_same_alert(&o->alerts[i], &r->alerts[i]);
  assert_int_equal(r->nsources, 2);
  assert_string_equal(r->sources[0].name, "issuer-api");
  assert_int_equal(r->sources[0].nfiles, 2);
  assert_string_equal(r->sources[0].files[1].path, "/var/log/issuer/b \"q\".log");
  assert_true(r->sources[0].files[0].offset == 123456789);
  assert_true(r->sources[1].files[0].offset == UINT64_MAX);

  size_t len;
  const char *data = rcw_loaded_report_data(lr, &len);
  assert_int_equal(len, json.len);
  assert_memory_equal(data, json.data, len);
  rcw_loaded_report_free(lr);
  rcw_buf_free(&json);
  original_free(o);
}

/* Rendering the loaded report gives back the very same documents. */
static void test_round_trip_renders(void **state)
{
  (void)state;
  struct original *o = original_new();
  struct rcw_buf json = RCW_BUF_INIT, json2 = RCW_BUF_INIT;
  struct rcw_buf text = RCW_BUF_INIT, text2 = RCW_BUF_INIT;
  render(&o->report, o->cat, true, &json);
  render(&o->report, o->cat, false, &text);
  rcw_loaded_report *lr = load_ok(json.data, json.len, o->cat);
  render(rcw_loaded_report_get(lr), rcw_loaded_report_catalog(lr), true, &json2);
  render(rcw_loaded_report_get(lr), rcw_loaded_report_catalog(lr), false, &text2);
  assert_string_equal(json2.data, json.data);
  assert_string_equal(text2.data, text.data);
  assert_non_null(strstr(text.data, "critical")); /* auth's severity made it through */
  assert_non_null(strstr(text.data, "Change since the previous report"));
  assert_non_null(strstr(json.data, "\n  \"previous\": {\n    \"period\": {\n"));
  rcw_loaded_report_free(lr);

  /* auth mixes a success (2000) with failures: only the catalog in force
   * can say which, and without it the figures cannot be made to agree. */
  struct rcw_jread_error err;
  lr = NULL;
  assert_int_equal(rcw_report_load(json.data, json.len, NULL, &lr, &err), -EINVAL);
  assert_null(lr);
  assert_non_null(strstr(err.message, "summary: \"failures\" is 60 but its failing codes"));

  rcw_buf_free(&json);
  rcw_buf_free(&json2);
  rcw_buf_free(&text);
  rcw_buf_free(&text2);
  original_free(o);
}

/* A `scan` report: no windows, no lifetime, no alerts member. */
static void test_scan_shape(void **state)
{
  (void)state;
  struct original *o = original_new();
  o->report.windows = NULL;
  o->report.nwindows = 0;
  o->report.lifetime = NULL;
  o->report.has_alerts = false;
  o->report.nalerts = 0;
  o->report.nsources = 0;
  struct rcw_buf json = RCW_BUF_INIT, json2 = RCW_BUF_INIT;
  struct rcw_buf text = RCW_BUF_INIT, text2 = RCW_BUF_INIT;
  render(&o->report, o->cat, true, &json);
  render(&o->report, o->cat, false, &text);
  assert_null(strstr(json.data, "\"windows\""));
  rcw_loaded_report *lr = load_ok(json.data, json.len, o->cat);
  const struct rcw_report *r = rcw_loaded_report_get(lr);
  assert_int_equal(r->nwindows, 0);
  assert_null(r->lifetime);
  assert_false(r->has_alerts);
  assert_non_null(r->previous); /* not run-only: any report may carry it */
  render(r, rcw_loaded_report_catalog(lr), true, &json2);
  render(r, rcw_loaded_report_catalog(lr), false, &text2);
  assert_string_equal(json2.data, json.data);
  assert_string_equal(text2.data, text.data);
  rcw_loaded_report_free(lr);
  rcw_buf_free(&json);
  rcw_buf_free(&json2);
  rcw_buf_free(&text);
  rcw_buf_free(&text2);
  original_free(o);
}

/* The CONTRACT §4 shape with none of the extension members. */
static const char minimal[] =
  "{\"rcwatch_report\": 1, \"generated_at\": \"2026-12-04T10:00:00.000Z\",\n"
  " \"period\": {\"start\": \"2026-12-04T09:00:00.000Z\", \"end\": \"2026-12-04T10:00:00.000Z\"},\n"
  " \"summary\": {\"lines\": {\"total\": 110, \"matched\": 100, \"unmatched\": 10},\n"
  "   \"requests\": 100, \"failures\": 8, \"failure_rate\": 0.08,\n"
  "   \"categories\": [{\"name\": \"stock\", \"failures\": 6, \"failure_rate\": 0.06},\n"
  "                  {\"name\": \"quota\", \"failures\": 2, \"failure_rate\": 0.02},\n"
  "                  {\"name\": \"success\", \"failures\": 0, \"failure_rate\": 0.0}],\n"
  "   \"codes\": [{\"code\": \"-1\", \"category\": \"success\", \"description\": \"OK\", \"count\": 92},\n"
  "             {\"code\": \"1204\", \"category\": \"stock\", \"description\": \"Cap\", \"count\": 6},\n"
  "             {\"code\": \"X9\", \"category\": \"quota\", \"description\": null, \"count\": 2}]},\n"
  " \"future_member\": {\"ignored\": [1, 2]},\n"
  " \"sources\": []}\n";

static void test_minimal_and_unknown_members(void **state)
{
  (void)state;
  rcw_catalog *conf = rcw_catalog_new_default();
  rcw_loaded_report *lr = load_ok(minimal, strlen(minimal), conf);
  const struct rcw_report *r = rcw_loaded_report_get(lr);
  const rcw_catalog *c = rcw_loaded_report_catalog(lr);
  struct rcw_summary s;
  assert_int_equal(rcw_summary_build(&s, r->summary, c), 0);
  assert_int_equal(s.requests, 100);
  assert_int_equal(s.failures, 8);
  assert_int_equal(s.lines_unmatched, 10);
  assert_int_equal(s.unmatched_too_long, 0);
  assert_int_equal(s.ncodes, 3);
  const struct rcw_entry *x9 = rcw_catalog_entry(c, s.codes[2].entry);
  assert_string_equal(x9->code, "X9");
  assert_string_equal(rcw_catalog_category(c, x9->category)->name, "quota");
  assert_int_equal(rcw_catalog_category(c, x9->category)->severity, RCW_SEV_WARNING);
  const struct rcw_entry *cap = rcw_catalog_entry(c, s.codes[1].entry);
  assert_string_equal(cap->description, "Cap");
  /* stock exists in the catalog in force: its severity comes from there */
  uint32_t stock = rcw_catalog_category_id(conf, "stock");
  assert_int_equal(rcw_catalog_category(c, cap->category)->severity,
                   rcw_catalog_category(conf, stock)->severity);
  rcw_summary_destroy(&s);

  struct rcw_buf text = RCW_BUF_INIT;
  render(r, c, false, &text);
  assert_non_null(strstr(text.data, "8.00%"));
  assert_non_null(strstr(text.data, "X9"));
  rcw_buf_free(&text);
  rcw_loaded_report_free(lr);

  /* Severities follow the catalog passed, and default without one. */
  assert_int_equal(rcw_catalog_set_category(conf, "stock", NULL, RCW_SEV_INFO), 0);
  assert_int_equal(rcw_catalog_set_category(conf, "unknown", NULL, RCW_SEV_CRITICAL), 0);
  lr = load_ok(minimal, strlen(minimal), conf);
  c = rcw_loaded_report_catalog(lr);
  assert_int_equal(rcw_catalog_category(c, rcw_catalog_category_id(c, "stock"))->severity,
                   RCW_SEV_INFO);
  assert_int_equal(rcw_catalog_category(c, rcw_catalog_category_id(c, "unknown"))->severity,
                   RCW_SEV_CRITICAL);
  rcw_loaded_report_free(lr);
  lr = load_ok(minimal, strlen(minimal), NULL);
  c = rcw_loaded_report_catalog(lr);
  assert_int_equal(rcw_catalog_category(c, rcw_catalog_category_id(c, "stock"))->severity,
                   RCW_SEV_WARNING);
  rcw_loaded_report_free(lr);
  rcw_catalog_free(conf);
}

static void assert_round_trip(const struct rcw_report *rep, const rcw_catalog *cat,
                              rcw_loaded_report **out)
{
  struct rcw_buf json = RCW_BUF_INIT, json2 = RCW_BUF_INIT;
  struct rcw_buf text = RCW_BUF_INIT, text2 = RCW_BUF_INIT;
  render(rep, cat, true, &json);
  render(rep, cat, false, &text);
  rcw_loaded_report *lr = load_ok(json.data, json.len, cat);
  render(rcw_loaded_report_get(lr), rcw_loaded_report_catalog(lr), true, &json2);
  render(rcw_loaded_report_get(lr), rcw_loaded_report_catalog(lr), false, &text2);
  assert_string_equal(json2.data, json.data);
  assert_string_equal(text2.data, text.data);
  rcw_buf_free(&json);
  rcw_buf_free(&json2);
  rcw_buf_free(&text);
  rcw_buf_free(&text2);
  *out = lr;
}

/* The loaded entry listed as code in category, and its count. */
static uint64_t listed(const rcw_loaded_report *lr, const struct rcw_tally *t, const char *code,
                       const char *category)
{
  const rcw_catalog *c = rcw_loaded_report_catalog(lr);
  uint64_t n = 0;
  size_t hits = 0;
  for (uint32_t id = 0; id < rcw_catalog_entry_count(c); id++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, id);
    if (strcmp(e->code, code) == 0 &&
        strcmp(rcw_catalog_category(c, e->category)->name, category) == 0) {
      n += id < t->nentries ? t->by_entry[id] : 0;
      hits++;
    }
  }
  assert_int_equal(hits, 1);
  return n;
}

/* 1306 under both of its categories keeps both in the loaded report:
 * each meaning its own entry with its own counts. */
static void test_code_with_two_meanings(void **state)
{
  (void)state;
  rcw_catalog *cat = rcw_catalog_new_default();
  struct rcw_tally t, prev;
  rcw_tally_init(&t);
  rcw_tally_init(&prev);
  count(&t, code(cat, "1306", "Another request issued at the same time."), 4);
  count(&t, code(cat, "1306", "Required field missing"), 3);
  count(&t, code(cat, "-1", NULL), 10);
  count(&prev, code(cat, "1306", "Required field missing"), 6);
  struct rcw_report rep = {.generated_at = T0, .period_start = T0, .period_end = T0,
                           .summary = &t, .previous = &prev};
  rcw_loaded_report *lr;
  assert_round_trip(&rep, cat, &lr);
  const struct rcw_report *r = rcw_loaded_report_get(lr);
  assert_int_equal(listed(lr, r->summary, "1306", "concurrency"), 4);
  assert_int_equal(listed(lr, r->summary, "1306", "validation"), 3);
  assert_int_equal(listed(lr, r->previous, "1306", "validation"), 6);
  assert_int_equal(listed(lr, r->previous, "1306", "concurrency"), 0);
  /* The loaded catalog tells the two apart by text, as the embedded one does. */
  const rcw_catalog *c = rcw_loaded_report_catalog(lr);
  assert_true(rcw_catalog_needs_desc(c, "1306", 4));
  rcw_loaded_report_free(lr);
  rcw_tally_destroy(&t);
  rcw_tally_destroy(&prev);
  rcw_catalog_free(cat);
}

/* Two meanings with equal counts are listed in entry id order.  Here the
 * period lists validation first (it has more) and a window has them tied
 * (concurrency first): the loaded report must list them the same way. */
static void test_tied_meanings_keep_their_order(void **state)
{
  (void)state;
  rcw_catalog *cat = rcw_catalog_new_default();
  struct rcw_tally t, w;
  rcw_tally_init(&t);
  rcw_tally_init(&w);
  count(&t, code(cat, "1306", "Required field missing"), 5);
  count(&t, code(cat, "1306", "at the same time"), 3);
  count(&w, code(cat, "1306", "at the same time"), 1);
  count(&w, code(cat, "1306", "Required field missing"), 1);
  struct rcw_report_window windows[] = {{60000, &w}};
  struct rcw_report rep = {.generated_at = T0, .period_start = T0, .period_end = T0,
                           .summary = &t, .windows = windows, .nwindows = 1, .lifetime = &t};
  rcw_loaded_report *lr;
  assert_round_trip(&rep, cat, &lr);
  rcw_loaded_report_free(lr);
  rcw_tally_destroy(&t);
  rcw_tally_destroy(&w);
  rcw_catalog_free(cat);
}

/* A meaning whose text is part of another's: finding the one by text
 * must not take it for the other. */
static void test_meaning_text_inside_another(void **state)
{
  (void)state;
  rcw_catalog *cat = rcw_catalog_new_default();
  assert_int_equal(rcw_catalog_add_meaning(cat, "1204", "config", "Campaign has reached",
                                           "not set up"), 0);
  struct rcw_tally t;
  rcw_tally_init(&t);
  count(&t, code(cat, "1204", NULL), 7);
  count(&t, code(cat, "1204", "cap not set up"), 2);
  struct rcw_report_window windows[] = {{60000, &t}};
  struct rcw_report rep = {.generated_at = T0, .period_start = T0, .period_end = T0,
                           .summary = &t, .windows = windows, .nwindows = 1};
  rcw_loaded_report *lr;
  assert_round_trip(&rep, cat, &lr);
  const struct rcw_report *r = rcw_loaded_report_get(lr);
  assert_int_equal(listed(lr, r->windows[0].tally, "1204", "stock"), 7);
  assert_int_equal(listed(lr, r->windows[0].tally, "1204", "config"), 2);
  rcw_loaded_report_free(lr);
  rcw_tally_destroy(&t);
  rcw_catalog_free(cat);
}

/* Replace the first occurrence of from in base with to, then load. */
static void refused(const char *base, const char *from, const char *to, int line, int column,
                    const char *msg_part)
{
  char doc[4096];
  const char *at = from ? strstr(base, from) : NULL;
  assert_true(!from || at);
  if (at)
    snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
  else
    snprintf(doc, sizeof(doc), "%s", to ? to : base);
  rcw_loaded_report *lr = NULL;
  struct rcw_jread_error err;
  int r = rcw_report_load(doc, strlen(doc), NULL, &lr, &err);
  if (r != -EINVAL || err.line != line || err.column != column || !strstr(err.message, msg_part))
    print_error("got %d at %d:%d: %s\n", r, err.line, err.column, err.message);
  assert_int_equal(r, -EINVAL);
  assert_null(lr);
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, column);
  assert_non_null(strstr(err.message, msg_part));
}

static void test_errors(void **state)
{
  (void)state;
  refused(minimal, NULL, "{\"rcwatch_report\": 1,", 1, 22, "expected a string key");
  refused(minimal, NULL, "[1, 2]", 1, 1, "not an rcwatch report");
  refused(minimal, NULL, "{\"summary\": {}}", 1, 1, "no \"rcwatch_report\" member");
  refused(minimal, "\"rcwatch_report\": 1", "\"rcwatch_report\": 2", 1, 20,
          "unsupported report version");
  refused(minimal, "\"rcwatch_report\": 1", "\"rcwatch_report\": \"1\"", 1, 20,
          "unsupported report version");
  refused(minimal, "2026-12-04T10:00:00.000Z", "yesterday", 1, 39,
          "report: \"generated_at\" is not a time");
  refused(minimal, "\"period\"", "\"perio\"", 1, 1, "report: \"period\" is missing");
  refused(minimal, "\"summary\"", "\"summ\"", 1, 1, "report: \"summary\" is missing");
  refused(minimal, "\"total\": 110", "\"total\": -110", 3, 33,
          "summary.lines: \"total\" must be a non-negative integer");
  refused(minimal, "\"matched\": 100", "\"matched\": 1.5", 3, 49, "non-negative integer");
  refused(minimal, "\"count\": 6", "\"count\": \"6\"", 9, 83,
          "summary.codes[1]: \"count\" must be a number, not a string");
  refused(minimal, "\"code\": \"X9\"", "\"code\": \"-\"", 10, 23, "\"-\" is not a valid code");
  refused(minimal, "\"category\": \"quota\", \"desc",
          "\"category\": \"no such\", \"desc", 10, 41, "not a valid category name");
  refused(minimal, "{\"name\": \"quota\", \"failures\": 2, \"failure_rate\": 0.02}",
          "[\"quota\"]", 6, 19,
          "summary.categories[1] must be an object, not an array");
  refused(minimal, "\"requests\": 100", "\"requests\": 101", 3, 13,
          "summary: \"requests\" is 101 but its codes add up to 100");
  refused(minimal, "\"failures\": 8", "\"failures\": 7", 3, 13,
          "summary: \"failures\" is 7 but its failing codes add up to 8");
  refused(minimal, "\"sources\": []", "\"windows\": [{\"window\": \"5q\", \"summary\": {}}]", 12,
          25, "windows[0]: \"window\" is not a duration");
  refused(minimal, "\"sources\": []", "\"windows\": [{\"window\": \"5m\", \"summary\": {}}]", 12,
          42, "windows[0].summary: \"lines\" is missing");
  refused(minimal, "\"sources\": []", "\"lifetime\": []", 12, 14,
          "report: \"lifetime\" must be an object, not an array");
  refused(minimal, "\"sources\": []", "\"previous\": []", 12, 14,
          "report: \"previous\" must be an object, not an array");
  refused(minimal, "\"sources\": []", "\"previous\": {\"summary\": {}}", 12, 14,
          "previous: \"period\" is missing");
  refused(minimal, "\"sources\": []",
          "\"previous\": {\"period\": {\"start\": \"2026-12-04T08:00:00.000Z\", \"end\": 3}}",
          12, 70, "previous.period: \"end\" must be a string");
  refused(minimal, "\"sources\": []",
          "\"previous\": {\"period\": {\"start\": \"2026-12-04T08:00:00.000Z\", "
          "\"end\": \"2026-12-04T09:00:00.000Z\"}, \"summary\": {\"lines\": {\"total\": 0, "
          "\"matched\": 0, \"unmatched\": 0}, \"requests\": 5, \"failures\": 0, "
          "\"failure_rate\": 0, \"categories\": [], \"codes\": []}}",
          12, 110, "previous.summary: \"requests\" is 5 but its codes add up to 0");
  refused(minimal, "\"sources\": []", "\"sources\": [{\"name\": \"s\", \"files\": [{\"path\": 1}]}]",
          12, 47, "sources[0].files[0]: \"path\" must be a string");
  refused(minimal, "\"sources\": []", "\"alerts\": [{\"at\": \"2026-12-04T10:00:00.000Z\", "
          "\"state\": \"on\", \"severity\": \"info\", \"scope\": \"total\", \"metric\": \"count\"}]",
          12, 57, "alerts[0]: \"state\" must be firing or resolved");
  refused(minimal, "\"sources\": []", "\"alerts\": [{\"at\": \"2026-12-04T10:00:00.000Z\", "
          "\"state\": \"firing\", \"severity\": \"info\", \"scope\": \"total\", \"metric\": \"count\","
          "\"rule\": \"r\", \"key\": \"total\", \"window\": \"1m\", \"value\": 1, \"threshold\": 0}]",
          12, 13, "alerts[0]: \"requests\" is missing");
}

static void test_files(void **state)
{
  (void)state;
  char dir[] = "/tmp/rcw-report-load-XXXXXX";
  char path[128];
  assert_non_null(mkdtemp(dir));
  rcw_loaded_report *lr = NULL;
  struct rcw_jread_error err;

  snprintf(path, sizeof(path), "%s/missing.json", dir);
  assert_int_equal(rcw_report_load_file(path, NULL, &lr, &err), -ENOENT);
  assert_int_equal(err.line, 0);
  assert_string_equal(err.message, strerror(ENOENT));
  assert_int_equal(rcw_report_load_file(dir, NULL, &lr, &err), -EISDIR);
  assert_null(lr);

  snprintf(path, sizeof(path), "%s/r.json", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, minimal, strlen(minimal)), (ssize_t)strlen(minimal));
  assert_int_equal(rcw_report_load_file(path, NULL, &lr, &err), 0);
  size_t len;
  assert_memory_equal(rcw_loaded_report_data(lr, &len), minimal, strlen(minimal));
  assert_int_equal(len, strlen(minimal));
  rcw_loaded_report_free(lr);
  rcw_loaded_report_free(NULL);

  /* Past the size cap: refused after reading at most one byte too many. */
  assert_int_equal(ftruncate(fd, (off_t)RCW_JREAD_MAX_SIZE + 4096), 0);
  close(fd);
  lr = NULL;
  assert_int_equal(rcw_report_load_file(path, NULL, &lr, &err), -E2BIG);
  assert_null(lr);
  assert_non_null(strstr(err.message, "larger than"));
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip_numbers),
    cmocka_unit_test(test_round_trip_renders),
    cmocka_unit_test(test_scan_shape),
    cmocka_unit_test(test_minimal_and_unknown_members),
    cmocka_unit_test(test_code_with_two_meanings),
    cmocka_unit_test(test_tied_meanings_keep_their_order),
    cmocka_unit_test(test_meaning_text_inside_another),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
