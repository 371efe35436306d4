/* Periodic reports of the running daemon: the period since the previous
 * report, each rolling window, the lifetime counts, the alerts firing now
 * and the files followed, written as JSON and text into reports.directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "log.h"
#include "report.h"
#include "reportdir.h"

struct report_parts {
  struct rcw_tally period, lifetime;
  struct rcw_tally win_tally[RCW_MAX_WINDOWS];
  struct rcw_report_window windows[RCW_MAX_WINDOWS];
  size_t nwindows;
  struct rcw_alert **alerts;
  size_t nalerts, alerts_cap;
  struct rcw_alert *alert_view;
  struct rcw_file_record *files;
  size_t nfiles;
  struct rcw_report_file *file_view;
  struct rcw_report_source *sources;
};

static void collect_alert_cb(void *ctx, const struct rcw_alert *a)
{
  struct report_parts *p = ctx;
  if (p->nalerts == p->alerts_cap) {
    size_t cap = p->alerts_cap ? p->alerts_cap * 2 : 16;
    struct rcw_alert **n = realloc(p->alerts, cap * sizeof(*n));
    if (!n)
      return;
    p->alerts = n;
    p->alerts_cap = cap;
  }
  struct rcw_alert *copy = rcw_alert_dup(a);
  if (copy)
    p->alerts[p->nalerts++] = copy;
}

static int gather_counts(struct rcw_daemon *d, struct report_parts *p)
{
  rcw_tally_init(&p->period);
  rcw_tally_init(&p->lifetime);
  int r = 0;
  for (size_t i = 0; i < d->nsrc && r == 0; i++) {
    r = rcw_tally_merge(&p->period, &d->src[i].period);
    if (r == 0)
      r = rcw_tally_merge(&p->lifetime, &d->src[i].lifetime);
    if (r == 0)
      r = rcw_tally_merge(&p->lifetime, &d->src[i].period);
  }
  p->nwindows = rcw_windows_count(d->windows);
  for (size_t w = 0; w < p->nwindows; w++) {
    rcw_tally_init(&p->win_tally[w]);
    if (r == 0)
      r = rcw_windows_tally(d->windows, w, d->now_ms, &p->win_tally[w]);
    p->windows[w].window_ms = rcw_windows_span(d->windows, w);
    p->windows[w].tally = &p->win_tally[w];
  }
  return r;
}

static int gather_alerts(struct rcw_daemon *d, struct report_parts *p)
{
  rcw_rules_firing(d->rules, false, collect_alert_cb, p);
  p->alert_view = calloc(p->nalerts ? p->nalerts : 1, sizeof(*p->alert_view));
  if (!p->alert_view)
    return -ENOMEM;
  for (size_t i = 0; i < p->nalerts; i++)
    p->alert_view[i] = *p->alerts[i];
  return 0;
}

/* Sources in config order, each with the files it follows now. */
static int gather_sources(struct rcw_daemon *d, struct report_parts *p)
{
  int r = d->tail ? rcw_tail_snapshot(d->tail, &p->files, &p->nfiles) : 0;
  if (r < 0)
    return r;
  p->file_view = calloc(p->nfiles ? p->nfiles : 1, sizeof(*p->file_view));
  p->sources = calloc(d->nsrc ? d->nsrc : 1, sizeof(*p->sources));
  if (!p->file_view || !p->sources)
    return -ENOMEM;
  size_t k = 0;
  for (size_t s = 0; s < d->nsrc; s++) {
    p->sources[s].name = d->src[s].name;
    p->sources[s].files = &p->file_view[k];
    for (size_t f = 0; f < p->nfiles; f++) {
      if (strcmp(p->files[f].source, d->src[s].name) != 0)
        continue;
      p->file_view[k].path = p->files[f].path;
      p->file_view[k++].offset = p->files[f].offset;
      p->sources[s].nfiles++;
    }
  }
  return 0;
}

static void free_parts(struct report_parts *p)
{
  rcw_tally_destroy(&p->period);
  rcw_tally_destroy(&p->lifetime);
  for (size_t w = 0; w < p->nwindows; w++)
    rcw_tally_destroy(&p->win_tally[w]);
  for (size_t i = 0; i < p->nalerts; i++)
    rcw_alert_free(p->alerts[i]);
  free(p->alerts);
  free(p->alert_view);
  rcw_file_records_free(p->files, p->nfiles);
  free(p->file_view);
  free(p->sources);
}

static int write_format(struct rcw_daemon *d, const struct rcw_report *rep, const char *ext)
{
  struct rcw_buf b = RCW_BUF_INIT;
  const struct rcw_reports_spec *spec = &d->cfg->reports;
  int r = strcmp(ext, RCW_REPORT_EXT_JSON) == 0 ? rcw_report_json(rep, d->cfg->catalog, &b)
                                                : rcw_report_text(rep, d->cfg->catalog, &b);
  if (r == 0)
    r = rcw_reportdir_write(spec->directory, rep->generated_at, ext, b.data, b.len, NULL);
  rcw_buf_free(&b);
  if (r == 0) {
    int pr = rcw_reportdir_prune(spec->directory, ext, (size_t)spec->keep);
    if (pr < 0)
      rcw_log_warning("cannot prune old reports in %s: %s", spec->directory, strerror(-pr));
  }
  return r;
}

static int render_and_write(struct rcw_daemon *d, struct report_parts *p)
{
  struct rcw_report rep = {
    .generated_at = d->now_ms,
    .period_start = d->period_start_ms,
    .period_end = d->now_ms,
    .summary = &p->period,
    .windows = p->windows,
    .nwindows = p->nwindows,
    .lifetime = &p->lifetime,
    .has_alerts = true,
    .alerts = p->alert_view,
    .nalerts = p->nalerts,
    .sources = p->sources,
    .nsources = d->nsrc,
    .previous = d->has_previous ? &d->previous : NULL,
    .previous_start = d->previous_start_ms,
    .previous_end = d->previous_end_ms,
  };
  int r = 0;
  if (d->cfg->reports.json)
    r = write_format(d, &rep, RCW_REPORT_EXT_JSON);
  if (r == 0 && d->cfg->reports.text)
    r = write_format(d, &rep, RCW_REPORT_EXT_TEXT);
  return r;
}

/* The period's counts join the lifetime counts and a new period begins;
 * the period just reported is what the next report compares with. */
static void close_period(struct rcw_daemon *d, struct report_parts *p)
{
  struct rcw_tally swap = d->previous;
  d->previous = p->period;
  p->period = swap;
  d->has_previous = true;
  d->previous_start_ms = d->period_start_ms;
  d->previous_end_ms = d->now_ms;
  for (size_t i = 0; i < d->nsrc; i++) {
    if (rcw_tally_merge(&d->src[i].lifetime, &d->src[i].period) == 0)
      rcw_tally_reset(&d->src[i].period);
  }
  d->period_start_ms = d->now_ms;
}

int rcw_reporter_write(struct rcw_daemon *d, const char *why)
{
  struct report_parts p;
  memset(&p, 0, sizeof(p));
  int r = gather_counts(d, &p);
  if (r == 0)
    r = gather_alerts(d, &p);
  if (r == 0)
    r = gather_sources(d, &p);
  if (r == 0)
    r = render_and_write(d, &p);
  if (r == 0)
    close_period(d, &p);
  free_parts(&p);
  if (r < 0) {
    d->report_failures++;
    rcw_log_error("cannot write the %s report to %s: %s", why, d->cfg->reports.directory,
                  strerror(-r));
    return r;
  }
  d->reports_written++;
  rcw_log_info("wrote the %s report to %s", why, d->cfg->reports.directory);
  return 0;
}
