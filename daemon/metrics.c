/* metrics — the Prometheus endpoint: snapshot publishing and the HTTP
 * server.
 *
 * Why libmicrohttpd runs its own polling thread instead of being driven
 * from the libuv loop: /healthz exists to show a stuck loop, and a server
 * driven by that loop would hang with it rather than answer 503.  The
 * thread multiplexes every connection with epoll or poll (not a thread per
 * connection), so a client that sends half a request and stalls holds one
 * slot until the idle timeout and delays no other scrape; connection
 * limits, overall and per address, cap what such clients can hold.  The
 * thread shares only two things with the loop: the published snapshot (a
 * reference-counted, immutable text swapped under a mutex) and the
 * heartbeat time (an atomic). */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SELF_PREFIX "rcwatch_metrics_"
#define DROPPED_NAME SELF_PREFIX "series_dropped_total"
#define LISTEN_BACKLOG 64

static const char metrics_type[] = "text/plain; version=0.0.4; charset=utf-8";
static const char text_type[] = "text/plain; charset=utf-8";

/* One rendered exposition.  Each response being sent holds a reference,
 * so a scrape in progress keeps the text it started with. */
struct snapshot {
  atomic_size_t refs;
  size_t len;
  char *data;
};

struct rcw_metrics {
  struct rcw_metrics_options opt;
  struct MHD_Daemon *mhd;
  int port;

  /* loop thread only */
  rcw_promtext *reg;
  uint64_t dropped_total;

  pthread_mutex_t lock; /* guards snap (the pointer, not the text) */
  struct snapshot *snap;
  atomic_int_least64_t heartbeat_ms;
};

static int64_t monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rcw_metrics_options_default(struct rcw_metrics_options *o)
{
  *o = (struct rcw_metrics_options){
    .max_series = 10000,
    .connection_limit = 64,
    .per_ip_limit = 32,
    .timeout_s = 10,
    .stale_ms = 10000,
    .clock_ms = monotonic_ms,
  };
}

/* --- snapshots --------------------------------------------------------- */

static void snapshot_release(void *arg)
{
  struct snapshot *s = arg;
  if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
    free(s->data);
    free(s);
  }
}

static struct snapshot *snapshot_acquire(rcw_metrics *m)
{
  pthread_mutex_lock(&m->lock);
  struct snapshot *s = m->snap;
  atomic_fetch_add(&s->refs, 1);
  pthread_mutex_unlock(&m->lock);
  return s;
}

static void snapshot_publish(rcw_metrics *m, struct snapshot *s)
{
  pthread_mutex_lock(&m->lock);
  struct snapshot *old = m->snap;
  m->snap = s;
  pthread_mutex_unlock(&m->lock);
  snapshot_release(old);
}

/* Take over the rendered text of b (b is left empty). */
static struct snapshot *snapshot_from(struct rcw_buf *b)
{
  struct snapshot *s = malloc(sizeof(*s));
  if (!s)
    return NULL;
  atomic_init(&s->refs, 1);
  s->len = b->len;
  s->data = b->data;
  *b = (struct rcw_buf)RCW_BUF_INIT;
  return s;
}

/* --- the registry ------------------------------------------------------ */

int rcw_metrics_family(rcw_metrics *m, const char *name, enum rcw_prom_type type,
                       const char *help, const char *const *labels, size_t nlabels)
{
  if (name && strncmp(name, SELF_PREFIX, strlen(SELF_PREFIX)) == 0) {
    /* A failed family() deselects, so the samples that follow fail
     * instead of landing in the family selected before. */
    rcw_promtext_family(m->reg, NULL, type, NULL, NULL, 0);
    return -EINVAL;
  }
  return rcw_promtext_family(m->reg, name, type, help, labels, nlabels);
}

int rcw_metrics_sample(rcw_metrics *m, const char *const *values, double v)
{
  return rcw_promtext_sample(m->reg, values, v);
}

int rcw_metrics_sample_u64(rcw_metrics *m, const char *const *values, uint64_t v)
{
  return rcw_promtext_sample_u64(m->reg, values, v);
}

/* Best effort: when the family cap leaves no room for them, the
 * snapshot goes out without the endpoint's own metrics rather than not
 * at all. */
static void add_self_metrics(rcw_metrics *m)
{
  int r = rcw_promtext_family(m->reg, DROPPED_NAME, RCW_PROM_COUNTER,
                              "Series left out of metrics snapshots, counted at each snapshot: "
                              "over the per-family cap, or repeating a label set.",
                              NULL, 0);
  if (r == 0)
    rcw_promtext_sample_u64(m->reg, NULL, m->dropped_total);
}

int rcw_metrics_commit(rcw_metrics *m)
{
  rcw_promtext_sort(m->reg);
  m->dropped_total += rcw_promtext_dropped(m->reg);
  add_self_metrics(m);
  struct rcw_buf text = RCW_BUF_INIT;
  int r = rcw_promtext_render(m->reg, &text);
  rcw_promtext_reset(m->reg);
  struct snapshot *s = r == 0 ? snapshot_from(&text) : NULL;
  rcw_buf_free(&text);
  if (!s)
    return r < 0 ? r : -ENOMEM;
  snapshot_publish(m, s);
  return 0;
}

void rcw_metrics_heartbeat(rcw_metrics *m)
{
  atomic_store(&m->heartbeat_ms, m->opt.clock_ms());
}

int rcw_metrics_port(const rcw_metrics *m)
{
  return m->port;
}

/* --- HTTP (server thread) ---------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *resp, const char *type)
{
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ret = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  return queue(c, status, resp, text_type);
}

static enum MHD_Result serve_metrics(rcw_metrics *m, struct MHD_Connection *c)
{
  struct snapshot *s = snapshot_acquire(m);
  struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
      s->len, s->data, snapshot_release, s);
  if (!resp) {
    snapshot_release(s);
    return MHD_NO;
  }
  return queue(c, MHD_HTTP_OK, resp, metrics_type);
}

static enum MHD_Result serve_healthz(rcw_metrics *m, struct MHD_Connection *c)
{
  int64_t age = m->opt.clock_ms() - atomic_load(&m->heartbeat_ms);
  if (age <= m->opt.stale_ms)
    return reply_text(c, MHD_HTTP_OK, "ok\n");
  char text[96];
  snprintf(text, sizeof(text), "stalled: no heartbeat from the loop for %" PRId64 " ms\n", age);
  return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

static enum MHD_Result request_cb(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
  rcw_metrics *m = cls;
  bool is_metrics = strcmp(url, "/metrics") == 0;
  bool is_healthz = strcmp(url, "/healthz") == 0;
  if (!is_metrics && !is_healthz)
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n");
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
  return is_metrics ? serve_metrics(m, c) : serve_healthz(m, c);
}

/* --- start and stop ---------------------------------------------------- */

/* The address to bind; *len is its size. */
static int listen_addr(const struct rcw_metrics_spec *spec, struct sockaddr_storage *ss,
                       socklen_t *len)
{
  const char *host = spec->host ? spec->host : "127.0.0.1";
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  if (spec->port < 0 || spec->port > 65535)
    return -EINVAL;
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)spec->port);
    *len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)spec->port);
    *len = sizeof(*v6);
  } else {
    return -EINVAL;
  }
  return 0;
}

static int bound_port(int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -errno;
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Bind the socket here rather than in libmicrohttpd, so a taken port
 * comes back as -EADDRINUSE for the daemon to report.  Close-on-exec keeps
 * it out of the alert sinks' child processes. */
static int open_listener(const struct rcw_metrics_spec *spec, int *port)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int r = listen_addr(spec, &ss, &len);
  if (r < 0)
    return r;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
      (*port = bound_port(fd)) < 0) {
    r = -errno;
    close(fd);
    return r;
  }
  return fd;
}

/* The server thread inherits the signal mask of its creator: block every
 * signal while creating it, so SIGTERM, SIGHUP and the rest always reach
 * the loop thread. */
static struct MHD_Daemon *start_server(rcw_metrics *m, int fd)
{
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  struct MHD_Daemon *mhd = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, request_cb, m,
      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
      MHD_OPTION_CONNECTION_LIMIT, m->opt.connection_limit,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, m->opt.per_ip_limit,
      MHD_OPTION_CONNECTION_TIMEOUT, m->opt.timeout_s,
      MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return mhd;
}

static int metrics_alloc(const struct rcw_metrics_options *opt, rcw_metrics **out)
{
  rcw_metrics *m = calloc(1, sizeof(*m));
  if (!m)
    return -ENOMEM;
  if (opt)
    m->opt = *opt;
  else
    rcw_metrics_options_default(&m->opt);
  if (!m->opt.clock_ms)
    m->opt.clock_ms = monotonic_ms;
  if (rcw_promtext_new(m->opt.max_series, &m->reg) < 0) {
    free(m);
    return -ENOMEM;
  }
  pthread_mutex_init(&m->lock, NULL);
  atomic_init(&m->heartbeat_ms, m->opt.clock_ms());
  *out = m;
  return 0;
}

static void metrics_free(rcw_metrics *m)
{
  snapshot_release(m->snap);
  pthread_mutex_destroy(&m->lock);
  rcw_promtext_free(m->reg);
  free(m);
}

int rcw_metrics_new(const struct rcw_metrics_spec *spec, const struct rcw_metrics_options *opt,
                    rcw_metrics **out)
{
  rcw_metrics *m;
  int r = metrics_alloc(opt, &m);
  if (r < 0)
    return r;
  /* Publish before the first request can arrive: a scrape always finds
   * a snapshot. */
  if ((r = rcw_metrics_commit(m)) < 0)
    goto fail;
  int fd = open_listener(spec, &m->port);
  if (fd < 0) {
    r = fd;
    goto fail;
  }
  /* libmicrohttpd owns fd from here on: it closes it at stop, and also
   * when it fails to start (checked against 0.9.75). */
  m->mhd = start_server(m, fd);
  if (!m->mhd) {
    r = -EIO;
    goto fail;
  }
  *out = m;
  return 0;
fail:
  metrics_free(m);
  return r;
}

void rcw_metrics_close(rcw_metrics *m)
{
  if (!m)
    return;
  /* Joins the server thread and closes the listening socket and every
   * connection, releasing the snapshots their responses held. */
  MHD_stop_daemon(m->mhd);
  metrics_free(m);
}
