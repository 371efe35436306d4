/* The `exec` sink: run a program per alert transition.
 *
 * The configured argv is executed as is, never through a shell: the alert
 * reaches the program only as data, as one compact JSON line on stdin and
 * as RCWATCH_* environment variables, so quotes, `$(...)` or newlines in a
 * key taken from a log line are just bytes.
 *
 * Each child leads its own process group (a new session), so a child that
 * outlives its timeout is killed with everything it started.  At most
 * limits.exec_children run at once; further alerts wait in a bounded FIFO.
 * stdout and stderr share one pipe; the first OUTPUT_KEEP bytes are logged
 * with the exit status, the rest only counted.  Nothing blocks the loop:
 * stdin is written with uv_write, and a child that never reads it merely
 * leaves the write pending until it exits.
 *
 * A failed child (non-zero exit, a signal, a timeout, a program that
 * cannot be started) is counted and logged but not retried: the program
 * may have done part of its work (paged someone) before it failed, and
 * running it again could do that twice. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sink_impl.h"
#include "timefmt.h"

#define QUEUE_MAX 100     /* alerts waiting for a free child slot */
#define OUTPUT_KEEP 4096  /* bytes of a child's output kept for the log */
/* execve refuses any single environment string over 128 KiB (Linux
 * MAX_ARG_STRLEN); longer values are cut here, the JSON on stdin still
 * has them whole. */
#define ENV_VALUE_MAX 65536
#define DRAIN_MS 500      /* after exit, how long a left-over grandchild may
                             hold the output pipe open before we stop reading */

extern char **environ;

struct job {
  struct job *next;
  struct rcw_alert *alert;
};

struct exec_sink;

struct child {
  struct child *next;
  struct exec_sink *sink;
  uv_process_t proc;
  uv_pipe_t in;  /* the child's stdin */
  uv_pipe_t out; /* the child's stdout and stderr */
  uv_timer_t timer; /* the timeout, then the drain after exit */
  uv_write_t wreq;
  struct rcw_buf payload;
  int handles; /* initialised and not yet closed; freed at 0 */
  bool has_proc; /* uv_spawn was called, so proc must be closed */
  bool reading, exited, drained, finished, timed_out, killed;
  int64_t status;
  int term_signal;
  size_t outlen;
  uint64_t discarded;
  char output[OUTPUT_KEEP];
};

struct exec_sink {
  struct rcw_sink base;
  char **argv; /* NULL-terminated, owned */
  uint64_t timeout_ms;
  size_t max_children;
  struct child *children; /* running or closing */
  size_t nrunning;        /* children not yet finished */
  size_t nchildren;       /* children not yet freed */
  struct job *qhead, *qtail;
  size_t nqueued;
  bool closing, aborting, done;
  char scratch[4096]; /* where output past OUTPUT_KEEP is read and dropped */
};

/* --- the environment ---------------------------------------------------- */

static const char *const env_names[] = {
  "RCWATCH_STATE", "RCWATCH_RULE", "RCWATCH_SEVERITY", "RCWATCH_SCOPE",
  "RCWATCH_KEY", "RCWATCH_WINDOW", "RCWATCH_METRIC", "RCWATCH_VALUE",
  "RCWATCH_THRESHOLD", "RCWATCH_REQUESTS", "RCWATCH_FAILURES", "RCWATCH_AT",
  "RCWATCH_DESCRIPTION",
};
#define NENV (sizeof(env_names) / sizeof(env_names[0]))

/* True for an inherited variable the alert sets itself. */
static bool env_is_ours(const char *entry)
{
  for (size_t i = 0; i < NENV; i++) {
    size_t n = strlen(env_names[i]);
    if (strncmp(entry, env_names[i], n) == 0 && entry[n] == '=')
      return true;
  }
  return false;
}

/* Shortest text that reads back as the same double (as the JSON has it). */
static void format_double(double v, char *out, size_t len)
{
  snprintf(out, len, "%.15g", v);
  if (strtod(out, NULL) != v)
    snprintf(out, len, "%.17g", v);
}

/* The values of env_names, in order, as text.  vals[] points into bufs or
 * into the alert; both must outlive the use. */
static void env_values(const struct rcw_alert *a, const char *vals[NENV], char bufs[][48])
{
  vals[0] = rcw_alert_state_name(a->state);
  vals[1] = a->rule ? a->rule : "";
  vals[2] = rcw_severity_name(a->severity);
  vals[3] = rcw_scope_name(a->scope);
  vals[4] = a->key ? a->key : "";
  rcw_format_duration(a->window_ms, bufs[0], 48);
  vals[5] = bufs[0];
  vals[6] = rcw_metric_name(a->metric);
  format_double(a->value, bufs[1], 48);
  vals[7] = bufs[1];
  format_double(a->threshold, bufs[2], 48);
  vals[8] = bufs[2];
  snprintf(bufs[3], 48, "%llu", (unsigned long long)a->requests);
  vals[9] = bufs[3];
  snprintf(bufs[4], 48, "%llu", (unsigned long long)a->failures);
  vals[10] = bufs[4];
  rcw_time_format_iso(a->at, bufs[5]);
  vals[11] = bufs[5];
  vals[12] = a->description ? a->description : "";
}

static void env_free(char **env)
{
  if (!env)
    return;
  for (size_t i = 0; env[i]; i++)
    free(env[i]);
  free(env);
}

/* The daemon's environment plus the alert's variables; NULL on ENOMEM.
 * Values are C strings, so they cannot hold a NUL that would cut them
 * short; anything else (newlines, quotes, `$`) is passed as is. */
static char **env_build(const struct rcw_alert *a)
{
  const char *vals[NENV];
  char bufs[6][48];
  size_t n = 0, k = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + NENV + 1, sizeof(*env));
  if (!env)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (!env_is_ours(environ[i]) && !(env[k++] = strdup(environ[i])))
      goto fail;
  env_values(a, vals, bufs);
  for (size_t i = 0; i < NENV; i++)
    if (asprintf(&env[k++], "%s=%.*s", env_names[i], ENV_VALUE_MAX, vals[i]) < 0) {
      env[k - 1] = NULL;
      goto fail;
    }
  return env;
fail:
  env_free(env);
  return NULL;
}

/* --- one child ---------------------------------------------------------- */

static void start_queued(struct exec_sink *s);
static void maybe_done(struct exec_sink *s);

static void child_free(struct child *c)
{
  struct exec_sink *s = c->sink;
  struct child **pp = &s->children;
  while (*pp != c)
    pp = &(*pp)->next;
  *pp = c->next;
  rcw_buf_free(&c->payload);
  free(c);
  s->nchildren--;
  maybe_done(s);
}

static void handle_closed_cb(uv_handle_t *h)
{
  struct child *c = h->data;
  if (--c->handles == 0)
    child_free(c);
}

static void close_handle(struct child *c, void *h)
{
  if (!uv_is_closing(h))
    uv_close(h, handle_closed_cb);
}

/* Append the kept output to the log line: one line, escaped, without the
 * newline most programs end with. */
static void put_output(struct rcw_buf *b, const struct child *c)
{
  size_t len = c->outlen;
  while (len > 0 && (c->output[len - 1] == '\n' || c->output[len - 1] == '\r'))
    len--;
  if (len > 0) {
    rcw_buf_puts(b, ": ");
    rcw_sink_escape(b, c->output, len);
  }
  if (c->discarded > 0)
    rcw_buf_printf(b, " (%llu more bytes of output not kept)",
                   (unsigned long long)c->discarded);
}

static void report(struct child *c)
{
  struct exec_sink *s = c->sink;
  struct rcw_buf b = RCW_BUF_INIT;
  bool ok = !c->term_signal && c->status == 0;
  rcw_buf_printf(&b, "exec sink %s: ", s->base.target);
  if (!c->term_signal)
    rcw_buf_printf(&b, "exit %lld", (long long)c->status);
  else if (c->timed_out)
    rcw_buf_printf(&b, "timed out after %llu ms, killed", (unsigned long long)s->timeout_ms);
  else if (c->killed)
    rcw_buf_puts(&b, "killed at stop");
  else
    rcw_buf_printf(&b, "killed by signal %d (%s)", c->term_signal, strsignal(c->term_signal));
  put_output(&b, c);
  rcw_log(ok ? RCW_LOG_INFO : RCW_LOG_WARNING, "%s", b.oom ? "exec sink: out of memory" : b.data);
  rcw_buf_free(&b);
  if (ok)
    s->base.stats.sent++;
  else
    s->base.stats.failed++;
}

static void child_close_handles(struct child *c)
{
  if (c->has_proc)
    close_handle(c, &c->proc);
  close_handle(c, &c->in);
  close_handle(c, &c->out);
  close_handle(c, &c->timer);
}

static void child_finish(struct child *c)
{
  struct exec_sink *s = c->sink;
  if (c->finished)
    return;
  c->finished = true;
  report(c);
  child_close_handles(c);
  s->nrunning--;
  s->base.stats.in_flight = s->nrunning;
  start_queued(s);
}

static void maybe_finish(struct child *c)
{
  if (c->exited && c->drained)
    child_finish(c);
}

static void stop_reading(struct child *c)
{
  if (c->reading)
    uv_read_stop((uv_stream_t *)&c->out);
  c->reading = false;
  c->drained = true;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
  struct child *c = h->data;
  if (c->outlen < OUTPUT_KEEP)
    *buf = uv_buf_init(c->output + c->outlen, (unsigned)(OUTPUT_KEEP - c->outlen));
  else
    *buf = uv_buf_init(c->sink->scratch, sizeof(c->sink->scratch));
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
  struct child *c = st->data;
  if (nread > 0) {
    if (buf->base == c->output + c->outlen)
      c->outlen += (size_t)nread;
    else
      c->discarded += (uint64_t)nread;
  } else if (nread < 0) {
    stop_reading(c); /* EOF: every writer is gone; or a read error */
    maybe_finish(c);
  }
}

static void write_cb(uv_write_t *req, int status)
{
  struct child *c = req->data;
  /* EPIPE (the child did not want its stdin) and ECANCELED (it exited
   * first) are normal; closing stdin is what tells the child "that's all". */
  close_handle(c, &c->in);
}

/* Kill the child's whole process group.  Only while the child has not
 * been reaped: until then its pid cannot name anybody else's group. */
static void kill_group(struct child *c)
{
  if (c->exited || c->proc.pid <= 0)
    return;
  kill(-c->proc.pid, SIGKILL);
}

static void drain_cb(uv_timer_t *t)
{
  struct child *c = t->data;
  stop_reading(c);
  maybe_finish(c);
}

static void timeout_cb(uv_timer_t *t)
{
  struct child *c = t->data;
  c->timed_out = true;
  c->sink->base.stats.timeouts++;
  kill_group(c);
}

static void exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
  struct child *c = p->data;
  c->exited = true;
  c->status = status;
  c->term_signal = term_signal;
  uv_timer_stop(&c->timer);
  if (!c->drained)
    uv_timer_start(&c->timer, drain_cb, DRAIN_MS, 0);
  maybe_finish(c);
}

static void child_init_handles(struct exec_sink *s, struct child *c)
{
  uv_loop_t *loop = s->base.loop;
  c->sink = s;
  uv_pipe_init(loop, &c->in, 0);
  uv_pipe_init(loop, &c->out, 0);
  uv_timer_init(loop, &c->timer);
  c->proc.data = c->in.data = c->out.data = c->timer.data = c->wreq.data = c;
  c->handles = 3;
  c->next = s->children;
  s->children = c;
  s->nchildren++;
  s->nrunning++;
  s->base.stats.in_flight = s->nrunning;
}

static int child_spawn(struct exec_sink *s, struct child *c, char **env, int out_fd)
{
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  stdio[0].data.stream = (uv_stream_t *)&c->in;
  stdio[1].flags = stdio[2].flags = UV_INHERIT_FD;
  stdio[1].data.fd = stdio[2].data.fd = out_fd;
  uv_process_options_t opt;
  memset(&opt, 0, sizeof(opt));
  opt.exit_cb = exit_cb;
  opt.file = s->argv[0];
  opt.args = s->argv;
  opt.env = env;
  opt.flags = UV_PROCESS_DETACHED; /* setsid: its own process group */
  opt.stdio_count = 3;
  opt.stdio = stdio;
  c->has_proc = true; /* even a failed uv_spawn leaves a handle to close */
  c->handles++;
  int r = uv_spawn(s->base.loop, &c->proc, &opt);
  c->proc.data = c;
  return r;
}

/* No exit will come: count, log and close now. */
static void child_failed_to_start(struct child *c, const char *what, int err)
{
  struct exec_sink *s = c->sink;
  rcw_log_warning("exec sink %s: cannot %s: %s", s->base.target, what, uv_strerror(err));
  c->exited = c->drained = c->finished = true;
  s->base.stats.failed++;
  child_close_handles(c);
  s->nrunning--;
  s->base.stats.in_flight = s->nrunning;
}

/* Start the child's I/O once it runs: read its output, feed its stdin,
 * arm the timeout. */
static void child_begin_io(struct exec_sink *s, struct child *c, int out_rd)
{
  if (uv_pipe_open(&c->out, out_rd) == 0)
    c->reading = uv_read_start((uv_stream_t *)&c->out, alloc_cb, read_cb) == 0;
  else
    close(out_rd);
  c->drained = !c->reading;
  uv_buf_t buf = uv_buf_init(c->payload.data, (unsigned)c->payload.len);
  if (uv_write(&c->wreq, (uv_stream_t *)&c->in, &buf, 1, write_cb) < 0)
    close_handle(c, &c->in);
  uv_timer_start(&c->timer, timeout_cb, s->timeout_ms, 0);
}

static void child_start(struct exec_sink *s, const struct rcw_alert *a)
{
  struct child *c = calloc(1, sizeof(*c));
  if (!c) {
    s->base.stats.failed++;
    rcw_sink_complain(&s->base, "out of memory, alert not delivered");
    return;
  }
  child_init_handles(s, c);
  rcw_sink_alert_line(a, &c->payload);
  char **env = env_build(a);
  int fds[2] = {-1, -1};
  int r = (c->payload.oom || !env) ? UV_ENOMEM : uv_pipe(fds, UV_NONBLOCK_PIPE, 0);
  if (r == 0) {
    r = child_spawn(s, c, env, fds[1]);
    close(fds[1]); /* the child has its copies; EOF comes when they close */
    if (r < 0)
      close(fds[0]);
  }
  env_free(env);
  if (r < 0)
    child_failed_to_start(c, c->has_proc ? "run" : "prepare", r);
  else
    child_begin_io(s, c, fds[0]);
}

/* --- the queue and the sink --------------------------------------------- */

static void start_queued(struct exec_sink *s)
{
  while (s->qhead && s->nrunning < s->max_children && !s->aborting) {
    struct job *j = s->qhead;
    s->qhead = j->next;
    if (!s->qhead)
      s->qtail = NULL;
    s->nqueued--;
    s->base.stats.queued = s->nqueued;
    child_start(s, j->alert);
    rcw_alert_free(j->alert);
    free(j);
  }
}

static void enqueue(struct exec_sink *s, const struct rcw_alert *a)
{
  struct job *j = NULL;
  if (s->nqueued < QUEUE_MAX && (j = malloc(sizeof(*j))) && (j->alert = rcw_alert_dup(a))) {
    j->next = NULL;
    if (s->qtail)
      s->qtail->next = j;
    else
      s->qhead = j;
    s->qtail = j;
    s->base.stats.queued = ++s->nqueued;
    return;
  }
  free(j);
  s->base.stats.dropped++;
  rcw_sink_complain(&s->base, "%zu alerts already wait for a free slot, alert dropped",
                    s->nqueued);
}

static void exec_send(struct rcw_sink *sk, const struct rcw_alert *a)
{
  struct exec_sink *s = (struct exec_sink *)sk;
  if (s->nrunning < s->max_children && !s->qhead)
    child_start(s, a);
  else
    enqueue(s, a);
}

static void maybe_done(struct exec_sink *s)
{
  if (s->closing && !s->done && s->nchildren == 0 && !s->qhead) {
    s->done = true;
    rcw_sink_done(&s->base);
  }
}

static void exec_close(struct rcw_sink *sk)
{
  struct exec_sink *s = (struct exec_sink *)sk;
  s->closing = true;
  maybe_done(s);
}

static void exec_abort(struct rcw_sink *sk)
{
  struct exec_sink *s = (struct exec_sink *)sk;
  s->aborting = true;
  if (s->nrunning > 0 || s->nqueued > 0)
    rcw_log_warning("exec sink %s: stopping: killing %zu children, dropping %zu queued alerts",
                    sk->target, s->nrunning, s->nqueued);
  while (s->qhead) {
    struct job *j = s->qhead;
    s->qhead = j->next;
    rcw_alert_free(j->alert);
    free(j);
    sk->stats.dropped++;
  }
  s->qtail = NULL;
  s->nqueued = 0;
  sk->stats.queued = 0;
  for (struct child *c = s->children; c; c = c->next)
    if (!c->finished) {
      c->killed = true;
      kill_group(c);
    }
  maybe_done(s);
}

static void exec_destroy(struct rcw_sink *sk)
{
  struct exec_sink *s = (struct exec_sink *)sk;
  for (size_t i = 0; s->argv && s->argv[i]; i++)
    free(s->argv[i]);
  free(s->argv);
  rcw_sink_fini(sk);
  free(s);
}

static const struct rcw_sink_ops exec_ops = {
  .type = "exec",
  .send = exec_send,
  .close = exec_close,
  .abort = exec_abort,
  .destroy = exec_destroy,
};

static int copy_argv(struct exec_sink *s, const struct rcw_sink_spec *spec)
{
  s->argv = calloc(spec->ncommand + 1, sizeof(*s->argv));
  if (!s->argv)
    return -ENOMEM;
  for (size_t i = 0; i < spec->ncommand; i++)
    if (!(s->argv[i] = strdup(spec->command[i])))
      return -ENOMEM;
  return 0;
}

int rcw_sink_exec_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                      const struct rcw_config *cfg, struct rcw_sink **out)
{
  if (spec->ncommand < 1)
    return -EINVAL;
  struct exec_sink *s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  if (rcw_sink_init(&s->base, &exec_ops, loop, spec->command[0]) < 0 ||
      copy_argv(s, spec) < 0) {
    exec_destroy(&s->base);
    return -ENOMEM;
  }
  s->timeout_ms = spec->timeout_ms > 0 ? (uint64_t)spec->timeout_ms : 10000;
  s->max_children = cfg->limits.exec_children > 0 ? cfg->limits.exec_children : 1;
  *out = &s->base;
  return 0;
}
