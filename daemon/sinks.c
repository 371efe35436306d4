#include "sinks.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink_impl.h"
#include "sink_webhook.h"
#include "utf8.h"

struct rcw_sinks {
  uv_loop_t *loop;
  struct rcw_sink **sink; /* config order; NULL once a sink is destroyed */
  size_t n;
  size_t open; /* sinks not yet done (plus one while close iterates) */
  bool closing;
  uv_timer_t grace;
  rcw_sinks_done_cb done;
  void *done_arg;
};

/* The one place a new sink type is wired in.  A type without a
 * constructor is refused at start rather than silently losing alerts. */
static rcw_sink_new_fn constructor(enum rcw_sink_type type)
{
  switch (type) {
  case RCW_SINK_LOG: return rcw_sink_log_new;
  case RCW_SINK_FILE: return rcw_sink_file_new;
  case RCW_SINK_EXEC: return rcw_sink_exec_new;
  case RCW_SINK_WEBHOOK: return rcw_sink_webhook_new;
  default: return NULL;
  }
}

static const char *type_name(enum rcw_sink_type type)
{
  static const char *const names[] = {"log", "file", "exec", "webhook"};
  return (size_t)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

static int check_types(const struct rcw_config *cfg)
{
  for (size_t i = 0; i < cfg->nsinks; i++) {
    const struct rcw_sink_spec *spec = &cfg->sinks[i];
    if (constructor(spec->type))
      continue;
    rcw_log_error("%s:%d:%d: alerts.sinks[%zu]: %s sinks are not supported by this build",
                  spec->loc.file ? spec->loc.file : cfg->path, spec->loc.line,
                  spec->loc.column, i, type_name(spec->type));
    return -ENOTSUP;
  }
  return 0;
}

static void finish_closed_cb(uv_handle_t *h)
{
  struct rcw_sinks *s = h->data;
  rcw_sinks_done_cb done = s->done;
  void *arg = s->done_arg;
  free(s->sink);
  free(s);
  if (done)
    done(arg);
}

static void release(struct rcw_sinks *s)
{
  if (--s->open > 0)
    return;
  uv_timer_stop(&s->grace);
  uv_close((uv_handle_t *)&s->grace, finish_closed_cb);
}

static void sink_done_cb(struct rcw_sink *sk)
{
  struct rcw_sinks *s = sk->owner;
  for (size_t i = 0; i < s->n; i++)
    if (s->sink[i] == sk)
      s->sink[i] = NULL;
  sk->ops->destroy(sk);
  release(s);
}

static int add_sink(struct rcw_sinks *s, const struct rcw_sink_spec *spec,
                    const struct rcw_config *cfg)
{
  struct rcw_sink *sk;
  int r = constructor(spec->type)(s->loop, spec, cfg, &sk);
  if (r < 0)
    return r;
  sk->on_done = sink_done_cb;
  sk->owner = s;
  s->sink[s->n++] = sk;
  s->open++;
  return 0;
}

int rcw_sinks_new(uv_loop_t *loop, const struct rcw_config *cfg, rcw_sinks **out)
{
  int r = check_types(cfg);
  if (r < 0)
    return r;
  struct rcw_sinks *s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->sink = calloc(cfg->nsinks ? cfg->nsinks : 1, sizeof(*s->sink));
  if (!s->sink) {
    free(s);
    return -ENOMEM;
  }
  uv_timer_init(loop, &s->grace);
  s->grace.data = s;
  for (size_t i = 0; i < cfg->nsinks; i++) {
    r = add_sink(s, &cfg->sinks[i], cfg);
    if (r < 0) {
      /* The sinks built so far own handles: they go the normal way. */
      rcw_sinks_close(s, 0, NULL, NULL);
      return r;
    }
  }
  *out = s;
  return 0;
}

void rcw_sinks_send(rcw_sinks *s, const struct rcw_alert *a)
{
  if (s->closing)
    return;
  for (size_t i = 0; i < s->n; i++)
    s->sink[i]->ops->send(s->sink[i], a);
}

void rcw_sinks_restore(rcw_sinks *s, const struct rcw_alert *a)
{
  if (s->closing)
    return;
  for (size_t i = 0; i < s->n; i++)
    if (s->sink[i]->ops->restore)
      s->sink[i]->ops->restore(s->sink[i], a);
}

size_t rcw_sinks_count(const rcw_sinks *s)
{
  return s->n;
}

void rcw_sinks_stats(const rcw_sinks *s, size_t i, struct rcw_sink_stats *out)
{
  *out = s->sink[i]->stats;
}

static void grace_cb(uv_timer_t *t)
{
  struct rcw_sinks *s = t->data;
  for (size_t i = 0; i < s->n; i++)
    if (s->sink[i])
      s->sink[i]->ops->abort(s->sink[i]);
}

void rcw_sinks_close(rcw_sinks *s, int64_t grace_ms, rcw_sinks_done_cb done, void *arg)
{
  s->closing = true;
  s->done = done;
  s->done_arg = arg;
  s->open++; /* sinks may finish inside close(): release only after the loop */
  uv_timer_start(&s->grace, grace_cb, grace_ms > 0 ? (uint64_t)grace_ms : 0, 0);
  for (size_t i = 0; i < s->n; i++)
    if (s->sink[i])
      s->sink[i]->ops->close(s->sink[i]);
  release(s);
}

/* --- shared by the sink types ------------------------------------------ */

int rcw_sink_init(struct rcw_sink *sk, const struct rcw_sink_ops *ops, uv_loop_t *loop,
                  const char *target)
{
  memset(sk, 0, sizeof(*sk));
  sk->target = strdup(target ? target : "");
  if (!sk->target)
    return -ENOMEM;
  sk->ops = ops;
  sk->loop = loop;
  sk->stats.type = ops->type;
  sk->stats.target = sk->target;
  sk->limiter.last_ms = -1;
  return 0;
}

void rcw_sink_fini(struct rcw_sink *sk)
{
  free(sk->target);
  sk->target = NULL;
}

void rcw_sink_done(struct rcw_sink *sk)
{
  sk->on_done(sk);
}

void rcw_sink_complain(struct rcw_sink *sk, const char *fmt, ...)
{
  struct rcw_sink_limiter *l = &sk->limiter;
  int64_t now = (int64_t)uv_now(sk->loop);
  if (l->last_ms >= 0 && now - l->last_ms < RCW_SINK_LOG_EVERY_MS) {
    l->quiet++;
    return;
  }
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (l->quiet > 0)
    rcw_log_warning("%s sink %s: %s (and %llu more problems in the last minute)",
                    sk->ops->type, sk->target, msg ? msg : fmt, (unsigned long long)l->quiet);
  else
    rcw_log_warning("%s sink %s: %s", sk->ops->type, sk->target, msg ? msg : fmt);
  free(msg);
  l->last_ms = now;
  l->quiet = 0;
}

void rcw_sink_alert_line(const struct rcw_alert *a, struct rcw_buf *b)
{
  struct rcw_json j;
  rcw_json_init(&j, b, false);
  rcw_alert_json(a, &j);
  rcw_buf_putc(b, '\n');
}

static void escape_byte(struct rcw_buf *b, unsigned char c)
{
  switch (c) {
  case '\n': rcw_buf_puts(b, "\\n"); break;
  case '\r': rcw_buf_puts(b, "\\r"); break;
  case '\t': rcw_buf_puts(b, "\\t"); break;
  default: rcw_buf_printf(b, "\\x%02x", c); break;
  }
}

void rcw_sink_escape(struct rcw_buf *b, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    uint32_t cp = 0;
    size_t n = rcw_utf8_decode(p + i, len - i, &cp);
    if (n == 1 && cp == '\\') {
      rcw_buf_puts(b, "\\\\");
    } else if (n == 0) {
      escape_byte(b, p[i]);
      n = 1;
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      for (size_t k = 0; k < n; k++)
        escape_byte(b, p[i + k]);
    } else {
      rcw_buf_append(b, p + i, n);
    }
    i += n;
  }
}
