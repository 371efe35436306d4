/* The webhook sink against a small HTTP server running on the same libuv
 * loop: if the sink ever blocked the loop, the server could not answer
 * and the tests would hang into their deadlines.  Bodies are parsed and
 * checked field by field; retries, timeouts, the queue cap, superseding,
 * re-sending of firing alerts and closing are driven through short
 * intervals set with rcw_sink_webhook_tune.  Every wait is bounded.
 *
 * With RCW_AM_URL set, only test_real_alertmanager runs: it delivers to a
 * real Alertmanager (tests/integration/test_alertmanager_real.py starts
 * one and then checks what it received); RCW_WRITE_AM_BODY names a file
 * to write one more rendered body to, for that script to post itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "alert.h"
#include "alertmanager.h"
#include "jsonread.h"
#include "sink_impl.h"
#include "sink_webhook.h"
#include "sinks.h"

#define MAX_RECS 256
#define SCRIPT_MAX 16
#define HOLD 0 /* a status that means: read the request, never answer */

/* --- a tiny HTTP/1.1 server on the loop ----------------------------------- */

struct rec {
  char *method, *path, *ctype, *auth;
  char *body;
  int64_t wall_ms; /* when it arrived */
  int status;      /* what it was answered, HOLD: nothing */
};

struct srv {
  uv_loop_t *loop;
  uv_tcp_t listener;
  int port;
  int script[SCRIPT_MAX]; /* statuses for the first requests, in order */
  size_t nscript, used;
  int fallback; /* the status after the script */
  struct rec recs[MAX_RECS];
  size_t nrecs;
  struct conn *conns;
};

struct conn {
  uv_tcp_t tcp;
  struct srv *srv;
  struct rcw_buf in;
  struct conn *next;
};

static int64_t wall_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_closed_cb(uv_handle_t *h)
{
  struct conn *c = h->data;
  struct conn **pp = &c->srv->conns;
  while (*pp != c)
    pp = &(*pp)->next;
  *pp = c->next;
  rcw_buf_free(&c->in);
  free(c);
}

static void conn_close(struct conn *c)
{
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

static void write_done_cb(uv_write_t *w, int status)
{
  free(w->data);
  free(w);
}

static void respond(struct conn *c, int status)
{
  const char *body = status / 100 == 2 ? "" : "{\"error\":\"test server says no\"}";
  /* 503 asks the client to wait a second, as servers under load do. */
  const char *extra = status == 503 ? "Retry-After: 1\r\n" : "";
  char *msg;
  assert_true(asprintf(&msg, "HTTP/1.1 %d Test\r\nContent-Type: application/json\r\n"
                             "%sContent-Length: %zu\r\n\r\n%s",
                       status, extra, strlen(body), body) > 0);
  uv_write_t *w = malloc(sizeof(*w));
  w->data = msg;
  uv_buf_t b = uv_buf_init(msg, (unsigned)strlen(msg));
  assert_int_equal(uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, write_done_cb), 0);
}

/* The value of header name in head (NUL-terminated), copied, or NULL. */
static char *header(const char *head, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1 + strspn(line + n + 1, " ");
      return strndup(v, strcspn(v, "\r"));
    }
  }
  return NULL;
}

static int next_status(struct srv *s)
{
  return s->used < s->nscript ? s->script[s->used++] : s->fallback;
}

/* Handle one whole request at the front of c->in; false if incomplete. */
static bool take_request(struct conn *c)
{
  char *end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
  if (!end)
    return false;
  size_t head_len = (size_t)(end - c->in.data) + 4;
  char *head = strndup(c->in.data, head_len);
  char *clen = header(head, "Content-Length");
  size_t body_len = clen ? strtoul(clen, NULL, 10) : 0;
  free(clen);
  if (c->in.len < head_len + body_len) {
    free(head);
    return false;
  }
  struct srv *s = c->srv;
  assert_true(s->nrecs < MAX_RECS);
  struct rec *r = &s->recs[s->nrecs++];
  r->method = strndup(head, strcspn(head, " "));
  r->path = strndup(head + strlen(r->method) + 1, strcspn(head + strlen(r->method) + 1, " "));
  r->ctype = header(head, "Content-Type");
  r->auth = header(head, "Authorization");
  r->body = strndup(c->in.data + head_len, body_len);
  r->wall_ms = wall_now();
  r->status = next_status(s);
  free(head);
  if (r->status != HOLD)
    respond(c, r->status);
  c->in.len -= head_len + body_len;
  memmove(c->in.data, c->in.data + head_len + body_len, c->in.len + 1);
  return true;
}

static void srv_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
  b->base = malloc(65536);
  b->len = 65536;
}

static void srv_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
  struct conn *c = st->data;
  if (n > 0) {
    rcw_buf_append(&c->in, b->base, (size_t)n);
    while (take_request(c))
      ;
  } else if (n < 0) {
    conn_close(c);
  }
  free(b->base);
}

static void srv_accept_cb(uv_stream_t *listener, int status)
{
  struct srv *s = listener->data;
  struct conn *c = calloc(1, sizeof(*c));
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  c->next = s->conns;
  s->conns = c;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) == 0)
    uv_read_start((uv_stream_t *)&c->tcp, srv_alloc_cb, srv_read_cb);
  else
    conn_close(c);
}

static int bound_port(uv_tcp_t *t)
{
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len), 0);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void srv_start(struct srv *s, uv_loop_t *loop)
{
  struct sockaddr_in addr;
  memset(s, 0, sizeof(*s));
  s->loop = loop;
  s->fallback = 200;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  assert_int_equal(uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 64, srv_accept_cb), 0);
  s->port = bound_port(&s->listener);
}

static void srv_stop(struct srv *s)
{
  for (struct conn *c = s->conns; c; c = c->next)
    conn_close(c);
  uv_close((uv_handle_t *)&s->listener, NULL);
  for (size_t i = 0; i < s->nrecs; i++) {
    struct rec *r = &s->recs[i];
    free(r->method), free(r->path), free(r->ctype), free(r->auth), free(r->body);
  }
}

static void srv_script(struct srv *s, const int *statuses, size_t n, int fallback)
{
  for (size_t i = 0; i < n; i++)
    s->script[i] = statuses[i];
  s->nscript = n;
  s->used = 0;
  s->fallback = fallback;
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(uv_loop_t *loop)
{
  uv_tcp_t t;
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_init(loop, &t);
  assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&addr, 0), 0);
  int port = bound_port(&t);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return port;
}

/* --- the fixture ---------------------------------------------------------- */

struct fx {
  uv_loop_t loop;
  struct srv srv;
  struct rcw_config cfg;
  struct rcw_sink_spec spec;
  struct rcw_webhook_tuning tune;
  char url[160];
  struct rcw_sink *sk;        /* a sink driven through its ops */
  struct rcw_sink_stats last; /* its counters as it finished */
  bool done;
};

static int64_t fake_wall;

static int64_t fake_wall_ms(void)
{
  return fake_wall;
}

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  uv_loop_init(&f->loop);
  srv_start(&f->srv, &f->loop);
  snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/hook", f->srv.port);
  f->cfg.path = "test.yaml";
  f->cfg.limits.webhook_queue = 1000;
  f->cfg.sinks = &f->spec;
  f->cfg.nsinks = 1;
  f->spec.type = RCW_SINK_WEBHOOK;
  f->spec.url = f->url;
  f->spec.format = RCW_WEBHOOK_JSON;
  f->spec.timeout_ms = 2000;
  rcw_webhook_tuning_default(&f->tune);
  f->tune.resend_ms = 0; /* on only where a test wants it */
  f->tune.backoff_min_ms = 10;
  f->tune.backoff_max_ms = 100;
  *state = f;
  return 0;
}

static void deadline_cb(uv_timer_t *t)
{
  *(bool *)t->data = true;
}

/* Run the loop until pred holds or max_ms pass; returns pred. */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, uint64_t max_ms)
{
  uv_timer_t deadline;
  bool expired = false;
  uv_timer_init(loop, &deadline);
  deadline.data = &expired;
  uv_timer_start(&deadline, deadline_cb, max_ms, 0);
  while (!pred(arg) && !expired)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&deadline, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return pred(arg);
}

static bool never(void *arg)
{
  return false;
}

/* Let the loop run for ms: only to show that nothing more happens. */
static void run_for(struct fx *f, uint64_t ms)
{
  run_until(&f->loop, never, NULL, ms);
}

static bool flag_pred(void *arg)
{
  return *(bool *)arg;
}

static void set_flag_cb(void *arg)
{
  *(bool *)arg = true;
}

static void direct_done_cb(struct rcw_sink *sk)
{
  struct fx *f = sk->owner;
  f->last = sk->stats;
  f->last.type = f->last.target = NULL; /* they die with the sink */
  f->done = true;
  f->sk = NULL;
  sk->ops->destroy(sk);
}

static void open_sink(struct fx *f)
{
  rcw_sink_webhook_tune(&f->tune);
  assert_int_equal(rcw_sink_webhook_new(&f->loop, &f->spec, &f->cfg, &f->sk), 0);
  f->sk->on_done = direct_done_cb;
  f->sk->owner = f;
}

static bool done_pred(void *arg)
{
  return ((struct fx *)arg)->done;
}

/* Close as the dispatcher does: close, and abort once grace_ms pass. */
static void close_sink(struct fx *f, uint64_t grace_ms)
{
  f->sk->ops->close(f->sk);
  if (!run_until(&f->loop, done_pred, f, grace_ms) && f->sk)
    f->sk->ops->abort(f->sk);
  assert_true(run_until(&f->loop, done_pred, f, 5000));
}

static int teardown(void **state)
{
  struct fx *f = *state;
  if (f->sk)
    close_sink(f, 100);
  srv_stop(&f->srv);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle closed */
  rcw_sink_webhook_tune(NULL);
  free(f);
  return 0;
}

static struct rcw_sink_stats stats(struct fx *f)
{
  return f->sk ? f->sk->stats : f->last;
}

struct want {
  struct fx *f;
  size_t off; /* offsetof a uint64_t in struct rcw_sink_stats */
  uint64_t n;
};

static bool want_cb(void *arg)
{
  struct want *w = arg;
  struct rcw_sink_stats st = stats(w->f);
  return *(uint64_t *)((char *)&st + w->off) >= w->n;
}

#define WAIT_STAT(f, field, count, ms)                                                 \
  do {                                                                                 \
    struct want w_ = {(f), offsetof(struct rcw_sink_stats, field), (count)};           \
    assert_true(run_until(&(f)->loop, want_cb, &w_, (ms)));                            \
  } while (0)

struct want_recs {
  struct srv *srv;
  size_t n;
};

static bool recs_cb(void *arg)
{
  struct want_recs *w = arg;
  return w->srv->nrecs >= w->n;
}

static void wait_recs(struct fx *f, size_t n, uint64_t ms)
{
  struct want_recs w = {&f->srv, n};
  assert_true(run_until(&f->loop, recs_cb, &w, ms));
}

static struct rcw_alert alert_of(const char *rule, const char *key)
{
  struct rcw_alert a = {
    .at = 1796378580000, /* 2026-12-04T10:03:00.000Z */
    .state = RCW_ALERT_FIRING,
    .rule = rule,
    .severity = RCW_SEV_CRITICAL,
    .scope = RCW_SCOPE_CATEGORY,
    .key = key,
    .window_ms = 300000,
    .metric = RCW_METRIC_FAILURE_RATE,
    .value = 0.083,
    .threshold = 0.02,
    .requests = 1200,
    .failures = 100,
    .description = "Interface credentials wrong, missing or deactivated",
  };
  return a;
}

/* --- JSON checks ---------------------------------------------------------- */

static rcw_jdoc *parse(const char *text)
{
  rcw_jdoc *doc = NULL;
  struct rcw_jread_error err;
  int r = rcw_jread_parse(text, strlen(text), NULL, &doc, &err);
  if (r < 0)
    fail_msg("invalid JSON at %d:%d: %s in %s", err.line, err.column, err.message, text);
  return doc;
}

static const struct rcw_jval *member(const struct rcw_jval *o, const char *key)
{
  const struct rcw_jval *v = rcw_jval_get(o, key);
  if (!v)
    fail_msg("no member '%s'", key);
  return v;
}

static void check_str(const struct rcw_jval *o, const char *key, const char *want)
{
  const struct rcw_jval *v = member(o, key);
  assert_int_equal(v->type, RCW_JSTRING);
  assert_string_equal(v->u.str.s, want);
}

static void check_num(const struct rcw_jval *o, const char *key, double want)
{
  const struct rcw_jval *v = member(o, key);
  assert_int_equal(v->type, RCW_JNUMBER);
  assert_true(v->u.num.d == want);
}

static void check_members(const struct rcw_jval *o, const char *const *keys, size_t n)
{
  assert_int_equal(o->type, RCW_JOBJECT);
  assert_int_equal(o->u.obj.n, n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(o->u.obj.members[i].key, keys[i]);
}

static void iso(int64_t ms, char out[RCW_TIME_TEXT_MAX])
{
  rcw_format_time(ms, out, RCW_TIME_TEXT_MAX);
}

static const struct rcw_jval *am_only_alert(const rcw_jdoc *doc)
{
  const struct rcw_jval *root = rcw_jdoc_root(doc);
  assert_int_equal(root->type, RCW_JARRAY);
  assert_int_equal(root->u.arr.n, 1);
  return &root->u.arr.items[0];
}

/* --- tests ---------------------------------------------------------------- */

/* Through the dispatcher: the webhook type is wired in, the target is
 * shown without credentials, and the json body is the §4 object with a
 * hostile key escaped. */
static void test_json_body(void **state)
{
  struct fx *f = *state;
  char url[200];
  snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d/hook?token=abc", f->srv.port);
  f->spec.url = url;
  rcw_sink_webhook_tune(&f->tune);
  rcw_sinks *s;
  assert_int_equal(rcw_sinks_new(&f->loop, &f->cfg, &s), 0);
  struct rcw_sink_stats st;
  rcw_sinks_stats(s, 0, &st);
  assert_string_equal(st.type, "webhook");
  char shown[200];
  snprintf(shown, sizeof(shown), "http://***@127.0.0.1:%d/hook?***", f->srv.port);
  assert_string_equal(st.target, shown);

  struct rcw_alert a = alert_of("auth-failures", "a\"b\\c\nd\x01 \xff end");
  rcw_sinks_send(s, &a);
  wait_recs(f, 1, 5000);
  bool closed = false;
  rcw_sinks_close(s, 2000, set_flag_cb, &closed);
  assert_true(run_until(&f->loop, flag_pred, &closed, 5000));

  struct rec *r = &f->srv.recs[0];
  assert_string_equal(r->method, "POST");
  assert_string_equal(r->path, "/hook?token=abc");
  assert_string_equal(r->ctype, "application/json");
  assert_non_null(r->auth); /* credentials from the URL do reach the target */
  rcw_jdoc *doc = parse(r->body);
  const struct rcw_jval *o = rcw_jdoc_root(doc);
  const char *keys[] = {"at", "state", "rule", "severity", "scope", "key", "window",
                        "metric", "value", "threshold", "requests", "failures", "description"};
  check_members(o, keys, 13);
  check_str(o, "at", "2026-12-04T10:03:00.000Z");
  check_str(o, "state", "firing");
  check_str(o, "rule", "auth-failures");
  check_str(o, "severity", "critical");
  check_str(o, "scope", "category");
  check_str(o, "key", "a\"b\\c\nd\x01 \xef\xbf\xbd end"); /* invalid byte: U+FFFD */
  check_str(o, "window", "5m");
  check_str(o, "metric", "failure_rate");
  check_num(o, "value", 0.083);
  check_num(o, "threshold", 0.02);
  check_num(o, "requests", 1200);
  check_num(o, "failures", 100);
  check_str(o, "description", "Interface credentials wrong, missing or deactivated");
  rcw_jdoc_free(doc);
}

static void check_am_labels(const struct rcw_jval *labels, const char *host)
{
  const char *keys[] = {"alertname", "severity", "scope", "key", "window", "metric",
                        "instance", "source"};
  check_members(labels, keys, 8);
  check_str(labels, "alertname", "auth-failures");
  check_str(labels, "severity", "critical");
  check_str(labels, "scope", "category");
  check_str(labels, "key", "auth");
  check_str(labels, "window", "5m");
  check_str(labels, "metric", "failure_rate");
  check_str(labels, "instance", host);
  check_str(labels, "source", "rcwatch");
}

static void check_am_times(const struct rcw_jval *o, int64_t starts, int64_t ends)
{
  char want[RCW_TIME_TEXT_MAX];
  iso(starts, want);
  check_str(o, "startsAt", want);
  iso(ends, want);
  check_str(o, "endsAt", want);
}

/* The Alertmanager body of a firing alert, its repeat and its resolve:
 * the same labels throughout, startsAt kept from the first firing, endsAt
 * a lease ahead while firing and the resolve time at the end. */
static void test_alertmanager_body(void **state)
{
  struct fx *f = *state;
  char host[300] = "";
  assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
  f->spec.format = RCW_WEBHOOK_ALERTMANAGER;
  f->tune.wall_ms = fake_wall_ms;
  f->tune.lease_ms = 240000;
  open_sink(f);
  struct rcw_alert a = alert_of("auth-failures", "auth");
  int64_t t0 = a.at;
  fake_wall = t0 + 500;
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 5000);
  a.at = t0 + 30000; /* a repeat, with new values */
  a.value = 0.1;
  fake_wall = t0 + 30200;
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 2, 5000);
  a.at = t0 + 60000;
  a.state = RCW_ALERT_RESOLVED;
  a.value = 0.005;
  a.threshold = 0.01;
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 3, 5000);
  assert_int_equal(f->srv.nrecs, 3);

  int64_t ends[] = {t0 + 500 + 240000, t0 + 30200 + 240000, t0 + 60000};
  const char *summaries[] = {
    "auth-failures firing: category auth failure rate 8.3% > 2% over 5m (100 of 1200 requests)",
    "auth-failures firing: category auth failure rate 10% > 2% over 5m (100 of 1200 requests)",
    "auth-failures resolved: category auth failure rate 0.5% <= 1% over 5m (100 of 1200 "
    "requests)"};
  const char *values[] = {"0.083", "0.1", "0.005"};
  for (size_t i = 0; i < 3; i++) {
    assert_string_equal(f->srv.recs[i].ctype, "application/json");
    rcw_jdoc *doc = parse(f->srv.recs[i].body);
    const struct rcw_jval *o = am_only_alert(doc);
    const char *keys[] = {"labels", "annotations", "startsAt", "endsAt"};
    check_members(o, keys, 4);
    check_am_labels(member(o, "labels"), host);
    const struct rcw_jval *an = member(o, "annotations");
    const char *akeys[] = {"description", "summary", "value", "threshold", "requests",
                           "failures"};
    check_members(an, akeys, 6);
    check_str(an, "description", "Interface credentials wrong, missing or deactivated");
    check_str(an, "summary", summaries[i]);
    check_str(an, "value", values[i]);
    check_str(an, "threshold", i < 2 ? "0.02" : "0.01");
    check_str(an, "requests", "1200");
    check_str(an, "failures", "100");
    check_am_times(o, t0, ends[i]);
    rcw_jdoc_free(doc);
  }
  assert_int_equal(stats(f).queued, 0);
}

/* Alertmanager alerts of one pass share requests, batch_max at a time. */
static void test_alertmanager_batches(void **state)
{
  struct fx *f = *state;
  f->spec.format = RCW_WEBHOOK_ALERTMANAGER;
  f->tune.batch_max = 4;
  open_sink(f);
  char keys[10][8];
  for (int i = 0; i < 10; i++) {
    snprintf(keys[i], sizeof(keys[i]), "k%d", i);
    struct rcw_alert a = alert_of("batch", keys[i]);
    f->sk->ops->send(f->sk, &a);
  }
  WAIT_STAT(f, sent, 10, 5000);
  assert_int_equal(f->srv.nrecs, 3);
  size_t total = 0;
  bool seen[10] = {false};
  for (size_t i = 0; i < 3; i++) {
    rcw_jdoc *doc = parse(f->srv.recs[i].body);
    const struct rcw_jval *root = rcw_jdoc_root(doc);
    assert_int_equal(root->type, RCW_JARRAY);
    assert_true(root->u.arr.n <= 4);
    for (size_t k = 0; k < root->u.arr.n; k++) {
      const struct rcw_jval *key = member(member(&root->u.arr.items[k], "labels"), "key");
      seen[atoi(key->u.str.s + 1)] = true;
    }
    total += root->u.arr.n;
    rcw_jdoc_free(doc);
  }
  assert_int_equal(total, 10);
  for (int i = 0; i < 10; i++)
    assert_true(seen[i]);
}

/* A 500 is retried after a backoff and then delivered. */
static void test_retry_then_delivered(void **state)
{
  struct fx *f = *state;
  const int script[] = {500, 503};
  srv_script(&f->srv, script, 2, 200);
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 5000);
  struct rcw_sink_stats st = stats(f);
  assert_int_equal(st.failed, 2);
  assert_int_equal(st.retried, 2);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(f->srv.nrecs, 3);
  assert_string_equal(f->srv.recs[0].body, f->srv.recs[2].body);
}

struct ticker {
  uv_timer_t t;
  uint64_t last, max_gap; /* ns */
  unsigned ticks;
};

static void tick_cb(uv_timer_t *t)
{
  struct ticker *k = t->data;
  uint64_t now = uv_hrtime();
  if (k->last && now - k->last > k->max_gap)
    k->max_gap = now - k->last;
  k->last = now;
  k->ticks++;
}

/* Retry-After stretches the backoff (up to backoff_max). */
static void test_retry_after_honoured(void **state)
{
  struct fx *f = *state;
  const int script[] = {503};
  srv_script(&f->srv, script, 1, 200);
  f->tune.backoff_max_ms = 400;
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 5000);
  assert_int_equal(f->srv.nrecs, 2);
  /* backoff alone would be at most 10 ms; Retry-After: 1 s, capped at 400 */
  int64_t waited = f->srv.recs[1].wall_ms - f->srv.recs[0].wall_ms;
  assert_true(waited >= 380);
  assert_true(waited < 1000);
}

/* A target that accepts and never answers: each try times out, is
 * retried, and a timer on the same loop keeps its pace meanwhile. */
static void test_timeout_does_not_block(void **state)
{
  struct fx *f = *state;
  const int script[] = {HOLD, HOLD};
  srv_script(&f->srv, script, 2, 200);
  f->spec.timeout_ms = 300;
  open_sink(f);
  struct ticker k = {.last = 0};
  uv_timer_init(&f->loop, &k.t);
  k.t.data = &k;
  uv_timer_start(&k.t, tick_cb, 10, 10);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 10000);
  uv_close((uv_handle_t *)&k.t, NULL);
  uv_run(&f->loop, UV_RUN_NOWAIT); /* k lives on this stack */
  struct rcw_sink_stats st = stats(f);
  assert_int_equal(st.timeouts, 2);
  assert_int_equal(st.failed, 2);
  assert_int_equal(st.retried, 2);
  assert_int_equal(f->srv.nrecs, 3);
  assert_true(k.ticks >= 40);                     /* ~600 ms of timeouts at 10 ms */
  assert_true(k.max_gap < 150 * UINT64_C(1000000)); /* never stalled for a timeout */
}

/* Connection refused: retried up to max_tries, then given up, counted. */
static void test_connection_refused(void **state)
{
  struct fx *f = *state;
  snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/hook", closed_port(&f->loop));
  f->tune.max_tries = 3;
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, dropped, 1, 5000);
  struct rcw_sink_stats st = stats(f);
  assert_int_equal(st.failed, 3);
  assert_int_equal(st.retried, 2);
  assert_int_equal(st.sent, 0);
  assert_int_equal(st.queued, 0);
}

/* A 4xx other than 408/429 is final. */
static void test_rejected_not_retried(void **state)
{
  struct fx *f = *state;
  const int script[] = {400};
  srv_script(&f->srv, script, 1, 200);
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, dropped, 1, 5000);
  run_for(f, 300); /* 30 backoffs' worth: a retry would have come */
  struct rcw_sink_stats st = stats(f);
  assert_int_equal(f->srv.nrecs, 1);
  assert_int_equal(st.failed, 1);
  assert_int_equal(st.retried, 0);
  assert_int_equal(st.sent, 0);
}

/* 429 and 408 are retried like a 5xx. */
static void test_throttled_retried(void **state)
{
  struct fx *f = *state;
  const int script[] = {429, 408};
  srv_script(&f->srv, script, 2, 204);
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 5000);
  assert_int_equal(stats(f).failed, 2);
  assert_int_equal(f->srv.nrecs, 3);
}

static const char *state_of(const char *body)
{
  return strstr(body, "\"state\":\"resolved\"") ? "resolved" : "firing";
}

/* A newer state of the same alert replaces one still waiting: a firing
 * waiting for its retry, and a firing that never got its first try. */
static void test_superseded(void **state)
{
  struct fx *f = *state;
  const int script[] = {500};
  srv_script(&f->srv, script, 1, 200);
  f->tune.backoff_min_ms = f->tune.backoff_max_ms = 60000; /* no retry in this test */
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, failed, 1, 5000);
  a.state = RCW_ALERT_RESOLVED;
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 1, 5000);
  struct rcw_alert b = alert_of("r", "stock");
  f->sk->ops->send(f->sk, &b);
  b.state = RCW_ALERT_RESOLVED;
  f->sk->ops->send(f->sk, &b);
  WAIT_STAT(f, sent, 2, 5000);
  assert_int_equal(stats(f).dropped, 2);
  assert_int_equal(f->srv.nrecs, 3);
  assert_string_equal(state_of(f->srv.recs[0].body), "firing");
  assert_string_equal(state_of(f->srv.recs[1].body), "resolved");
  assert_string_equal(state_of(f->srv.recs[2].body), "resolved");
  assert_non_null(strstr(f->srv.recs[2].body, "\"key\":\"stock\""));
}

/* The cap on held alerts drops and counts the excess; closing abandons
 * requests that never finish, after the grace, and counts them too. */
static void test_queue_overflow_and_abort(void **state)
{
  struct fx *f = *state;
  srv_script(&f->srv, NULL, 0, HOLD);
  f->cfg.limits.webhook_queue = 3;
  f->spec.timeout_ms = 30000;
  open_sink(f);
  char keys[10][8];
  for (int i = 0; i < 10; i++) {
    snprintf(keys[i], sizeof(keys[i]), "k%d", i);
    struct rcw_alert a = alert_of("r", keys[i]);
    f->sk->ops->send(f->sk, &a);
  }
  assert_int_equal(stats(f).dropped, 7);
  wait_recs(f, 3, 5000);
  assert_int_equal(stats(f).in_flight, 3);
  struct rcw_alert a = alert_of("r", "one-more");
  f->sk->ops->send(f->sk, &a);
  assert_int_equal(stats(f).dropped, 8);
  uint64_t t0 = uv_now(&f->loop);
  close_sink(f, 200);
  assert_true(uv_now(&f->loop) - t0 < 2000); /* the 30 s timeout did not hold it up */
  assert_int_equal(f->last.dropped, 11);
  assert_int_equal(f->last.sent, 0);
  assert_int_equal(f->srv.nrecs, 3);
}

/* At close an alert waiting for its retry gets one last try at once. */
static void test_close_flushes_waiting(void **state)
{
  struct fx *f = *state;
  const int script[] = {500};
  srv_script(&f->srv, script, 1, 200);
  f->tune.backoff_min_ms = f->tune.backoff_max_ms = 60000;
  open_sink(f);
  struct rcw_alert a = alert_of("r", "auth");
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, failed, 1, 5000);
  close_sink(f, 5000);
  assert_int_equal(f->last.sent, 1);
  assert_int_equal(f->last.dropped, 0);
  assert_int_equal(f->srv.nrecs, 2);
}

/* Firing alerts are re-posted every resend interval with endsAt pushed
 * ahead and startsAt kept; once resolved, never again. */
static void test_resend_firing(void **state)
{
  struct fx *f = *state;
  f->spec.format = RCW_WEBHOOK_ALERTMANAGER;
  f->tune.resend_ms = 100;
  f->tune.lease_ms = 1000;
  open_sink(f);
  struct rcw_alert a = alert_of("auth-failures", "auth");
  a.at = wall_now();
  char starts[RCW_TIME_TEXT_MAX], prev_end[RCW_TIME_TEXT_MAX] = "", arrived[RCW_TIME_TEXT_MAX];
  iso(a.at, starts);
  f->sk->ops->send(f->sk, &a);
  wait_recs(f, 4, 5000);
  assert_int_equal(stats(f).sent, 1); /* re-sends are not new alerts */
  for (size_t i = 0; i < 4; i++) {
    rcw_jdoc *doc = parse(f->srv.recs[i].body);
    const struct rcw_jval *o = am_only_alert(doc);
    check_str(o, "startsAt", starts);
    const char *end = member(o, "endsAt")->u.str.s;
    iso(f->srv.recs[i].wall_ms, arrived);
    assert_true(strcmp(end, arrived) > 0); /* still in the future on arrival */
    assert_true(strcmp(end, prev_end) >= 0);
    snprintf(prev_end, sizeof(prev_end), "%s", end);
    rcw_jdoc_free(doc);
  }
  a.state = RCW_ALERT_RESOLVED;
  a.at = wall_now();
  f->sk->ops->send(f->sk, &a);
  WAIT_STAT(f, sent, 2, 5000);
  size_t n = f->srv.nrecs;
  char resolved_at[RCW_TIME_TEXT_MAX];
  iso(a.at, resolved_at);
  rcw_jdoc *doc = parse(f->srv.recs[n - 1].body);
  check_str(am_only_alert(doc), "endsAt", resolved_at);
  rcw_jdoc_free(doc);
  run_for(f, 500); /* five resend intervals */
  assert_int_equal(f->srv.nrecs, n);
}

/* A reload closes the old sink after building the new one: the new sink
 * takes over the firing alerts and keeps re-sending them. */
static void test_reload_hands_over_firing(void **state)
{
  struct fx *f = *state;
  f->spec.format = RCW_WEBHOOK_ALERTMANAGER;
  f->tune.resend_ms = 100;
  open_sink(f);
  struct rcw_alert a = alert_of("auth-failures", "auth");
  struct rcw_alert b = alert_of("auth-failures", "stock");
  f->sk->ops->send(f->sk, &a);
  f->sk->ops->send(f->sk, &b);
  b.state = RCW_ALERT_RESOLVED;
  f->sk->ops->send(f->sk, &b);
  WAIT_STAT(f, sent, 1, 5000);
  struct rcw_sink *old = f->sk;
  open_sink(f); /* the new set */
  struct rcw_sink *fresh = f->sk;
  f->sk = old;
  close_sink(f, 2000);
  f->sk = fresh;
  f->done = false;
  size_t n = f->srv.nrecs;
  wait_recs(f, n + 2, 5000);
  for (size_t i = n; i < n + 2; i++) {
    rcw_jdoc *doc = parse(f->srv.recs[i].body);
    const struct rcw_jval *o = am_only_alert(doc);
    check_str(member(o, "labels"), "key", "auth"); /* not the resolved one */
    check_str(o, "startsAt", "2026-12-04T10:03:00.000Z");
    rcw_jdoc_free(doc);
  }
  assert_int_equal(stats(f).sent, 0); /* nothing new was handed to it */
}

/* Only with RCW_AM_URL: deliver to a real Alertmanager; the script that
 * started it checks what arrived. */
static void test_real_alertmanager(void **state)
{
  struct fx *f = *state;
  snprintf(f->url, sizeof(f->url), "%s", getenv("RCW_AM_URL"));
  f->spec.format = RCW_WEBHOOK_ALERTMANAGER;
  rcw_webhook_tuning_default(&f->tune);
  open_sink(f);
  int64_t now = wall_now();
  struct rcw_alert a = alert_of("rcw-real-firing", "auth");
  a.at = now - 60000;
  f->sk->ops->send(f->sk, &a);
  struct rcw_alert b = alert_of("rcw-real-resolved", "stock");
  b.at = now - 60000;
  f->sk->ops->send(f->sk, &b);
  WAIT_STAT(f, sent, 2, 10000);
  b.state = RCW_ALERT_RESOLVED;
  b.at = now - 1000;
  f->sk->ops->send(f->sk, &b);
  WAIT_STAT(f, sent, 3, 10000);
  close_sink(f, 2000);
  assert_int_equal(f->last.failed, 0);

  const char *path = getenv("RCW_WRITE_AM_BODY");
  if (!path)
    return;
  struct rcw_alert c = alert_of("rcw-real-file", "1204");
  c.scope = RCW_SCOPE_CODE;
  c.at = now - 5000;
  struct rcw_am_alert am = {&c, c.at, now + 300000};
  struct rcw_buf body = RCW_BUF_INIT;
  rcw_alertmanager_body(&am, 1, "rcw-test-host", &body);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  assert_int_equal(fwrite(body.data, 1, body.len, fp), body.len);
  assert_int_equal(fclose(fp), 0);
  rcw_buf_free(&body);
}

int main(void)
{
  const struct CMUnitTest real[] = {
    cmocka_unit_test_setup_teardown(test_real_alertmanager, setup, teardown),
  };
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_json_body, setup, teardown),
    cmocka_unit_test_setup_teardown(test_alertmanager_body, setup, teardown),
    cmocka_unit_test_setup_teardown(test_alertmanager_batches, setup, teardown),
    cmocka_unit_test_setup_teardown(test_retry_then_delivered, setup, teardown),
    cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timeout_does_not_block, setup, teardown),
    cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rejected_not_retried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_throttled_retried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_superseded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_queue_overflow_and_abort, setup, teardown),
    cmocka_unit_test_setup_teardown(test_close_flushes_waiting, setup, teardown),
    cmocka_unit_test_setup_teardown(test_resend_firing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reload_hands_over_firing, setup, teardown),
  };
  if (getenv("RCW_AM_URL"))
    return cmocka_run_group_tests(real, NULL, NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
