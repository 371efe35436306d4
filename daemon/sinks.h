/* sinks — deliver alert transitions to the sinks of `alerts.sinks`
 * (CONTRACT §2): one sink per configured entry, all fed by one dispatcher
 * on the daemon's libuv loop.
 *
 * Sending never blocks the loop: each sink copies what it keeps and does
 * slow work (children, retries) on its own handles, so a slow or failing
 * sink delays neither the loop nor the other sinks.  Every queue a sink
 * keeps is bounded; what does not fit is dropped and counted.
 *
 * Lifetime: rcw_sinks_new, any number of rcw_sinks_send, then exactly one
 * rcw_sinks_close, whose callback runs once every handle is closed; the
 * loop must keep running until then.  A reload builds the new set before
 * closing the old one, so the two may overlap. */
#ifndef RCW_SINKS_H
#define RCW_SINKS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "alert.h"
#include "config.h"

/* A reasonable bound for rcw_sinks_close at stop: children and retries get
 * this long before they are killed or dropped. */
#define RCW_SINKS_CLOSE_GRACE_MS 5000

typedef struct rcw_sinks rcw_sinks;

/* Per-sink counters for metrics.  Counters start at 0 for each new set
 * (so a reload resets them, as a restart would).
 *   sent     alerts delivered (log line written, file line written whole,
 *            exec child exited 0)
 *   failed   delivery attempts that failed (a failed write, each failed
 *            retry included; a child that exited non-zero, was killed or
 *            could not be started)
 *   dropped  alerts given up without delivery (queue full, or still queued
 *            when the close deadline passed)
 *   retried  retry attempts (file: each re-write of a queued line)
 *   timeouts exec children killed for running past their timeout
 *   in_flight, queued: work under way and waiting now (gauges) */
struct rcw_sink_stats {
  const char *type;   /* "log", "file", "exec", "webhook" */
  const char *target; /* the file path, the program, the URL, or "" */
  uint64_t sent, failed, dropped, retried, timeouts;
  uint64_t in_flight, queued;
};

typedef void (*rcw_sinks_done_cb)(void *arg);

/* Build one sink per cfg->sinks entry.  Nothing of cfg is kept.  A sink
 * whose target is not usable yet (a file that cannot be opened) is still
 * built: it logs and retries.  Returns 0 and *out, -ENOTSUP (logged) for a
 * sink type this build cannot deliver to, or -ENOMEM. */
int rcw_sinks_new(uv_loop_t *loop, const struct rcw_config *cfg, rcw_sinks **out);

/* Hand one alert to every sink; the alert is only borrowed for the call. */
void rcw_sinks_send(rcw_sinks *s, const struct rcw_alert *a);

/* An alert firing when the daemon last stopped (from the state file):
 * sinks that must keep a receiver's view alive take it up again (the
 * Alertmanager webhook re-sends it, so Alertmanager does not resolve it
 * when its lease runs out); the others ignore it, having delivered it. */
void rcw_sinks_restore(rcw_sinks *s, const struct rcw_alert *a);

size_t rcw_sinks_count(const rcw_sinks *s);
/* Counters of sink i (in config order); strings stay valid until close. */
void rcw_sinks_stats(const rcw_sinks *s, size_t i, struct rcw_sink_stats *out);

/* Stop taking alerts, let sinks finish in-flight work for at most
 * grace_ms, then abandon the rest (counted), close every handle, free s
 * and call done(arg) from the loop (never from inside this call).  done
 * may be NULL.  s must not be used after this call. */
void rcw_sinks_close(rcw_sinks *s, int64_t grace_ms, rcw_sinks_done_cb done, void *arg);

#endif
