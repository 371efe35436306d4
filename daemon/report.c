/* report — one report, two renderings.  The JSON is the CONTRACT §4 shape
 * for scripts; the text is for a person at an 80-column terminal: the
 * numbers that answer "is it broken?" first, details after. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_COLS 80
#define DEFAULT_TOP_CODES 20
#define BAR_WIDTH 10
#define NAME_COLS_MAX 24 /* names from configs and logs are cut to this */
#define NUM_TEXT 32

/* ===================================================================== */
/* JSON                                                                  */
/* ===================================================================== */

static void json_lines(struct rcw_json *j, const struct rcw_summary *s)
{
  rcw_json_key(j, "lines");
  rcw_json_object_begin(j);
  rcw_json_key(j, "total");
  rcw_json_uint(j, s->lines_total);
  rcw_json_key(j, "matched");
  rcw_json_uint(j, s->lines_matched);
  rcw_json_key(j, "unmatched");
  rcw_json_uint(j, s->lines_unmatched);
  /* Extensions: why lines went unmatched, so that a report read back
   * from its JSON can still be rendered in full. */
  rcw_json_key(j, "too_long");
  rcw_json_uint(j, s->unmatched_too_long);
  rcw_json_key(j, "regex_limit");
  rcw_json_uint(j, s->unmatched_limit);
  rcw_json_object_end(j);
}

static double rate(uint64_t part, uint64_t whole)
{
  return whole ? (double)part / (double)whole : 0.0;
}

static void json_categories(struct rcw_json *j, const struct rcw_summary *s, const rcw_catalog *c)
{
  rcw_json_key(j, "categories");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < s->ncategories; i++) {
    const struct rcw_summary_category *sc = &s->categories[i];
    rcw_json_object_begin(j);
    rcw_json_key(j, "name");
    rcw_json_string(j, rcw_catalog_category(c, sc->category)->name);
    rcw_json_key(j, "failures");
    rcw_json_uint(j, sc->failures);
    rcw_json_key(j, "failure_rate");
    rcw_json_double(j, rate(sc->failures, s->requests));
    rcw_json_key(j, "count");
    rcw_json_uint(j, sc->count);
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
}

static void json_codes(struct rcw_json *j, const struct rcw_summary *s, const rcw_catalog *c)
{
  rcw_json_key(j, "codes");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < s->ncodes; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, s->codes[i].entry);
    rcw_json_object_begin(j);
    rcw_json_key(j, "code");
    rcw_json_string(j, e->code);
    rcw_json_key(j, "category");
    rcw_json_string(j, rcw_catalog_category(c, e->category)->name);
    rcw_json_key(j, "description");
    rcw_json_string(j, e->description);
    rcw_json_key(j, "count");
    rcw_json_uint(j, s->codes[i].count);
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
}

int rcw_report_summary_json(const struct rcw_tally *t, const rcw_catalog *c, struct rcw_json *j)
{
  struct rcw_summary s;
  int r = rcw_summary_build(&s, t, c);
  if (r < 0)
    return r;
  rcw_json_object_begin(j);
  json_lines(j, &s);
  rcw_json_key(j, "requests");
  rcw_json_uint(j, s.requests);
  rcw_json_key(j, "failures");
  rcw_json_uint(j, s.failures);
  rcw_json_key(j, "failure_rate");
  rcw_json_double(j, s.failure_rate);
  json_categories(j, &s, c);
  json_codes(j, &s, c);
  rcw_json_object_end(j);
  rcw_summary_destroy(&s);
  return j->out->oom ? -ENOMEM : 0;
}

static int json_windows(struct rcw_json *j, const struct rcw_report *r, const rcw_catalog *c)
{
  int err = 0;
  rcw_json_key(j, "windows");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < r->nwindows && err == 0; i++) {
    char name[32];
    rcw_format_duration(r->windows[i].window_ms, name, sizeof(name));
    rcw_json_object_begin(j);
    rcw_json_key(j, "window");
    rcw_json_string(j, name);
    rcw_json_key(j, "summary");
    err = rcw_report_summary_json(r->windows[i].tally, c, j);
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
  return err;
}

static void json_sources(struct rcw_json *j, const struct rcw_report *r)
{
  rcw_json_key(j, "sources");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < r->nsources; i++) {
    const struct rcw_report_source *src = &r->sources[i];
    rcw_json_object_begin(j);
    rcw_json_key(j, "name");
    rcw_json_string(j, src->name);
    rcw_json_key(j, "files");
    rcw_json_array_begin(j);
    for (size_t k = 0; k < src->nfiles; k++) {
      rcw_json_object_begin(j);
      rcw_json_key(j, "path");
      rcw_json_string(j, src->files[k].path);
      rcw_json_key(j, "offset");
      rcw_json_uint(j, src->files[k].offset);
      rcw_json_object_end(j);
    }
    rcw_json_array_end(j);
    rcw_json_object_end(j);
  }
  rcw_json_array_end(j);
}

static void json_alerts(struct rcw_json *j, const struct rcw_report *r)
{
  rcw_json_key(j, "alerts");
  rcw_json_array_begin(j);
  for (size_t i = 0; i < r->nalerts; i++)
    rcw_alert_json(&r->alerts[i], j);
  rcw_json_array_end(j);
}

static void json_header(struct rcw_json *j, const struct rcw_report *r)
{
  rcw_json_key(j, "rcwatch_report");
  rcw_json_int(j, 1);
  rcw_json_key(j, "generated_at");
  rcw_json_time(j, r->generated_at);
  rcw_json_key(j, "period");
  rcw_json_object_begin(j);
  rcw_json_key(j, "start");
  rcw_json_time(j, r->period_start);
  rcw_json_key(j, "end");
  rcw_json_time(j, r->period_end);
  rcw_json_object_end(j);
}

/* The optional members: windows and lifetime exist in `run` only. */
static int json_run_members(struct rcw_json *j, const struct rcw_report *r, const rcw_catalog *c)
{
  int err = 0;
  if (r->nwindows > 0 || r->lifetime)
    err = json_windows(j, r, c);
  if (err == 0 && r->lifetime) {
    rcw_json_key(j, "lifetime");
    err = rcw_report_summary_json(r->lifetime, c, j);
  }
  return err;
}

int rcw_report_json(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out)
{
  struct rcw_json j;
  struct rcw_tally empty;
  rcw_tally_init(&empty);
  rcw_json_init(&j, out, true);
  rcw_json_object_begin(&j);
  json_header(&j, r);
  rcw_json_key(&j, "summary");
  int err = rcw_report_summary_json(r->summary ? r->summary : &empty, c, &j);
  if (err == 0)
    err = json_run_members(&j, r, c);
  if (r->has_alerts)
    json_alerts(&j, r);
  json_sources(&j, r);
  rcw_json_object_end(&j);
  rcw_buf_putc(out, '\n');
  return err < 0 ? err : out->oom ? -ENOMEM : 0;
}

/* ===================================================================== */
/* Text                                                                  */
/* ===================================================================== */

/* Columns a UTF-8 string takes, counting one per code point (the texts
 * here are names, codes and descriptions: no wide or combining marks to
 * speak of). */
static size_t text_cols(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static size_t utf8_seq_len(const unsigned char *s)
{
  size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

/* Append s cut to at most maxcols columns ("..." marks a cut), with
 * control characters and broken UTF-8 made harmless: paths and keys can
 * come from log data and must not drive the terminal.  Returns the
 * columns written. */
static size_t put_clean(struct rcw_buf *b, const char *s, size_t maxcols)
{
  bool cut = text_cols(s) > maxcols;
  size_t limit = cut ? (maxcols > 3 ? maxcols - 3 : 0) : maxcols;
  size_t cols = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p && cols < limit) {
    size_t n = utf8_seq_len(p);
    if (n == 1 && (*p < 0x20 || *p == 0x7f))
      rcw_buf_putc(b, ' ');
    else if (n == 0)
      rcw_buf_putc(b, '?');
    else
      rcw_buf_append(b, p, n);
    p += n ? n : 1;
    cols++;
  }
  if (cut)
    rcw_buf_append(b, "...", maxcols < 3 ? maxcols : 3);
  return cut ? cols + (maxcols < 3 ? maxcols : 3) : cols;
}

/* One table cell: s padded to width, left or right aligned. */
static void put_cell(struct rcw_buf *b, const char *s, size_t width, bool right)
{
  size_t cols = text_cols(s);
  size_t fill = cols < width ? width - cols : 0;
  if (right)
    rcw_buf_pad(b, ' ', fill);
  size_t written = put_clean(b, s, width > cols ? cols : width);
  if (!right)
    rcw_buf_pad(b, ' ', written < width ? width - written : 0);
}

static void fmt_count(uint64_t v, char *out)
{
  char digits[NUM_TEXT];
  int len = snprintf(digits, sizeof(digits), "%" PRIu64, v);
  size_t o = 0;
  for (int i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      out[o++] = ',';
    out[o++] = digits[i];
  }
  out[o] = '\0';
}

static void fmt_pct(double r, char *out)
{
  if (r > 0 && r < 0.00005)
    snprintf(out, NUM_TEXT, "<0.01%%");
  else
    snprintf(out, NUM_TEXT, "%.2f%%", r * 100.0);
}

static size_t max_size(size_t a, size_t b)
{
  return a > b ? a : b;
}

static size_t min_size(size_t a, size_t b)
{
  return a < b ? a : b;
}

static size_t count_cols(uint64_t v)
{
  char text[NUM_TEXT];
  fmt_count(v, text);
  return strlen(text);
}

/* --- header and totals ------------------------------------------------ */

static void text_header(struct rcw_buf *b, const struct rcw_report *r)
{
  char start[RCW_TIME_TEXT_MAX], end[RCW_TIME_TEXT_MAX], gen[RCW_TIME_TEXT_MAX];
  rcw_format_time(r->period_start, start, sizeof(start));
  rcw_format_time(r->period_end, end, sizeof(end));
  rcw_format_time(r->generated_at, gen, sizeof(gen));
  rcw_buf_puts(b, "rcwatch report\n");
  rcw_buf_printf(b, "  period     %s .. %s\n", start, end);
  rcw_buf_printf(b, "  generated  %s\n", gen);
}

static void text_totals(struct rcw_buf *b, const struct rcw_summary *s)
{
  char total[NUM_TEXT], matched[NUM_TEXT], unmatched[NUM_TEXT];
  char requests[NUM_TEXT], failures[NUM_TEXT], pct[NUM_TEXT];
  fmt_count(s->lines_total, total);
  fmt_count(s->lines_matched, matched);
  fmt_count(s->lines_unmatched, unmatched);
  fmt_count(s->requests, requests);
  fmt_count(s->failures, failures);
  fmt_pct(s->failure_rate, pct);
  size_t w = max_size(max_size(strlen(total), strlen(requests)), strlen(pct));
  rcw_buf_puts(b, "\nTotals\n");
  rcw_buf_printf(b, "  lines         %*s  (%s matched, %s unmatched)\n", (int)w, total, matched,
                 unmatched);
  rcw_buf_printf(b, "  requests      %*s\n", (int)w, requests);
  rcw_buf_printf(b, "  failures      %*s\n", (int)w, failures);
  rcw_buf_printf(b, "  failure rate  %*s\n", (int)w, pct);
}

/* --- categories ------------------------------------------------------- */

struct cat_cols {
  size_t name, count, failures;
  uint64_t max_failures;
};

static struct cat_cols category_widths(const struct rcw_summary *s, const rcw_catalog *c)
{
  struct cat_cols w = {strlen("CATEGORY"), strlen("RESPONSES"), strlen("FAILURES"), 0};
  for (size_t i = 0; i < s->ncategories; i++) {
    const struct rcw_summary_category *sc = &s->categories[i];
    w.name = max_size(w.name, text_cols(rcw_catalog_category(c, sc->category)->name));
    w.count = max_size(w.count, count_cols(sc->count));
    w.failures = max_size(w.failures, count_cols(sc->failures));
    w.max_failures = sc->failures > w.max_failures ? sc->failures : w.max_failures;
  }
  w.name = min_size(w.name, NAME_COLS_MAX);
  return w;
}

static void category_row(struct rcw_buf *b, const struct cat_cols *w,
                         const struct rcw_summary_category *sc, const struct rcw_summary *s,
                         const rcw_catalog *c)
{
  const struct rcw_category *cat = rcw_catalog_category(c, sc->category);
  char count[NUM_TEXT], failures[NUM_TEXT], pct[NUM_TEXT];
  fmt_count(sc->count, count);
  fmt_count(sc->failures, failures);
  fmt_pct(rate(sc->failures, s->requests), pct);
  rcw_buf_puts(b, "  ");
  put_cell(b, cat->name, w->name, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, count, w->count, true);
  rcw_buf_puts(b, "  ");
  put_cell(b, failures, w->failures, true);
  rcw_buf_puts(b, "  ");
  put_cell(b, pct, strlen("FAILED %"), true);
  rcw_buf_puts(b, "  ");
  put_cell(b, rcw_severity_name(cat->severity), strlen("critical"), false);
  /* The bar compares categories with each other, so the worst one fills
   * it; any failure at all shows at least one mark. */
  size_t bar = 0;
  if (sc->failures > 0)
    bar = 1 + (size_t)((double)(BAR_WIDTH - 1) * (double)sc->failures / (double)w->max_failures);
  rcw_buf_puts(b, "  ");
  rcw_buf_pad(b, '#', bar);
  while (b->len > 0 && b->data[b->len - 1] == ' ')
    b->data[--b->len] = '\0';
  rcw_buf_putc(b, '\n');
}

static void text_categories(struct rcw_buf *b, const struct rcw_summary *s, const rcw_catalog *c)
{
  if (s->ncategories == 0)
    return;
  struct cat_cols w = category_widths(s, c);
  rcw_buf_puts(b, "\nCategories\n  ");
  put_cell(b, "CATEGORY", w.name, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "RESPONSES", w.count, true);
  rcw_buf_puts(b, "  ");
  put_cell(b, "FAILURES", w.failures, true);
  rcw_buf_puts(b, "  FAILED %  SEVERITY\n");
  for (size_t i = 0; i < s->ncategories; i++)
    category_row(b, &w, &s->categories[i], s, c);
}

/* --- codes ------------------------------------------------------------ */

struct code_cols {
  size_t code, category, count, desc;
};

static struct code_cols code_widths(const struct rcw_summary *s, size_t n, const rcw_catalog *c)
{
  struct code_cols w = {strlen("CODE"), strlen("CATEGORY"), strlen("COUNT"), 0};
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, s->codes[i].entry);
    w.code = max_size(w.code, text_cols(e->code));
    w.category = max_size(w.category, text_cols(rcw_catalog_category(c, e->category)->name));
    w.count = max_size(w.count, count_cols(s->codes[i].count));
  }
  w.category = min_size(w.category, NAME_COLS_MAX);
  size_t used = 2 + w.code + 2 + w.category + 2 + w.count + 2;
  w.desc = used + 20 < TEXT_COLS ? TEXT_COLS - used : 20;
  return w;
}

static void text_codes(struct rcw_buf *b, const struct rcw_summary *s, const rcw_catalog *c,
                       size_t top)
{
  size_t n = min_size(s->ncodes, top ? top : DEFAULT_TOP_CODES);
  if (n == 0)
    return;
  struct code_cols w = code_widths(s, n, c);
  if (n < s->ncodes)
    rcw_buf_printf(b, "\nTop codes (%zu of %zu)\n  ", n, s->ncodes);
  else
    rcw_buf_puts(b, "\nCodes\n  ");
  put_cell(b, "CODE", w.code, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "CATEGORY", w.category, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "COUNT", w.count, true);
  rcw_buf_puts(b, "  DESCRIPTION\n");
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, s->codes[i].entry);
    char count[NUM_TEXT];
    fmt_count(s->codes[i].count, count);
    rcw_buf_puts(b, "  ");
    put_cell(b, e->code, w.code, false);
    rcw_buf_puts(b, "  ");
    put_cell(b, rcw_catalog_category(c, e->category)->name, w.category, false);
    rcw_buf_puts(b, "  ");
    put_cell(b, count, w.count, true);
    rcw_buf_puts(b, "  ");
    put_clean(b, e->description, w.desc);
    rcw_buf_putc(b, '\n');
  }
}

/* --- unmatched lines -------------------------------------------------- */

static void reason_row(struct rcw_buf *b, const char *reason, uint64_t n, size_t w)
{
  char count[NUM_TEXT];
  if (n == 0)
    return;
  fmt_count(n, count);
  rcw_buf_printf(b, "  %-22s %*s\n", reason, (int)w, count);
}

/* Locations are PATH:LINE, the path cut to keep the reason on the line. */
#define LOCATION_PATH_COLS 52

static size_t location_cols(const struct rcw_report_unmatched *u)
{
  char where[NUM_TEXT];
  snprintf(where, sizeof(where), ":%" PRIu64, u->line_number);
  return min_size(text_cols(u->path ? u->path : "-"), LOCATION_PATH_COLS) + strlen(where);
}

static void location_row(struct rcw_buf *b, const struct rcw_report_unmatched *u, size_t width)
{
  char where[NUM_TEXT];
  snprintf(where, sizeof(where), ":%" PRIu64, u->line_number);
  rcw_buf_puts(b, "    ");
  size_t cols = put_clean(b, u->path ? u->path : "-", LOCATION_PATH_COLS) + strlen(where);
  rcw_buf_puts(b, where);
  rcw_buf_pad(b, ' ', (cols < width ? width - cols : 0) + 2);
  put_clean(b, u->reason ? u->reason : "unmatched", TEXT_COLS - 6 - width);
  rcw_buf_putc(b, '\n');
}

static void text_unmatched(struct rcw_buf *b, const struct rcw_summary *s,
                           const struct rcw_report *r)
{
  if (s->lines_unmatched == 0)
    return;
  uint64_t special = s->unmatched_too_long + s->unmatched_limit;
  uint64_t none = s->lines_unmatched > special ? s->lines_unmatched - special : 0;
  size_t w = count_cols(s->lines_unmatched);
  rcw_buf_puts(b, "\nUnmatched lines\n");
  reason_row(b, "no pattern matched", none, w);
  reason_row(b, "longer than 64 KiB", s->unmatched_too_long, w);
  reason_row(b, "regex limit hit", s->unmatched_limit, w);
  if (r->nunmatched == 0)
    return;
  size_t width = 0;
  for (size_t i = 0; i < r->nunmatched; i++)
    width = max_size(width, location_cols(&r->unmatched[i]));
  rcw_buf_printf(b, "  first %s:\n", r->nunmatched == 1 ? "one" : "ones");
  for (size_t i = 0; i < r->nunmatched; i++)
    location_row(b, &r->unmatched[i], width);
}

/* --- alerts ----------------------------------------------------------- */

static void fmt_metric(const struct rcw_alert *a, double v, char *out)
{
  if (a->metric == RCW_METRIC_FAILURE_RATE)
    fmt_pct(v, out);
  else
    snprintf(out, NUM_TEXT, "%.15g", v);
}

struct alert_cols {
  size_t rule, key, value;
};

static struct alert_cols alert_widths(const struct rcw_report *r)
{
  struct alert_cols w = {strlen("RULE"), strlen("KEY"), strlen("VALUE")};
  for (size_t i = 0; i < r->nalerts; i++) {
    char v[NUM_TEXT];
    fmt_metric(&r->alerts[i], r->alerts[i].value, v);
    w.rule = max_size(w.rule, text_cols(r->alerts[i].rule ? r->alerts[i].rule : ""));
    w.key = max_size(w.key, text_cols(r->alerts[i].key ? r->alerts[i].key : ""));
    w.value = max_size(w.value, strlen(v));
  }
  w.rule = min_size(w.rule, 20);
  w.key = min_size(w.key, 16);
  return w;
}

static void alert_row(struct rcw_buf *b, const struct alert_cols *w, const struct rcw_alert *a)
{
  char at[RCW_TIME_TEXT_MAX], value[NUM_TEXT], threshold[NUM_TEXT];
  rcw_format_time(a->at, at, sizeof(at));
  fmt_metric(a, a->value, value);
  fmt_metric(a, a->threshold, threshold);
  rcw_buf_printf(b, "  %s  %-8s  ", at, rcw_alert_state_name(a->state));
  put_cell(b, a->rule ? a->rule : "", w->rule, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, a->key ? a->key : "", w->key, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, value, w->value, true);
  rcw_buf_printf(b, " %s %s\n", a->state == RCW_ALERT_FIRING ? " >" : "<=", threshold);
}

static void text_alerts(struct rcw_buf *b, const struct rcw_report *r)
{
  if (!r->has_alerts)
    return;
  rcw_buf_printf(b, "\nAlerts (%zu)\n", r->nalerts);
  if (r->nalerts == 0) {
    rcw_buf_puts(b, "  none\n");
    return;
  }
  struct alert_cols w = alert_widths(r);
  rcw_buf_printf(b, "  %-24s  %-8s  ", "TIME", "STATE");
  put_cell(b, "RULE", w.rule, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "KEY", w.key, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "VALUE", w.value, true);
  rcw_buf_puts(b, "    THRESHOLD\n");
  for (size_t i = 0; i < r->nalerts; i++)
    alert_row(b, &w, &r->alerts[i]);
}

/* --- windows and lifetime --------------------------------------------- */

static int window_row(struct rcw_buf *b, const char *label, const struct rcw_tally *t,
                      const rcw_catalog *c)
{
  struct rcw_summary s;
  if (rcw_summary_build(&s, t, c) < 0)
    return -ENOMEM;
  char requests[NUM_TEXT], failures[NUM_TEXT], pct[NUM_TEXT];
  fmt_count(s.requests, requests);
  fmt_count(s.failures, failures);
  fmt_pct(s.failure_rate, pct);
  rcw_buf_printf(b, "  %-8s  %12s  %12s  %8s  ", label, requests, failures, pct);
  if (s.ncategories > 0 && s.categories[0].failures > 0) {
    char n[NUM_TEXT];
    fmt_count(s.categories[0].failures, n);
    put_clean(b, rcw_catalog_category(c, s.categories[0].category)->name, NAME_COLS_MAX);
    rcw_buf_printf(b, " (%s)", n);
  } else {
    rcw_buf_putc(b, '-');
  }
  rcw_buf_putc(b, '\n');
  rcw_summary_destroy(&s);
  return 0;
}

static int text_windows(struct rcw_buf *b, const struct rcw_report *r, const rcw_catalog *c)
{
  if (r->nwindows == 0 && !r->lifetime)
    return 0;
  rcw_buf_printf(b, "\nWindows\n  %-8s  %12s  %12s  %8s  %s\n", "WINDOW", "REQUESTS", "FAILURES",
                 "FAILED %", "TOP FAILING CATEGORY");
  int err = 0;
  for (size_t i = 0; i < r->nwindows && err == 0; i++) {
    char name[32];
    rcw_format_duration(r->windows[i].window_ms, name, sizeof(name));
    err = window_row(b, name, r->windows[i].tally, c);
  }
  if (err == 0 && r->lifetime)
    err = window_row(b, "lifetime", r->lifetime, c);
  return err;
}

/* --- sources ---------------------------------------------------------- */

#define SOURCE_PATH_COLS 56

static void source_files(struct rcw_buf *b, const struct rcw_report_source *src)
{
  size_t width = 0;
  for (size_t k = 0; k < src->nfiles; k++)
    width = max_size(width, text_cols(src->files[k].path ? src->files[k].path : "-"));
  width = min_size(width, SOURCE_PATH_COLS);
  size_t wnum = 0;
  for (size_t k = 0; k < src->nfiles; k++)
    wnum = max_size(wnum, count_cols(src->files[k].offset));
  for (size_t k = 0; k < src->nfiles; k++) {
    char offset[NUM_TEXT];
    fmt_count(src->files[k].offset, offset);
    rcw_buf_puts(b, "    ");
    put_cell(b, src->files[k].path ? src->files[k].path : "-", width, false);
    rcw_buf_printf(b, "  %*s bytes\n", (int)wnum, offset);
  }
}

static void text_sources(struct rcw_buf *b, const struct rcw_report *r)
{
  if (r->nsources == 0)
    return;
  rcw_buf_puts(b, "\nSources\n");
  for (size_t i = 0; i < r->nsources; i++) {
    const struct rcw_report_source *src = &r->sources[i];
    rcw_buf_puts(b, "  ");
    put_clean(b, src->name ? src->name : "-", NAME_COLS_MAX);
    rcw_buf_printf(b, " (%zu file%s)\n", src->nfiles, src->nfiles == 1 ? "" : "s");
    source_files(b, src);
  }
}

int rcw_report_text(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out)
{
  struct rcw_tally empty;
  struct rcw_summary s;
  rcw_tally_init(&empty);
  if (rcw_summary_build(&s, r->summary ? r->summary : &empty, c) < 0)
    return -ENOMEM;
  text_header(out, r);
  text_totals(out, &s);
  text_categories(out, &s, c);
  text_codes(out, &s, c, r->top_codes);
  text_unmatched(out, &s, r);
  text_alerts(out, r);
  int err = text_windows(out, r, c);
  text_sources(out, r);
  rcw_summary_destroy(&s);
  return err < 0 ? err : out->oom ? -ENOMEM : 0;
}
