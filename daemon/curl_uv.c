/* curl_uv — libcurl multi on libuv: one uv_poll_t per socket libcurl
 * wants watched, one uv_timer_t for its timeouts. */
#include "curl_uv.h"

#include "curl_api.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct sock {
  uv_poll_t poll;
  curl_socket_t fd;
  struct rcw_curl_uv *m;
  struct sock *prev, *next; /* live sockets; a closing one is unlinked */
};

struct rcw_curl_uv {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  struct sock *socks;
  rcw_curl_done_cb done;
  void *done_arg;
  int depth;          /* nesting of socket_action */
  bool close_pending; /* set by close; carried out when depth is 0 */
  bool closing;       /* handles are being closed; m goes with the last */
  int handles;        /* uv handles initialised and not yet closed */
  rcw_curl_closed_cb closed;
  void *closed_arg;
};

static int global_init(void)
{
  return rcw_curl_api_load();
}

/* --- closing ------------------------------------------------------------ */

static void release(struct rcw_curl_uv *m)
{
  if (--m->handles > 0 || !m->closing)
    return;
  rcw_curl_closed_cb closed = m->closed;
  void *arg = m->closed_arg;
  free(m);
  if (closed)
    closed(arg);
}

static void sock_closed_cb(uv_handle_t *h)
{
  struct sock *s = h->data;
  struct rcw_curl_uv *m = s->m;
  free(s);
  release(m);
}

static void timer_closed_cb(uv_handle_t *h)
{
  release(h->data);
}

static void sock_unlink(struct sock *s)
{
  struct rcw_curl_uv *m = s->m;
  if (s->prev)
    s->prev->next = s->next;
  else
    m->socks = s->next;
  if (s->next)
    s->next->prev = s->prev;
  s->prev = s->next = NULL;
}

/* Stop watching a socket libcurl is done with.  uv_poll_stop drops the fd
 * from epoll at once, so libcurl may close it and a new socket may reuse
 * the number before the close callback runs. */
static void sock_close(struct sock *s)
{
  sock_unlink(s);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, sock_closed_cb);
}

static void finish_close(struct rcw_curl_uv *m)
{
  m->closing = true;
  /* Cleanup closes cached connections; libcurl may report their sockets
   * through socket_fn, which closes them; close whatever is left. */
  rcw_curl.multi_cleanup(m->multi);
  m->multi = NULL;
  while (m->socks)
    sock_close(m->socks);
  uv_timer_stop(&m->timer);
  uv_close((uv_handle_t *)&m->timer, timer_closed_cb);
}

/* --- events from the loop ----------------------------------------------- */

static void collect_done(struct rcw_curl_uv *m)
{
  CURLMsg *msg;
  int left;
  while (!m->close_pending && (msg = rcw_curl.multi_info_read(m->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    rcw_curl.multi_remove_handle(m->multi, easy); /* msg is invalid from here */
    m->done(easy, result, m->done_arg);
  }
}

/* Let libcurl act on fd (or on its timeout), then hand out finished
 * transfers.  A close requested meanwhile is carried out last. */
static void socket_action(struct rcw_curl_uv *m, curl_socket_t fd, int flags)
{
  int running;
  m->depth++;
  rcw_curl.multi_socket_action(m->multi, fd, flags, &running);
  collect_done(m);
  m->depth--;
  if (m->depth == 0 && m->close_pending)
    finish_close(m);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
  struct sock *s = h->data;
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  socket_action(s->m, s->fd, flags);
}

static void timer_cb(uv_timer_t *t)
{
  socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

/* --- what libcurl asks of us -------------------------------------------- */

static struct sock *sock_new(struct rcw_curl_uv *m, curl_socket_t fd)
{
  struct sock *s = calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  if (uv_poll_init_socket(m->loop, &s->poll, fd) < 0) {
    free(s);
    return NULL;
  }
  s->poll.data = s;
  s->fd = fd;
  s->m = m;
  m->handles++;
  s->next = m->socks;
  if (m->socks)
    m->socks->prev = s;
  m->socks = s;
  rcw_curl.multi_assign(m->multi, fd, s);
  return s;
}

static int socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  struct rcw_curl_uv *m = userp;
  struct sock *s = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      rcw_curl.multi_assign(m->multi, fd, NULL);
      sock_close(s);
    }
    return 0;
  }
  if (!s && !(s = sock_new(m, fd)))
    return -1; /* libcurl fails the transfers on this socket */
  int events = 0;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  return uv_poll_start(&s->poll, events, poll_cb) < 0 ? -1 : 0;
}

/* libcurl wants to be called after timeout_ms (-1: never).  Even 0 goes
 * through the loop: libcurl must not be re-entered from this callback. */
static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
  struct rcw_curl_uv *m = userp;
  if (timeout_ms < 0)
    uv_timer_stop(&m->timer);
  else
    uv_timer_start(&m->timer, timer_cb, (uint64_t)timeout_ms, 0);
  return 0;
}

/* --- the API ------------------------------------------------------------ */

int rcw_curl_uv_new(uv_loop_t *loop, rcw_curl_done_cb done, void *arg, rcw_curl_uv **out)
{
  int r = global_init();
  if (r < 0)
    return r;
  struct rcw_curl_uv *m = calloc(1, sizeof(*m));
  if (!m)
    return -ENOMEM;
  if (!(m->multi = rcw_curl.multi_init())) {
    free(m);
    return -ENOMEM;
  }
  m->loop = loop;
  m->done = done;
  m->done_arg = arg;
  uv_timer_init(loop, &m->timer);
  m->timer.data = m;
  m->handles = 1;
  rcw_curl.multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
  rcw_curl.multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
  rcw_curl.multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
  rcw_curl.multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
  *out = m;
  return 0;
}

int rcw_curl_uv_add(rcw_curl_uv *m, CURL *easy)
{
  if (m->close_pending)
    return -EINVAL;
  CURLMcode rc = rcw_curl.multi_add_handle(m->multi, easy);
  if (rc == CURLM_OK)
    return 0;
  return rc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

void rcw_curl_uv_cancel(rcw_curl_uv *m, CURL *easy)
{
  rcw_curl.multi_remove_handle(m->multi, easy);
}

void rcw_curl_uv_close(rcw_curl_uv *m, rcw_curl_closed_cb closed, void *arg)
{
  m->closed = closed;
  m->closed_arg = arg;
  m->close_pending = true;
  if (m->depth == 0)
    finish_close(m);
}
