/* The run-time pieces built from a config: sources with their ingest
 * pipelines and tallies, the rolling windows and the rule engine.  Used at
 * start and again at each reload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "log.h"
#include "tallycodec.h"

static void on_event(void *ctx, const struct rcw_event *ev)
{
  struct rcw_source_rt *s = ctx;
  struct rcw_daemon *d = s->daemon;
  const struct rcw_entry *e = rcw_catalog_entry(d->cfg->catalog, ev->entry);
  if (!e || !d->windows)
    return;
  /* A line stamped in the future (a skewed clock) must not push every
   * window forward and empty it: it counts as now. */
  int64_t t = ev->has_time && ev->time_ms < d->now_ms ? ev->time_ms : d->now_ms;
  size_t ndims = ev->match ? rcw_parser_dimension_count(s->ingest.parser) : 0;
  struct rcw_win_event we = {
    .time_ms = t,
    .entry = ev->entry,
    .category = e->category,
    .failure = !e->success,
    .dims = ev->match ? ev->match->dims : NULL,
    .dim_index = s->dim_map,
    .ndims = ndims,
  };
  rcw_windows_add(d->windows, &we);
}

static void on_new_code(void *ctx, uint32_t entry)
{
  struct rcw_source_rt *s = ctx;
  const struct rcw_entry *e = rcw_catalog_entry(s->daemon->cfg->catalog, entry);
  if (e)
    rcw_log_warning("source %s: new response code %s, not in the catalog (category unknown)",
                    s->name, e->code);
}

static void map_dimensions(struct rcw_source_rt *s, rcw_windows *w)
{
  size_t n = rcw_parser_dimension_count(s->ingest.parser);
  for (size_t i = 0; i < RCW_MAX_DIMENSIONS; i++)
    s->dim_map[i] = -1;
  for (size_t i = 0; i < n && i < RCW_MAX_DIMENSIONS && w; i++)
    s->dim_map[i] = rcw_windows_dimension_index(w, rcw_parser_dimension(s->ingest.parser, i));
}

static unsigned wanted_fields(const struct rcw_daemon *d)
{
  unsigned want = RCW_WANT_TS;
  if (d->windows && rcw_windows_dimension_count(d->windows) > 0)
    want |= RCW_WANT_DIMS;
  return want;
}

static struct rcw_source_rt *find_old(struct rcw_source_rt *old, size_t nold, const char *name)
{
  for (size_t i = 0; i < nold; i++)
    if (strcmp(old[i].name, name) == 0)
      return &old[i];
  return NULL;
}

static int init_source(struct rcw_daemon *d, struct rcw_source_rt *s,
                       const struct rcw_source_spec *spec, struct rcw_source_rt *old,
                       const rcw_catalog *old_catalog)
{
  s->daemon = d;
  s->name = strdup(spec->name);
  rcw_tally_init(&s->period);
  rcw_tally_init(&s->lifetime);
  if (!s->name)
    return -ENOMEM;
  if (old) {
    s->rotations_base = old->rotations_base;
    s->truncations_base = old->truncations_base;
  }
  if (old && (rcw_tally_remap(&s->period, d->cfg->catalog, &old->period, old_catalog) < 0 ||
              rcw_tally_remap(&s->lifetime, d->cfg->catalog, &old->lifetime, old_catalog) < 0))
    return -ENOMEM;
  struct rcw_ingest_hooks hooks = {
    .on_event = on_event, .on_new_code = on_new_code, .ctx = s, .want = wanted_fields(d),
  };
  rcw_ingest_init(&s->ingest, rcw_config_parser(d->cfg, spec->parser), d->cfg->catalog,
                  &s->period, &hooks);
  map_dimensions(s, d->windows);
  return 0;
}

int rcw_daemon_sources_build(struct rcw_daemon *d, struct rcw_source_rt *old, size_t nold,
                             const rcw_catalog *old_catalog)
{
  size_t n = d->cfg->nsources;
  struct rcw_source_rt *src = calloc(n ? n : 1, sizeof(*src));
  if (!src)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const struct rcw_source_spec *spec = &d->cfg->sources[i];
    if (init_source(d, &src[i], spec, find_old(old, nold, spec->name), old_catalog) < 0) {
      rcw_daemon_sources_free(src, i + 1);
      rcw_log_error("out of memory while setting up the sources");
      return -ENOMEM;
    }
  }
  d->src = src;
  d->nsrc = n;
  return 0;
}

void rcw_daemon_sources_rewire(struct rcw_daemon *d)
{
  for (size_t i = 0; i < d->nsrc; i++) {
    d->src[i].ingest.hooks.want = wanted_fields(d);
    map_dimensions(&d->src[i], d->windows);
  }
}

void rcw_daemon_sources_free(struct rcw_source_rt *src, size_t n)
{
  for (size_t i = 0; src && i < n; i++) {
    free(src[i].name);
    rcw_tally_destroy(&src[i].period);
    rcw_tally_destroy(&src[i].lifetime);
  }
  free(src);
}

/* Dimensions worth a window: those the config's own parsers declare, and
 * those a rule watches.  The built-in parsers' optional dimensions are
 * only kept when a rule asks, so an unused one costs nothing. */
static size_t collect_dimensions(const struct rcw_config *cfg, const char **names, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < cfg->nparser_specs; i++)
    for (size_t j = 0; j < cfg->parser_specs[i].ndimensions; j++)
      if (n < cap)
        names[n++] = cfg->parser_specs[i].dimensions[j];
  for (size_t i = 0; i < cfg->nrules; i++)
    if (cfg->rules[i].scope == RCW_SCOPE_DIMENSION && n < cap)
      names[n++] = cfg->rules[i].dimension;
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    bool dup = false;
    for (size_t j = 0; j < out && !dup; j++)
      dup = strcmp(names[j], names[i]) == 0;
    if (!dup)
      names[out++] = names[i];
  }
  return out;
}

int rcw_daemon_windows_new(struct rcw_daemon *d, rcw_windows **out)
{
  const char *dims[RCW_WINDOWS_MAX_DIMS];
  struct rcw_windows_spec spec = {
    .windows_ms = d->cfg->windows_ms,
    .nwindows = d->cfg->nwindows,
    .dimension_values = d->cfg->limits.dimension_values,
    .dimensions = dims,
    .ndimensions = collect_dimensions(d->cfg, dims, RCW_WINDOWS_MAX_DIMS),
    .rules = d->cfg->rules,
    .nrules = d->cfg->nrules,
    .catalog = d->cfg->catalog,
  };
  int r = rcw_windows_new(&spec, out);
  if (r < 0) {
    rcw_log_error("cannot set up the rolling windows: %s", strerror(-r));
    return r;
  }
  return 0;
}

int rcw_daemon_rules_new(struct rcw_daemon *d, rcw_windows *w, rcw_rules **out)
{
  rcw_diags *diags = rcw_diags_new();
  int r = rcw_rules_new(d->cfg->rules, d->cfg->nrules, d->cfg->catalog, w, diags, out);
  if (r < 0) {
    if (diags && rcw_diags_count(diags) > 0)
      rcw_diags_print(diags, stderr);
    else
      rcw_log_error("cannot set up the rules: %s", strerror(-r));
  }
  rcw_diags_free(diags);
  return r;
}
