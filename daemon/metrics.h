/* metrics — the daemon's Prometheus endpoint on metrics.listen:
 *
 *   GET /metrics  the text exposition (CONTRACT §5) of the last snapshot
 *   GET /healthz  200 "ok" while the loop's heartbeat is fresh, else 503
 *
 * HEAD works as GET; other methods get 405, other paths 404.
 *
 * The loop thread owns everything but the HTTP server: once a second it
 * adds families and samples, then commit() renders them into an immutable
 * snapshot and publishes it; and it calls heartbeat().  The server runs on
 * its own thread and only ever reads the published snapshot and the
 * heartbeat time, so a scrape never touches live daemon state and a stuck
 * loop still gets a 503 from /healthz instead of a hung request.
 *
 * A typical tick:
 *
 *   rcw_metrics_family(m, "rcwatch_lines_total", RCW_PROM_COUNTER, "Log lines read.",
 *                      RCW_METRICS_LABELS("source", "result"), 2);
 *   rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(name, "matched"), matched);
 *   ...
 *   rcw_metrics_commit(m);
 *   rcw_metrics_heartbeat(m);
 *
 * Sample errors need no handling: series over the per-family cap are
 * counted in rcwatch_metrics_series_dropped_total, which the endpoint
 * adds to every snapshot (names starting rcwatch_metrics_ are its own). */
#ifndef RCW_METRICS_H
#define RCW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "promtext.h"

typedef struct rcw_metrics rcw_metrics;

/* A label-name or label-value list in place: RCW_METRICS_LABELS("a", "b"). */
#define RCW_METRICS_LABELS(...) ((const char *const[]){__VA_ARGS__})

struct rcw_metrics_options {
  size_t max_series;         /* series per family; default 10000 */
  unsigned connection_limit; /* open connections; default 64 */
  unsigned per_ip_limit;     /* open connections from one address; default 32 */
  unsigned timeout_s;        /* an idle connection is closed after; default 10 */
  int64_t stale_ms;          /* /healthz fails when the heartbeat is older; default 10000 */
  /* Monotonic milliseconds, called from both threads; default
   * CLOCK_MONOTONIC.  Tests replace it to make a heartbeat stale. */
  int64_t (*clock_ms)(void);
};

void rcw_metrics_options_default(struct rcw_metrics_options *o);

/* Listen on spec->host:spec->port (an IPv4 or IPv6 address, "localhost";
 * NULL host: 127.0.0.1; port 0: any free port, see rcw_metrics_port) and
 * start serving.  opt NULL: defaults.  The first snapshot holds only the
 * endpoint's own metrics, and the heartbeat starts fresh.  Returns 0, or
 * -EINVAL (bad address or port), -errno from socket/bind/listen (such as
 * -EADDRINUSE when the port is taken), -ENOMEM, or -EIO when the HTTP
 * server cannot start. */
int rcw_metrics_new(const struct rcw_metrics_spec *spec, const struct rcw_metrics_options *opt,
                    rcw_metrics **out);
/* Stop serving (waits for the server thread; open connections are cut)
 * and free everything.  Accepts NULL. */
void rcw_metrics_close(rcw_metrics *m);

/* The port actually bound. */
int rcw_metrics_port(const rcw_metrics *m);

/* The registry for the next snapshot: see promtext.h for the rules and
 * return values.  Names starting "rcwatch_metrics_" give -EINVAL. */
int rcw_metrics_family(rcw_metrics *m, const char *name, enum rcw_prom_type type,
                       const char *help, const char *const *labels, size_t nlabels);
int rcw_metrics_sample(rcw_metrics *m, const char *const *values, double v);
int rcw_metrics_sample_u64(rcw_metrics *m, const char *const *values, uint64_t v);

/* Render everything added since the last commit into a snapshot and
 * publish it to scrapes; the registry starts empty again.  0, or -ENOMEM
 * with the previous snapshot still served. */
int rcw_metrics_commit(rcw_metrics *m);

/* The loop is alive: call from a timer at least every stale_ms. */
void rcw_metrics_heartbeat(rcw_metrics *m);

#endif
