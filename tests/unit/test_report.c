/* Unit tests for report rendering: the JSON shape (CONTRACT §4) and the
 * text layout, compared with golden files under tests/data/golden/.
 * RCW_UPDATE_GOLDEN=1 in the environment rewrites them instead; review
 * the diff before committing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert.h"
#include "buf.h"
#include "catalog.h"
#include "json.h"
#include "report.h"
#include "tally.h"

#define GOLDEN_DIR RCW_SOURCE_DIR "/tests/data/golden/"
#define T0 1796378400000 /* 2026-12-04T10:00:00.000Z */

struct fixture {
  rcw_catalog *cat;
  struct rcw_tally period, w1m, w1h, lifetime, previous;
  struct rcw_buf out;
};

static void add(struct fixture *f, struct rcw_tally *t, const char *code, const char *desc,
                uint64_t n)
{
  uint32_t id = rcw_catalog_classify(f->cat, code, strlen(code), desc, desc ? strlen(desc) : 0,
                                     NULL);
  assert_int_equal(rcw_tally_count(t, id, n), 0);
  t->lines_total += n;
  t->lines_matched += n;
}

static void add_unmatched(struct rcw_tally *t, uint64_t none, uint64_t too_long, uint64_t limit)
{
  t->lines_unmatched += none + too_long + limit;
  t->unmatched_too_long += too_long;
  t->unmatched_limit += limit;
  t->lines_total += none + too_long + limit;
}

/* A morning of a voucher app: a stock-out, some auth trouble, a few
 * transport errors and one code nobody has catalogued. */
static void fill_period(struct fixture *f, struct rcw_tally *t, uint64_t scale)
{
  add(f, t, "-1", NULL, 11685 * scale);
  add(f, t, "1204", NULL, 400 * scale);
  add(f, t, "7101", NULL, 35 * scale);
  add(f, t, "1209", NULL, 150 * scale);
  add(f, t, "1001", NULL, 24 * scale);
  add(f, t, "1007", NULL, 3 * scale);
  add(f, t, "1306", "Another request issued at the same time. Failing call.", 2 * scale);
  add(f, t, "1306", "Required field missing", 1 * scale);
  add(f, t, "4242", NULL, 1 * scale);
  uint32_t http = rcw_catalog_classify_status(f->cat, 503);
  assert_int_equal(rcw_tally_count(t, http, 7 * scale), 0);
  t->lines_total += 7 * scale;
  t->lines_matched += 7 * scale;
  add_unmatched(t, 40 * scale, 3 * scale, 2 * scale);
}

/* The hour before: calmer, with fewer stock-outs and none of the new
 * trouble (the 503s, the web user, 1306, the unknown code). */
static void fill_previous(struct fixture *f, struct rcw_tally *t)
{
  add(f, t, "-1", NULL, 11000);
  add(f, t, "1204", NULL, 100);
  add(f, t, "1209", NULL, 160);
  add(f, t, "1001", NULL, 24);
  add(f, t, "7101", NULL, 10);
  add_unmatched(t, 12, 0, 0);
}

static int setup(void **state)
{
  static struct fixture f;
  memset(&f, 0, sizeof(f));
  f.cat = rcw_catalog_new_default();
  if (!f.cat)
    return -1;
  rcw_tally_init(&f.period);
  rcw_tally_init(&f.w1m);
  rcw_tally_init(&f.w1h);
  rcw_tally_init(&f.lifetime);
  rcw_tally_init(&f.previous);
  f.out = (struct rcw_buf)RCW_BUF_INIT;
  *state = &f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  rcw_tally_destroy(&f->period);
  rcw_tally_destroy(&f->w1m);
  rcw_tally_destroy(&f->w1h);
  rcw_tally_destroy(&f->lifetime);
  rcw_tally_destroy(&f->previous);
  rcw_buf_free(&f->out);
  rcw_catalog_free(f->cat);
  return 0;
}

static char *read_file(const char *path)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  struct rcw_buf b = RCW_BUF_INIT;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
    rcw_buf_append(&b, chunk, n);
  fclose(fp);
  rcw_buf_putc(&b, '\0');
  return b.data;
}

static void assert_golden(const char *name, const struct rcw_buf *got)
{
  char path[512];
  snprintf(path, sizeof(path), "%s%s", GOLDEN_DIR, name);
  if (getenv("RCW_UPDATE_GOLDEN")) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(got->data, 1, got->len, fp), got->len);
    fclose(fp);
    return;
  }
  char *want = read_file(path);
  if (!want)
    fail_msg("cannot read %s (RCW_UPDATE_GOLDEN=1 creates it)", path);
  if (strcmp(want, got->data) != 0)
    print_error("%s differs; got:\n%s\n", path, got->data);
  assert_string_equal(got->data, want);
  free(want);
}

static const struct rcw_report_file scan_files[] = {
  {"/var/log/issuer/api.log", 1873462},
  {"/var/log/issuer/api.log.1", 5242880},
};
static const struct rcw_report_source scan_sources[] = {{"scan", scan_files, 2}};
static const struct rcw_report_unmatched unmatched[] = {
  {"/var/log/issuer/api.log.1", 17, "no pattern matched"},
  {"/var/log/issuer/api.log.1", 2210, "longer than 64 KiB"},
  {"/var/log/issuer/api.log", 93, "no pattern matched"},
};

static struct rcw_report scan_report(struct fixture *f)
{
  fill_period(f, &f->period, 1);
  return (struct rcw_report){
    .generated_at = T0 + 3600000 + 120,
    .period_start = T0,
    .period_end = T0 + 3600000,
    .summary = &f->period,
    .sources = scan_sources,
    .nsources = 1,
    .unmatched = unmatched,
    .nunmatched = 3,
  };
}

static const struct rcw_alert alerts[] = {
  {T0 + 180000, RCW_ALERT_FIRING, "auth-failures", RCW_SEV_CRITICAL, RCW_SCOPE_CATEGORY, "auth",
   300000, RCW_METRIC_FAILURE_RATE, 0.083, 0.02, 1200, 100,
   "Interface account (apiId/apiPassword) wrong, missing or not activated"},
  {T0 + 1500000, RCW_ALERT_RESOLVED, "stock-out", RCW_SEV_CRITICAL, RCW_SCOPE_CODE, "1204",
   60000, RCW_METRIC_COUNT, 3, 10, 250, 3, "Campaign has reached its max available."},
};

static struct rcw_report run_report(struct fixture *f, struct rcw_report_window *windows)
{
  struct rcw_report r = scan_report(f);
  add(f, &f->w1m, "-1", NULL, 190);
  add(f, &f->w1m, "1204", NULL, 10);
  fill_period(f, &f->w1h, 1);
  fill_period(f, &f->lifetime, 24);
  windows[0] = (struct rcw_report_window){60000, &f->w1m};
  windows[1] = (struct rcw_report_window){3600000, &f->w1h};
  r.windows = windows;
  r.nwindows = 2;
  r.lifetime = &f->lifetime;
  r.has_alerts = true;
  r.alerts = alerts;
  r.nalerts = 2;
  r.top_codes = 5;
  fill_previous(f, &f->previous);
  r.previous = &f->previous;
  r.previous_start = T0 - 3600000;
  r.previous_end = T0;
  return r;
}

/* --- JSON ------------------------------------------------------------------ */

static void test_json_scan(void **state)
{
  struct fixture *f = *state;
  struct rcw_report r = scan_report(f);
  assert_int_equal(rcw_report_json(&r, f->cat, &f->out), 0);
  assert_golden("report_scan.json", &f->out);
  /* scan: no run-only members, no alerts unless asked for. */
  assert_null(strstr(f->out.data, "\"windows\""));
  assert_null(strstr(f->out.data, "\"lifetime\""));
  assert_null(strstr(f->out.data, "\"alerts\""));
  assert_null(strstr(f->out.data, "\"previous\""));
  assert_non_null(strstr(f->out.data, "\"rcwatch_report\": 1,\n"));
}

static void test_json_run(void **state)
{
  struct fixture *f = *state;
  struct rcw_report_window windows[2];
  struct rcw_report r = run_report(f, windows);
  assert_int_equal(rcw_report_json(&r, f->cat, &f->out), 0);
  assert_golden("report_run.json", &f->out);
  const char *order[] = {"\"rcwatch_report\"", "\"generated_at\"", "\"period\"", "\"summary\"",
                         "\"windows\"", "\"lifetime\"", "\"previous\"", "\"alerts\"",
                         "\"sources\""};
  const char *at = f->out.data;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    const char *next = strstr(at, order[i]);
    assert_non_null(next);
    at = next;
  }
}

static void test_json_scan_with_alerts(void **state)
{
  struct fixture *f = *state;
  struct rcw_report r = scan_report(f);
  r.has_alerts = true;
  assert_int_equal(rcw_report_json(&r, f->cat, &f->out), 0);
  assert_non_null(strstr(f->out.data, "\"alerts\": [],\n"));
}

static void test_json_escapes_paths(void **state)
{
  struct fixture *f = *state;
  static const struct rcw_report_file files[] = {{"/tmp/we\"ird\n\x01\xff.log", 3}};
  static const struct rcw_report_source sources[] = {{"s\\rc", files, 1}};
  struct rcw_report r = {.generated_at = T0, .sources = sources, .nsources = 1};
  assert_int_equal(rcw_report_json(&r, f->cat, &f->out), 0);
  assert_non_null(strstr(f->out.data, "\"name\": \"s\\\\rc\""));
  assert_non_null(strstr(f->out.data, "\"path\": \"/tmp/we\\\"ird\\u000a\\u0001\\ufffd.log\""));
  /* No summary tally: an empty summary, not a crash. */
  assert_non_null(strstr(f->out.data, "\"requests\": 0,"));
}

static void test_alert_json(void **state)
{
  struct fixture *f = *state;
  struct rcw_json j;
  rcw_json_init(&j, &f->out, false);
  rcw_alert_json(&alerts[0], &j);
  assert_string_equal(f->out.data,
                      "{\"at\":\"2026-12-04T10:03:00.000Z\",\"state\":\"firing\","
                      "\"rule\":\"auth-failures\",\"severity\":\"critical\",\"scope\":\"category\","
                      "\"key\":\"auth\",\"window\":\"5m\",\"metric\":\"failure_rate\","
                      "\"value\":0.083,\"threshold\":0.02,\"requests\":1200,\"failures\":100,"
                      "\"description\":\"Interface account (apiId/apiPassword) wrong, missing or "
                      "not activated\"}");
  struct rcw_alert *copy = rcw_alert_dup(&alerts[1]);
  assert_non_null(copy);
  assert_ptr_not_equal(copy->rule, alerts[1].rule);
  assert_string_equal(copy->rule, "stock-out");
  assert_string_equal(copy->key, "1204");
  assert_int_equal(copy->window_ms, 60000);
  assert_string_equal(rcw_alert_state_name(copy->state), "resolved");
  assert_string_equal(rcw_scope_name(copy->scope), "code");
  assert_string_equal(rcw_metric_name(copy->metric), "count");
  rcw_alert_free(copy);
  rcw_alert_free(NULL);
}

/* --- text ------------------------------------------------------------------ */

static size_t columns(const char *s, size_t len)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

/* Every line fits 80 columns and holds no control character. */
static void assert_fits_terminal(const char *text)
{
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (columns(line, len) > 80)
      fail_msg("line over 80 columns: %.*s", (int)len, line);
    for (size_t i = 0; i < len; i++)
      assert_true((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
    line += len + (nl != NULL);
  }
}

static void test_text_scan(void **state)
{
  struct fixture *f = *state;
  struct rcw_report r = scan_report(f);
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_golden("report_scan.txt", &f->out);
  assert_fits_terminal(f->out.data);
  /* Totals come before the details. */
  assert_true(strstr(f->out.data, "failure rate") < strstr(f->out.data, "Categories"));
  assert_non_null(strstr(f->out.data, "    /var/log/issuer/api.log.1:2210 "));
}

static void test_text_run(void **state)
{
  struct fixture *f = *state;
  struct rcw_report_window windows[2];
  struct rcw_report r = run_report(f, windows);
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_golden("report_run.txt", &f->out);
  assert_fits_terminal(f->out.data);
  const char *t = f->out.data;
  /* The spans first, then what failed, what fires, and what changed. */
  const char *order[] = {"Requests and failures", "Categories (this period)",
                         "Top failing codes (this period, 5 of 9)", "Alerts firing (2)",
                         "Change since the previous report", "Sources"};
  const char *at = t;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    const char *next = strstr(at, order[i]);
    if (!next)
      fail_msg("\"%s\" missing or out of order", order[i]);
    at = next;
  }
  assert_non_null(strstr(t, "\n  last 1m           200        10     5.00%  stock (10)\n"));
  assert_non_null(strstr(t, "\n  lifetime      295,392    14,952     5.06%  stock (10,440)\n"));
  /* Successes are no failing code. */
  assert_null(strstr(strstr(t, "Top failing codes"), "Successful"));
  assert_non_null(strstr(t, "  auth-failures  auth  5m      8.30%  > 2.00%    57m\n"));
  /* 623/12,308 = 5.06% against 294/11,294 = 2.60% an hour before. */
  assert_non_null(strstr(t, "\n  requests      12,308    11,294     +1,014\n"));
  assert_non_null(strstr(t, "\n  failures         623       294       +329\n"));
  assert_non_null(strstr(t, "\n  failure rate   5.06%     2.60%  +2.46 pts\n"));
  assert_non_null(strstr(t, "\n    1204      stock         400       100    +300  Campaign"));
  assert_non_null(strstr(t, "\n    http_503  transport       7       new      +7  HTTP 503"));
  assert_null(strstr(t, "\n    1209 ")); /* it shrank */
}

/* A report asked for moments after the previous one: the period has a
 * handful of requests, so categories and codes come from the longest
 * window, and the headings say so. */
static void test_text_run_short_period(void **state)
{
  struct fixture *f = *state;
  struct rcw_report_window windows[2];
  struct rcw_report r = run_report(f, windows);
  struct rcw_tally few;
  rcw_tally_init(&few);
  add(f, &few, "-1", NULL, 18);
  add(f, &few, "1001", NULL, 2);
  r.summary = &few;
  r.period_start = r.period_end - 4500;
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_fits_terminal(f->out.data);
  const char *t = f->out.data;
  assert_non_null(strstr(t, "  period     2026-12-04T10:59:55.500Z .. "
                            "2026-12-04T11:00:00.000Z (4s)\n"));
  assert_non_null(strstr(t, "\n  this period        20         2    10.00%  auth (2)\n"));
  assert_non_null(strstr(t, "\nCategories (last 1h)\n"));
  assert_non_null(strstr(t, "\nTop failing codes (last 1h, 5 of 9)\n"));
  assert_non_null(strstr(t, "\n  1204      stock         400  Campaign"));
  /* What changed is still the period against the previous one. */
  assert_non_null(strstr(t, "\n  failure rate  10.00%     2.60%  +7.40 pts\n"));

  /* With the windows as quiet as the period, the period it is. */
  rcw_buf_reset(&f->out);
  windows[1].tally = &few;
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_non_null(strstr(f->out.data, "\nTop failing codes (this period)\n"));
  assert_non_null(strstr(f->out.data, "\n  1001  auth          2  Interface"));
  rcw_tally_destroy(&few);
}

/* The daemon's first report: nothing failed yet, nothing fires, nothing
 * to compare with. */
static void test_text_run_first_report(void **state)
{
  struct fixture *f = *state;
  add(f, &f->period, "-1", NULL, 5);
  struct rcw_report_window windows[] = {{60000, &f->period}};
  struct rcw_report r = {.generated_at = T0, .period_start = T0 - 60000, .period_end = T0,
                         .summary = &f->period, .windows = windows, .nwindows = 1,
                         .lifetime = &f->period, .has_alerts = true};
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_fits_terminal(f->out.data);
  const char *t = f->out.data;
  assert_non_null(strstr(t, "\n  this period         5         0     0.00%  -\n"));
  assert_non_null(strstr(t, "\nTop failing codes (this period)\n  none\n"));
  assert_non_null(strstr(t, "\nAlerts firing (0)\n  none\n"));
  assert_non_null(strstr(t, "\nChange since the previous report\n"
                            "  no previous report to compare with\n"));
  assert_null(strstr(t, "Unmatched"));
  assert_null(strstr(t, "Totals")); /* that is the scan layout */
}

/* Fewer requests and failures than before: signed the other way. */
static void test_text_run_change_down(void **state)
{
  struct fixture *f = *state;
  struct rcw_report_window windows[2];
  struct rcw_report r = run_report(f, windows);
  r.previous = &f->lifetime; /* 24 times the period, same mix */
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  const char *t = f->out.data;
  assert_non_null(strstr(t, "\n  requests      12,308   295,392  -283,084\n"));
  assert_non_null(strstr(t, "\n  failures         623    14,952   -14,329\n"));
  assert_non_null(strstr(t, "\n  failure rate   5.06%     5.06%  0.00 pts\n"));
  assert_non_null(strstr(t, "\n  no failing code is new or more frequent\n"));
}

/* How long each alert has fired, in the two largest units. */
static void test_text_firing_for(void **state)
{
  struct fixture *f = *state;
  static const int64_t ago[] = {999, 45000, 3 * 3600000, 2 * 86400000 + 3 * 3600000 + 300000,
                                125000, -5000};
  static const char *const want[] = {"999ms", "45s", "3h", "2d 3h", "2m 5s", "0ms"};
  struct rcw_alert a[6];
  for (size_t i = 0; i < 6; i++)
    a[i] = (struct rcw_alert){T0 - ago[i], RCW_ALERT_FIRING, "r", RCW_SEV_WARNING,
                              RCW_SCOPE_TOTAL, "total", 60000, RCW_METRIC_COUNT, 5, 1, 9, 5, ""};
  add(f, &f->period, "-1", NULL, 1);
  struct rcw_report r = {.generated_at = T0, .summary = &f->period, .lifetime = &f->period,
                         .has_alerts = true, .alerts = a, .nalerts = 6};
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  const char *row = strstr(f->out.data, "FIRING FOR\n");
  assert_non_null(row);
  for (size_t i = 0; i < 6; i++) {
    char line[128];
    snprintf(line, sizeof(line), "  warning   r     total  1m          5  > 1        %s\n",
             want[i]);
    row = strchr(row, '\n') + 1;
    assert_true(strncmp(row, line, strlen(line)) == 0);
  }
}

/* Names as long as a config allows and counts in the hundreds of billions:
 * the daemon layout still keeps to 80 columns. */
static void test_text_run_long_names(void **state)
{
  struct fixture *f = *state;
  const char *cat = "a_category_name_as_long_as_a_config_allows_for_sixty_four_bytes_";
  assert_int_equal(rcw_catalog_set_category(f->cat, cat, "x", RCW_SEV_INFO), 0);
  assert_int_equal(rcw_catalog_set_code(f->cat, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", cat, "d"), 0);
  add(f, &f->period, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", NULL, UINT64_C(98765432109));
  static const struct rcw_alert a[] = {
    {T0 - 1, RCW_ALERT_FIRING, "a-rule-name-that-goes-on-and-on-and-on", RCW_SEV_CRITICAL,
     RCW_SCOPE_DIMENSION, "a dimension value \x1b[2J from a log line, long", 86400000,
     RCW_METRIC_COUNT, 1234567, 1000000, 1, 1, "d"}};
  struct rcw_report_window windows[] = {{60000, &f->period}};
  struct rcw_report r = {.generated_at = T0, .summary = &f->period, .windows = windows,
                         .nwindows = 1, .lifetime = &f->period, .has_alerts = true,
                         .alerts = a, .nalerts = 1, .previous = &f->previous};
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_fits_terminal(f->out.data);
  assert_non_null(strstr(f->out.data, "98,765,432,109"));
  assert_non_null(strstr(f->out.data, "  1,234,567  > 1,000,000  "));
  assert_non_null(strstr(f->out.data, "  a-rule-n...  "));
}

static void test_text_hostile_strings(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(rcw_catalog_set_category(f->cat, "a_rather_long_category_name_for_a_table",
                                            "x", RCW_SEV_INFO), 0);
  assert_int_equal(rcw_catalog_set_code(f->cat, "1204", "a_rather_long_category_name_for_a_table",
                                        "A description\nwith a newline, an escape \x1b[31m and "
                                        "more words than an eighty column terminal can hold"),
                   0);
  add(f, &f->period, "1204", NULL, 1);
  static const struct rcw_report_unmatched where[] = {
    {"/tmp/\x1b]0;title\x07/a-very-long-directory-name/and-another-one/app.log", 1, "no pattern"}};
  static const struct rcw_alert a[] = {{T0, RCW_ALERT_FIRING, "r", RCW_SEV_INFO,
                                        RCW_SCOPE_DIMENSION, "value\tfrom\x1b a log line", 60000,
                                        RCW_METRIC_COUNT, 12, 10, 12, 12, "d"}};
  f->period.lines_unmatched = 1;
  struct rcw_report r = {.generated_at = T0, .summary = &f->period, .unmatched = where,
                         .nunmatched = 1, .has_alerts = true, .alerts = a, .nalerts = 1};
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_fits_terminal(f->out.data);
  assert_non_null(strstr(f->out.data, "A description with a newline"));
  assert_non_null(strstr(f->out.data, "..."));
  assert_non_null(strstr(f->out.data, "12  > 10"));
}

static void test_text_empty(void **state)
{
  struct fixture *f = *state;
  struct rcw_report r = {.generated_at = T0, .period_start = T0, .period_end = T0};
  assert_int_equal(rcw_report_text(&r, f->cat, &f->out), 0);
  assert_fits_terminal(f->out.data);
  assert_non_null(strstr(f->out.data, "failure rate  0.00%"));
  assert_null(strstr(f->out.data, "Categories"));
  assert_null(strstr(f->out.data, "Alerts"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_json_scan),
    T(test_json_run),
    T(test_json_scan_with_alerts),
    T(test_json_escapes_paths),
    T(test_alert_json),
    T(test_text_scan),
    T(test_text_run),
    T(test_text_run_short_period),
    T(test_text_run_first_report),
    T(test_text_run_change_down),
    T(test_text_firing_for),
    T(test_text_run_long_names),
    T(test_text_hostile_strings),
    T(test_text_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
