#include "daemon_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "notify.h"

#define TICK_MS 1000
#define SINKS_STOP_GRACE_MS 3000 /* SIGTERM must end within 5 s */

int64_t rcw_daemon_wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rcw_daemon_clock(struct rcw_daemon *d)
{
  d->now_ms = rcw_daemon_wall_ms();
  d->now_stale = false;
}

void rcw_daemon_emit_cb(void *ctx, const struct rcw_alert *a)
{
  struct rcw_daemon *d = ctx;
  d->alerts_sent++;
  if (d->sinks)
    rcw_sinks_send(d->sinks, a);
}

void rcw_daemon_evaluate(struct rcw_daemon *d)
{
  if (d->rules && rcw_rules_evaluate(d->rules, d->now_ms, rcw_daemon_emit_cb, d) < 0)
    rcw_log_error("out of memory while evaluating rules");
}

/* --- tail callbacks ------------------------------------------------------ */

static void on_line(void *ctx, size_t source, const char *path, const char *line, size_t len,
                    bool too_long)
{
  struct rcw_daemon *d = ctx;
  if (d->now_stale)
    rcw_daemon_clock(d);
  if (source < d->nsrc)
    rcw_ingest_line(&d->src[source].ingest, line, len, too_long);
}

/* Rules run right after each batch of lines, so an alert leaves within
 * milliseconds of the line that crossed its threshold. */
static void on_batch(void *ctx)
{
  struct rcw_daemon *d = ctx;
  if (d->now_stale)
    rcw_daemon_clock(d);
  rcw_daemon_evaluate(d);
  d->now_stale = true;
}

static const char *source_name(struct rcw_daemon *d, size_t source)
{
  return source < d->nsrc ? d->src[source].name : "?";
}

static void on_error(void *ctx, size_t source, const char *path, int err)
{
  struct rcw_daemon *d = ctx;
  rcw_daemon_clock(d);
  if (rcw_errlimit_allow(&d->errlimit, path, d->now_ms))
    rcw_log_warning("source %s: %s: %s (retrying)", source_name(d, source), path,
                    strerror(-err));
}

static void on_file_event(void *ctx, size_t source, const char *path, enum rcw_tail_event ev)
{
  struct rcw_daemon *d = ctx;
  enum rcw_log_level level = ev == RCW_TAIL_LOST ? RCW_LOG_WARNING : RCW_LOG_INFO;
  rcw_log(level, "source %s: %s: %s", source_name(d, source), path, rcw_tail_event_name(ev));
}

static const struct rcw_tail_callbacks tail_callbacks = {
  .on_line = on_line,
  .on_batch = on_batch,
  .on_error = on_error,
  .on_file_event = on_file_event,
};

/* --- timers and signals -------------------------------------------------- */

static void count_cb(void *ctx, const struct rcw_alert *a)
{
  (void)a;
  (*(size_t *)ctx)++;
}

/* The one line `systemctl status rcwatch` shows. */
static void notify_status(struct rcw_daemon *d)
{
  if (!rcw_notify_active())
    return;
  uint64_t lines = 0, unmatched = 0;
  for (size_t i = 0; i < d->nsrc; i++) {
    lines += d->src[i].period.lines_total + d->src[i].lifetime.lines_total;
    unmatched += d->src[i].period.lines_unmatched + d->src[i].lifetime.lines_unmatched;
  }
  size_t firing = 0;
  if (d->rules)
    rcw_rules_firing(d->rules, false, count_cb, &firing);
  uint64_t files = 0;
  for (size_t i = 0; d->tail && i < d->nsrc; i++) {
    struct rcw_tail_stats st;
    if (rcw_tail_stats(d->tail, i, &st) == 0)
      files += st.files;
  }
  /* A reload or a restart can move the count back: no negative rate. */
  int64_t dt = d->now_ms - d->status_ms;
  double rate = dt > 0 && lines >= d->status_lines
                    ? (double)(lines - d->status_lines) * 1000.0 / (double)dt : 0.0;
  d->status_lines = lines;
  d->status_ms = d->now_ms;
  rcw_notify_status("%.0f lines/s, %" PRIu64 " file(s) watched, %zu alert(s) firing; "
                    "%" PRIu64 " line(s) (%" PRIu64 " unmatched) from %zu source(s)",
                    rate, files, firing, lines, unmatched, d->nsrc);
}

static void tick_cb(uv_timer_t *t)
{
  struct rcw_daemon *d = t->data;
  rcw_daemon_clock(d);
  rcw_daemon_evaluate(d);
  rcw_exporter_publish(d);
  notify_status(d);
}

/* On a timer of its own, so the pings stop exactly when the loop does. */
static void watchdog_cb(uv_timer_t *t)
{
  (void)t;
  rcw_notify_watchdog();
}

static void checkpoint_cb(uv_timer_t *t)
{
  struct rcw_daemon *d = t->data;
  rcw_daemon_clock(d);
  rcw_checkpoint_save(d);
}

static void report_cb(uv_timer_t *t)
{
  struct rcw_daemon *d = t->data;
  rcw_daemon_clock(d);
  rcw_reporter_write(d, "periodic");
}

void rcw_daemon_arm_timers(struct rcw_daemon *d)
{
  int64_t cp = d->cfg->state.interval_ms;
  int64_t rp = d->cfg->reports.interval_ms;
  uv_timer_start(&d->checkpoint_timer, checkpoint_cb, (uint64_t)cp, (uint64_t)cp);
  if (rp > 0)
    uv_timer_start(&d->report_timer, report_cb, (uint64_t)rp, (uint64_t)rp);
  else
    uv_timer_stop(&d->report_timer);
}

static void close_cb(uv_handle_t *h)
{
  (void)h;
}

static void sinks_closed_cb(void *arg)
{
  (void)arg;
}

/* Close everything the loop still has of ours; the loop then runs until
 * the close callbacks are done.  Safe after a start that failed half way:
 * only what was set up is closed. */
static void release_handles(struct rcw_daemon *d, int64_t sinks_grace_ms)
{
  uv_handle_t *handles[] = {
    (uv_handle_t *)&d->tick_timer, (uv_handle_t *)&d->checkpoint_timer,
    (uv_handle_t *)&d->report_timer, (uv_handle_t *)&d->watchdog_timer,
    (uv_handle_t *)&d->sig_hup, (uv_handle_t *)&d->sig_usr1,
    (uv_handle_t *)&d->sig_term, (uv_handle_t *)&d->sig_int,
  };
  for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++)
    if (handles[i]->loop == d->loop && !uv_is_closing(handles[i]))
      uv_close(handles[i], close_cb);
  if (d->sinks)
    rcw_sinks_close(d->sinks, sinks_grace_ms, sinks_closed_cb, d);
  d->sinks = NULL;
  rcw_tail_free(d->tail);
  d->tail = NULL;
  rcw_metrics_close(d->metrics);
  d->metrics = NULL;
}

/* Stop reading first, so the checkpoint and the final report describe
 * exactly the lines counted; then let sinks finish and handles close. */
static void stop(struct rcw_daemon *d, const char *why)
{
  if (d->stopping)
    return;
  d->stopping = true;
  rcw_notify_stopping();
  rcw_daemon_clock(d);
  rcw_log_notice("stopping (%s)", why);
  rcw_tail_stop(d->tail);
  rcw_daemon_evaluate(d);
  rcw_checkpoint_save(d);
  rcw_reporter_write(d, "final");
  release_handles(d, SINKS_STOP_GRACE_MS);
}

static void signal_cb(uv_signal_t *s, int signum)
{
  struct rcw_daemon *d = s->data;
  if (d->stopping)
    return;
  rcw_daemon_clock(d);
  if (signum == SIGHUP) {
    rcw_notify_reloading();
    rcw_reload(d);
    notify_status(d);
    rcw_notify_ready(); /* the reload is over, whether taken or refused */
  } else if (signum == SIGUSR1)
    rcw_reporter_write(d, "requested");
  else
    stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int start_handles(struct rcw_daemon *d)
{
  uv_timer_t *timers[] = {&d->tick_timer, &d->checkpoint_timer, &d->report_timer,
                          &d->watchdog_timer};
  for (size_t i = 0; i < 4; i++) {
    uv_timer_init(d->loop, timers[i]);
    timers[i]->data = d;
  }
  uv_signal_t *sigs[] = {&d->sig_hup, &d->sig_usr1, &d->sig_term, &d->sig_int};
  int signums[] = {SIGHUP, SIGUSR1, SIGTERM, SIGINT};
  for (size_t i = 0; i < 4; i++) {
    uv_signal_init(d->loop, sigs[i]);
    sigs[i]->data = d;
    int r = uv_signal_start(sigs[i], signal_cb, signums[i]);
    if (r < 0)
      return r;
  }
  uv_timer_start(&d->tick_timer, tick_cb, TICK_MS, TICK_MS);
  uint64_t wd = rcw_notify_watchdog_interval_ms();
  if (wd > 0)
    uv_timer_start(&d->watchdog_timer, watchdog_cb, wd, wd);
  rcw_daemon_arm_timers(d);
  return 0;
}

/* --- start --------------------------------------------------------------- */

static int open_tail(struct rcw_daemon *d)
{
  struct rcw_tail_options opt;
  rcw_tail_options_default(&opt);
  opt.max_files = d->cfg->limits.files;
  int r = rcw_tail_new(d->loop, d->cfg->sources, d->cfg->nsources, &opt, &tail_callbacks, d,
                       &d->tail);
  if (r < 0)
    rcw_log_error("cannot set up the sources: %s", strerror(-r));
  return r;
}

static void restore_cb(void *ctx, const struct rcw_alert *a)
{
  struct rcw_daemon *d = ctx;
  rcw_sinks_restore(d->sinks, a);
}

static int build(struct rcw_daemon *d)
{
  int r = rcw_daemon_sources_build(d, NULL, 0, NULL);
  if (r < 0)
    return r;
  if ((r = rcw_daemon_windows_new(d, &d->windows)) < 0)
    return r;
  if ((r = rcw_daemon_rules_new(d, d->windows, &d->rules)) < 0)
    return r;
  rcw_daemon_sources_rewire(d);
  if ((r = open_tail(d)) < 0)
    return r;
  if ((r = rcw_checkpoint_restore(d)) < 0)
    return r;
  if ((r = rcw_sinks_new(d->loop, d->cfg, &d->sinks)) < 0) {
    rcw_log_error("cannot set up the alert sinks: %s", strerror(-r));
    return r;
  }
  rcw_rules_firing(d->rules, false, restore_cb, d);
  return rcw_daemon_metrics_open(d);
}

int rcw_daemon_metrics_open(struct rcw_daemon *d)
{
  const struct rcw_metrics_spec *spec = &d->cfg->metrics;
  if (!spec->listen)
    return 0;
  int r = rcw_metrics_new(spec, NULL, &d->metrics);
  if (r < 0) {
    rcw_log_error("cannot serve metrics on %s: %s", spec->listen, strerror(-r));
    d->metrics = NULL;
    return r;
  }
  rcw_log_info("serving metrics on http://%s/metrics", spec->listen);
  return 0;
}

static int start(struct rcw_daemon *d)
{
  rcw_daemon_clock(d);
  d->state_started_ms = d->now_ms;
  d->period_start_ms = d->now_ms;
  int r = build(d);
  if (r < 0)
    return r;
  if ((r = start_handles(d)) < 0) {
    rcw_log_error("cannot set up signal handling: %s", uv_strerror(r));
    return r;
  }
  if ((r = rcw_tail_start(d->tail)) < 0) {
    rcw_log_error("cannot start watching the sources: %s", strerror(-r));
    return r;
  }
  rcw_exporter_publish(d);
  rcw_log_notice("started: %zu source(s), %zu rule(s), %zu sink(s), state %s", d->nsrc,
                 d->cfg->nrules, d->cfg->nsinks, d->cfg->state.path);
  notify_status(d);
  rcw_notify_ready(); /* state restored, sources open, /metrics listening */
  return 0;
}

static void free_daemon(struct rcw_daemon *d)
{
  rcw_rules_free(d->rules);
  rcw_windows_free(d->windows);
  rcw_daemon_sources_free(d->src, d->nsrc);
  rcw_tally_destroy(&d->previous);
  rcw_config_free(d->cfg);
  rcw_errlimit_free(&d->errlimit);
  free(d->config_path);
}

int rcw_daemon_main(const char *config_path)
{
  struct rcw_daemon d;
  memset(&d, 0, sizeof(d));
  rcw_log_init();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN); /* a file-size limit is an error the file sink retries */
  if (rcw_cli_load_config(config_path, &d.cfg) != 0)
    return RCW_EXIT_FAILURE;
  if (d.cfg->nsources == 0) {
    rcw_cli_error("%s: no sources configured: `run` needs at least one", config_path);
    rcw_config_free(d.cfg);
    return RCW_EXIT_FAILURE;
  }
  d.config_path = strdup(config_path);
  d.loop = uv_default_loop();
  int r = start(&d);
  if (r == 0)
    uv_run(d.loop, UV_RUN_DEFAULT);
  else if (!d.stopping) {
    release_handles(&d, 0);
    uv_run(d.loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(d.loop);
  free_daemon(&d);
  if (r == 0)
    rcw_log_notice("stopped");
  return r == 0 ? d.exit_code : RCW_EXIT_FAILURE;
}
