/* rules — per rule and key state machines over the rolling windows. */
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobio.h"

#define MIN_CAP 8
#define TOTAL_KEY "total"

enum phase { PH_INACTIVE = 0, PH_PENDING = 1, PH_FIRING = 2 };

struct state {
  uint32_t key;      /* category id, code key, dimension value; 0 for total */
  uint8_t phase;
  bool emitted;      /* its firing was sent (not held back) */
  bool held;         /* firing, not sent: a category alert inhibits it */
  uint32_t held_by;  /* the inhibiting category, RCW_ENTRY_NONE when unknown */
  int64_t since;     /* pending: when the condition started to hold */
  int64_t fired_at;
  int64_t last_sent;
  double value;      /* of the last evaluation */
  uint64_t requests, failures;
};

struct rule {
  char *name;
  enum rcw_scope scope;
  enum rcw_metric metric;
  int win;
  int64_t window_ms;
  double above, clear_below;
  int64_t min_requests, for_ms, repeat_ms;
  int severity;
  char *dimension;  /* dimension scope */
  int dim;
  int filter;       /* -1: all failures */
  char *filter_text; /* "stock" or "stock+user_limit", NULL without filter */
  bool match_all;
  char **match;
  size_t nmatch;
  struct state *states;
  size_t nstates, cap;
  uint32_t *slot; /* key -> state index + 1, 0: not joined */
  size_t nslot;
};

/* One code and its catalog entries (several for a code with several
 * meanings). */
struct code_entry {
  uint32_t entry;
  uint32_t category;
  bool success;
};

struct code_key {
  char *code;
  struct code_entry *entries;
  size_t n, cap;
};

struct rcw_rules {
  const rcw_catalog *catalog;
  rcw_windows *w;
  struct rule *rules;
  size_t nrules;
  struct code_key *codes;
  size_t ncodes, capcodes;
  uint32_t *code_of_entry; /* entry id -> code key + 1 */
  size_t ncode_of_entry;
  size_t seen_entries, seen_cats;
  size_t seen_values[RCW_WINDOWS_MAX_DIMS];
  uint32_t *cat_firing; /* category id -> category alerts firing */
  size_t ncat_firing;
  size_t nstates, nactive;
  uint64_t dropped;
  int64_t last_eval;
  struct rcw_buf desc;
};

/* --- small helpers ------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap : MIN_CAP;
  while (n < need)
    n *= 2;
  unsigned char *q = realloc(*p, n * size);
  if (!q)
    return -ENOMEM;
  memset(q + *cap * size, 0, (n - *cap) * size);
  *p = q;
  *cap = n;
  return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

static const char *category_name(const rcw_rules *r, uint32_t id)
{
  const struct rcw_category *cat = rcw_catalog_category(r->catalog, id);
  return cat ? cat->name : "";
}

/* --- code keys ----------------------------------------------------------- */

static int64_t code_find(const rcw_rules *r, const char *code)
{
  for (size_t i = 0; i < r->ncodes; i++)
    if (strcmp(r->codes[i].code, code) == 0)
      return (int64_t)i;
  return -1;
}

static int64_t code_get(rcw_rules *r, const char *code)
{
  int64_t i = code_find(r, code);
  if (i >= 0)
    return i;
  if (r->ncodes >= UINT32_MAX - 1 ||
      grow((void **)&r->codes, &r->capcodes, r->ncodes + 1, sizeof(*r->codes)) < 0)
    return -ENOMEM;
  char *copy = strdup(code);
  if (!copy)
    return -ENOMEM;
  r->codes[r->ncodes] = (struct code_key){copy, NULL, 0, 0};
  return (int64_t)r->ncodes++;
}

/* File an entry under its code; the code key's index, or -ENOMEM. */
static int64_t code_add_entry(rcw_rules *r, uint32_t id, const struct rcw_entry *e)
{
  if (grow((void **)&r->code_of_entry, &r->ncode_of_entry, (size_t)id + 1,
           sizeof(*r->code_of_entry)) < 0)
    return -ENOMEM;
  if (r->code_of_entry[id])
    return r->code_of_entry[id] - 1;
  int64_t k = code_get(r, e->code);
  if (k < 0)
    return k;
  struct code_key *ck = &r->codes[k];
  if (grow((void **)&ck->entries, &ck->cap, ck->n + 1, sizeof(*ck->entries)) < 0)
    return -ENOMEM;
  ck->entries[ck->n++] = (struct code_entry){id, e->category, e->success};
  r->code_of_entry[id] = (uint32_t)k + 1;
  return k;
}

/* --- keys and states ----------------------------------------------------- */

static const char *key_name(const rcw_rules *r, const struct rule *ru, uint32_t key)
{
  switch (ru->scope) {
  case RCW_SCOPE_CATEGORY:
    return category_name(r, key);
  case RCW_SCOPE_CODE:
    return key < r->ncodes ? r->codes[key].code : "";
  case RCW_SCOPE_DIMENSION: {
    const char *v = rcw_windows_value_name(r->w, (size_t)ru->dim, key, NULL);
    return v ? v : "";
  }
  default:
    return TOTAL_KEY;
  }
}

static bool rule_accepts(const struct rule *ru, const char *key)
{
  if (ru->scope == RCW_SCOPE_TOTAL)
    return strcmp(key, TOTAL_KEY) == 0;
  if (ru->match_all)
    return true;
  for (size_t i = 0; i < ru->nmatch; i++)
    if (strcmp(ru->match[i], key) == 0)
      return true;
  return false;
}

static struct state *state_find(struct rule *ru, uint32_t key)
{
  if (key >= ru->nslot || !ru->slot[key])
    return NULL;
  return &ru->states[ru->slot[key] - 1];
}

/* The state of key in ru, added (inactive) when new.  NULL when over the
 * cap (counted) or out of memory (*err set). */
static struct state *state_get(rcw_rules *r, struct rule *ru, uint32_t key, int *err)
{
  struct state *st = state_find(ru, key);
  if (st)
    return st;
  if (r->nstates >= RCW_RULES_MAX_STATES) {
    r->dropped++;
    return NULL;
  }
  if (grow((void **)&ru->slot, &ru->nslot, (size_t)key + 1, sizeof(*ru->slot)) < 0 ||
      grow((void **)&ru->states, &ru->cap, ru->nstates + 1, sizeof(*ru->states)) < 0) {
    *err = -ENOMEM;
    return NULL;
  }
  st = &ru->states[ru->nstates++];
  memset(st, 0, sizeof(*st));
  st->key = key;
  st->held_by = RCW_ENTRY_NONE;
  ru->slot[key] = (uint32_t)ru->nstates;
  r->nstates++;
  return st;
}

/* A key seen for the first time: every rule of that scope matching it
 * starts watching it. */
static int key_join(rcw_rules *r, enum rcw_scope scope, int dim, uint32_t key)
{
  int err = 0;
  for (size_t i = 0; i < r->nrules; i++) {
    struct rule *ru = &r->rules[i];
    if (ru->scope != scope || (scope == RCW_SCOPE_DIMENSION && ru->dim != dim))
      continue;
    if (rule_accepts(ru, key_name(r, ru, key)))
      state_get(r, ru, key, &err);
  }
  return err;
}

/* The windows list keys in the order first seen, so a cursor per list
 * finds the new ones.  A list shorter than its cursor was reset by a
 * load: keys added after it are still found. */
static int discover_entries(rcw_rules *r)
{
  size_t n;
  const uint32_t *ids = rcw_windows_entries_seen(r->w, &n);
  int err = 0;
  if (r->seen_entries > n)
    r->seen_entries = n;
  for (; r->seen_entries < n; r->seen_entries++) {
    uint32_t id = ids[r->seen_entries];
    const struct rcw_entry *e = rcw_catalog_entry(r->catalog, id);
    int64_t k = e ? code_add_entry(r, id, e) : -1;
    if (k == -ENOMEM)
      return -ENOMEM;
    if (k >= 0 && key_join(r, RCW_SCOPE_CODE, -1, (uint32_t)k) < 0)
      err = -ENOMEM;
  }
  return err;
}

static int discover(rcw_rules *r)
{
  int err = discover_entries(r);
  size_t n;
  const uint32_t *cats = rcw_windows_categories_seen(r->w, &n);
  if (r->seen_cats > n)
    r->seen_cats = n;
  for (; r->seen_cats < n; r->seen_cats++)
    if (key_join(r, RCW_SCOPE_CATEGORY, -1, cats[r->seen_cats]) < 0)
      err = -ENOMEM;
  for (size_t d = 0; d < rcw_windows_dimension_count(r->w); d++) {
    size_t nv = rcw_windows_value_count(r->w, d);
    if (r->seen_values[d] > nv)
      r->seen_values[d] = nv;
    for (; r->seen_values[d] < nv; r->seen_values[d]++)
      if (key_join(r, RCW_SCOPE_DIMENSION, (int)d, (uint32_t)r->seen_values[d]) < 0)
        err = -ENOMEM;
  }
  return err;
}

/* --- values -------------------------------------------------------------- */

static struct rcw_win_counts key_counts(const rcw_rules *r, const struct rule *ru,
                                        uint32_t key)
{
  size_t win = (size_t)ru->win;
  struct rcw_win_counts all = rcw_windows_total(r->w, win);
  switch (ru->scope) {
  case RCW_SCOPE_CATEGORY:
    all.failures = rcw_windows_category(r->w, win, key).failures;
    return all;
  case RCW_SCOPE_CODE: {
    all.failures = 0;
    const struct code_key *ck = &r->codes[key];
    for (size_t i = 0; i < ck->n; i++)
      if (!ck->entries[i].success)
        all.failures += rcw_windows_entry(r->w, win, ck->entries[i].entry);
    return all;
  }
  case RCW_SCOPE_DIMENSION:
    return rcw_windows_value(r->w, win, (size_t)ru->dim, key, ru->filter);
  default:
    return all;
  }
}

static void measure(const rcw_rules *r, const struct rule *ru, struct state *st)
{
  struct rcw_win_counts c = key_counts(r, ru, st->key);
  st->requests = c.requests;
  st->failures = c.failures;
  if (ru->metric == RCW_METRIC_COUNT)
    st->value = (double)c.failures;
  else
    st->value = c.requests ? (double)c.failures / (double)c.requests : 0.0;
}

static bool enough_requests(const struct rule *ru, const struct state *st)
{
  return ru->metric == RCW_METRIC_COUNT || (int64_t)st->requests >= ru->min_requests;
}

static bool fire_condition(const struct rule *ru, const struct state *st)
{
  return enough_requests(ru, st) && st->value > ru->above;
}

static bool clear_condition(const struct rule *ru, const struct state *st)
{
  if (ru->metric == RCW_METRIC_FAILURE_RATE && st->requests == 0)
    return true;
  return enough_requests(ru, st) && st->value <= ru->clear_below;
}

/* --- descriptions -------------------------------------------------------- */

static void put_pct(struct rcw_buf *b, double ratio)
{
  rcw_buf_printf(b, "%.3g%%", ratio * 100.0);
}

static void put_value(struct rcw_buf *b, const struct rule *ru, double v)
{
  if (ru->metric == RCW_METRIC_COUNT)
    rcw_buf_printf(b, "%.15g", v);
  else
    put_pct(b, v);
}

static void put_subject(struct rcw_buf *b, const rcw_rules *r, const struct rule *ru,
                        uint32_t key)
{
  switch (ru->scope) {
  case RCW_SCOPE_TOTAL:
    rcw_buf_puts(b, "all");
    break;
  case RCW_SCOPE_CODE:
    rcw_buf_printf(b, "code %s", key_name(r, ru, key));
    break;
  case RCW_SCOPE_DIMENSION:
    rcw_buf_printf(b, "%s %s", ru->dimension, key_name(r, ru, key));
    if (ru->filter_text)
      rcw_buf_printf(b, " %s", ru->filter_text);
    break;
  default:
    rcw_buf_puts(b, key_name(r, ru, key));
  }
}

/* What the catalog says of the key: the category's description, or the
 * descriptions of a code's meanings. */
static void put_meaning(struct rcw_buf *b, const rcw_rules *r, const struct rule *ru,
                        uint32_t key)
{
  if (ru->scope == RCW_SCOPE_CATEGORY) {
    const struct rcw_category *cat = rcw_catalog_category(r->catalog, key);
    if (cat && cat->description && *cat->description)
      rcw_buf_printf(b, ": %s", cat->description);
    return;
  }
  if (ru->scope != RCW_SCOPE_CODE || key >= r->ncodes)
    return;
  const struct code_key *ck = &r->codes[key];
  for (size_t i = 0; i < ck->n; i++) {
    const struct rcw_entry *e = rcw_catalog_entry(r->catalog, ck->entries[i].entry);
    if (e && e->description && *e->description)
      rcw_buf_printf(b, "%s%s", i ? " / " : ": ", e->description);
  }
}

static void put_window(struct rcw_buf *b, const struct rule *ru)
{
  char win[32];
  rcw_format_duration(ru->window_ms, win, sizeof(win));
  rcw_buf_printf(b, " over %s", win);
}

static void describe_firing(struct rcw_buf *b, const rcw_rules *r, const struct rule *ru,
                            const struct state *st)
{
  put_subject(b, r, ru, st->key);
  if (ru->metric == RCW_METRIC_COUNT)
    rcw_buf_printf(b, " failures: %llu of %llu requests", (unsigned long long)st->failures,
                   (unsigned long long)st->requests);
  else {
    rcw_buf_puts(b, " failures at ");
    put_pct(b, st->value);
    rcw_buf_printf(b, " of %llu requests", (unsigned long long)st->requests);
  }
  put_window(b, ru);
  rcw_buf_puts(b, " (threshold ");
  put_value(b, ru, ru->above);
  rcw_buf_putc(b, ')');
  put_meaning(b, r, ru, st->key);
}

static void describe_resolved(struct rcw_buf *b, const rcw_rules *r, const struct rule *ru,
                              const struct state *st)
{
  put_subject(b, r, ru, st->key);
  if (st->requests == 0 && ru->metric == RCW_METRIC_FAILURE_RATE) {
    rcw_buf_puts(b, " failures resolved: no requests");
    put_window(b, ru);
  } else {
    rcw_buf_puts(b, " failures down to ");
    put_value(b, ru, st->value);
    rcw_buf_printf(b, " of %llu requests", (unsigned long long)st->requests);
    put_window(b, ru);
    rcw_buf_puts(b, " (clears at ");
    put_value(b, ru, ru->clear_below);
    rcw_buf_putc(b, ')');
  }
  put_meaning(b, r, ru, st->key);
}

/* --- emitting ------------------------------------------------------------ */

static enum rcw_severity rule_severity(const rcw_rules *r, const struct rule *ru, uint32_t key)
{
  if (ru->severity >= 0)
    return (enum rcw_severity)ru->severity;
  if (ru->scope == RCW_SCOPE_CATEGORY) {
    const struct rcw_category *cat = rcw_catalog_category(r->catalog, key);
    return cat ? cat->severity : RCW_SEV_WARNING;
  }
  if (ru->scope != RCW_SCOPE_CODE || key >= r->ncodes || r->codes[key].n == 0)
    return RCW_SEV_WARNING;
  enum rcw_severity sev = RCW_SEV_INFO;
  const struct code_key *ck = &r->codes[key];
  for (size_t i = 0; i < ck->n; i++) {
    const struct rcw_category *cat = rcw_catalog_category(r->catalog, ck->entries[i].category);
    if (cat && cat->severity > sev)
      sev = cat->severity;
  }
  return sev;
}

static void alert_fill(struct rcw_alert *a, const rcw_rules *r, const struct rule *ru,
                       const struct state *st, enum rcw_alert_state state)
{
  a->state = state;
  a->rule = ru->name;
  a->severity = rule_severity(r, ru, st->key);
  a->scope = ru->scope;
  a->key = key_name(r, ru, st->key);
  a->window_ms = ru->window_ms;
  a->metric = ru->metric;
  a->value = st->value;
  a->threshold = state == RCW_ALERT_FIRING ? ru->above : ru->clear_below;
  a->requests = st->requests;
  a->failures = st->failures;
}

static void emit_firing(rcw_rules *r, const struct rule *ru, const struct state *st,
                        int64_t now, uint32_t held_by, rcw_alert_cb emit, void *ctx)
{
  struct rcw_alert a;
  rcw_buf_reset(&r->desc);
  describe_firing(&r->desc, r, ru, st);
  if (held_by != RCW_ENTRY_NONE)
    rcw_buf_printf(&r->desc, " (held back while the %s category alert was firing)",
                   category_name(r, held_by));
  alert_fill(&a, r, ru, st, RCW_ALERT_FIRING);
  a.at = now;
  a.description = r->desc.oom ? "" : r->desc.data;
  if (emit)
    emit(ctx, &a);
}

static void emit_resolved(rcw_rules *r, const struct rule *ru, const struct state *st,
                          int64_t now, rcw_alert_cb emit, void *ctx)
{
  struct rcw_alert a;
  rcw_buf_reset(&r->desc);
  describe_resolved(&r->desc, r, ru, st);
  alert_fill(&a, r, ru, st, RCW_ALERT_RESOLVED);
  a.at = now;
  a.description = r->desc.oom ? "" : r->desc.data;
  if (emit)
    emit(ctx, &a);
}

/* --- inhibition ---------------------------------------------------------- */

static void cat_firing_add(rcw_rules *r, uint32_t cat, int delta)
{
  if (grow((void **)&r->cat_firing, &r->ncat_firing, (size_t)cat + 1,
           sizeof(*r->cat_firing)) < 0)
    return; /* without the count the code alerts are simply not held back */
  if (delta > 0 || r->cat_firing[cat] > 0)
    r->cat_firing[cat] += (uint32_t)delta;
}

/* The category whose alert holds back this code key, or RCW_ENTRY_NONE. */
static uint32_t inhibitor(const rcw_rules *r, uint32_t code)
{
  const struct code_key *ck = &r->codes[code];
  for (size_t i = 0; i < ck->n; i++) {
    uint32_t cat = ck->entries[i].category;
    if (cat < r->ncat_firing && r->cat_firing[cat] > 0)
      return cat;
  }
  return RCW_ENTRY_NONE;
}

/* --- the state machine --------------------------------------------------- */

struct eval {
  int64_t now;
  rcw_alert_cb emit;
  void *ctx;
};

static void to_firing(rcw_rules *r, const struct rule *ru, struct state *st,
                      const struct eval *ev)
{
  st->phase = PH_FIRING;
  st->fired_at = ev->now;
  uint32_t cat = ru->scope == RCW_SCOPE_CODE ? inhibitor(r, st->key) : RCW_ENTRY_NONE;
  if (cat != RCW_ENTRY_NONE) {
    st->held = true;
    st->held_by = cat;
    return;
  }
  emit_firing(r, ru, st, ev->now, RCW_ENTRY_NONE, ev->emit, ev->ctx);
  st->emitted = true;
  st->last_sent = ev->now;
  if (ru->scope == RCW_SCOPE_CATEGORY)
    cat_firing_add(r, st->key, 1);
}

static void to_inactive(rcw_rules *r, const struct rule *ru, struct state *st,
                        const struct eval *ev)
{
  if (st->emitted)
    emit_resolved(r, ru, st, ev->now, ev->emit, ev->ctx);
  if (st->emitted && ru->scope == RCW_SCOPE_CATEGORY)
    cat_firing_add(r, st->key, -1);
  st->phase = PH_INACTIVE;
  st->emitted = st->held = false;
  st->held_by = RCW_ENTRY_NONE;
}

/* Still firing: send a held alert once nothing holds it, or a repeat. */
static void while_firing(rcw_rules *r, const struct rule *ru, struct state *st,
                         const struct eval *ev)
{
  uint32_t cat = ru->scope == RCW_SCOPE_CODE ? inhibitor(r, st->key) : RCW_ENTRY_NONE;
  if (st->held) {
    if (cat != RCW_ENTRY_NONE) {
      st->held_by = cat;
      return;
    }
    emit_firing(r, ru, st, ev->now, st->held_by, ev->emit, ev->ctx);
    st->held = false;
    st->emitted = true;
    st->last_sent = ev->now;
    return;
  }
  if (ru->repeat_ms > 0 && ev->now - st->last_sent >= ru->repeat_ms && cat == RCW_ENTRY_NONE) {
    emit_firing(r, ru, st, ev->now, RCW_ENTRY_NONE, ev->emit, ev->ctx);
    st->last_sent = ev->now;
  }
}

static void step(rcw_rules *r, const struct rule *ru, struct state *st, const struct eval *ev)
{
  measure(r, ru, st);
  switch (st->phase) {
  case PH_INACTIVE:
    if (!fire_condition(ru, st))
      break;
    st->since = ev->now;
    if (ru->for_ms > 0)
      st->phase = PH_PENDING;
    else
      to_firing(r, ru, st, ev);
    break;
  case PH_PENDING:
    if (!fire_condition(ru, st))
      st->phase = PH_INACTIVE;
    else if (ev->now - st->since >= ru->for_ms)
      to_firing(r, ru, st, ev);
    break;
  default:
    if (clear_condition(ru, st))
      to_inactive(r, ru, st, ev);
    else
      while_firing(r, ru, st, ev);
  }
}

static void step_rules(rcw_rules *r, bool code_scope, const struct eval *ev)
{
  for (size_t i = 0; i < r->nrules; i++) {
    struct rule *ru = &r->rules[i];
    if ((ru->scope == RCW_SCOPE_CODE) != code_scope)
      continue;
    for (size_t k = 0; k < ru->nstates; k++) {
      step(r, ru, &ru->states[k], ev);
      r->nactive += ru->states[k].phase != PH_INACTIVE;
    }
  }
}

int rcw_rules_evaluate(rcw_rules *r, int64_t now, rcw_alert_cb emit, void *ctx)
{
  if (r->last_eval != INT64_MIN && now < r->last_eval)
    now = r->last_eval;
  rcw_windows_advance(r->w, now);
  int err = discover(r);
  struct eval ev = {now, emit, ctx};
  r->nactive = 0;
  step_rules(r, false, &ev);
  step_rules(r, true, &ev);
  r->last_eval = now;
  return err;
}

int rcw_rules_evaluate_through(rcw_rules *r, int64_t now, rcw_alert_cb emit, void *ctx)
{
  int64_t last = floor_div(now, 1000);
  int64_t s = r->last_eval == INT64_MIN ? last : floor_div(r->last_eval, 1000) + 1;
  int err = 0;
  for (; s <= last; s++) {
    /* Empty windows and nothing pending or firing: no second up to now
     * can change anything, so only the last one is evaluated. */
    if (r->nactive == 0 && rcw_windows_idle_at(r->w, s * 1000))
      s = last;
    if (rcw_rules_evaluate(r, s * 1000, emit, ctx) < 0)
      err = -ENOMEM;
  }
  return err;
}

int64_t rcw_rules_last_evaluation(const rcw_rules *r)
{
  return r->last_eval;
}

void rcw_rules_firing(const rcw_rules *r, bool include_held, rcw_alert_cb cb, void *ctx)
{
  struct rcw_buf b = RCW_BUF_INIT;
  for (size_t i = 0; i < r->nrules; i++) {
    const struct rule *ru = &r->rules[i];
    for (size_t k = 0; k < ru->nstates; k++) {
      const struct state *st = &ru->states[k];
      if (st->phase != PH_FIRING || (st->held && !include_held))
        continue;
      struct rcw_alert a;
      rcw_buf_reset(&b);
      describe_firing(&b, r, ru, st);
      alert_fill(&a, r, ru, st, RCW_ALERT_FIRING);
      a.at = st->fired_at;
      a.description = b.oom || !b.data ? "" : b.data;
      cb(ctx, &a);
    }
  }
  rcw_buf_free(&b);
}

size_t rcw_rules_count(const rcw_rules *r)
{
  return r->nrules;
}

size_t rcw_rules_state_count(const rcw_rules *r)
{
  return r->nstates;
}

size_t rcw_rules_active(const rcw_rules *r)
{
  return r->nactive;
}

uint64_t rcw_rules_dropped(const rcw_rules *r)
{
  return r->dropped;
}

/* --- construction -------------------------------------------------------- */

static void diag(rcw_diags *d, const struct rcw_rule_spec *s, const char *fmt, const char *arg)
{
  if (d)
    rcw_diags_add(d, s->loc.file, s->loc.line, s->loc.column, "rule %s: %s%s", s->name,
                  fmt, arg ? arg : "");
}

static int copy_match(struct rule *ru, const struct rcw_rule_spec *s)
{
  ru->match_all = s->match_all;
  if (!s->nmatch)
    return 0;
  if (!(ru->match = calloc(s->nmatch, sizeof(*ru->match))))
    return -ENOMEM;
  for (size_t i = 0; i < s->nmatch; i++)
    if (!(ru->match[ru->nmatch++] = strdup(s->match[i])))
      return -ENOMEM;
  return 0;
}

/* The category filter of a dimension rule: the windows' filter index and
 * "a+b" for descriptions. */
static int rule_filter(rcw_rules *r, struct rule *ru, const struct rcw_rule_spec *s,
                       rcw_diags *d)
{
  uint32_t *ids = calloc(s->ncategories, sizeof(*ids));
  struct rcw_buf text = RCW_BUF_INIT;
  int bad = 0;
  if (!ids)
    return -ENOMEM;
  for (size_t i = 0; i < s->ncategories; i++) {
    ids[i] = rcw_catalog_category_id(r->catalog, s->categories[i]);
    if (ids[i] == RCW_ENTRY_NONE) {
      diag(d, s, "unknown category ", s->categories[i]);
      bad = -EINVAL;
    }
    rcw_buf_printf(&text, "%s%s", i ? "+" : "", s->categories[i]);
  }
  if (!bad && ru->dim >= 0 &&
      (ru->filter = rcw_windows_filter_index(r->w, (size_t)ru->dim, ids, s->ncategories)) < 0) {
    diag(d, s, "the windows were made without this rule's categories", NULL);
    bad = -EINVAL;
  }
  free(ids);
  ru->filter_text = text.data;
  return text.oom ? -ENOMEM : bad;
}

static int rule_scope(rcw_rules *r, struct rule *ru, const struct rcw_rule_spec *s,
                      rcw_diags *d)
{
  int bad = 0;
  if (s->scope == RCW_SCOPE_DIMENSION) {
    ru->dim = rcw_windows_dimension_index(r->w, s->dimension);
    if (ru->dim < 0) {
      diag(d, s, "unknown dimension ", s->dimension ? s->dimension : "(none)");
      bad = -EINVAL;
    }
    if (!(ru->dimension = strdup(s->dimension ? s->dimension : "")))
      return -ENOMEM;
    if (s->ncategories) {
      int f = rule_filter(r, ru, s, d);
      bad = f < 0 ? f : bad;
    }
  }
  for (size_t i = 0; s->scope == RCW_SCOPE_CATEGORY && !s->match_all && i < s->nmatch; i++) {
    if (rcw_catalog_category_id(r->catalog, s->match[i]) == RCW_ENTRY_NONE) {
      diag(d, s, "unknown category ", s->match[i]);
      bad = -EINVAL;
    }
  }
  return bad;
}

static int rule_init(rcw_rules *r, struct rule *ru, const struct rcw_rule_spec *s,
                     rcw_diags *d)
{
  *ru = (struct rule){.scope = s->scope, .metric = s->metric, .window_ms = s->window_ms,
                      .above = s->above, .clear_below = s->clear_below,
                      .min_requests = s->min_requests, .for_ms = s->for_ms,
                      .repeat_ms = s->repeat_ms, .severity = s->severity, .dim = -1,
                      .filter = -1};
  if (!(ru->name = strdup(s->name ? s->name : "")) || copy_match(ru, s) < 0)
    return -ENOMEM;
  int bad = 0;
  ru->win = rcw_windows_index(r->w, s->window_ms);
  if (ru->win < 0) {
    char win[32];
    rcw_format_duration(s->window_ms, win, sizeof(win));
    diag(d, s, "window is not one of the configured windows: ", win);
    bad = -EINVAL;
  }
  if (s->clear_below > s->above) {
    diag(d, s, "clear_below is above `above`", NULL);
    bad = -EINVAL;
  }
  int sc = rule_scope(r, ru, s, d);
  return sc == -ENOMEM ? sc : (bad ? bad : sc);
}

static void rule_free(struct rule *ru)
{
  free(ru->name);
  free(ru->dimension);
  free(ru->filter_text);
  for (size_t i = 0; i < ru->nmatch; i++)
    free(ru->match[i]);
  free(ru->match);
  free(ru->states);
  free(ru->slot);
}

static int rules_init(rcw_rules *r, const struct rcw_rule_spec *specs, size_t n, rcw_diags *d)
{
  int bad = 0;
  if (n && !(r->rules = calloc(n, sizeof(*r->rules))))
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    int e = rule_init(r, &r->rules[i], &specs[i], d);
    r->nrules = i + 1;
    if (e == -ENOMEM)
      return e;
    bad = e < 0 ? e : bad;
  }
  for (size_t i = 0; !bad && i < n; i++) {
    int err = 0;
    if (r->rules[i].scope == RCW_SCOPE_TOTAL && !state_get(r, &r->rules[i], 0, &err))
      return err ? err : -ENOMEM;
  }
  return bad;
}

int rcw_rules_new(const struct rcw_rule_spec *specs, size_t n, const rcw_catalog *c,
                  rcw_windows *w, rcw_diags *d, rcw_rules **out)
{
  rcw_rules *r = calloc(1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  r->catalog = c;
  r->w = w;
  r->last_eval = INT64_MIN;
  r->desc = (struct rcw_buf)RCW_BUF_INIT;
  int e = rules_init(r, specs, n, d);
  if (e < 0) {
    rcw_rules_free(r);
    return e;
  }
  *out = r;
  return 0;
}

void rcw_rules_free(rcw_rules *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->nrules; i++)
    rule_free(&r->rules[i]);
  free(r->rules);
  for (size_t i = 0; i < r->ncodes; i++) {
    free(r->codes[i].code);
    free(r->codes[i].entries);
  }
  free(r->codes);
  free(r->code_of_entry);
  free(r->cat_firing);
  rcw_buf_free(&r->desc);
  free(r);
}

/* --- checkpoints ------------------------------------------------------------
 *
 * Version 1, little-endian (blobio): u32 magic "RCWR", u32 version,
 * i64 last evaluation, u32 states, per pending or firing state: str rule,
 * u8 scope, str dimension, str key, u8 phase, u8 flags (1 sent, 2 held),
 * str holding category, i64 since, i64 fired_at, i64 last_sent, f64 value,
 * u64 requests, u64 failures.  Inactive states hold nothing worth keeping. */

#define RULES_MAGIC 0x52574352u /* "RCWR" */
#define RULES_VERSION 1
#define STR_MAX 4096
#define STATE_MIN_BYTES (4 * 4 + 1 + 4 + 1 + 1 + 3 * 8 + 3 * 8)

static void put_cstr(struct rcw_buf *b, const char *s)
{
  rcw_blob_put_str(b, s, strlen(s));
}

static void save_state(const rcw_rules *r, const struct rule *ru, const struct state *st,
                       struct rcw_buf *out)
{
  size_t klen = 0;
  const char *key = key_name(r, ru, st->key);
  if (ru->scope == RCW_SCOPE_DIMENSION)
    rcw_windows_value_name(r->w, (size_t)ru->dim, st->key, &klen);
  else
    klen = strlen(key);
  put_cstr(out, ru->name);
  rcw_blob_put_u8(out, (uint8_t)ru->scope);
  put_cstr(out, ru->dimension ? ru->dimension : "");
  rcw_blob_put_str(out, key, klen);
  rcw_blob_put_u8(out, st->phase);
  rcw_blob_put_u8(out, (uint8_t)(st->emitted | st->held << 1));
  put_cstr(out, st->held_by == RCW_ENTRY_NONE ? "" : category_name(r, st->held_by));
  rcw_blob_put_i64(out, st->since);
  rcw_blob_put_i64(out, st->fired_at);
  rcw_blob_put_i64(out, st->last_sent);
  rcw_blob_put_f64(out, st->value);
  rcw_blob_put_u64(out, st->requests);
  rcw_blob_put_u64(out, st->failures);
}

int rcw_rules_save(const rcw_rules *r, struct rcw_buf *out)
{
  uint32_t n = 0;
  for (size_t i = 0; i < r->nrules; i++)
    for (size_t k = 0; k < r->rules[i].nstates; k++)
      n += r->rules[i].states[k].phase != PH_INACTIVE;
  rcw_blob_put_u32(out, RULES_MAGIC);
  rcw_blob_put_u32(out, RULES_VERSION);
  rcw_blob_put_i64(out, r->last_eval);
  rcw_blob_put_u32(out, n);
  for (size_t i = 0; i < r->nrules; i++)
    for (size_t k = 0; k < r->rules[i].nstates; k++)
      if (r->rules[i].states[k].phase != PH_INACTIVE)
        save_state(r, &r->rules[i], &r->rules[i].states[k], out);
  return out->oom ? -ENOMEM : 0;
}

/* One saved state, pointing into the blob. */
struct saved {
  const char *rule, *dim, *key, *held_by;
  size_t rule_len, dim_len, key_len, held_len;
  uint8_t scope, phase, flags;
  int64_t since, fired_at, last_sent;
  double value;
  uint64_t requests, failures;
};

static bool read_saved(struct rcw_blob_reader *br, struct saved *s)
{
  s->rule = rcw_blob_get_str(br, STR_MAX, &s->rule_len);
  s->scope = rcw_blob_get_u8(br);
  s->dim = rcw_blob_get_str(br, STR_MAX, &s->dim_len);
  s->key = rcw_blob_get_str(br, STR_MAX, &s->key_len);
  s->phase = rcw_blob_get_u8(br);
  s->flags = rcw_blob_get_u8(br);
  s->held_by = rcw_blob_get_str(br, STR_MAX, &s->held_len);
  s->since = rcw_blob_get_i64(br);
  s->fired_at = rcw_blob_get_i64(br);
  s->last_sent = rcw_blob_get_i64(br);
  s->value = rcw_blob_get_f64(br);
  s->requests = rcw_blob_get_u64(br);
  s->failures = rcw_blob_get_u64(br);
  if (br->bad || s->scope > RCW_SCOPE_DIMENSION || s->phase < PH_PENDING ||
      s->phase > PH_FIRING || s->flags > 3)
    rcw_blob_fail(br);
  return !br->bad;
}

static bool same(const char *a, const char *b, size_t blen)
{
  return strlen(a) == blen && memcmp(a, b, blen) == 0;
}

static struct rule *rule_for(const rcw_rules *r, const char *name, size_t len, unsigned scope,
                             const char *dim, size_t dim_len)
{
  for (size_t i = 0; i < r->nrules; i++) {
    struct rule *ru = &r->rules[i];
    if (same(ru->name, name, len) && ru->scope == (enum rcw_scope)scope &&
        same(ru->dimension ? ru->dimension : "", dim, dim_len))
      return ru;
  }
  return NULL;
}

/* The key of a saved key text in ru (joining it when needed), or -1 when
 * ru does not watch it, or -ENOMEM. */
static int64_t key_resolve(rcw_rules *r, const struct rule *ru, const char *text)
{
  if (!rule_accepts(ru, text))
    return -1;
  switch (ru->scope) {
  case RCW_SCOPE_CATEGORY: {
    uint32_t id = rcw_catalog_category_id(r->catalog, text);
    return id == RCW_ENTRY_NONE ? -1 : (int64_t)id;
  }
  case RCW_SCOPE_CODE:
    return code_get(r, text);
  case RCW_SCOPE_DIMENSION: {
    int64_t v = rcw_windows_value_intern(r->w, (size_t)ru->dim, text, strlen(text));
    if (v < 0)
      return v == -ENOMEM ? v : -1;
    return strcmp(key_name(r, ru, (uint32_t)v), text) == 0 ? v : -1;
  }
  default:
    return 0;
  }
}

static char *dup_n(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static void state_restore(rcw_rules *r, struct state *st, const struct saved *s)
{
  char *held = dup_n(s->held_by, s->held_len);
  st->phase = s->phase;
  st->emitted = s->flags & 1;
  st->held = (s->flags & 2) && s->phase == PH_FIRING && !st->emitted;
  st->held_by = held ? rcw_catalog_category_id(r->catalog, held) : RCW_ENTRY_NONE;
  free(held);
  st->since = s->since;
  st->fired_at = s->fired_at;
  st->last_sent = s->last_sent;
  st->value = s->value;
  st->requests = s->requests;
  st->failures = s->failures;
}

static int apply_saved(rcw_rules *r, const struct saved *s)
{
  struct rule *ru = rule_for(r, s->rule, s->rule_len, s->scope, s->dim, s->dim_len);
  char *text = ru ? dup_n(s->key, s->key_len) : NULL;
  if (!ru)
    return 0;
  if (!text)
    return -ENOMEM;
  int64_t key = key_resolve(r, ru, text);
  free(text);
  if (key < 0)
    return key == -ENOMEM ? (int)key : 0;
  int err = 0;
  struct state *st = state_get(r, ru, (uint32_t)key, &err);
  if (st)
    state_restore(r, st, s);
  return err;
}

static void states_clear(rcw_rules *r)
{
  for (size_t i = 0; i < r->nrules; i++)
    for (size_t k = 0; k < r->rules[i].nstates; k++) {
      struct state *st = &r->rules[i].states[k];
      st->phase = PH_INACTIVE;
      st->emitted = st->held = false;
      st->held_by = RCW_ENTRY_NONE;
    }
  if (r->cat_firing)
    memset(r->cat_firing, 0, r->ncat_firing * sizeof(*r->cat_firing));
}

/* The counts derived from states: category alerts firing, states active. */
static void states_recount(rcw_rules *r)
{
  r->nactive = 0;
  for (size_t i = 0; i < r->nrules; i++) {
    const struct rule *ru = &r->rules[i];
    for (size_t k = 0; k < ru->nstates; k++) {
      const struct state *st = &ru->states[k];
      r->nactive += st->phase != PH_INACTIVE;
      if (ru->scope == RCW_SCOPE_CATEGORY && st->phase == PH_FIRING && st->emitted)
        cat_firing_add(r, st->key, 1);
    }
  }
}

static int load_pass(rcw_rules *r, const void *p, size_t n, bool apply)
{
  struct rcw_blob_reader br;
  rcw_blob_reader_init(&br, p, n);
  if (rcw_blob_get_u32(&br) != RULES_MAGIC || rcw_blob_get_u32(&br) != RULES_VERSION)
    return -EINVAL;
  int64_t last_eval = rcw_blob_get_i64(&br);
  uint32_t count = rcw_blob_get_count(&br, STATE_MIN_BYTES);
  if (apply) {
    states_clear(r);
    r->last_eval = last_eval;
  }
  for (uint32_t i = 0; i < count; i++) {
    struct saved s;
    if (!read_saved(&br, &s))
      return -EINVAL;
    if (apply && apply_saved(r, &s) < 0)
      return -ENOMEM;
  }
  if (apply)
    states_recount(r);
  return rcw_blob_ok(&br) ? 0 : -EINVAL;
}

int rcw_rules_load(rcw_rules *r, const void *p, size_t n)
{
  int e = load_pass(r, p, n, false);
  if (e == 0)
    e = load_pass(r, p, n, true);
  if (e == -ENOMEM) {
    states_clear(r);
    states_recount(r);
  }
  return e;
}

/* Resolve sent alerts whose rule is gone from dst (or no longer matches
 * their key): otherwise they would stay firing downstream for ever. */
static void resolve_orphans(const rcw_rules *dst, const rcw_rules *old, int64_t now,
                            rcw_alert_cb emit, void *ctx)
{
  struct rcw_buf b = RCW_BUF_INIT;
  for (size_t i = 0; i < old->nrules; i++) {
    const struct rule *ru = &old->rules[i];
    const char *dim = ru->dimension ? ru->dimension : "";
    const struct rule *to = rule_for(dst, ru->name, strlen(ru->name), ru->scope,
                                     dim, strlen(dim));
    for (size_t k = 0; k < ru->nstates; k++) {
      const struct state *st = &ru->states[k];
      const char *key = key_name(old, ru, st->key);
      if (st->phase != PH_FIRING || !st->emitted || (to && rule_accepts(to, key)))
        continue;
      struct rcw_alert a;
      rcw_buf_reset(&b);
      rcw_buf_printf(&b, "%s alert for %s resolved: the rule was removed or changed by a "
                     "config reload", ru->name, key);
      alert_fill(&a, old, ru, st, RCW_ALERT_RESOLVED);
      a.at = now;
      a.description = b.oom || !b.data ? "" : b.data;
      if (emit)
        emit(ctx, &a);
    }
  }
  rcw_buf_free(&b);
}

int rcw_rules_adopt(rcw_rules *dst, const rcw_rules *old, int64_t now, rcw_alert_cb emit,
                    void *ctx)
{
  struct rcw_buf b = RCW_BUF_INIT;
  resolve_orphans(dst, old, now, emit, ctx);
  int e = rcw_rules_save(old, &b);
  if (e == 0)
    e = rcw_rules_load(dst, b.data, b.len);
  rcw_buf_free(&b);
  return e;
}
