/* sink_webhook — the `webhook` alert sink (CONTRACT §2): alerts POSTed
 * over HTTP(S) from the daemon's loop (libcurl multi, see curl_uv.h).
 *
 * format json          one request per alert, the CONTRACT §4 object.
 * format alertmanager  Alertmanager's v2 body (alertmanager.h), several
 *                      alerts per request.  Firing alerts are kept (up to
 *                      limits.webhook_queue in all) and posted again every
 *                      resend interval with endsAt pushed to now + lease,
 *                      so Alertmanager never resolves a live alert on its
 *                      own, yet does so after a lease if rcwatch stops.  A
 *                      resolved alert is posted once, endsAt = resolve time.
 *                      At a reload the closing sink hands its firing
 *                      alerts to the new sink with the same URL.
 *
 * Delivery: HTTP 2xx is delivered; 408, 429, 5xx and transport errors
 * (refused, reset, timed out) are retried with capped exponential backoff
 * and full jitter, honouring Retry-After, until max_tries or until a newer
 * state of the same alert (same rule and key) supersedes the one waiting;
 * other statuses (4xx, and 3xx: redirects are not followed) fail at once.
 * At most max_in_flight requests run per sink; the alerts the sink holds
 * (waiting, in flight or kept firing) are capped by limits.webhook_queue,
 * and what does not fit is dropped and counted.  A dead or slow target
 * costs the loop nothing: every request is bounded by the sink's timeout
 * (connecting included).  At close, waiting alerts get one immediate last
 * try within the dispatcher's grace; what is still in flight when the
 * grace ends is abandoned and counted as dropped.
 *
 * Counters (struct rcw_sink_stats): sent and dropped count alerts (a
 * re-send of a firing alert is not counted again); failed, retried and
 * timeouts count requests, one request carrying one or more alerts.
 *
 * Transport: only http and https, no redirects, no signals (libcurl's
 * resolver runs in its own thread).  Proxies follow libcurl's usual
 * environment variables (http_proxy, https_proxy, no_proxy; for http only
 * the lower-case http_proxy), so a proxy is used only where the service's
 * environment sets one. */
#ifndef RCW_SINK_WEBHOOK_H
#define RCW_SINK_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "sink_impl.h"

int rcw_sink_webhook_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                         const struct rcw_config *cfg, struct rcw_sink **out);

/* The knobs behind the behaviour above; the defaults suit production. */
struct rcw_webhook_tuning {
  int64_t resend_ms;      /* alertmanager: re-post firing alerts, default 60 s */
  int64_t lease_ms;       /* alertmanager: endsAt of a firing alert is now +
                             lease, default 4 resends */
  int64_t backoff_min_ms; /* first retry within this, default 1 s */
  int64_t backoff_max_ms; /* doubling up to this, default 60 s */
  int max_tries;          /* tries per alert state, default 10 */
  size_t max_in_flight;   /* requests at once per sink, default 4 */
  size_t batch_max;       /* alertmanager: alerts per request, default 64 */
  int64_t (*wall_ms)(void); /* the UTC clock in ms, for startsAt/endsAt */
};

void rcw_webhook_tuning_default(struct rcw_webhook_tuning *t);

/* Tests: the tuning of webhook sinks built from now on (copied); NULL
 * restores the defaults. */
void rcw_sink_webhook_tune(const struct rcw_webhook_tuning *t);

#endif
