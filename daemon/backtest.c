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
  /* Per catalog entry, what an event needs of it, so the catalog is not
   * consulted per event: bit 0 known, bit 1 failure, category above. */
  uint32_t *kinds;
  size_t nkinds;
  /* Without dimensions, the timed events of the second being read (from
   * its second event on) are counted per entry here and go into the
   * windows as one count per entry, at the newest of their times, before
   * anything reads the windows or an event from elsewhere is added. */
  bool batch;
  bool batch_open; /* batch_second is bt->second and may take events */
  int64_t batch_second;
  int64_t batch_newest;
  uint32_t *counts;  /* [nbatch] per entry, in the batch */
  uint32_t *touched; /* entries with a count, in the order first counted */
  size_t nbatch, ntouched;
};

#define KIND_KNOWN 1u /* so that a known kind is never 0 */
#define KIND_FAILURE 2u
#define KIND_SHIFT 2
/* Entries ids are dense and few; past this the catalog is asked directly. */
#define BACKTEST_KINDS_MAX 65536

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

/* Whether events may be batched per second: no dimension values to
 * intern per event, and every window's buckets whole seconds (bucket
 * boundaries are multiples of the width from the epoch), so that one
 * second lies in one bucket of each window. */
static bool batchable(const rcw_windows *w)
{
  if (rcw_windows_dimension_count(w))
    return false;
  for (size_t i = 0; i < rcw_windows_count(w); i++)
    if (rcw_windows_bucket_ms(w, i) % 1000 != 0)
      return false;
  return true;
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
  bt->batch = batchable(bt->windows);
  bt->batch_newest = INT64_MIN;
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
  free(bt->kinds);
  free(bt->counts);
  free(bt->touched);
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

static uint32_t kind_of(const struct rcw_entry *e)
{
  return KIND_KNOWN | (e->success ? 0 : KIND_FAILURE) | e->category << KIND_SHIFT;
}

/* The kind of entry the first time it is seen, 0 when the catalog has no
 * such entry or it does not fit.  An entry's category and success never
 * change once it exists, so they are read from the catalog once.  Out of
 * line, like new_second: the per-event path stays small. */
__attribute__((noinline)) static uint32_t learn_kind(rcw_backtest *bt, uint32_t entry)
{
  const struct rcw_entry *e = rcw_catalog_entry(bt->cfg->catalog, entry);
  if (!e || e->category >= UINT32_MAX >> KIND_SHIFT || entry >= BACKTEST_KINDS_MAX)
    return 0;
  if (entry >= bt->nkinds) {
    size_t n = bt->nkinds ? bt->nkinds : 64;
    while (n <= entry)
      n *= 2;
    uint32_t *k = realloc(bt->kinds, n * sizeof(*k));
    if (!k)
      return 0;
    memset(k + bt->nkinds, 0, (n - bt->nkinds) * sizeof(*k));
    bt->kinds = k;
    bt->nkinds = n;
  }
  return bt->kinds[entry] = kind_of(e);
}

static int64_t second_of(int64_t t)
{
  return t - ((t % 1000) + 1000) % 1000;
}

/* Events of one entry in one second land in the same bucket of every
 * window (buckets are whole seconds) whatever their order, so adding them
 * as one count leaves the windows as adding each would. */
static void batch_flush(rcw_backtest *bt)
{
  for (size_t i = 0; i < bt->ntouched; i++) {
    uint32_t entry = bt->touched[i], kind = bt->kinds[entry];
    struct rcw_win_event we = {
      .time_ms = bt->batch_newest, .entry = entry, .category = kind >> KIND_SHIFT,
      .failure = (kind & KIND_FAILURE) != 0,
    };
    if (rcw_windows_add_n(bt->windows, &we, bt->counts[entry]) < 0)
      bt->errors++;
    bt->counts[entry] = 0;
  }
  bt->ntouched = 0;
  bt->batch_newest = INT64_MIN;
}

/* Room to count every entry the kinds know (nothing is counted now). */
static void batch_reserve(rcw_backtest *bt)
{
  if (bt->nbatch >= bt->nkinds)
    return;
  uint32_t *c = calloc(bt->nkinds, sizeof(*c));
  uint32_t *t = c ? realloc(bt->touched, bt->nkinds * sizeof(*t)) : NULL;
  if (!t) {
    free(c);
    return;
  }
  free(bt->counts);
  bt->counts = c;
  bt->touched = t;
  bt->nbatch = bt->nkinds;
}

/* A timed event of a known entry in the open second: counted, and the
 * newest time moves; no second is left to evaluate. */
static inline bool batch_count(rcw_backtest *bt, const struct rcw_event *ev)
{
  int64_t t = ev->time_ms;
  uint32_t e = ev->entry;
  if (!bt->batch_open || !ev->has_time || t < bt->batch_second ||
      (uint64_t)t - (uint64_t)bt->batch_second >= 1000 || e >= bt->nbatch || !bt->kinds[e] ||
      bt->counts[e] == UINT32_MAX)
    return false;
  if (bt->counts[e]++ == 0)
    bt->touched[bt->ntouched++] = e;
  if (t > bt->batch_newest)
    bt->batch_newest = t;
  if (t > bt->last_ms)
    bt->last_ms = t;
  return true;
}

/* Everything before the second of t is final: evaluate it, once per
 * second (most events share their second with the one before). */
__attribute__((noinline)) static void new_second(rcw_backtest *bt, int64_t t)
{
  int64_t second_start = second_of(t);
  if (!bt->have_time || second_start != bt->second) {
    if (rcw_rules_evaluate_through(bt->rules, second_start - 1, emit_cb, bt) < 0)
      bt->errors++;
    bt->second = second_start;
  }
}

/* An event the kinds cannot describe: straight from the catalog. */
__attribute__((noinline)) static bool event_from_catalog(rcw_backtest *bt, uint32_t entry,
                                                         struct rcw_win_event *we)
{
  const struct rcw_entry *e = rcw_catalog_entry(bt->cfg->catalog, entry);
  if (!e)
    return false;
  we->category = e->category;
  we->failure = !e->success;
  return true;
}

/* Every event the batch does not take.  Out of line: inlined, its frame
 * would be paid by the events it takes, nearly all. */
__attribute__((noinline)) static void event_slow(rcw_backtest *bt, const struct rcw_event *ev)
{
  batch_flush(bt);
  uint32_t kind = ev->entry < bt->nkinds ? bt->kinds[ev->entry] : 0;
  if (!kind)
    kind = learn_kind(bt, ev->entry);
  int64_t t = ev->has_time ? ev->time_ms : bt->last_ms;
  struct rcw_win_event we = {
    .time_ms = t, .entry = ev->entry, .category = kind >> KIND_SHIFT,
    .failure = (kind & KIND_FAILURE) != 0, .dims = ev->match ? ev->match->dims : NULL,
    .dim_index = bt->dim_map, .ndims = bt->ndims,
  };
  if (!kind && !event_from_catalog(bt, ev->entry, &we))
    return;
  if (!ev->has_time)
    bt->untimed++;
  if (ev->has_time && (!bt->have_time || t > bt->last_ms)) {
    /* t > last_ms >= second: within 1000 ms it is still that second. */
    if (!bt->have_time || t - bt->second >= 1000)
      new_second(bt, t);
    bt->last_ms = t;
    bt->have_time = true;
  }
  if (rcw_windows_add(bt->windows, &we) < 0)
    bt->errors++;
  if (bt->batch && bt->have_time) {
    batch_reserve(bt);
    bt->batch_open = true;
    bt->batch_second = bt->second;
  }
}

void rcw_backtest_event_cb(void *ctx, const struct rcw_event *ev)
{
  rcw_backtest *bt = ctx;
  if (!batch_count(bt, ev))
    event_slow(bt, ev);
}

void rcw_backtest_finish(rcw_backtest *bt)
{
  batch_flush(bt);
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
