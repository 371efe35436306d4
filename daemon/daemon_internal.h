/* The daemon's state, shared by its parts (daemon.c, checkpoint.c,
 * reporter.c, reload.c).  Not for other modules. */
#ifndef RCW_DAEMON_INTERNAL_H
#define RCW_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "metrics.h"
#include "daemon.h"
#include "ingest.h"
#include "rules.h"
#include "sinks.h"
#include "tail.h"
#include "tally.h"
#include "windows.h"

/* One configured source at run time. */
struct rcw_source_rt {
  struct rcw_daemon *daemon;
  char *name;
  struct rcw_ingest ingest;  /* counts into `period` */
  struct rcw_tally period;   /* since the last report */
  struct rcw_tally lifetime; /* closed periods since the state file began */
  int dim_map[RCW_MAX_DIMENSIONS]; /* parser dimension -> windows dimension */
  uint64_t rotations_base;   /* counted by earlier runs (state file) */
  uint64_t truncations_base;
};

/* Log lines about one path at most once a minute. */
#define RCW_ERRLIMIT_SLOTS 64
struct rcw_errlimit {
  char *path[RCW_ERRLIMIT_SLOTS];
  int64_t last_ms[RCW_ERRLIMIT_SLOTS];
};

struct rcw_daemon {
  uv_loop_t *loop;
  char *config_path;
  struct rcw_config *cfg;

  struct rcw_source_rt *src;
  size_t nsrc;
  rcw_windows *windows;
  rcw_rules *rules;
  rcw_sinks *sinks;
  rcw_tail *tail;
  rcw_metrics *metrics; /* NULL: metrics.listen not set */

  uv_timer_t tick_timer;
  uv_timer_t checkpoint_timer;
  uv_timer_t report_timer;
  uv_timer_t watchdog_timer; /* systemd watchdog pings, when asked for */
  uv_signal_t sig_hup, sig_usr1, sig_term, sig_int;

  int64_t now_ms;   /* wall clock, read once per callback */
  bool now_stale;   /* a new callback began: read the clock again */
  uint64_t status_lines; /* lines at the last STATUS=, for lines/s */
  int64_t status_ms;
  int64_t state_started_ms;  /* when the lifetime counts began */
  int64_t period_start_ms;   /* start of the current report period */
  struct rcw_tally previous; /* the last report's period, for its change */
  bool has_previous;
  int64_t previous_start_ms, previous_end_ms;
  bool stopping;
  int exit_code;

  uint64_t alerts_sent;
  uint64_t checkpoints, checkpoint_failures, state_quarantined;
  uint64_t reports_written, report_failures;
  uint64_t reloads, reload_failures;
  struct rcw_errlimit errlimit;
};

int64_t rcw_daemon_wall_ms(void);
/* Refresh now_ms (once per callback). */
void rcw_daemon_clock(struct rcw_daemon *d);

/* Sources: build run-time sources for d->cfg, taking over the counts of
 * sources of the same name from old (which may be NULL) whose entries
 * belong to old_catalog.  0 or -ENOMEM. */
int rcw_daemon_sources_build(struct rcw_daemon *d, struct rcw_source_rt *old, size_t nold,
                             const rcw_catalog *old_catalog);
void rcw_daemon_sources_free(struct rcw_source_rt *src, size_t n);
/* Windows and ingest depend on each other (fields wanted, dimension
 * indexes): call whenever d->windows or d->src changes. */
void rcw_daemon_sources_rewire(struct rcw_daemon *d);
/* Windows and rules for d->cfg.  0 or a negative errno (logged). */
int rcw_daemon_windows_new(struct rcw_daemon *d, rcw_windows **out);
int rcw_daemon_rules_new(struct rcw_daemon *d, rcw_windows *w, rcw_rules **out);
/* The callback rules emit alerts through. */
void rcw_daemon_emit_cb(void *ctx, const struct rcw_alert *a);
void rcw_daemon_evaluate(struct rcw_daemon *d);
/* (Re)arm the checkpoint and report timers from d->cfg. */
void rcw_daemon_arm_timers(struct rcw_daemon *d);

/* checkpoint.c */
int rcw_checkpoint_restore(struct rcw_daemon *d); /* 0 or -errno (logged) */
int rcw_checkpoint_save(struct rcw_daemon *d);    /* 0 or -errno (logged) */

/* reporter.c: write a report of the period ending now, start a new one. */
int rcw_reporter_write(struct rcw_daemon *d, const char *why);

/* exporter.c: rebuild and publish the /metrics snapshot (once a second). */
void rcw_exporter_publish(struct rcw_daemon *d);
/* Open the endpoint of d->cfg->metrics (nothing when not configured).
 * 0 or -errno (logged). */
int rcw_daemon_metrics_open(struct rcw_daemon *d);

/* reload.c: SIGHUP. */
void rcw_reload(struct rcw_daemon *d);

/* errlimit: true when a line about path may be logged now. */
bool rcw_errlimit_allow(struct rcw_errlimit *e, const char *path, int64_t now_ms);
void rcw_errlimit_free(struct rcw_errlimit *e);

#endif
