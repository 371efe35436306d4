/* SIGHUP: load the config again.  A config that does not validate is
 * refused and the old one keeps running; a good one takes over the
 * counts, windows, alert states and file offsets of the old one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "log.h"
#include "tallycodec.h"

static struct rcw_config *load_new(struct rcw_daemon *d)
{
  struct rcw_config *cfg = NULL;
  rcw_diags *diags = rcw_diags_new();
  int r = diags ? rcw_config_load_file(d->config_path, &cfg, diags) : -ENOMEM;
  if (r < 0) {
    for (size_t i = 0; diags && i < rcw_diags_count(diags); i++) {
      const struct rcw_diag *e = rcw_diags_get(diags, i);
      rcw_log_error("%s:%d:%d: %s", e->file, e->line, e->column, e->message);
    }
    rcw_log_error("reload refused: %s does not validate; the old config keeps running",
                  d->config_path);
    cfg = NULL;
  } else if (cfg->nsources == 0) {
    rcw_log_error("reload refused: %s has no sources; the old config keeps running",
                  d->config_path);
    rcw_config_free(cfg);
    cfg = NULL;
  }
  rcw_diags_free(diags);
  return cfg;
}

/* The state of the daemon that a reload replaces, kept until the new one
 * has taken everything over (the old catalog must outlive adoption). */
struct old_state {
  struct rcw_config *cfg;
  struct rcw_source_rt *src;
  size_t nsrc;
  rcw_windows *windows;
  rcw_rules *rules;
};

/* The previous report's counts move to the new catalog's entries. */
static int remap_previous(struct rcw_daemon *d, const rcw_catalog *old_catalog)
{
  struct rcw_tally t;
  rcw_tally_init(&t);
  int r = rcw_tally_remap(&t, d->cfg->catalog, &d->previous, old_catalog);
  if (r == 0) {
    rcw_tally_destroy(&d->previous);
    d->previous = t;
  } else {
    rcw_tally_destroy(&t);
  }
  return r;
}

static int adopt(struct rcw_daemon *d, struct old_state *old)
{
  int r = rcw_daemon_sources_build(d, old->src, old->nsrc, old->cfg->catalog);
  if (r == 0)
    r = rcw_daemon_windows_new(d, &d->windows);
  if (r == 0)
    r = rcw_windows_adopt(d->windows, d->cfg->catalog, old->windows, old->cfg->catalog);
  if (r == 0)
    r = rcw_daemon_rules_new(d, d->windows, &d->rules);
  if (r == 0)
    r = rcw_rules_adopt(d->rules, old->rules, d->now_ms, rcw_daemon_emit_cb, d);
  if (r == 0)
    rcw_daemon_sources_rewire(d);
  return r;
}

static void release(struct old_state *s)
{
  rcw_rules_free(s->rules);
  rcw_windows_free(s->windows);
  rcw_daemon_sources_free(s->src, s->nsrc);
  rcw_config_free(s->cfg);
}

static void sinks_closed_cb(void *arg)
{
  (void)arg;
}


static bool same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The endpoint stays up unless its address changed: opening the new one
 * before closing the old would find the port taken. */
static void reopen_metrics(struct rcw_daemon *d, const struct rcw_config *old)
{
  if (same(old->metrics.listen, d->cfg->metrics.listen))
    return;
  rcw_metrics_close(d->metrics);
  d->metrics = NULL;
  rcw_daemon_metrics_open(d);
}

/* Undo a reload that failed half way: the old state comes back whole. */
static void roll_back(struct rcw_daemon *d, struct old_state *old)
{
  struct old_state failed = {d->cfg, d->src, d->nsrc, d->windows, d->rules};
  d->cfg = old->cfg;
  d->src = old->src;
  d->nsrc = old->nsrc;
  d->windows = old->windows;
  d->rules = old->rules;
  rcw_daemon_sources_rewire(d);
  release(&failed);
}

void rcw_reload(struct rcw_daemon *d)
{
  rcw_log_notice("reloading %s", d->config_path);
  struct rcw_config *cfg = load_new(d);
  if (!cfg) {
    d->reload_failures++;
    return;
  }
  struct old_state old = {d->cfg, d->src, d->nsrc, d->windows, d->rules};
  d->cfg = cfg;
  d->src = NULL;
  d->nsrc = 0;
  d->windows = NULL;
  d->rules = NULL;
  rcw_sinks *sinks = NULL;
  int r = adopt(d, &old);
  if (r == 0)
    r = rcw_sinks_new(d->loop, d->cfg, &sinks);
  /* Last, since it cannot be undone: the tail moves to the new sources. */
  if (r == 0)
    r = rcw_tail_reconfigure(d->tail, d->cfg->sources, d->cfg->nsources);
  if (r < 0) {
    if (sinks)
      rcw_sinks_close(sinks, 0, sinks_closed_cb, NULL);
    roll_back(d, &old);
    d->reload_failures++;
    rcw_log_error("reload failed: %s; the old config keeps running", strerror(-r));
    return;
  }
  rcw_sinks_close(d->sinks, 2000, sinks_closed_cb, NULL);
  d->sinks = sinks;
  if (d->has_previous && remap_previous(d, old.cfg->catalog) < 0)
    d->has_previous = false; /* out of memory: the next report has no change */
  reopen_metrics(d, old.cfg);
  release(&old);
  rcw_daemon_arm_timers(d);
  d->reloads++;
  rcw_log_notice("reloaded %s: %zu source(s), %zu rule(s), %zu sink(s)", d->config_path,
                 d->nsrc, d->cfg->nrules, d->cfg->nsinks);
}
