/* alertmanager — rcwatch alerts as the body of Alertmanager's v2
 * `POST /api/v2/alerts` (CONTRACT §4: the alert's fields as labels and
 * annotations).  Pure: no clock, no I/O; the caller decides the times.
 *
 * Alertmanager tells alerts apart by their label set, so the labels hold
 * only what stays the same for as long as one alert lives (firing, its
 * repeats, then resolved):
 *   alertname  the rule          scope, key, window, metric  as in §4
 *   severity   info|warning|critical
 *   instance   the host rcwatch runs on (omitted when unknown)
 *   source     "rcwatch"
 * Everything that changes goes into annotations, all strings:
 *   description, summary (one line for a notification title), value,
 *   threshold, requests, failures.
 * startsAt is when the alert started firing; endsAt is, for a resolved
 * alert, when it resolved, and for a firing one the end of a lease that
 * the sender keeps pushing forward while the alert fires, so Alertmanager
 * resolves it by itself only if rcwatch goes away. */
#ifndef RCW_ALERTMANAGER_H
#define RCW_ALERTMANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "json.h"

struct rcw_am_alert {
  const struct rcw_alert *alert;
  int64_t starts_at; /* ms, UTC */
  int64_t ends_at;   /* ms, UTC; at least starts_at */
};

/* One element of the body: {"labels":…,"annotations":…,"startsAt":…,
 * "endsAt":…}.  instance may be NULL. */
void rcw_alertmanager_alert(const struct rcw_am_alert *am, const char *instance,
                            struct rcw_json *j);

/* The whole body: a JSON array of n alerts, compact, onto out. */
void rcw_alertmanager_body(const struct rcw_am_alert *am, size_t n, const char *instance,
                           struct rcw_buf *out);

/* The one-line summary annotation, e.g.
 * "auth-failures firing: category auth failure rate 8.3% > 2% over 5m
 * (100 of 1200 requests)".  Control characters taken from a log line
 * (a dimension value as key) are escaped, so it stays one line. */
void rcw_alertmanager_summary(const struct rcw_alert *a, struct rcw_buf *out);

#endif
