/* sink_impl — what the dispatcher (sinks.c) and each alert sink type
 * (sink_log.c, sink_file.c, sink_exec.c) agree on; not for other modules.
 *
 * A sink embeds struct rcw_sink first and fills its ops.  The dispatcher
 * owns the memory: it calls ops->destroy once the sink has reported, with
 * rcw_sink_done, that it holds no more libuv handles or work.  Every
 * operation returns at once; a sink that needs time (a child, a retry, a
 * network round trip) keeps its own libuv handles and copies whatever it
 * keeps of an alert. */
#ifndef RCW_SINK_IMPL_H
#define RCW_SINK_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "sinks.h"

struct rcw_sink;

struct rcw_sink_ops {
  const char *type; /* "log", "file", "exec", ... */
  /* Deliver or queue one alert; never blocks. */
  void (*send)(struct rcw_sink *sk, const struct rcw_alert *a);
  /* Stop taking alerts and finish what is in flight, then rcw_sink_done.
   * May call rcw_sink_done before returning. */
  void (*close)(struct rcw_sink *sk);
  /* The close deadline passed: give up on in-flight work now (counted as
   * dropped or failed), then rcw_sink_done as soon as handles are closed. */
  void (*abort)(struct rcw_sink *sk);
  /* Free the sink; called by the dispatcher after rcw_sink_done. */
  void (*destroy)(struct rcw_sink *sk);
  /* Optional: an alert still firing when the daemon last stopped, restored
   * from the state file.  A sink whose receiver forgets alerts that are not
   * refreshed (Alertmanager) takes it up again; NULL: nothing to do, since
   * the transition was delivered before the restart. */
  void (*restore)(struct rcw_sink *sk, const struct rcw_alert *a);
};

/* Problems a sink keeps hitting (a full disk, a full queue) are logged at
 * most once a minute; the rest are counted and told with the next line. */
#define RCW_SINK_LOG_EVERY_MS 60000

struct rcw_sink_limiter {
  int64_t last_ms; /* -1: nothing logged yet */
  uint64_t quiet;  /* problems not logged since */
};

struct rcw_sink {
  const struct rcw_sink_ops *ops;
  uv_loop_t *loop;
  char *target; /* file path, program, URL; "" for log; owned */
  struct rcw_sink_stats stats; /* type and target point into this sink */
  struct rcw_sink_limiter limiter;
  /* Set by the dispatcher; rcw_sink_done calls it. */
  void (*on_done)(struct rcw_sink *sk);
  void *owner;
};

/* Constructors: 0 and *out, or a negative errno (nothing allocated). */
typedef int (*rcw_sink_new_fn)(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                               const struct rcw_config *cfg, struct rcw_sink **out);
int rcw_sink_log_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                     const struct rcw_config *cfg, struct rcw_sink **out);
int rcw_sink_file_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                      const struct rcw_config *cfg, struct rcw_sink **out);
int rcw_sink_exec_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                      const struct rcw_config *cfg, struct rcw_sink **out);

/* Fill the common part; target is copied.  0 or -ENOMEM. */
int rcw_sink_init(struct rcw_sink *sk, const struct rcw_sink_ops *ops, uv_loop_t *loop,
                  const char *target);
/* Free what rcw_sink_init allocated. */
void rcw_sink_fini(struct rcw_sink *sk);
/* The sink is idle and holds no handles: the dispatcher may destroy it. */
void rcw_sink_done(struct rcw_sink *sk);

/* Log a warning "<type> sink <target>: <message>" unless one was logged
 * less than a minute ago (then only counted). */
void rcw_sink_complain(struct rcw_sink *sk, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append s[0..len) for a log line: backslash, control characters (C0,
 * DEL, C1) and bytes that are not valid UTF-8 become escapes, so text
 * from a log line or a child's output cannot forge log lines or drive a
 * terminal. */
void rcw_sink_escape(struct rcw_buf *b, const char *s, size_t len);
/* The alert as one compact JSON line ending in "\n". */
void rcw_sink_alert_line(const struct rcw_alert *a, struct rcw_buf *b);

#endif
