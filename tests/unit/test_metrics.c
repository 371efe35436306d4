/* The Prometheus endpoint: the text format (names, escaping, values,
 * ordering, caps) and the HTTP server over real sockets (status codes,
 * headers, snapshots, heartbeat, stalled clients).  promtool, when
 * installed, checks a snapshot with every family the daemon exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "promtext.h"

/* --- helpers --------------------------------------------------------- */

static char *label_value(const char *s)
{
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_promtext_label_value(&b, s);
  rcw_buf_putc(&b, '\0');
  return b.data;
}

static void assert_label_value(const char *in, const char *want)
{
  char *got = label_value(in);
  assert_string_equal(got, want);
  free(got);
}

static void assert_value(double v, const char *want)
{
  char out[RCW_PROMTEXT_VALUE_MAX];
  rcw_promtext_format_double(v, out);
  assert_string_equal(out, want);
}

static char *render(rcw_promtext *p)
{
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_promtext_render(p, &b), 0);
  rcw_buf_putc(&b, '\0');
  return b.data;
}

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- names, escaping, values ----------------------------------------- */

static void test_names(void **state)
{
  (void)state;
  assert_true(rcw_promtext_metric_name_ok("rcwatch_responses_total"));
  assert_true(rcw_promtext_metric_name_ok("job:rate5m"));
  assert_true(rcw_promtext_metric_name_ok("_x9"));
  assert_false(rcw_promtext_metric_name_ok(""));
  assert_false(rcw_promtext_metric_name_ok(NULL));
  assert_false(rcw_promtext_metric_name_ok("9lives"));
  assert_false(rcw_promtext_metric_name_ok("a-b"));
  assert_false(rcw_promtext_metric_name_ok("a b"));
  assert_true(rcw_promtext_label_name_ok("source"));
  assert_true(rcw_promtext_label_name_ok("_a1"));
  assert_false(rcw_promtext_label_name_ok("__name__"));
  assert_false(rcw_promtext_label_name_ok("a:b"));
  assert_false(rcw_promtext_label_name_ok("1a"));
  assert_false(rcw_promtext_label_name_ok(""));
}

static void test_label_escaping(void **state)
{
  (void)state;
  assert_label_value("plain", "plain");
  assert_label_value("say \"hi\"", "say \\\"hi\\\"");
  assert_label_value("C:\\path", "C:\\\\path");
  assert_label_value("two\nlines", "two\\nlines");
  assert_label_value("tab\tcr\r", "tab\tcr\r");
  assert_label_value(NULL, "");
  /* valid multi-byte characters pass through */
  assert_label_value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

#define FFFD "\xEF\xBF\xBD"

static void test_label_invalid_utf8(void **state)
{
  (void)state;
  assert_label_value("a\xFF" "b", "a" FFFD "b");
  assert_label_value("\x80", FFFD);
  assert_label_value("\xC0\x80", FFFD FFFD);         /* overlong NUL */
  assert_label_value("\xE0\x80\xAF", FFFD FFFD FFFD); /* overlong '/' */
  assert_label_value("\xED\xA0\x80", FFFD FFFD FFFD); /* surrogate */
  assert_label_value("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
  assert_label_value("\xF5\x80", FFFD FFFD);
  assert_label_value("end\xE2\x82", "end" FFFD FFFD); /* cut short */
  assert_label_value("\xC3\"", FFFD "\\\"");          /* quote is no continuation */
}

static void test_label_value_cap(void **state)
{
  (void)state;
  char in[RCW_PROMTEXT_MAX_LABEL_VALUE + 8];
  /* A 2-byte character straddling the cap is dropped whole. */
  memset(in, 'x', RCW_PROMTEXT_MAX_LABEL_VALUE - 1);
  memcpy(in + RCW_PROMTEXT_MAX_LABEL_VALUE - 1, "\xC3\xA9tail", 7);
  in[RCW_PROMTEXT_MAX_LABEL_VALUE + 6] = '\0';
  char *got = label_value(in);
  assert_int_equal(strlen(got), RCW_PROMTEXT_MAX_LABEL_VALUE - 1);
  assert_int_equal(strspn(got, "x"), RCW_PROMTEXT_MAX_LABEL_VALUE - 1);
  free(got);
}

static void test_help_escaping(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_promtext_help_text(&b, "a \"b\" \\c\nd\xFF");
  assert_string_equal(b.data, "a \"b\" \\\\c\\nd" FFFD);
  rcw_buf_free(&b);
}

static void test_values(void **state)
{
  (void)state;
  assert_value(0, "0");
  assert_value(-0.0, "0");
  assert_value(1, "1");
  assert_value(-42, "-42");
  assert_value(9007199254740991.0, "9007199254740991");
  assert_value(0.1, "0.1");
  assert_value(0.25, "0.25");
  assert_value(1e-300, "1e-300");
  assert_value(1.0 / 3, "0.3333333333333333");
  assert_value(0.1 + 0.2, "0.30000000000000004");
  assert_value(1e21, "1e+21");
  assert_value(NAN, "NaN");
  assert_value(INFINITY, "+Inf");
  assert_value(-INFINITY, "-Inf");
  double odd[] = {1.0 / 3, 2.0 / 3, 0.083, 1e21, 123456.789, 9007199254740992.0 * 4,
                  5e-324, 0.1 + 0.2};
  for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
    char out[RCW_PROMTEXT_VALUE_MAX];
    rcw_promtext_format_double(odd[i], out);
    assert_true(strtod(out, NULL) == odd[i]);
  }
  char out[RCW_PROMTEXT_VALUE_MAX];
  rcw_promtext_format_u64(UINT64_MAX, out);
  assert_string_equal(out, "18446744073709551615");
}

/* --- the registry ---------------------------------------------------- */

static void test_render_sorted(void **state)
{
  (void)state;
  rcw_promtext *p;
  assert_int_equal(rcw_promtext_new(100, &p), 0);
  const char *lab[] = {"source", "result"};
  assert_int_equal(rcw_promtext_family(p, "z_total", RCW_PROM_COUNTER, "Zed.", NULL, 0), 0);
  assert_int_equal(rcw_promtext_sample_u64(p, NULL, 7), 0);
  assert_int_equal(rcw_promtext_family(p, "a_lines_total", RCW_PROM_COUNTER, "Lines.", lab, 2), 0);
  assert_int_equal(rcw_promtext_sample_u64(p, (const char *[]){"web", "unmatched"}, 3), 0);
  assert_int_equal(rcw_promtext_sample_u64(p, (const char *[]){"api", "matched"}, 10), 0);
  assert_int_equal(rcw_promtext_family(p, "m_ratio", RCW_PROM_GAUGE, "Ratio.", lab, 1), 0);
  assert_int_equal(rcw_promtext_sample(p, (const char *[]){"x"}, 0.5), 0);
  /* selecting a family again adds to it */
  assert_int_equal(rcw_promtext_family(p, "a_lines_total", RCW_PROM_COUNTER, "ignored", lab, 2), 0);
  assert_int_equal(rcw_promtext_sample_u64(p, (const char *[]){"api", "unmatched"}, 1), 0);
  char *text = render(p);
  assert_string_equal(text,
                      "# HELP a_lines_total Lines.\n"
                      "# TYPE a_lines_total counter\n"
                      "a_lines_total{source=\"api\",result=\"matched\"} 10\n"
                      "a_lines_total{source=\"api\",result=\"unmatched\"} 1\n"
                      "a_lines_total{source=\"web\",result=\"unmatched\"} 3\n"
                      "# HELP m_ratio Ratio.\n"
                      "# TYPE m_ratio gauge\n"
                      "m_ratio{source=\"x\"} 0.5\n"
                      "# HELP z_total Zed.\n"
                      "# TYPE z_total counter\n"
                      "z_total 7\n");
  free(text);
  /* after a reset only what follows is rendered */
  rcw_promtext_reset(p);
  assert_int_equal(rcw_promtext_family(p, "only", RCW_PROM_UNTYPED, NULL, NULL, 0), 0);
  assert_int_equal(rcw_promtext_sample(p, NULL, 2.5), 0);
  text = render(p);
  assert_string_equal(text, "# TYPE only untyped\nonly 2.5\n");
  free(text);
  rcw_promtext_free(p);
}

static void test_family_errors(void **state)
{
  (void)state;
  rcw_promtext *p;
  assert_int_equal(rcw_promtext_new(10, &p), 0);
  const char *lab[] = {"a", "b", "a"};
  assert_int_equal(rcw_promtext_sample(p, NULL, 1), -EINVAL); /* nothing selected */
  assert_int_equal(rcw_promtext_family(p, "x", RCW_PROM_GAUGE, "X.", lab, 2), 0);
  assert_int_equal(rcw_promtext_family(p, "x", RCW_PROM_COUNTER, "X.", lab, 2), -EEXIST);
  assert_int_equal(rcw_promtext_sample(p, lab, 1), -EINVAL);
  assert_int_equal(rcw_promtext_family(p, "x", RCW_PROM_GAUGE, "X.", lab, 1), -EEXIST);
  assert_int_equal(rcw_promtext_family(p, "x", RCW_PROM_GAUGE, "X.", lab + 1, 2), -EEXIST);
  assert_int_equal(rcw_promtext_family(p, "y", RCW_PROM_GAUGE, "Y.", lab, 3), -EINVAL);
  assert_int_equal(rcw_promtext_family(p, "bad-name", RCW_PROM_GAUGE, "", NULL, 0), -EINVAL);
  const char *reserved[] = {"__x"};
  assert_int_equal(rcw_promtext_family(p, "y", RCW_PROM_GAUGE, "", reserved, 1), -EINVAL);
  const char *many[RCW_PROMTEXT_MAX_LABELS + 1];
  char names[RCW_PROMTEXT_MAX_LABELS + 1][8];
  for (int i = 0; i <= RCW_PROMTEXT_MAX_LABELS; i++) {
    snprintf(names[i], sizeof(names[i]), "l%d", i);
    many[i] = names[i];
  }
  assert_int_equal(rcw_promtext_family(p, "y", RCW_PROM_GAUGE, "", many, RCW_PROMTEXT_MAX_LABELS + 1),
                   -EINVAL);
  assert_int_equal(rcw_promtext_family(p, "y", RCW_PROM_GAUGE, "", many, RCW_PROMTEXT_MAX_LABELS), 0);
  rcw_promtext_free(p);
}

static void test_family_cap(void **state)
{
  (void)state;
  rcw_promtext *p;
  assert_int_equal(rcw_promtext_new(10, &p), 0);
  char name[32];
  for (int i = 0; i < RCW_PROMTEXT_MAX_FAMILIES; i++) {
    snprintf(name, sizeof(name), "f%03d", i);
    assert_int_equal(rcw_promtext_family(p, name, RCW_PROM_GAUGE, "F.", NULL, 0), 0);
  }
  assert_int_equal(rcw_promtext_family(p, "one_more", RCW_PROM_GAUGE, "F.", NULL, 0), -E2BIG);
  assert_int_equal(rcw_promtext_family(p, "f000", RCW_PROM_GAUGE, "F.", NULL, 0), 0);
  rcw_promtext_reset(p);
  assert_int_equal(rcw_promtext_family(p, "one_more", RCW_PROM_GAUGE, "F.", NULL, 0), 0);
  rcw_promtext_free(p);
}

static void test_series_cap(void **state)
{
  (void)state;
  rcw_promtext *p;
  assert_int_equal(rcw_promtext_new(3, &p), 0);
  const char *lab[] = {"k"};
  assert_int_equal(rcw_promtext_family(p, "g", RCW_PROM_GAUGE, "G.", lab, 1), 0);
  const char *keys[] = {"e", "d", "c", "b", "a"};
  for (int i = 0; i < 5; i++)
    assert_int_equal(rcw_promtext_sample(p, &keys[i], i), i < 3 ? 0 : -E2BIG);
  /* the cap is per family */
  assert_int_equal(rcw_promtext_family(p, "h", RCW_PROM_GAUGE, "H.", lab, 1), 0);
  assert_int_equal(rcw_promtext_sample(p, &keys[0], 1), 0);
  assert_int_equal(rcw_promtext_dropped(p), 2);
  char *text = render(p);
  assert_string_equal(text, "# HELP g G.\n# TYPE g gauge\n"
                            "g{k=\"c\"} 2\ng{k=\"d\"} 1\ng{k=\"e\"} 0\n"
                            "# HELP h H.\n# TYPE h gauge\nh{k=\"e\"} 1\n");
  free(text);
  rcw_promtext_reset(p);
  assert_int_equal(rcw_promtext_dropped(p), 0);
  rcw_promtext_free(p);
}

/* Two raw values that sanitise to the same text: the first one stays. */
static void test_duplicate_series(void **state)
{
  (void)state;
  rcw_promtext *p;
  assert_int_equal(rcw_promtext_new(10, &p), 0);
  const char *lab[] = {"k"};
  assert_int_equal(rcw_promtext_family(p, "g", RCW_PROM_GAUGE, "G.", lab, 1), 0);
  assert_int_equal(rcw_promtext_sample(p, (const char *[]){"z\xFE"}, 1), 0);
  assert_int_equal(rcw_promtext_sample(p, (const char *[]){"a"}, 2), 0);
  assert_int_equal(rcw_promtext_sample(p, (const char *[]){"z\xFF"}, 3), 0);
  assert_int_equal(rcw_promtext_family(p, "n", RCW_PROM_GAUGE, "N.", NULL, 0), 0);
  assert_int_equal(rcw_promtext_sample(p, NULL, 4), 0);
  assert_int_equal(rcw_promtext_sample(p, NULL, 5), 0);
  rcw_promtext_sort(p);
  assert_int_equal(rcw_promtext_dropped(p), 2);
  char *text = render(p);
  assert_int_equal(rcw_promtext_dropped(p), 2); /* counted once */
  assert_string_equal(text, "# HELP g G.\n# TYPE g gauge\ng{k=\"a\"} 2\ng{k=\"z" FFFD "\"} 1\n"
                            "# HELP n N.\n# TYPE n gauge\nn 4\n");
  free(text);
  rcw_promtext_free(p);
}

/* --- an HTTP client over plain sockets ------------------------------- */

struct http_reply {
  int status;
  char *head; /* status line and headers */
  char *body;
  size_t body_len;
};

/* rcvbuf > 0: a small receive window, set before the handshake. */
static int connect_rcvbuf(int port, int rcvbuf)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

static int connect_to(int port)
{
  return connect_rcvbuf(port, 0);
}

static void send_all(int fd, const char *s)
{
  size_t len = strlen(s);
  assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Read to EOF (the request asked for Connection: close); the reply
 * starts with the n bytes already read into prefix. */
static void read_reply_after(int fd, const char *prefix, size_t n_prefix, struct http_reply *r)
{
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_buf_append(&b, prefix, n_prefix);
  char chunk[65536];
  ssize_t n;
  while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
    rcw_buf_append(&b, chunk, (size_t)n);
  assert_true(n == 0);
  assert_non_null(b.data);
  char *end = strstr(b.data, "\r\n\r\n");
  assert_non_null(end);
  *end = '\0';
  r->head = b.data;
  r->body = end + 4;
  r->body_len = b.len - (size_t)(r->body - b.data);
  assert_int_equal(sscanf(b.data, "HTTP/1.1 %d", &r->status), 1);
}

static void read_reply(int fd, struct http_reply *r)
{
  read_reply_after(fd, "", 0, r);
}

static void http(int port, const char *method, const char *path, struct http_reply *r)
{
  int fd = connect_to(port);
  char req[256];
  snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", method,
           path);
  send_all(fd, req);
  read_reply(fd, r);
  close(fd);
}

static const char *header(const struct http_reply *r, const char *name)
{
  const char *p = r->head;
  size_t n = strlen(name);
  while ((p = strstr(p, "\r\n")) != NULL) {
    p += 2;
    if (strncasecmp(p, name, n) == 0 && p[n] == ':')
      return p + n + 1 + strspn(p + n + 1, " ");
  }
  return NULL;
}

static bool header_is(const struct http_reply *r, const char *name, const char *value)
{
  const char *h = header(r, name);
  return h && strncmp(h, value, strlen(value)) == 0 && h[strlen(value)] == '\r';
}

/* Lines of text[0..len) that start with prefix. */
static size_t count_lines(const char *text, size_t len, const char *prefix)
{
  size_t n = 0, plen = strlen(prefix);
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *next = nl ? nl + 1 : end;
    if ((size_t)(next - p) >= plen && memcmp(p, prefix, plen) == 0)
      n++;
    p = next;
  }
  return n;
}

/* --- the server ------------------------------------------------------ */

static _Atomic int64_t fake_now;

static int64_t fake_clock(void)
{
  return atomic_load(&fake_now);
}

static rcw_metrics *start(const struct rcw_metrics_options *opt)
{
  struct rcw_metrics_spec spec = {NULL, "127.0.0.1", 0};
  rcw_metrics *m = NULL;
  assert_int_equal(rcw_metrics_new(&spec, opt, &m), 0);
  assert_true(rcw_metrics_port(m) > 0);
  return m;
}

static void fill_lines(rcw_metrics *m, uint64_t matched)
{
  assert_int_equal(rcw_metrics_family(m, "rcwatch_lines_total", RCW_PROM_COUNTER, "Lines read.",
                                      RCW_METRICS_LABELS("source", "result"), 2), 0);
  assert_int_equal(rcw_metrics_sample_u64(m, RCW_METRICS_LABELS("api", "matched"), matched), 0);
}

static void test_server_routes(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  int port = rcw_metrics_port(m);
  struct http_reply r;

  http(port, "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_true(header_is(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8"));
  assert_non_null(strstr(r.body, "rcwatch_metrics_series_dropped_total 0\n"));
  assert_null(strstr(r.body, "rcwatch_lines_total"));
  free(r.head);

  fill_lines(m, 12);
  assert_int_equal(rcw_metrics_commit(m), 0);
  http(port, "GET", "/metrics?x=1", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\nrcwatch_lines_total{source=\"api\",result=\"matched\"} 12\n"));
  size_t full = r.body_len;
  free(r.head);

  http(port, "HEAD", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  assert_true(header_is(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8"));
  const char *cl = header(&r, "Content-Length");
  assert_non_null(cl);
  assert_int_equal(strtoul(cl, NULL, 10), full);
  free(r.head);

  http(port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok\n");
  free(r.head);

  http(port, "GET", "/", &r);
  assert_int_equal(r.status, 404);
  free(r.head);
  http(port, "GET", "/metricsx", &r);
  assert_int_equal(r.status, 404);
  free(r.head);

  http(port, "POST", "/metrics", &r);
  assert_int_equal(r.status, 405);
  assert_true(header_is(&r, "Allow", "GET, HEAD"));
  free(r.head);
  http(port, "DELETE", "/healthz", &r);
  assert_int_equal(r.status, 405);
  free(r.head);
  rcw_metrics_close(m);
}

static void test_server_reserved_names(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  fill_lines(m, 1);
  assert_int_equal(rcw_metrics_family(m, "rcwatch_metrics_series_dropped_total", RCW_PROM_COUNTER,
                                      "Mine.", NULL, 0), -EINVAL);
  /* not added to the family selected before */
  assert_int_equal(rcw_metrics_sample_u64(m, RCW_METRICS_LABELS("api", "x"), 5), -EINVAL);
  assert_int_equal(rcw_metrics_commit(m), 0);
  struct http_reply r;
  http(rcw_metrics_port(m), "GET", "/metrics", &r);
  assert_null(strstr(r.body, "result=\"x\""));
  assert_non_null(strstr(r.body, "# HELP rcwatch_metrics_series_dropped_total Series"));
  free(r.head);
  rcw_metrics_close(m);
}

/* Each commit replaces what the previous one published, and drops are
 * counted cumulatively in the endpoint's own counter. */
static void test_server_commit_and_drops(void **state)
{
  (void)state;
  struct rcw_metrics_options opt;
  rcw_metrics_options_default(&opt);
  opt.max_series = 2;
  rcw_metrics *m = start(&opt);
  int port = rcw_metrics_port(m);
  for (int round = 1; round <= 2; round++) {
    assert_int_equal(rcw_metrics_family(m, "g", RCW_PROM_GAUGE, "G.",
                                        RCW_METRICS_LABELS("k"), 1), 0);
    assert_int_equal(rcw_metrics_sample(m, RCW_METRICS_LABELS("a"), round), 0);
    assert_int_equal(rcw_metrics_sample(m, RCW_METRICS_LABELS("b"), round), 0);
    assert_int_equal(rcw_metrics_sample(m, RCW_METRICS_LABELS("c"), round), -E2BIG);
    assert_int_equal(rcw_metrics_commit(m), 0);
    struct http_reply r;
    http(port, "GET", "/metrics", &r);
    char want[128];
    snprintf(want, sizeof(want), "g{k=\"a\"} %d\ng{k=\"b\"} %d\n", round, round);
    assert_non_null(strstr(r.body, want));
    snprintf(want, sizeof(want), "\nrcwatch_metrics_series_dropped_total %d\n", round);
    assert_non_null(strstr(r.body, want));
    free(r.head);
  }
  /* an empty commit publishes an empty registry */
  assert_int_equal(rcw_metrics_commit(m), 0);
  struct http_reply r;
  http(port, "GET", "/metrics", &r);
  assert_null(strstr(r.body, "g{"));
  free(r.head);
  rcw_metrics_close(m);
}

/* With every family slot taken by the daemon, snapshots still go out,
 * only without the endpoint's own counter. */
static void test_server_family_cap(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  char name[32];
  for (int i = 0; i < RCW_PROMTEXT_MAX_FAMILIES; i++) {
    snprintf(name, sizeof(name), "f%03d", i);
    assert_int_equal(rcw_metrics_family(m, name, RCW_PROM_GAUGE, "F.", NULL, 0), 0);
    assert_int_equal(rcw_metrics_sample(m, NULL, i), 0);
  }
  assert_int_equal(rcw_metrics_commit(m), 0);
  struct http_reply r;
  http(rcw_metrics_port(m), "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(count_lines(r.body, r.body_len, "# TYPE "), RCW_PROMTEXT_MAX_FAMILIES);
  assert_non_null(strstr(r.body, "\nf255 255\n"));
  assert_null(strstr(r.body, "rcwatch_metrics_"));
  free(r.head);
  rcw_metrics_close(m);
}

static void test_server_heartbeat(void **state)
{
  (void)state;
  struct rcw_metrics_options opt;
  rcw_metrics_options_default(&opt);
  opt.clock_ms = fake_clock;
  atomic_store(&fake_now, 1000000);
  rcw_metrics *m = start(&opt);
  int port = rcw_metrics_port(m);
  struct http_reply r;

  atomic_store(&fake_now, 1000000 + opt.stale_ms); /* at the limit: still fine */
  http(port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 200);
  free(r.head);

  atomic_store(&fake_now, 1000000 + opt.stale_ms + 1);
  http(port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 503);
  assert_non_null(strstr(r.body, "10001 ms"));
  free(r.head);
  /* /metrics still serves the last snapshot meanwhile */
  http(port, "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  free(r.head);

  rcw_metrics_heartbeat(m);
  http(port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 200);
  free(r.head);
  rcw_metrics_close(m);
}

static void test_server_address_errors(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  struct rcw_metrics_spec taken = {NULL, "127.0.0.1", rcw_metrics_port(m)};
  rcw_metrics *m2 = NULL;
  assert_int_equal(rcw_metrics_new(&taken, NULL, &m2), -EADDRINUSE);
  assert_null(m2);
  struct rcw_metrics_spec bad = {NULL, "example.com", 0};
  assert_int_equal(rcw_metrics_new(&bad, NULL, &m2), -EINVAL);
  struct rcw_metrics_spec badport = {NULL, "127.0.0.1", 70000};
  assert_int_equal(rcw_metrics_new(&badport, NULL, &m2), -EINVAL);
  rcw_metrics_close(m);
  rcw_metrics_close(NULL);
}

static void test_server_ipv6(void **state)
{
  (void)state;
  struct rcw_metrics_spec spec = {NULL, "::1", 0};
  rcw_metrics *m = NULL;
  int r = rcw_metrics_new(&spec, NULL, &m);
  if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT)
    skip();
  assert_int_equal(r, 0);
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                           .sin6_port = htons((uint16_t)rcw_metrics_port(m))};
  a.sin6_addr = in6addr_loopback;
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  struct http_reply rep;
  read_reply(fd, &rep);
  assert_int_equal(rep.status, 200);
  free(rep.head);
  close(fd);
  rcw_metrics_close(m);
}

/* Clients that send half a request line and stall hold their slots, yet
 * a scrape next to them is answered at once, and the loop side (commit)
 * is never held up by them. */
static void test_server_slowloris(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  int port = rcw_metrics_port(m);
  enum { STALLED = 20 };
  int fds[STALLED];
  for (int i = 0; i < STALLED; i++) {
    fds[i] = connect_to(port);
    send_all(fds[i], "GET /metr");
  }
  for (int round = 1; round <= 5; round++) {
    int64_t t0 = mono_ms();
    fill_lines(m, (uint64_t)round);
    assert_int_equal(rcw_metrics_commit(m), 0);
    struct http_reply r;
    http(port, "GET", "/metrics", &r);
    int64_t took = mono_ms() - t0;
    assert_int_equal(r.status, 200);
    char want[96];
    snprintf(want, sizeof(want), "result=\"matched\"} %d\n", round);
    assert_non_null(strstr(r.body, want));
    free(r.head);
    assert_true(took < 1000);
  }
  /* the stalled connections are still open, not answered */
  for (int i = 0; i < STALLED; i++) {
    struct pollfd pfd = {fds[i], POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 0), 0);
    close(fds[i]);
  }
  rcw_metrics_close(m);
}

/* One GET /healthz; false when the connection is refused or cut. */
static bool healthz_answers(int port)
{
  int fd = connect_to(port);
  send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  char reply[64];
  ssize_t n = recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL);
  close(fd);
  if (n <= 0)
    return false;
  reply[n] = '\0';
  return strncmp(reply, "HTTP/1.1 200", 12) == 0;
}

/* A stalled client is cut after the idle timeout, and one address cannot
 * take more than its share of connections. */
static void test_server_limits(void **state)
{
  (void)state;
  struct rcw_metrics_options opt;
  rcw_metrics_options_default(&opt);
  opt.timeout_s = 1;
  opt.per_ip_limit = 2;
  rcw_metrics *m = start(&opt);
  int port = rcw_metrics_port(m);
  int a = connect_to(port), b = connect_to(port);
  send_all(a, "GET /metr");
  send_all(b, "GET /metr");
  /* the third from the same address is closed unanswered */
  int c = connect_to(port);
  char byte;
  assert_int_equal(recv(c, &byte, 1, 0), 0);
  close(c);
  int64_t t0 = mono_ms();
  assert_true(recv(a, &byte, 1, 0) <= 0); /* closed by the server */
  int64_t took = mono_ms() - t0;
  assert_true(took >= 500 && took < 4000);
  assert_true(recv(b, &byte, 1, 0) <= 0);
  close(a);
  close(b);
  /* The slots come free once the server thread has cleaned up after the
   * closed connections, which it does on its own time. */
  bool answered = false;
  for (int i = 0; i < 100 && !answered; i++) {
    answered = healthz_answers(port);
    if (!answered)
      nanosleep(&(struct timespec){0, 20000000}, NULL);
  }
  assert_true(answered);
  rcw_metrics_close(m);
}

/* A scrape that started before a commit gets the whole old snapshot,
 * although the snapshot is replaced while the response is being sent: the
 * body (8 MB) is more than the server's send buffer and the client's small
 * receive window can hold. */
static void test_server_snapshot_outlives_commit(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  int port = rcw_metrics_port(m);
  enum { SERIES = 8000, KEY = 1000 };
  assert_int_equal(rcw_metrics_family(m, "big", RCW_PROM_GAUGE, "Big.",
                                      RCW_METRICS_LABELS("k"), 1), 0);
  char *key = malloc(KEY + 1);
  memset(key, 'k', KEY);
  key[KEY] = '\0';
  for (int i = 0; i < SERIES; i++) {
    snprintf(key, 16, "%05d", i);
    key[5] = '-';
    assert_int_equal(rcw_metrics_sample(m, RCW_METRICS_LABELS(key), i), 0);
  }
  free(key);
  assert_int_equal(rcw_metrics_commit(m), 0);

  int fd = connect_rcvbuf(port, 4096);
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  char first[1024];
  assert_int_equal(recv(fd, first, sizeof(first), MSG_WAITALL), (ssize_t)sizeof(first));
  for (int round = 0; round < 3; round++) {
    fill_lines(m, 1);
    assert_int_equal(rcw_metrics_commit(m), 0);
  }
  int large = 1 << 20; /* the rest at full speed */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &large, sizeof(large));
  struct http_reply r;
  read_reply_after(fd, first, sizeof(first), &r);
  close(fd);
  assert_int_equal(r.status, 200);
  assert_int_equal(strtoul(header(&r, "Content-Length"), NULL, 10), r.body_len);
  assert_int_equal(count_lines(r.body, r.body_len, "big{"), SERIES);
  assert_null(strstr(r.body, "rcwatch_lines_total"));
  free(r.head);

  http(port, "GET", "/metrics", &r);
  assert_null(strstr(r.body, "big{"));
  assert_non_null(strstr(r.body, "rcwatch_lines_total"));
  free(r.head);
  rcw_metrics_close(m);
}

/* --- promtool on a snapshot with every family of CONTRACT §5 ---------- */

static void fill_contract_families(rcw_metrics *m)
{
  const char *nasty = "we\"ird\\src\nname\xFF\xC3";
  const char *sources[] = {"issuer-api", nasty};
  rcw_metrics_family(m, "rcwatch_responses_total", RCW_PROM_COUNTER,
                     "Responses seen, by source, code and category.",
                     RCW_METRICS_LABELS("source", "code", "category"), 3);
  for (size_t i = 0; i < 2; i++) {
    rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(sources[i], "-1", "success"), 9007199254740993u);
    rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(sources[i], "1001", "auth"), 17);
    rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(sources[i], "http_502", "transport"), 2);
  }
  rcw_metrics_family(m, "rcwatch_lines_total", RCW_PROM_COUNTER,
                     "Log lines read, by source and result (matched or unmatched).",
                     RCW_METRICS_LABELS("source", "result"), 2);
  rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(nasty, "matched"), 100);
  rcw_metrics_sample_u64(m, RCW_METRICS_LABELS(nasty, "unmatched"), 3);
  rcw_metrics_family(m, "rcwatch_failure_ratio", RCW_PROM_GAUGE,
                     "Failures over requests in a rolling window.",
                     RCW_METRICS_LABELS("scope", "key", "window"), 3);
  rcw_metrics_sample(m, RCW_METRICS_LABELS("total", "", "5m"), 1.0 / 3);
  rcw_metrics_sample(m, RCW_METRICS_LABELS("category", "auth", "1m"), 0.083);
  rcw_metrics_sample(m, RCW_METRICS_LABELS("dimension", "camp\"\xE2\x82", "1h"), NAN);
  rcw_metrics_family(m, "rcwatch_alert_firing", RCW_PROM_GAUGE,
                     "1 while the rule fires for the key, else 0.",
                     RCW_METRICS_LABELS("rule", "key"), 2);
  rcw_metrics_sample(m, RCW_METRICS_LABELS("auth-failures", "auth"), 1);
  rcw_metrics_family(m, "rcwatch_file_rotations_total", RCW_PROM_COUNTER,
                     "Watched files replaced by rotation.", RCW_METRICS_LABELS("source"), 1);
  rcw_metrics_sample_u64(m, RCW_METRICS_LABELS("issuer-api"), 4);
  rcw_metrics_family(m, "rcwatch_file_truncations_total", RCW_PROM_COUNTER,
                     "Watched files truncated in place (copytruncate).",
                     RCW_METRICS_LABELS("source"), 1);
  rcw_metrics_sample_u64(m, RCW_METRICS_LABELS("issuer-api"), 0);
}

static char *find_promtool(void)
{
  const char *path = getenv("PATH");
  if (!path)
    return NULL;
  char *copy = strdup(path), *save = NULL, *found = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
    char cand[4096];
    snprintf(cand, sizeof(cand), "%s/promtool", dir);
    if (access(cand, X_OK) == 0)
      found = strdup(cand);
  }
  free(copy);
  return found;
}

static void test_promtool(void **state)
{
  (void)state;
  rcw_metrics *m = start(NULL);
  fill_contract_families(m);
  assert_int_equal(rcw_metrics_commit(m), 0);
  struct http_reply r;
  http(rcw_metrics_port(m), "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  rcw_metrics_close(m);
  assert_non_null(strstr(r.body, "\"issuer-api\",code=\"-1\",category=\"success\"} "
                                 "9007199254740993\n"));
  assert_non_null(strstr(r.body, "source=\"we\\\"ird\\\\src\\nname" FFFD FFFD "\""));
  assert_non_null(strstr(r.body, "{scope=\"total\",key=\"\",window=\"5m\"} 0.3333333333333333\n"));

  char *promtool = find_promtool();
  if (!promtool) {
    free(r.head);
    skip();
  }
  char path[] = "/tmp/rcw-test-metrics-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, r.body, r.body_len), (ssize_t)r.body_len);
  close(fd);
  char cmd[8192];
  snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s'", promtool, path);
  int status = system(cmd);
  unlink(path);
  free(promtool);
  free(r.head);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_names),
    cmocka_unit_test(test_label_escaping),
    cmocka_unit_test(test_label_invalid_utf8),
    cmocka_unit_test(test_label_value_cap),
    cmocka_unit_test(test_help_escaping),
    cmocka_unit_test(test_values),
    cmocka_unit_test(test_render_sorted),
    cmocka_unit_test(test_family_errors),
    cmocka_unit_test(test_family_cap),
    cmocka_unit_test(test_series_cap),
    cmocka_unit_test(test_duplicate_series),
    cmocka_unit_test(test_server_routes),
    cmocka_unit_test(test_server_reserved_names),
    cmocka_unit_test(test_server_commit_and_drops),
    cmocka_unit_test(test_server_family_cap),
    cmocka_unit_test(test_server_heartbeat),
    cmocka_unit_test(test_server_address_errors),
    cmocka_unit_test(test_server_ipv6),
    cmocka_unit_test(test_server_slowloris),
    cmocka_unit_test(test_server_limits),
    cmocka_unit_test(test_server_snapshot_outlives_commit),
    cmocka_unit_test(test_promtool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
