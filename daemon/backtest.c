#include "backtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "windows.h"

#define BACKTEST_MAX_ALERTS 100000 /* transitions kept; more are counted */

struct rcw_backtest {
  const struct rcw_config *cfg;
  rcw_windows *windows;
  rcw_rules *rules;
  const rcw_parser *parser;
  int dim_map[RCW_MAX_DIMENSIONS];
  size_t ndims;
  bool have_time;
  int64_t last_ms; /* newest event time */
  int64_t second; /* start of last_ms's second: everything before it is evaluated */
  struct rcw_alert *alerts; /* copies: strings owned here */
  size_t nalerts, cap;
  uint64_t untimed, errors, alerts_dropped;
};

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static void emit_cb(void *ctx, const struct rcw_alert *a)
{
  rcw_backtest *bt = ctx;
  if (bt->nalerts == bt->cap) {
    size_t cap = bt->cap ? bt->cap * 2 : 64;
    struct rcw_alert *n = cap <= BACKTEST_MAX_ALERTS ? realloc(bt->alerts, cap * sizeof(*n))
                                                     : NULL;
    if (!n) {
      bt->alerts_dropped++;
      return;
    }
    bt->alerts = n;
    bt->cap = cap;
  }
  struct rcw_alert *c = &bt->alerts[bt->nalerts++];
  *c = *a;
  c->rule = dup_or_null(a->rule);
  c->key = dup_or_null(a->key);
  c->description = dup_or_null(a->description);
}

/* Dimensions the rules watch, as in the daemon. */
static size_t rule_dimensions(const struct rcw_config *cfg, const char **names, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < cfg->nrules && n < cap; i++) {
    const struct rcw_rule_spec *r = &cfg->rules[i];
    bool dup = false;
    if (r->scope != RCW_SCOPE_DIMENSION)
      continue;
    for (size_t j = 0; j < n && !dup; j++)
      dup = strcmp(names[j], r->dimension) == 0;
    if (!dup)
      names[n++] = r->dimension;
  }
  return n;
}

int rcw_backtest_new(const struct rcw_config *cfg, rcw_diags *d, rcw_backtest **out)
{
  rcw_backtest *bt = calloc(1, sizeof(*bt));
  if (!bt)
    return -ENOMEM;
  const char *dims[RCW_WINDOWS_MAX_DIMS];
  struct rcw_windows_spec spec = {
    .windows_ms = cfg->windows_ms, .nwindows = cfg->nwindows,
    .dimension_values = cfg->limits.dimension_values, .dimensions = dims,
    .ndimensions = rule_dimensions(cfg, dims, RCW_WINDOWS_MAX_DIMS),
    .rules = cfg->rules, .nrules = cfg->nrules, .catalog = cfg->catalog,
  };
  bt->cfg = cfg;
  int r = rcw_windows_new(&spec, &bt->windows);
  if (r == 0)
    r = rcw_rules_new(cfg->rules, cfg->nrules, cfg->catalog, bt->windows, d, &bt->rules);
  if (r < 0) {
    rcw_backtest_free(bt);
    return r;
  }
  *out = bt;
  return 0;
}

void rcw_backtest_free(rcw_backtest *bt)
{
  if (!bt)
    return;
  for (size_t i = 0; i < bt->nalerts; i++) {
    free((char *)bt->alerts[i].rule);
    free((char *)bt->alerts[i].key);
    free((char *)bt->alerts[i].description);
  }
  free(bt->alerts);
  rcw_rules_free(bt->rules);
  rcw_windows_free(bt->windows);
  free(bt);
}

void rcw_backtest_set_parser(rcw_backtest *bt, const rcw_parser *p)
{
  bt->parser = p;
  bt->ndims = p ? rcw_parser_dimension_count(p) : 0;
  for (size_t i = 0; i < RCW_MAX_DIMENSIONS; i++)
    bt->dim_map[i] = -1;
  for (size_t i = 0; i < bt->ndims && i < RCW_MAX_DIMENSIONS; i++)
    bt->dim_map[i] = rcw_windows_dimension_index(bt->windows, rcw_parser_dimension(p, i));
}

unsigned rcw_backtest_want(const rcw_backtest *bt)
{
  return RCW_WANT_TS | (rcw_windows_dimension_count(bt->windows) ? RCW_WANT_DIMS : 0);
}

void rcw_backtest_event_cb(void *ctx, const struct rcw_event *ev)
{
  rcw_backtest *bt = ctx;
  const struct rcw_entry *e = rcw_catalog_entry(bt->cfg->catalog, ev->entry);
  if (!e)
    return;
  int64_t t = ev->has_time ? ev->time_ms : bt->last_ms;
  if (!ev->has_time)
    bt->untimed++;
  if (ev->has_time && (!bt->have_time || t > bt->last_ms)) {
    /* Everything before this event's second is final: evaluate it, once
     * per second (most events share their second with the one before). */
    int64_t second_start = t - ((t % 1000) + 1000) % 1000;
    if (!bt->have_time || second_start != bt->second) {
      if (rcw_rules_evaluate_through(bt->rules, second_start - 1, emit_cb, bt) < 0)
        bt->errors++;
      bt->second = second_start;
    }
    bt->last_ms = t;
    bt->have_time = true;
  }
  struct rcw_win_event we = {
    .time_ms = t, .entry = ev->entry, .category = e->category, .failure = !e->success,
    .dims = ev->match ? ev->match->dims : NULL, .dim_index = bt->dim_map, .ndims = bt->ndims,
  };
  if (rcw_windows_add(bt->windows, &we) < 0)
    bt->errors++;
}

void rcw_backtest_finish(rcw_backtest *bt)
{
  if (bt->have_time && rcw_rules_evaluate_through(bt->rules, bt->last_ms, emit_cb, bt) < 0)
    bt->errors++;
}

const struct rcw_alert *rcw_backtest_alerts(const rcw_backtest *bt, size_t *n)
{
  *n = bt->nalerts;
  return bt->alerts;
}

uint64_t rcw_backtest_untimed(const rcw_backtest *bt)
{
  return bt->untimed;
}

uint64_t rcw_backtest_errors(const rcw_backtest *bt)
{
  return bt->errors + bt->alerts_dropped;
}
