/* The `webhook` sink: alerts POSTed over HTTP from the loop.
 *
 * The sink holds one entry per alert identity (rule, scope, key) with the
 * latest state handed to it.  An entry is pending while that state has not
 * been delivered or given up; pending entries go out oldest first, each at
 * most once at a time, so the states of one alert reach the target in
 * order and a newer state simply replaces one still waiting.  For
 * Alertmanager a firing entry stays after delivery, to be re-sent; every
 * other entry goes as soon as it is settled. */
#include "sink_webhook.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertmanager.h"
#include "curl_api.h"
#include "curl_uv.h"
#include "log.h"

#define REPLY_KEEP 256 /* bytes of a response kept for the log */
#define HOST_MAX 256
#define DEFAULT_TIMEOUT_MS 5000
#define OOM_PAUSE_MS 1000 /* out of memory building a request: wait, then retry */
#define RETRY_AFTER_MAX_S 86400

enum outcome { DELIVERED, RETRY, REJECTED };

struct entry {
  struct entry *prev, *next; /* pending ones in the order they became so */
  char *id;                  /* rule, scope and key */
  struct rcw_alert *alert;   /* the latest state; owned */
  int64_t starts_at;         /* when it started firing (UTC ms) */
  uint64_t version;          /* bumped by each new state and each re-send */
  uint64_t done_version;     /* last version delivered or given up */
  uint64_t flight_version;   /* version in flight; 0: none */
  bool fresh;                /* version came from send(), not a re-send */
  int tries;                 /* failed tries of version */
  uint64_t ready_at;         /* loop time of its next try */
};

/* One alert of a request, as it was when the request started. */
struct item {
  struct entry *e;
  uint64_t version;
  bool fresh;
};

struct webhook_sink;

struct request {
  struct request *next;
  struct webhook_sink *sink;
  CURL *easy;
  struct rcw_buf body;
  size_t reply_len;
  char reply[REPLY_KEEP];
  char error[CURL_ERROR_SIZE];
  size_t n;
  struct item items[]; /* up to tune.batch_max */
};

struct webhook_sink {
  struct rcw_sink base; /* base.target: the URL without credentials */
  struct rcw_webhook_tuning tune;
  char *url;
  enum rcw_webhook_format format;
  long timeout_ms;
  size_t cap; /* entries at most */
  char *instance;
  struct curl_slist *headers;
  rcw_curl_uv *curl;
  uv_timer_t wake;   /* a pending entry is due */
  uv_timer_t resend; /* alertmanager: re-post firing entries */
  struct entry *head, *tail;
  size_t nentries;
  struct request *flight;
  size_t nflight;
  uint64_t rng;
  int handles; /* wake, resend and curl, until closed */
  bool closing, aborting, shut;
  struct webhook_sink *next_open; /* every sink not yet destroyed */
};

/* A reload builds the new sinks before it closes the old ones; a closing
 * alertmanager sink hands its firing alerts to its successor (same URL),
 * which keeps re-sending them.  Otherwise Alertmanager would resolve them
 * when their lease ran out, though the rules still hold them firing. */
static struct webhook_sink *open_sinks;

/* --- tuning --------------------------------------------------------------- */

static int64_t wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rcw_webhook_tuning_default(struct rcw_webhook_tuning *t)
{
  t->resend_ms = 60000;
  t->lease_ms = 4 * t->resend_ms;
  t->backoff_min_ms = 1000;
  t->backoff_max_ms = 60000;
  t->max_tries = 10;
  t->max_in_flight = 4;
  t->batch_max = 64;
  t->wall_ms = wall_ms;
}

static struct rcw_webhook_tuning tuning;
static bool tuning_set;

void rcw_sink_webhook_tune(const struct rcw_webhook_tuning *t)
{
  tuning_set = t != NULL;
  if (t)
    tuning = *t;
}

/* --- entries -------------------------------------------------------------- */

static bool pending(const struct entry *e)
{
  return e->version != e->done_version;
}

static bool is_am(const struct webhook_sink *s)
{
  return s->format == RCW_WEBHOOK_ALERTMANAGER;
}

static void list_unlink(struct webhook_sink *s, struct entry *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    s->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    s->tail = e->prev;
  e->prev = e->next = NULL;
}

static void list_append(struct webhook_sink *s, struct entry *e)
{
  e->prev = s->tail;
  e->next = NULL;
  if (s->tail)
    s->tail->next = e;
  else
    s->head = e;
  s->tail = e;
}

static void entry_free(struct webhook_sink *s, struct entry *e)
{
  list_unlink(s, e);
  s->nentries--;
  rcw_alert_free(e->alert);
  free(e->id);
  free(e);
}

/* Drop an entry with nothing left to do.  Alertmanager's firing entries
 * stay for re-sending until the sink closes. */
static void entry_settled(struct webhook_sink *s, struct entry *e)
{
  if (pending(e) || e->flight_version)
    return;
  if (is_am(s) && e->alert->state == RCW_ALERT_FIRING && !s->closing)
    return;
  entry_free(s, e);
}

static struct entry *entry_find(struct webhook_sink *s, const char *id)
{
  for (struct entry *e = s->head; e; e = e->next)
    if (strcmp(e->id, id) == 0)
      return e;
  return NULL;
}

/* Separated by a byte no YAML name and no key from a log line can
 * confuse: the unit separator never survives our parsers as text. */
static char *identity(const struct rcw_alert *a)
{
  char *id;
  if (asprintf(&id, "%s\x1f%s\x1f%s", a->rule ? a->rule : "", rcw_scope_name(a->scope),
               a->key ? a->key : "") < 0)
    return NULL;
  return id;
}

/* The entry for id, made if there is room; takes id either way. */
static struct entry *entry_get(struct webhook_sink *s, char *id)
{
  struct entry *e = entry_find(s, id);
  if (e || s->nentries >= s->cap || !(e = calloc(1, sizeof(*e)))) {
    free(id);
    return e;
  }
  e->id = id;
  list_append(s, e);
  s->nentries++;
  return e;
}

/* Mark the entry's current version pending, at the back of the line. */
static void entry_requeue(struct webhook_sink *s, struct entry *e, bool fresh)
{
  e->version++;
  e->fresh = fresh;
  e->tries = 0;
  e->ready_at = uv_now(s->base.loop);
  list_unlink(s, e);
  list_append(s, e);
}

/* Take a new state (owned).  A fresh state still waiting for its first
 * or next try is replaced without being sent: dropped, superseded. */
static void entry_update(struct webhook_sink *s, struct entry *e, struct rcw_alert *a)
{
  if (pending(e) && e->fresh && e->version != e->flight_version)
    s->base.stats.dropped++;
  bool was_firing = e->alert && e->alert->state == RCW_ALERT_FIRING;
  if (!e->alert || (a->state == RCW_ALERT_FIRING && !was_firing))
    e->starts_at = a->at;
  rcw_alert_free(e->alert);
  e->alert = a;
  entry_requeue(s, e, true);
}

static void give_up(struct webhook_sink *s, struct entry *e)
{
  if (e->fresh)
    s->base.stats.dropped++;
  e->fresh = false;
  e->done_version = e->version;
}

/* --- backoff -------------------------------------------------------------- */

static uint64_t next_random(struct webhook_sink *s)
{
  /* xorshift64*: jitter needs spread, not secrecy. */
  s->rng ^= s->rng >> 12;
  s->rng ^= s->rng << 25;
  s->rng ^= s->rng >> 27;
  return s->rng * UINT64_C(2685821657736338717);
}

/* Full jitter: anywhere up to the capped exponential bound, so senders
 * that failed together do not come back together. */
static uint64_t backoff_ms(struct webhook_sink *s, int tries, int64_t retry_after_ms)
{
  int64_t bound = s->tune.backoff_min_ms;
  for (int i = 1; i < tries && bound < s->tune.backoff_max_ms; i++)
    bound *= 2;
  if (bound > s->tune.backoff_max_ms)
    bound = s->tune.backoff_max_ms;
  uint64_t d = bound > 0 ? next_random(s) % ((uint64_t)bound + 1) : 0;
  if (retry_after_ms > s->tune.backoff_max_ms)
    retry_after_ms = s->tune.backoff_max_ms;
  return retry_after_ms > 0 && (uint64_t)retry_after_ms > d ? (uint64_t)retry_after_ms : d;
}

/* --- requests ------------------------------------------------------------- */

static size_t reply_cb(char *data, size_t size, size_t nmemb, void *arg)
{
  struct request *r = arg;
  size_t len = size * nmemb, room = REPLY_KEEP - r->reply_len;
  memcpy(r->reply + r->reply_len, data, len < room ? len : room);
  r->reply_len += len < room ? len : room;
  return len;
}

static void render(struct webhook_sink *s, struct request *r)
{
  struct rcw_json j;
  rcw_json_init(&j, &r->body, false);
  if (!is_am(s)) {
    rcw_alert_json(r->items[0].e->alert, &j);
    return;
  }
  int64_t now = s->tune.wall_ms();
  rcw_json_array_begin(&j);
  for (size_t i = 0; i < r->n; i++) {
    const struct entry *e = r->items[i].e;
    bool firing = e->alert->state == RCW_ALERT_FIRING;
    struct rcw_am_alert am = {e->alert, e->starts_at,
                              firing ? now + s->tune.lease_ms : e->alert->at};
    rcw_alertmanager_alert(&am, s->instance, &j);
  }
  rcw_json_array_end(&j);
}

static CURL *make_easy(struct webhook_sink *s, struct request *r)
{
  CURL *c = rcw_curl.easy_init();
  if (!c)
    return NULL;
  bool ok = rcw_curl.easy_setopt(c, CURLOPT_URL, s->url) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_HTTPHEADER, s->headers) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_USERAGENT, "rcwatch/" RCW_VERSION) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_POSTFIELDS, r->body.data) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_cb) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_WRITEDATA, r) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, r->error) == CURLE_OK;
  ok &= rcw_curl.easy_setopt(c, CURLOPT_PRIVATE, r) == CURLE_OK;
  if (!ok) {
    rcw_curl.easy_cleanup(c);
    return NULL;
  }
  return c;
}

static void request_free(struct request *r)
{
  if (r->easy)
    rcw_curl.easy_cleanup(r->easy);
  rcw_buf_free(&r->body);
  free(r);
}

static void request_unlink(struct webhook_sink *s, struct request *r)
{
  struct request **pp = &s->flight;
  while (*pp != r)
    pp = &(*pp)->next;
  *pp = r->next;
  s->nflight--;
}

static bool ready(const struct entry *e, uint64_t now)
{
  return pending(e) && !e->flight_version && e->ready_at <= now;
}

/* The next request: the oldest ready entries, as many as one request
 * takes.  1 and *out, 0 when none is ready, -ENOMEM. */
static int request_collect(struct webhook_sink *s, uint64_t now, struct request **out)
{
  size_t batch = is_am(s) ? s->tune.batch_max : 1;
  struct entry *e = s->head;
  while (e && !ready(e, now))
    e = e->next;
  if (!e)
    return 0;
  struct request *r = calloc(1, sizeof(*r) + batch * sizeof(r->items[0]));
  if (!r)
    return -ENOMEM;
  r->sink = s;
  for (; e && r->n < batch; e = e->next)
    if (ready(e, now))
      r->items[r->n++] = (struct item){e, e->version, e->fresh};
  *out = r;
  return 1;
}

static void settle_all(struct webhook_sink *s, struct request *r, enum outcome o, uint64_t delay);

/* Start r, or settle it at once as a failed try. */
static void request_start(struct webhook_sink *s, struct request *r)
{
  bool retry = false;
  for (size_t i = 0; i < r->n; i++) {
    r->items[i].e->flight_version = r->items[i].version;
    retry |= r->items[i].e->tries > 0;
  }
  r->next = s->flight;
  s->flight = r;
  s->nflight++;
  if (retry)
    s->base.stats.retried++;
  render(s, r);
  if (!r->body.oom && (r->easy = make_easy(s, r)) && rcw_curl_uv_add(s->curl, r->easy) == 0)
    return;
  s->base.stats.failed++;
  rcw_sink_complain(&s->base, "cannot start a request: out of memory");
  request_unlink(s, r);
  settle_all(s, r, RETRY, OOM_PAUSE_MS);
  request_free(r);
}

/* --- outcomes ------------------------------------------------------------- */

static enum outcome classify(CURLcode rc, long status)
{
  if (rc == CURLE_OK) {
    if (status >= 200 && status < 300)
      return DELIVERED;
    if (status == 408 || status == 429 || status >= 500)
      return RETRY;
    return REJECTED;
  }
  switch (rc) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_NOT_BUILT_IN:
    return REJECTED; /* the URL itself is wrong: trying again cannot help */
  default:
    return RETRY;
  }
}

static void settle(struct webhook_sink *s, const struct item *it, enum outcome o, uint64_t delay)
{
  struct entry *e = it->e;
  bool current = e->version == it->version;
  e->flight_version = 0;
  if (o == DELIVERED) {
    if (it->fresh)
      s->base.stats.sent++;
    if (current) {
      e->done_version = e->version;
      e->fresh = false;
    }
  } else if (!current) {
    if (it->fresh)
      s->base.stats.dropped++; /* a newer state goes instead */
  } else if (o == REJECTED || s->closing || ++e->tries >= s->tune.max_tries) {
    give_up(s, e);
  } else {
    e->ready_at = uv_now(s->base.loop) + delay;
  }
  entry_settled(s, e);
}

static void settle_all(struct webhook_sink *s, struct request *r, enum outcome o, uint64_t delay)
{
  for (size_t i = 0; i < r->n; i++)
    settle(s, &r->items[i], o, delay);
}

static void complain_failure(struct webhook_sink *s, struct request *r, CURLcode rc,
                             long status, enum outcome o)
{
  struct rcw_buf b = RCW_BUF_INIT;
  if (rc != CURLE_OK) {
    rcw_buf_puts(&b, r->error[0] ? r->error : rcw_curl.easy_strerror(rc));
  } else {
    rcw_buf_printf(&b, "HTTP %ld", status);
    if (r->reply_len > 0) {
      rcw_buf_puts(&b, ": ");
      rcw_sink_escape(&b, r->reply, r->reply_len);
    }
  }
  const char *then = o == REJECTED ? "not retried"
                     : s->closing  ? "stopping, not retried"
                                   : "will retry";
  rcw_sink_complain(&s->base, "POST of %zu alert%s failed: %s; %s", r->n, r->n == 1 ? "" : "s",
                    b.oom ? "(out of memory)" : b.data, then);
  rcw_buf_free(&b);
}

/* --- scheduling ----------------------------------------------------------- */

static void wake_cb(uv_timer_t *t);

/* Arm the wake timer for the earliest entry that could start, and
 * refresh the gauges on the way. */
static void arm_wake(struct webhook_sink *s, uint64_t now)
{
  uint64_t next = UINT64_MAX;
  size_t queued = 0;
  for (const struct entry *e = s->head; e; e = e->next)
    if (pending(e) && !e->flight_version) {
      queued++;
      if (e->ready_at < next)
        next = e->ready_at;
    }
  s->base.stats.queued = queued;
  s->base.stats.in_flight = s->nflight;
  if (next == UINT64_MAX || s->nflight >= s->tune.max_in_flight || s->shut)
    uv_timer_stop(&s->wake); /* a finishing request will pump again */
  else
    uv_timer_start(&s->wake, wake_cb, next > now ? next - now : 0, 0);
}

static void pump(struct webhook_sink *s)
{
  uint64_t now = uv_now(s->base.loop);
  struct request *r;
  int got = 0;
  while (!s->aborting && s->nflight < s->tune.max_in_flight &&
         (got = request_collect(s, now, &r)) > 0)
    request_start(s, r);
  if (got < 0) {
    rcw_sink_complain(&s->base, "out of memory, requests delayed");
    uv_timer_start(&s->wake, wake_cb, OOM_PAUSE_MS, 0);
    return;
  }
  arm_wake(s, now);
}

static void wake_cb(uv_timer_t *t)
{
  pump(t->data);
}

static void resend_cb(uv_timer_t *t)
{
  struct webhook_sink *s = t->data;
  struct entry *last = s->tail, *next;
  for (struct entry *e = s->head; e; e = next) {
    next = e->next;
    if (e->alert->state == RCW_ALERT_FIRING && !pending(e))
      entry_requeue(s, e, false);
    if (e == last)
      break;
  }
  pump(s);
}

/* --- handing over at a reload --------------------------------------------- */

static struct webhook_sink *successor(const struct webhook_sink *s)
{
  for (struct webhook_sink *o = open_sinks; o; o = o->next_open)
    if (o != s && !o->closing && is_am(o) && strcmp(o->url, s->url) == 0)
      return o;
  return NULL;
}

/* Give to's firing set a copy of e, as already delivered: it is re-sent
 * with to's next round.  A state to already holds is newer: kept. */
static void hand_over(struct webhook_sink *to, const struct entry *e)
{
  if (entry_find(to, e->id))
    return;
  struct rcw_alert *copy = rcw_alert_dup(e->alert);
  char *id = copy ? strdup(e->id) : NULL;
  struct entry *n = id ? entry_get(to, id) : NULL; /* takes id */
  if (!n) {
    rcw_alert_free(copy);
    rcw_sink_complain(&to->base, "no room to take over a firing alert at reload");
    return;
  }
  n->alert = copy;
  n->starts_at = e->starts_at;
}

static void hand_over_firing(struct webhook_sink *s)
{
  struct webhook_sink *to = is_am(s) ? successor(s) : NULL;
  if (!to)
    return;
  for (const struct entry *e = s->head; e; e = e->next)
    if (e->alert->state == RCW_ALERT_FIRING)
      hand_over(to, e);
}

/* --- closing -------------------------------------------------------------- */

static void handle_closed(struct webhook_sink *s)
{
  if (--s->handles == 0)
    rcw_sink_done(&s->base);
}

static void timer_closed_cb(uv_handle_t *h)
{
  handle_closed(h->data);
}

static void curl_closed_cb(void *arg)
{
  handle_closed(arg);
}

static void maybe_done(struct webhook_sink *s)
{
  if (!s->closing || s->shut || s->nflight > 0 || s->nentries > 0)
    return;
  s->shut = true;
  uv_timer_stop(&s->wake);
  uv_timer_stop(&s->resend);
  uv_close((uv_handle_t *)&s->wake, timer_closed_cb);
  uv_close((uv_handle_t *)&s->resend, timer_closed_cb);
  rcw_curl_uv_close(s->curl, curl_closed_cb, s);
}

static void done_cb(CURL *easy, CURLcode rc, void *arg)
{
  struct webhook_sink *s = arg;
  struct request *r = NULL;
  long status = 0;
  curl_off_t retry_after = 0;
  rcw_curl.easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
  rcw_curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  rcw_curl.easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
  enum outcome o = classify(rc, status);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    s->base.stats.timeouts++;
  if (o != DELIVERED) {
    s->base.stats.failed++;
    complain_failure(s, r, rc, status, o);
  }
  request_unlink(s, r);
  int tries = r->items[0].e->tries + 1;
  if (retry_after > RETRY_AFTER_MAX_S)
    retry_after = RETRY_AFTER_MAX_S; /* backoff_max caps it anyway; no overflow */
  settle_all(s, r, o, backoff_ms(s, tries, (int64_t)retry_after * 1000));
  request_free(r);
  pump(s);
  maybe_done(s);
}

static void webhook_send(struct rcw_sink *sk, const struct rcw_alert *a)
{
  struct webhook_sink *s = (struct webhook_sink *)sk;
  if (s->closing)
    return;
  char *id = identity(a);
  struct rcw_alert *copy = rcw_alert_dup(a);
  struct entry *e = NULL;
  if (id && copy)
    e = entry_get(s, id);
  else
    free(id);
  if (!e) {
    rcw_alert_free(copy);
    sk->stats.dropped++;
    rcw_sink_complain(sk, "%zu alerts already held, alert dropped", s->nentries);
    return;
  }
  entry_update(s, e, copy);
  /* Not now: alerts of one evaluation pass then share a request. */
  uv_timer_start(&s->wake, wake_cb, 0, 0);
}

static void webhook_close(struct rcw_sink *sk)
{
  struct webhook_sink *s = (struct webhook_sink *)sk;
  uint64_t now = uv_now(sk->loop);
  struct entry *next;
  hand_over_firing(s);
  s->closing = true;
  uv_timer_stop(&s->resend);
  for (struct entry *e = s->head; e; e = next) {
    next = e->next;
    if (pending(e))
      e->ready_at = now; /* one last try, now */
    entry_settled(s, e);
  }
  pump(s);
  maybe_done(s);
}

static void webhook_abort(struct rcw_sink *sk)
{
  struct webhook_sink *s = (struct webhook_sink *)sk;
  if (s->shut)
    return;
  s->closing = s->aborting = true;
  if (s->nflight > 0 || s->nentries > 0)
    rcw_log_warning("webhook sink %s: stopping: abandoning %zu requests in flight, "
                    "%zu alerts held", sk->target, s->nflight, s->nentries);
  while (s->flight) {
    struct request *r = s->flight;
    rcw_curl_uv_cancel(s->curl, r->easy);
    request_unlink(s, r);
    settle_all(s, r, REJECTED, 0);
    request_free(r);
  }
  while (s->head) {
    if (pending(s->head))
      give_up(s, s->head);
    entry_free(s, s->head);
  }
  arm_wake(s, uv_now(sk->loop));
  maybe_done(s);
}

static void webhook_destroy(struct rcw_sink *sk)
{
  struct webhook_sink *s = (struct webhook_sink *)sk;
  struct webhook_sink **pp = &open_sinks;
  while (*pp && *pp != s)
    pp = &(*pp)->next_open;
  if (*pp)
    *pp = s->next_open;
  while (s->head)
    entry_free(s, s->head);
  rcw_curl.slist_free_all(s->headers);
  free(s->instance);
  free(s->url);
  rcw_sink_fini(sk);
  free(s);
}

/* Alertmanager drops an alert whose lease is not renewed, so one still
 * firing across a restart is sent again (same startsAt: Alertmanager
 * merges it with what it holds).  A json receiver got the transition
 * already and gets nothing twice. */
static void webhook_restore(struct rcw_sink *sk, const struct rcw_alert *a)
{
  if (is_am((struct webhook_sink *)sk))
    webhook_send(sk, a);
}

static const struct rcw_sink_ops webhook_ops = {
  .type = "webhook",
  .send = webhook_send,
  .close = webhook_close,
  .abort = webhook_abort,
  .destroy = webhook_destroy,
  .restore = webhook_restore,
};

/* --- construction --------------------------------------------------------- */

/* The URL as logs and metrics show it: user:password@ and the query
 * (where tokens often travel) are masked. */
static char *display_url(const char *url)
{
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  size_t auth = strcspn(host, "@/?#");
  size_t end = strcspn(url, "?#");
  bool has_auth = host[auth] == '@';
  const char *rest = has_auth ? host + auth + 1 : host;
  char *out;
  if (asprintf(&out, "%.*s%s%.*s%s", (int)(host - url), url, has_auth ? "***@" : "",
               (int)(url + end - rest), rest, url[end] == '?' ? "?***" : "") < 0)
    return NULL;
  return out;
}

static char *host_name(void)
{
  char name[HOST_MAX + 1];
  if (gethostname(name, sizeof(name) - 1) < 0)
    return NULL;
  name[HOST_MAX] = '\0';
  return strdup(name);
}

static int webhook_setup(struct webhook_sink *s, const struct rcw_sink_spec *spec,
                         const struct rcw_config *cfg)
{
  if (tuning_set)
    s->tune = tuning;
  else
    rcw_webhook_tuning_default(&s->tune);
  s->format = spec->format;
  s->timeout_ms = spec->timeout_ms > 0 ? (long)spec->timeout_ms : DEFAULT_TIMEOUT_MS;
  s->cap = cfg->limits.webhook_queue > 0 ? cfg->limits.webhook_queue : 1;
  if (s->tune.max_in_flight < 1)
    s->tune.max_in_flight = 1;
  if (s->tune.batch_max < 1)
    s->tune.batch_max = 1;
  s->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)s ^ UINT64_C(0x9e3779b97f4a7c15);
  s->instance = host_name(); /* NULL: no instance label */
  if (!(s->url = strdup(spec->url)))
    return -ENOMEM;
  struct curl_slist *h = rcw_curl.slist_append(NULL, "Content-Type: application/json");
  /* "Expect: 100-continue" would cost a round trip per request. */
  struct curl_slist *h2 = h ? rcw_curl.slist_append(h, "Expect:") : NULL;
  s->headers = h2 ? h2 : h;
  return h2 ? 0 : -ENOMEM;
}

int rcw_sink_webhook_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                         const struct rcw_config *cfg, struct rcw_sink **out)
{
  if (!spec->url)
    return -EINVAL;
  int loaded = rcw_curl_api_load();
  if (loaded < 0) {
    rcw_log_error("webhook sink %s: cannot load libcurl (libcurl.so.4): %s", spec->url,
                  loaded == -EIO ? "it does not initialise" : "not installed");
    return loaded;
  }
  struct webhook_sink *s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  char *shown = display_url(spec->url);
  int r = shown ? rcw_sink_init(&s->base, &webhook_ops, loop, shown) : -ENOMEM;
  free(shown);
  if (r == 0)
    r = webhook_setup(s, spec, cfg);
  if (r == 0)
    r = rcw_curl_uv_new(loop, done_cb, s, &s->curl);
  if (r < 0) {
    webhook_destroy(&s->base);
    return r;
  }
  uv_timer_init(loop, &s->wake);
  uv_timer_init(loop, &s->resend);
  s->wake.data = s->resend.data = s;
  s->handles = 3;
  s->next_open = open_sinks;
  open_sinks = s;
  if (is_am(s) && s->tune.resend_ms > 0)
    uv_timer_start(&s->resend, resend_cb, (uint64_t)s->tune.resend_ms,
                   (uint64_t)s->tune.resend_ms);
  *out = &s->base;
  return 0;
}
