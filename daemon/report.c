/* report — one report, two renderings.  The JSON is the CONTRACT §4 shape
 * for scripts; the text is for a person at an 80-column terminal: the
 * numbers that answer "is it broken?" first, details after. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define TEXT_COLS 80
#define DEFAULT_TOP_CODES 20
#define BAR_WIDTH 10
#define NAME_COLS_MAX 24 /* names from configs and logs are cut to this */
#define NUM_TEXT 32
#define MIN_DESC_COLS 20 /* names narrow to leave a description this much */

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

static void json_period(struct rcw_json *j, int64_t start, int64_t end)
{
  rcw_json_key(j, "period");
  rcw_json_object_begin(j);
  rcw_json_key(j, "start");
  rcw_json_time(j, start);
  rcw_json_key(j, "end");
  rcw_json_time(j, end);
  rcw_json_object_end(j);
}

static void json_header(struct rcw_json *j, const struct rcw_report *r)
{
  rcw_json_key(j, "rcwatch_report");
  rcw_json_int(j, 1);
  rcw_json_key(j, "generated_at");
  rcw_json_time(j, r->generated_at);
  json_period(j, r->period_start, r->period_end);
}

/* Extension: the previous report's period, shaped like the report's own
 * period and summary, so a reader can show what changed without the
 * previous file (which may have been pruned). */
static int json_previous(struct rcw_json *j, const struct rcw_report *r, const rcw_catalog *c)
{
  rcw_json_key(j, "previous");
  rcw_json_object_begin(j);
  json_period(j, r->previous_start, r->previous_end);
  rcw_json_key(j, "summary");
  int err = rcw_report_summary_json(r->previous, c, j);
  rcw_json_object_end(j);
  return err;
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
  if (err == 0 && r->previous)
    err = json_previous(&j, r, c);
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

/* The line ends here, without the padding of an empty last cell. */
static void end_line(struct rcw_buf *b)
{
  while (b->len > 0 && b->data[b->len - 1] == ' ')
    b->data[--b->len] = '\0';
  rcw_buf_putc(b, '\n');
}

/* Narrow the widest of the given columns, one column at a time, until a
 * line of `used` columns fits the terminal or none can go below min:
 * names give way, numbers never do. */
static void fit_columns(size_t *const cols[], size_t n, size_t used, size_t min)
{
  while (used > TEXT_COLS) {
    size_t *widest = NULL;
    for (size_t i = 0; i < n; i++)
      if (*cols[i] > min && (!widest || *cols[i] > *widest))
        widest = cols[i];
    if (!widest)
      return;
    (*widest)--;
    used--;
  }
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
  size_t name, count, failures, bar;
  uint64_t max_failures;
};

static struct cat_cols category_widths(const struct rcw_summary *s, const rcw_catalog *c)
{
  struct cat_cols w = {strlen("CATEGORY"), strlen("RESPONSES"), strlen("FAILURES"), 0, 0};
  for (size_t i = 0; i < s->ncategories; i++) {
    const struct rcw_summary_category *sc = &s->categories[i];
    w.name = max_size(w.name, text_cols(rcw_catalog_category(c, sc->category)->name));
    w.count = max_size(w.count, count_cols(sc->count));
    w.failures = max_size(w.failures, count_cols(sc->failures));
    w.max_failures = sc->failures > w.max_failures ? sc->failures : w.max_failures;
  }
  w.name = min_size(w.name, NAME_COLS_MAX);
  /* Huge counts take room from the name first, then from the bar. */
  size_t numbers = 2 + w.count + 2 + w.failures + 2 + strlen("FAILED %") + 2 + strlen("critical");
  fit_columns((size_t *const[]){&w.name}, 1, 2 + w.name + numbers + 2 + BAR_WIDTH,
              strlen("CATEGORY"));
  size_t used = 2 + w.name + numbers + 2;
  w.bar = used < TEXT_COLS ? min_size(BAR_WIDTH, TEXT_COLS - used) : 0;
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
  if (sc->failures > 0 && w->bar > 0)
    bar = 1 + (size_t)((double)(w->bar - 1) * (double)sc->failures / (double)w->max_failures);
  rcw_buf_puts(b, "  ");
  rcw_buf_pad(b, '#', bar);
  end_line(b);
}

static void text_categories(struct rcw_buf *b, const char *heading, const struct rcw_summary *s,
                            const rcw_catalog *c)
{
  if (s->ncategories == 0)
    return;
  struct cat_cols w = category_widths(s, c);
  rcw_buf_printf(b, "\n%s\n  ", heading);
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

/* A code table lists the first n codes of a summary, or of its failing
 * codes only: successes are no news in a daemon's report. */
struct code_pick {
  const struct rcw_summary *s;
  bool failing_only;
  size_t n;
};

static bool picked(const struct code_pick *p, const rcw_catalog *c, size_t i)
{
  return !p->failing_only || !rcw_catalog_entry(c, p->s->codes[i].entry)->success;
}

struct code_cols {
  size_t code, category, count, desc;
};

static struct code_cols code_widths(const struct code_pick *p, const rcw_catalog *c)
{
  struct code_cols w = {strlen("CODE"), strlen("CATEGORY"), strlen("COUNT"), 0};
  for (size_t i = 0, k = 0; i < p->s->ncodes && k < p->n; i++) {
    if (!picked(p, c, i))
      continue;
    const struct rcw_entry *e = rcw_catalog_entry(c, p->s->codes[i].entry);
    w.code = max_size(w.code, text_cols(e->code));
    w.category = max_size(w.category, text_cols(rcw_catalog_category(c, e->category)->name));
    w.count = max_size(w.count, count_cols(p->s->codes[i].count));
    k++;
  }
  w.code = min_size(w.code, NAME_COLS_MAX);
  w.category = min_size(w.category, NAME_COLS_MAX);
  fit_columns((size_t *const[]){&w.code, &w.category}, 2,
              2 + w.code + 2 + w.category + 2 + w.count + 2 + MIN_DESC_COLS, strlen("CATEGORY"));
  size_t used = 2 + w.code + 2 + w.category + 2 + w.count + 2;
  w.desc = used < TEXT_COLS ? TEXT_COLS - used : 0;
  return w;
}

static void code_row(struct rcw_buf *b, const struct code_cols *w,
                     const struct rcw_summary_code *sc, const rcw_catalog *c)
{
  const struct rcw_entry *e = rcw_catalog_entry(c, sc->entry);
  char count[NUM_TEXT];
  fmt_count(sc->count, count);
  rcw_buf_puts(b, "  ");
  put_cell(b, e->code, w->code, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, rcw_catalog_category(c, e->category)->name, w->category, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, count, w->count, true);
  rcw_buf_puts(b, "  ");
  put_clean(b, e->description, w->desc);
  rcw_buf_putc(b, '\n');
}

static void code_table(struct rcw_buf *b, const struct code_pick *p, const rcw_catalog *c)
{
  struct code_cols w = code_widths(p, c);
  rcw_buf_puts(b, "  ");
  put_cell(b, "CODE", w.code, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "CATEGORY", w.category, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "COUNT", w.count, true);
  rcw_buf_puts(b, "  DESCRIPTION\n");
  for (size_t i = 0, k = 0; i < p->s->ncodes && k < p->n; i++) {
    if (picked(p, c, i)) {
      code_row(b, &w, &p->s->codes[i], c);
      k++;
    }
  }
}

static void text_codes(struct rcw_buf *b, const struct rcw_summary *s, const rcw_catalog *c,
                       size_t top)
{
  struct code_pick p = {s, false, min_size(s->ncodes, top ? top : DEFAULT_TOP_CODES)};
  if (p.n == 0)
    return;
  if (p.n < s->ncodes)
    rcw_buf_printf(b, "\nTop codes (%zu of %zu)\n", p.n, s->ncodes);
  else
    rcw_buf_puts(b, "\nCodes\n");
  code_table(b, &p, c);
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

/* A count reads best whole and grouped; anything else (a count rule's
 * value is a double) to four digits, which is all a person reads. */
static void fmt_metric(const struct rcw_alert *a, double v, char *out)
{
  if (a->metric == RCW_METRIC_FAILURE_RATE)
    fmt_pct(v, out);
  else if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v)
    fmt_count((uint64_t)v, out);
  else
    snprintf(out, NUM_TEXT, "%.4g", v);
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

/* ===================================================================== */
/* Text: the daemon's layout                                             */
/* ===================================================================== */

#define DAEMON_TOP_CODES 10
#define TOP_CHANGES 5
/* Below this many requests the period says little (a report asked for
 * with SIGUSR1 moments after the previous one), so categories and codes
 * come from the longest window instead. */
#define FEW_REQUESTS 100

/* A span of time the report has figures for: a window, the period or the
 * lifetime, with its summary built once for every section that needs it. */
struct span {
  char label[NUM_TEXT]; /* "last 5m", "this period", "lifetime" */
  struct rcw_summary s;
  bool built;
};

struct daemon_text {
  const struct rcw_report *r;
  const rcw_catalog *c;
  struct span *spans; /* the windows, then the period, then the lifetime */
  size_t nspans;
  const struct span *period;
  const struct span *focus; /* what categories and codes are shown for */
};

/* "1h 5m", "45s", "2d 3h": the two largest units, for a person. */
static void fmt_span(int64_t ms, char *out)
{
  static const struct {
    int64_t ms;
    const char *unit;
  } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  const size_t n = sizeof(units) / sizeof(units[0]);
  if (ms < 1000) {
    snprintf(out, NUM_TEXT, "%" PRId64 "ms", ms > 0 ? ms : 0);
    return;
  }
  size_t i = 0;
  while (ms < units[i].ms)
    i++;
  int64_t hi = ms / units[i].ms;
  int64_t lo = i + 1 < n ? ms % units[i].ms / units[i + 1].ms : 0;
  if (lo > 0)
    snprintf(out, NUM_TEXT, "%" PRId64 "%s %" PRId64 "%s", hi, units[i].unit, lo,
             units[i + 1].unit);
  else
    snprintf(out, NUM_TEXT, "%" PRId64 "%s", hi, units[i].unit);
}

static int span_build(struct span *sp, const char *label, const struct rcw_tally *t,
                      const rcw_catalog *c)
{
  static const struct rcw_tally none; /* a report with no summary shows zeros */
  snprintf(sp->label, sizeof(sp->label), "%s", label);
  if (rcw_summary_build(&sp->s, t ? t : &none, c) < 0)
    return -ENOMEM;
  sp->built = true;
  return 0;
}

static void daemon_free(struct daemon_text *d)
{
  for (size_t i = 0; d->spans && i < d->nspans; i++)
    if (d->spans[i].built)
      rcw_summary_destroy(&d->spans[i].s);
  free(d->spans);
}

/* The period's figures, unless it has few requests and the longest
 * window has more to show. */
static const struct span *pick_focus(const struct daemon_text *d)
{
  const struct span *longest = NULL;
  int64_t longest_ms = 0;
  for (size_t i = 0; i < d->r->nwindows; i++) {
    if (d->r->windows[i].window_ms > longest_ms) {
      longest_ms = d->r->windows[i].window_ms;
      longest = &d->spans[i];
    }
  }
  if (d->period->s.requests >= FEW_REQUESTS || !longest ||
      longest->s.requests <= d->period->s.requests)
    return d->period;
  return longest;
}

static int daemon_init(struct daemon_text *d, const struct rcw_report *r, const rcw_catalog *c)
{
  *d = (struct daemon_text){.r = r, .c = c};
  d->spans = calloc(r->nwindows + 2, sizeof(*d->spans));
  if (!d->spans)
    return -ENOMEM;
  int err = 0;
  for (size_t i = 0; i < r->nwindows && err == 0; i++, d->nspans++) {
    char name[NUM_TEXT], label[NUM_TEXT];
    rcw_format_duration(r->windows[i].window_ms, name, sizeof(name));
    snprintf(label, sizeof(label), "last %s", name);
    err = span_build(&d->spans[i], label, r->windows[i].tally, c);
  }
  d->period = &d->spans[d->nspans];
  if (err == 0)
    err = span_build(&d->spans[d->nspans++], "this period", r->summary, c);
  if (err == 0 && r->lifetime)
    err = span_build(&d->spans[d->nspans++], "lifetime", r->lifetime, c);
  if (err == 0)
    d->focus = pick_focus(d);
  return err;
}

/* --- header and the table of spans -------------------------------------- */

static void daemon_header(struct rcw_buf *b, const struct daemon_text *d)
{
  const struct rcw_report *r = d->r;
  const struct rcw_summary *s = &d->period->s;
  char start[RCW_TIME_TEXT_MAX], end[RCW_TIME_TEXT_MAX], gen[RCW_TIME_TEXT_MAX];
  char len[NUM_TEXT], total[NUM_TEXT], unmatched[NUM_TEXT];
  rcw_format_time(r->period_start, start, sizeof(start));
  rcw_format_time(r->period_end, end, sizeof(end));
  rcw_format_time(r->generated_at, gen, sizeof(gen));
  fmt_span(r->period_end - r->period_start, len);
  fmt_count(s->lines_total, total);
  fmt_count(s->lines_unmatched, unmatched);
  rcw_buf_puts(b, "rcwatch report\n");
  rcw_buf_printf(b, "  period     %s .. %s (%s)\n", start, end, len);
  rcw_buf_printf(b, "  generated  %s\n", gen);
  /* The matched lines are the period's requests, in the table below. */
  rcw_buf_printf(b, "  lines      %s in the period, %s unmatched\n", total, unmatched);
}

struct span_cols {
  size_t label, requests, failures;
};

static size_t span_used(const struct span_cols *w)
{
  return 2 + w->label + 2 + w->requests + 2 + w->failures + 2 + strlen("FAILED %") + 2;
}

/* The category that failed most, with its failures when they fit. */
static void top_category(struct rcw_buf *b, const struct span_cols *w, const struct rcw_summary *s,
                         const rcw_catalog *c)
{
  size_t used = span_used(w);
  size_t room = used < TEXT_COLS ? TEXT_COLS - used : 0;
  if (s->ncategories == 0 || s->categories[0].failures == 0) {
    rcw_buf_puts(b, room > 0 ? "-" : "");
    return;
  }
  const char *name = rcw_catalog_category(c, s->categories[0].category)->name;
  char n[NUM_TEXT];
  fmt_count(s->categories[0].failures, n);
  size_t extra = strlen(n) + 3;
  if (room >= extra + 4) {
    put_clean(b, name, min_size(NAME_COLS_MAX, room - extra));
    rcw_buf_printf(b, " (%s)", n);
  } else {
    put_clean(b, name, room);
  }
}

static void span_row(struct rcw_buf *b, const struct span_cols *w, const struct span *sp,
                     const rcw_catalog *c)
{
  const struct rcw_summary *s = &sp->s;
  char requests[NUM_TEXT], failures[NUM_TEXT], pct[NUM_TEXT];
  fmt_count(s->requests, requests);
  fmt_count(s->failures, failures);
  fmt_pct(s->failure_rate, pct);
  rcw_buf_puts(b, "  ");
  put_cell(b, sp->label, w->label, false);
  rcw_buf_printf(b, "  %*s  %*s  %8s  ", (int)w->requests, requests, (int)w->failures, failures,
                 pct);
  top_category(b, w, s, c);
  end_line(b);
}

/* Requests, failures and failure rate of every span, the short windows
 * first: the answer to "is it broken, and since when?". */
static void daemon_spans(struct rcw_buf *b, const struct daemon_text *d)
{
  struct span_cols w = {strlen("SPAN"), strlen("REQUESTS"), strlen("FAILURES")};
  for (size_t i = 0; i < d->nspans; i++) {
    w.label = max_size(w.label, strlen(d->spans[i].label));
    w.requests = max_size(w.requests, count_cols(d->spans[i].s.requests));
    w.failures = max_size(w.failures, count_cols(d->spans[i].s.failures));
  }
  size_t used = span_used(&w);
  rcw_buf_puts(b, "\nRequests and failures\n  ");
  put_cell(b, "SPAN", w.label, false);
  rcw_buf_printf(b, "  %*s  %*s  FAILED %%  ", (int)w.requests, "REQUESTS", (int)w.failures,
                 "FAILURES");
  put_clean(b, "TOP FAILING CATEGORY", used < TEXT_COLS ? TEXT_COLS - used : 0);
  end_line(b);
  for (size_t i = 0; i < d->nspans; i++)
    span_row(b, &w, &d->spans[i], d->c);
}

/* --- categories and codes ------------------------------------------------ */

static void daemon_details(struct rcw_buf *b, const struct daemon_text *d)
{
  const struct rcw_summary *s = &d->focus->s;
  char heading[2 * NUM_TEXT];
  snprintf(heading, sizeof(heading), "Categories (%s)", d->focus->label);
  text_categories(b, heading, s, d->c);

  size_t nfailing = 0;
  for (size_t i = 0; i < s->ncodes; i++)
    nfailing += !rcw_catalog_entry(d->c, s->codes[i].entry)->success;
  struct code_pick p = {s, true, min_size(nfailing, d->r->top_codes ? d->r->top_codes
                                                                     : DAEMON_TOP_CODES)};
  rcw_buf_printf(b, "\nTop failing codes (%s", d->focus->label);
  if (p.n < nfailing)
    rcw_buf_printf(b, ", %zu of %zu", p.n, nfailing);
  rcw_buf_puts(b, ")\n");
  if (p.n == 0)
    rcw_buf_puts(b, "  none\n");
  else
    code_table(b, &p, d->c);
}

/* --- alerts firing --------------------------------------------------------- */

struct firing_cols {
  size_t rule, key, window, value, threshold, since;
};

static void firing_texts(const struct rcw_report *r, const struct rcw_alert *a,
                         char window[NUM_TEXT], char value[NUM_TEXT], char threshold[NUM_TEXT],
                         char since[NUM_TEXT])
{
  char t[NUM_TEXT];
  rcw_format_duration(a->window_ms, window, NUM_TEXT);
  fmt_metric(a, a->value, value);
  fmt_metric(a, a->threshold, t);
  snprintf(threshold, NUM_TEXT, "%s %s", a->state == RCW_ALERT_FIRING ? ">" : "<=", t);
  if (a->state == RCW_ALERT_FIRING)
    fmt_span(r->generated_at - a->at, since);
  else
    snprintf(since, NUM_TEXT, "resolved");
}

static struct firing_cols firing_widths(const struct rcw_report *r)
{
  struct firing_cols w = {strlen("RULE"), strlen("KEY"), strlen("WINDOW"), strlen("VALUE"),
                          strlen("THRESHOLD"), strlen("FIRING FOR")};
  for (size_t i = 0; i < r->nalerts; i++) {
    const struct rcw_alert *a = &r->alerts[i];
    char window[NUM_TEXT], value[NUM_TEXT], threshold[NUM_TEXT], since[NUM_TEXT];
    firing_texts(r, a, window, value, threshold, since);
    w.rule = max_size(w.rule, text_cols(a->rule ? a->rule : ""));
    w.key = max_size(w.key, text_cols(a->key ? a->key : ""));
    w.window = max_size(w.window, strlen(window));
    w.value = max_size(w.value, strlen(value));
    w.threshold = max_size(w.threshold, strlen(threshold));
    w.since = max_size(w.since, strlen(since));
  }
  w.rule = min_size(w.rule, 20);
  w.key = min_size(w.key, 16);
  size_t others = 2 + strlen("SEVERITY") + 2 + 2 + 2 + w.window + 2 + w.value + 2 + w.threshold +
                  2 + w.since;
  fit_columns((size_t *const[]){&w.rule, &w.key}, 2, others + w.rule + w.key, 4);
  return w;
}

static void firing_row(struct rcw_buf *b, const struct firing_cols *w, const struct rcw_report *r,
                       const struct rcw_alert *a)
{
  char window[NUM_TEXT], value[NUM_TEXT], threshold[NUM_TEXT], since[NUM_TEXT];
  firing_texts(r, a, window, value, threshold, since);
  rcw_buf_printf(b, "  %-8s  ", rcw_severity_name(a->severity));
  put_cell(b, a->rule ? a->rule : "", w->rule, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, a->key ? a->key : "", w->key, false);
  rcw_buf_printf(b, "  %-*s  %*s  %-*s  %s\n", (int)w->window, window, (int)w->value, value,
                 (int)w->threshold, threshold, since);
}

static void daemon_alerts(struct rcw_buf *b, const struct rcw_report *r)
{
  if (!r->has_alerts)
    return;
  rcw_buf_printf(b, "\nAlerts firing (%zu)\n", r->nalerts);
  if (r->nalerts == 0) {
    rcw_buf_puts(b, "  none\n");
    return;
  }
  struct firing_cols w = firing_widths(r);
  rcw_buf_puts(b, "  SEVERITY  ");
  put_cell(b, "RULE", w.rule, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, "KEY", w.key, false);
  rcw_buf_printf(b, "  %-*s  %*s  %-*s  FIRING FOR\n", (int)w.window, "WINDOW", (int)w.value,
                 "VALUE", (int)w.threshold, "THRESHOLD");
  for (size_t i = 0; i < r->nalerts; i++)
    firing_row(b, &w, r, &r->alerts[i]);
}

/* --- change since the previous report -------------------------------------- */

/* "+1,308", "-12", "0" */
static void fmt_delta(uint64_t now, uint64_t before, char *out)
{
  char n[NUM_TEXT];
  fmt_count(now >= before ? now - before : before - now, n);
  snprintf(out, NUM_TEXT, "%s%s", now > before ? "+" : now < before ? "-" : "", n);
}

/* A change of a rate in percentage points: "+2.30 pts". */
static void fmt_points(double now, double before, char *out)
{
  double pts = (now - before) * 100.0;
  if (pts > -0.005 && pts < 0.005)
    snprintf(out, NUM_TEXT, "0.00 pts");
  else
    snprintf(out, NUM_TEXT, "%+.2f pts", pts);
}

static void change_row(struct rcw_buf *b, const char *label, const char *now, const char *before,
                       const char *delta, const size_t w[3])
{
  rcw_buf_printf(b, "  %-12s  %*s  %*s  %*s\n", label, (int)w[0], now, (int)w[1], before,
                 (int)w[2], delta);
}

static void change_totals(struct rcw_buf *b, const struct rcw_summary *now,
                          const struct rcw_summary *before)
{
  char v[3][3][NUM_TEXT]; /* rows requests, failures, rate; columns now, before, change */
  fmt_count(now->requests, v[0][0]);
  fmt_count(before->requests, v[0][1]);
  fmt_delta(now->requests, before->requests, v[0][2]);
  fmt_count(now->failures, v[1][0]);
  fmt_count(before->failures, v[1][1]);
  fmt_delta(now->failures, before->failures, v[1][2]);
  fmt_pct(now->failure_rate, v[2][0]);
  fmt_pct(before->failure_rate, v[2][1]);
  fmt_points(now->failure_rate, before->failure_rate, v[2][2]);
  size_t w[3] = {strlen("NOW"), strlen("PREVIOUS"), strlen("CHANGE")};
  for (size_t row = 0; row < 3; row++)
    for (size_t col = 0; col < 3; col++)
      w[col] = max_size(w[col], strlen(v[row][col]));
  change_row(b, "", "NOW", "PREVIOUS", "CHANGE", w);
  change_row(b, "requests", v[0][0], v[0][1], v[0][2], w);
  change_row(b, "failures", v[1][0], v[1][1], v[1][2], w);
  change_row(b, "failure rate", v[2][0], v[2][1], v[2][2], w);
}

struct growth {
  uint32_t entry;
  uint64_t now, before;
  size_t order; /* in the period's summary: the tie-break */
};

static int growth_cmp(const void *pa, const void *pb)
{
  const struct growth *a = pa, *b = pb;
  uint64_t da = a->now - a->before, db = b->now - b->before;
  if (da != db)
    return da > db ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static uint64_t tally_count(const struct rcw_tally *t, uint32_t entry)
{
  return entry < t->nentries ? t->by_entry[entry] : 0;
}

/* The period's failing codes that were new, or more frequent, than in
 * the previous period, most grown first.  Returns how many (at most
 * TOP_CHANGES), or -ENOMEM. */
static ssize_t growth_list(const struct daemon_text *d, struct growth **out)
{
  const struct rcw_summary *s = &d->period->s;
  struct growth *g = calloc(s->ncodes + 1, sizeof(*g));
  if (!g)
    return -ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < s->ncodes; i++) {
    uint32_t id = s->codes[i].entry;
    uint64_t before = tally_count(d->r->previous, id);
    if (!rcw_catalog_entry(d->c, id)->success && s->codes[i].count > before)
      g[n++] = (struct growth){id, s->codes[i].count, before, i};
  }
  qsort(g, n, sizeof(*g), growth_cmp);
  *out = g;
  return (ssize_t)min_size(n, TOP_CHANGES);
}

struct growth_cols {
  size_t code, category, now, before, change, desc;
};

static struct growth_cols growth_widths(const struct growth *g, size_t n, const rcw_catalog *c)
{
  struct growth_cols w = {strlen("CODE"), strlen("CATEGORY"), strlen("NOW"), strlen("PREVIOUS"),
                          strlen("CHANGE"), 0};
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, g[i].entry);
    char delta[NUM_TEXT];
    fmt_delta(g[i].now, g[i].before, delta);
    w.code = max_size(w.code, text_cols(e->code));
    w.category = max_size(w.category, text_cols(rcw_catalog_category(c, e->category)->name));
    w.now = max_size(w.now, count_cols(g[i].now));
    w.before = max_size(w.before, count_cols(g[i].before));
    w.change = max_size(w.change, strlen(delta));
  }
  w.code = min_size(w.code, NAME_COLS_MAX);
  w.category = min_size(w.category, NAME_COLS_MAX);
  size_t numbers = 2 + w.now + 2 + w.before + 2 + w.change + 2;
  fit_columns((size_t *const[]){&w.code, &w.category}, 2,
              4 + w.code + 2 + w.category + numbers + MIN_DESC_COLS, strlen("CATEGORY"));
  size_t used = 4 + w.code + 2 + w.category + numbers;
  w.desc = used < TEXT_COLS ? TEXT_COLS - used : 0;
  return w;
}

static void growth_row(struct rcw_buf *b, const struct growth_cols *w, const struct growth *g,
                       const rcw_catalog *c)
{
  const struct rcw_entry *e = rcw_catalog_entry(c, g->entry);
  char now[NUM_TEXT], before[NUM_TEXT], delta[NUM_TEXT];
  fmt_count(g->now, now);
  if (g->before > 0)
    fmt_count(g->before, before);
  else
    snprintf(before, sizeof(before), "new");
  fmt_delta(g->now, g->before, delta);
  rcw_buf_puts(b, "    ");
  put_cell(b, e->code, w->code, false);
  rcw_buf_puts(b, "  ");
  put_cell(b, rcw_catalog_category(c, e->category)->name, w->category, false);
  rcw_buf_printf(b, "  %*s  %*s  %*s  ", (int)w->now, now, (int)w->before, before,
                 (int)w->change, delta);
  put_clean(b, e->description, w->desc);
  rcw_buf_putc(b, '\n');
}

static int change_codes(struct rcw_buf *b, const struct daemon_text *d)
{
  struct growth *g;
  ssize_t n = growth_list(d, &g);
  if (n < 0)
    return (int)n;
  if (n == 0) {
    rcw_buf_puts(b, "  no failing code is new or more frequent\n");
  } else {
    struct growth_cols w = growth_widths(g, (size_t)n, d->c);
    rcw_buf_puts(b, "  failing codes new or grown most:\n    ");
    put_cell(b, "CODE", w.code, false);
    rcw_buf_puts(b, "  ");
    put_cell(b, "CATEGORY", w.category, false);
    rcw_buf_printf(b, "  %*s  %*s  %*s  DESCRIPTION\n", (int)w.now, "NOW", (int)w.before,
                   "PREVIOUS", (int)w.change, "CHANGE");
    for (ssize_t i = 0; i < n; i++)
      growth_row(b, &w, &g[i], d->c);
  }
  free(g);
  return 0;
}

static int daemon_change(struct rcw_buf *b, const struct daemon_text *d)
{
  const struct rcw_report *r = d->r;
  rcw_buf_puts(b, "\nChange since the previous report\n");
  if (!r->previous) {
    rcw_buf_puts(b, "  no previous report to compare with\n");
    return 0;
  }
  struct rcw_summary before;
  if (rcw_summary_build(&before, r->previous, d->c) < 0)
    return -ENOMEM;
  char start[RCW_TIME_TEXT_MAX], end[RCW_TIME_TEXT_MAX], len[NUM_TEXT];
  rcw_format_time(r->previous_start, start, sizeof(start));
  rcw_format_time(r->previous_end, end, sizeof(end));
  fmt_span(r->previous_end - r->previous_start, len);
  rcw_buf_printf(b, "  previous  %s .. %s (%s)\n", start, end, len);
  change_totals(b, &d->period->s, &before);
  rcw_summary_destroy(&before);
  return change_codes(b, d);
}

static int text_daemon(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out)
{
  struct daemon_text d;
  int err = daemon_init(&d, r, c);
  if (err == 0) {
    daemon_header(out, &d);
    daemon_spans(out, &d);
    daemon_details(out, &d);
    text_unmatched(out, &d.period->s, r);
    daemon_alerts(out, r);
    err = daemon_change(out, &d);
  }
  if (err == 0)
    text_sources(out, r);
  daemon_free(&d);
  return err;
}

/* A `scan` report covers one finished input: no windows, no lifetime. */
static int text_scan(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out)
{
  struct rcw_tally empty;
  struct rcw_summary s;
  rcw_tally_init(&empty);
  if (rcw_summary_build(&s, r->summary ? r->summary : &empty, c) < 0)
    return -ENOMEM;
  text_header(out, r);
  text_totals(out, &s);
  text_categories(out, "Categories", &s, c);
  text_codes(out, &s, c, r->top_codes);
  text_unmatched(out, &s, r);
  text_alerts(out, r);
  text_sources(out, r);
  rcw_summary_destroy(&s);
  return 0;
}

int rcw_report_text(const struct rcw_report *r, const rcw_catalog *c, struct rcw_buf *out)
{
  bool daemon = r->nwindows > 0 || r->lifetime;
  int err = daemon ? text_daemon(r, c, out) : text_scan(r, c, out);
  return err < 0 ? err : out->oom ? -ENOMEM : 0;
}
