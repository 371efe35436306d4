/* The daemon's Prometheus series (CONTRACT §5 plus self-metrics), rebuilt
 * from the live counters once a second and published as one snapshot, so
 * a scrape never sees half of an update. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon_internal.h"
#include "metrics.h"

#define L RCW_METRICS_LABELS

static void fam(rcw_metrics *m, const char *name, enum rcw_prom_type t, const char *help,
                const char *const *labels, size_t n)
{
  rcw_metrics_family(m, name, t, help, labels, n);
}

static void responses(struct rcw_daemon *d, rcw_metrics *m)
{
  const rcw_catalog *c = d->cfg->catalog;
  fam(m, "rcwatch_responses_total", RCW_PROM_COUNTER,
      "Responses counted, by source, response code and category.",
      L("source", "code", "category"), 3);
  for (size_t s = 0; s < d->nsrc; s++) {
    const struct rcw_source_rt *src = &d->src[s];
    size_t n = src->lifetime.nentries > src->period.nentries ? src->lifetime.nentries
                                                              : src->period.nentries;
    for (size_t i = 0; i < n; i++) {
      uint64_t v = (i < src->lifetime.nentries ? src->lifetime.by_entry[i] : 0) +
                   (i < src->period.nentries ? src->period.by_entry[i] : 0);
      const struct rcw_entry *e = rcw_catalog_entry(c, (uint32_t)i);
      if (v == 0 || !e)
        continue;
      const char *cat = rcw_catalog_category(c, e->category)->name;
      rcw_metrics_sample_u64(m, L(src->name, e->code, cat), v);
    }
  }
}

/* Lifetime counts are the closed periods plus the open one. */
static void lines(struct rcw_daemon *d, rcw_metrics *m)
{
  fam(m, "rcwatch_lines_total", RCW_PROM_COUNTER, "Log lines read, by source and result.",
      L("source", "result"), 2);
  for (size_t s = 0; s < d->nsrc; s++) {
    const struct rcw_tally *l = &d->src[s].lifetime, *p = &d->src[s].period;
    rcw_metrics_sample_u64(m, L(d->src[s].name, "matched"), l->lines_matched + p->lines_matched);
    rcw_metrics_sample_u64(m, L(d->src[s].name, "unmatched"),
                           l->lines_unmatched + p->lines_unmatched);
  }
  fam(m, "rcwatch_lines_skipped_total", RCW_PROM_COUNTER,
      "Unmatched lines by reason: longer than 64 KiB, or a regex limit hit.",
      L("source", "reason"), 2);
  for (size_t s = 0; s < d->nsrc; s++) {
    const struct rcw_tally *l = &d->src[s].lifetime, *p = &d->src[s].period;
    rcw_metrics_sample_u64(m, L(d->src[s].name, "too_long"),
                           l->unmatched_too_long + p->unmatched_too_long);
    rcw_metrics_sample_u64(m, L(d->src[s].name, "regex_limit"),
                           l->unmatched_limit + p->unmatched_limit);
  }
}

static double ratio(uint64_t num, uint64_t den)
{
  return den ? (double)num / (double)den : 0.0;
}

/* A code with several meanings has one entry per meaning: its series sums
 * them, under the first entry seen. */
static uint64_t code_failures(const rcw_windows *w, const rcw_catalog *c, size_t win,
                              const uint32_t *seen, size_t nseen, size_t at, bool *first)
{
  const struct rcw_entry *e = rcw_catalog_entry(c, seen[at]);
  uint64_t sum = rcw_windows_entry(w, win, seen[at]);
  *first = true;
  if (!rcw_catalog_needs_desc(c, e->code, strlen(e->code)))
    return sum;
  for (size_t j = 0; j < nseen; j++) {
    const struct rcw_entry *o = rcw_catalog_entry(c, seen[j]);
    if (j == at || o->success || strcmp(o->code, e->code) != 0)
      continue;
    if (j < at)
      *first = false;
    sum += rcw_windows_entry(w, win, seen[j]);
  }
  return sum;
}

static void ratios_for_window(struct rcw_daemon *d, rcw_metrics *m, size_t win)
{
  const rcw_catalog *c = d->cfg->catalog;
  char wname[32];
  rcw_format_duration(rcw_windows_span(d->windows, win), wname, sizeof(wname));
  struct rcw_win_counts total = rcw_windows_total(d->windows, win);
  rcw_metrics_sample(m, L("total", "total", wname), ratio(total.failures, total.requests));
  size_t n;
  const uint32_t *cats = rcw_windows_categories_seen(d->windows, &n);
  for (size_t i = 0; i < n; i++) {
    const struct rcw_category *cat = rcw_catalog_category(c, cats[i]);
    struct rcw_win_counts k = rcw_windows_category(d->windows, win, cats[i]);
    if (strcmp(cat->name, RCW_CAT_SUCCESS) != 0)
      rcw_metrics_sample(m, L("category", cat->name, wname), ratio(k.failures, total.requests));
  }
  const uint32_t *entries = rcw_windows_entries_seen(d->windows, &n);
  for (size_t i = 0; i < n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(c, entries[i]);
    bool first;
    if (e->success)
      continue;
    uint64_t f = code_failures(d->windows, c, win, entries, n, i, &first);
    if (first)
      rcw_metrics_sample(m, L("code", e->code, wname), ratio(f, total.requests));
  }
}

static void ratios(struct rcw_daemon *d, rcw_metrics *m)
{
  fam(m, "rcwatch_failure_ratio", RCW_PROM_GAUGE,
      "Failures over all requests in a rolling window, by scope and key.",
      L("scope", "key", "window"), 3);
  for (size_t w = 0; w < rcw_windows_count(d->windows); w++)
    ratios_for_window(d, m, w);
}

static void firing_cb(void *ctx, const struct rcw_alert *a)
{
  rcw_metrics_sample(ctx, L(a->rule, a->key), 1);
}

static void alerts(struct rcw_daemon *d, rcw_metrics *m)
{
  fam(m, "rcwatch_alert_firing", RCW_PROM_GAUGE, "1 while an alert of a rule and key fires.",
      L("rule", "key"), 2);
  rcw_rules_firing(d->rules, true, firing_cb, m);
  fam(m, "rcwatch_alert_transitions_total", RCW_PROM_COUNTER,
      "Alert transitions sent to the sinks since start.", NULL, 0);
  rcw_metrics_sample_u64(m, NULL, d->alerts_sent);
}

/* Rotation and truncation counters continue across restarts: the state
 * file carries what earlier runs counted (the *_base fields). */
static void files(struct rcw_daemon *d, rcw_metrics *m)
{
  static const struct {
    const char *name, *help;
    enum rcw_prom_type type;
  } f[] = {
    {"rcwatch_file_rotations_total", "Files renamed away or replaced at their path.",
     RCW_PROM_COUNTER},
    {"rcwatch_file_truncations_total", "Files read again from 0 (truncated or rewritten).",
     RCW_PROM_COUNTER},
    {"rcwatch_files_watched", "Files followed now.", RCW_PROM_GAUGE},
    {"rcwatch_file_read_errors_total", "Failed opens, stats and reads of log files.",
     RCW_PROM_COUNTER},
    {"rcwatch_file_cap_hits_total", "Files left out because limits.files was reached.",
     RCW_PROM_COUNTER},
  };
  for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
    fam(m, f[k].name, f[k].type, f[k].help, L("source"), 1);
    for (size_t s = 0; s < d->nsrc; s++) {
      struct rcw_tail_stats st;
      if (rcw_tail_stats(d->tail, s, &st) < 0)
        continue;
      uint64_t v[] = {st.rotations + d->src[s].rotations_base,
                      st.truncations + d->src[s].truncations_base, st.files, st.read_errors,
                      st.cap_hits};
      rcw_metrics_sample_u64(m, L(d->src[s].name), v[k]);
    }
  }
}

static void sinks(struct rcw_daemon *d, rcw_metrics *m)
{
  static const char *names[] = {"sent", "failed", "dropped", "retried", "timeouts"};
  fam(m, "rcwatch_sink_alerts_total", RCW_PROM_COUNTER,
      "Alert deliveries by sink and outcome (a reload starts them again).",
      L("sink", "type", "outcome"), 3);
  for (size_t i = 0; d->sinks && i < rcw_sinks_count(d->sinks); i++) {
    struct rcw_sink_stats st;
    char idx[24];
    rcw_sinks_stats(d->sinks, i, &st);
    snprintf(idx, sizeof(idx), "%zu", i);
    uint64_t v[] = {st.sent, st.failed, st.dropped, st.retried, st.timeouts};
    for (size_t k = 0; k < 5; k++)
      rcw_metrics_sample_u64(m, L(idx, st.type, names[k]), v[k]);
  }
}

static void one(rcw_metrics *m, const char *name, enum rcw_prom_type t, const char *help,
                uint64_t v)
{
  fam(m, name, t, help, NULL, 0);
  rcw_metrics_sample_u64(m, NULL, v);
}

static void self(struct rcw_daemon *d, rcw_metrics *m)
{
  uint64_t new_codes = 0, overflow = 0;
  for (size_t s = 0; s < d->nsrc; s++)
    new_codes += d->src[s].ingest.new_codes;
  for (size_t i = 0; i < rcw_windows_dimension_count(d->windows); i++)
    overflow += rcw_windows_value_overflow(d->windows, i);
  one(m, "rcwatch_unknown_codes_total", RCW_PROM_COUNTER,
      "Response codes seen that the catalog does not know.", new_codes);
  one(m, "rcwatch_unknown_codes_overflow_total", RCW_PROM_COUNTER,
      "Responses with an unknown code past limits.unknown_codes.",
      rcw_catalog_unknown_overflow(d->cfg->catalog));
  one(m, "rcwatch_dimension_overflow_total", RCW_PROM_COUNTER,
      "Events counted under _other past limits.dimension_values.", overflow);
  one(m, "rcwatch_checkpoints_total", RCW_PROM_COUNTER, "State checkpoints written.",
      d->checkpoints);
  one(m, "rcwatch_checkpoint_failures_total", RCW_PROM_COUNTER,
      "State checkpoints that could not be written.", d->checkpoint_failures);
  one(m, "rcwatch_state_quarantined_total", RCW_PROM_COUNTER,
      "Corrupt or unknown state files moved aside.", d->state_quarantined);
  one(m, "rcwatch_reports_written_total", RCW_PROM_COUNTER, "Reports written.",
      d->reports_written);
  one(m, "rcwatch_report_failures_total", RCW_PROM_COUNTER, "Reports that failed.",
      d->report_failures);
  one(m, "rcwatch_reloads_total", RCW_PROM_COUNTER, "Config reloads that took effect.",
      d->reloads);
  one(m, "rcwatch_reload_failures_total", RCW_PROM_COUNTER, "Config reloads refused.",
      d->reload_failures);
  one(m, "rcwatch_rule_states", RCW_PROM_GAUGE, "Rule keys watched.",
      rcw_rules_state_count(d->rules));
  one(m, "rcwatch_rule_states_dropped_total", RCW_PROM_COUNTER,
      "Rule keys not watched because of the state cap.", rcw_rules_dropped(d->rules));
}

void rcw_exporter_publish(struct rcw_daemon *d)
{
  rcw_metrics *m = d->metrics;
  if (!m)
    return;
  responses(d, m);
  lines(d, m);
  ratios(d, m);
  alerts(d, m);
  files(d, m);
  sinks(d, m);
  self(d, m);
  rcw_metrics_commit(m);
  rcw_metrics_heartbeat(m);
}
