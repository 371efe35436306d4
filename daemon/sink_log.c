/* The `log` sink: one line per alert transition in the daemon's own log
 * (stderr or the journal), e.g.
 *   alert firing: rule=auth-failures key=auth severity=critical
 *   failure_rate=8.30% > 2.00% over 5m (100/1200)
 * Rule and key may come from a config or a log line, so they are escaped
 * before they reach the log. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink_impl.h"

static void put_escaped(struct rcw_buf *b, const char *s)
{
  if (s)
    rcw_sink_escape(b, s, strlen(s));
}

static void put_value(struct rcw_buf *b, enum rcw_metric metric, double v)
{
  if (metric == RCW_METRIC_FAILURE_RATE)
    rcw_buf_printf(b, "%.2f%%", v * 100.0);
  else
    rcw_buf_printf(b, "%.15g", v);
}

/* The comparison that made the transition: above the threshold fires, at
 * or below the clear level resolves. */
static void put_condition(struct rcw_buf *b, const struct rcw_alert *a)
{
  rcw_buf_printf(b, "%s=", rcw_metric_name(a->metric));
  put_value(b, a->metric, a->value);
  rcw_buf_puts(b, a->state == RCW_ALERT_FIRING ? " > " : " <= ");
  put_value(b, a->metric, a->threshold);
}

static void log_send(struct rcw_sink *sk, const struct rcw_alert *a)
{
  struct rcw_buf b = RCW_BUF_INIT;
  char window[32];
  rcw_format_duration(a->window_ms, window, sizeof(window));
  rcw_buf_printf(&b, "alert %s: rule=", rcw_alert_state_name(a->state));
  put_escaped(&b, a->rule);
  rcw_buf_puts(&b, " key=");
  put_escaped(&b, a->key);
  rcw_buf_printf(&b, " severity=%s ", rcw_severity_name(a->severity));
  put_condition(&b, a);
  rcw_buf_printf(&b, " over %s (%llu/%llu)", window, (unsigned long long)a->failures,
                 (unsigned long long)a->requests);
  if (b.oom) {
    sk->stats.failed++;
  } else {
    rcw_log_notice("%s", b.data);
    sk->stats.sent++;
  }
  rcw_buf_free(&b);
}

static void log_close(struct rcw_sink *sk)
{
  rcw_sink_done(sk);
}

static void log_abort(struct rcw_sink *sk)
{
}

static void log_destroy(struct rcw_sink *sk)
{
  rcw_sink_fini(sk);
  free(sk);
}

static const struct rcw_sink_ops log_ops = {
  .type = "log",
  .send = log_send,
  .close = log_close,
  .abort = log_abort,
  .destroy = log_destroy,
};

int rcw_sink_log_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                     const struct rcw_config *cfg, struct rcw_sink **out)
{
  struct rcw_sink *sk = malloc(sizeof(*sk));
  if (!sk)
    return -ENOMEM;
  if (rcw_sink_init(sk, &log_ops, loop, "") < 0) {
    free(sk);
    return -ENOMEM;
  }
  *out = sk;
  return 0;
}
