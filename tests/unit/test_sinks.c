/* The alert sinks on a real libuv loop: what reaches the log, the file and
 * a child process, how failures are retried, bounded and counted, and that
 * text from a log line is never interpreted on the way.  Every wait is
 * bounded by a deadline timer; nothing sleeps for a fixed time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "alert.h"
#include "jsonread.h"
#include "sink_impl.h"
#include "sinks.h"

/* A key as hostile as a log line can make it: if any of this reached a
 * shell, the marker files would appear. */
#define EVIL_KEY_FMT                                                         \
  "$(touch %s/pwned1); rm -rf \"$HOME\"; `touch %s/pwned2`; | & > < * ? ~ "  \
  "'quoted' \\ \n second line"

struct fx {
  uv_loop_t loop;
  char dir[64];
  struct rcw_sink_spec specs[8];
  struct rcw_config cfg;
  rcw_sinks *s;
  char *capture_path;
  int saved_stderr;
};

/* --- helpers -------------------------------------------------------------- */

static void deadline_cb(uv_timer_t *t)
{
  *(bool *)t->data = true;
}

static void poll_cb(uv_timer_t *t)
{
}

/* Run the loop until pred holds or max_ms pass; returns pred.  A 10 ms
 * tick wakes the loop for predicates on things outside it (files a child
 * writes, processes dying). */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, uint64_t max_ms)
{
  uv_timer_t deadline, tick;
  bool expired = false;
  uv_timer_init(loop, &deadline);
  uv_timer_init(loop, &tick);
  deadline.data = &expired;
  uv_timer_start(&deadline, deadline_cb, max_ms, 0);
  uv_timer_start(&tick, poll_cb, 10, 10);
  while (!pred(arg) && !expired)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&deadline, NULL);
  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return pred(arg);
}

struct want {
  rcw_sinks *s;
  size_t i;
  size_t off; /* offsetof a uint64_t in struct rcw_sink_stats */
  uint64_t n;
};

static bool want_cb(void *arg)
{
  struct want *w = arg;
  struct rcw_sink_stats st;
  rcw_sinks_stats(w->s, w->i, &st);
  return *(uint64_t *)((char *)&st + w->off) >= w->n;
}

#define WAIT_STAT(f, idx, field, count, ms)                                     \
  do {                                                                          \
    struct want w_ = {(f)->s, (idx), offsetof(struct rcw_sink_stats, field), (count)}; \
    assert_true(run_until(&(f)->loop, want_cb, &w_, (ms)));                     \
  } while (0)

static struct rcw_sink_stats stats(struct fx *f, size_t i)
{
  struct rcw_sink_stats st;
  rcw_sinks_stats(f->s, i, &st);
  return st;
}

static bool flag_cb(void *arg)
{
  return *(bool *)arg;
}

static void set_flag_cb(void *arg)
{
  *(bool *)arg = true;
}

static void close_sinks(struct fx *f, int64_t grace_ms)
{
  bool done = false;
  rcw_sinks_close(f->s, grace_ms, set_flag_cb, &done);
  assert_false(done); /* never from inside rcw_sinks_close */
  f->s = NULL;
  assert_true(run_until(&f->loop, flag_cb, &done, 10000));
}

static void new_sinks(struct fx *f)
{
  assert_int_equal(rcw_sinks_new(&f->loop, &f->cfg, &f->s), 0);
  assert_int_equal(rcw_sinks_count(f->s), f->cfg.nsinks);
}

static struct rcw_sink_spec *add_spec(struct fx *f, enum rcw_sink_type type)
{
  struct rcw_sink_spec *sp = &f->specs[f->cfg.nsinks++];
  memset(sp, 0, sizeof(*sp));
  sp->type = type;
  sp->loc.file = "test.yaml";
  sp->loc.line = (int)f->cfg.nsinks;
  sp->loc.column = 5;
  return sp;
}

static char *path_in(struct fx *f, const char *name)
{
  char *p;
  assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
  return p;
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

static char *slurp(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  size_t cap = 4096, n = 0;
  char *data = malloc(cap + 1);
  size_t got;
  while ((got = fread(data + n, 1, cap - n, fp)) > 0) {
    n += got;
    if (n == cap)
      data = realloc(data, (cap *= 2) + 1);
  }
  fclose(fp);
  data[n] = '\0';
  if (len)
    *len = n;
  return data;
}

/* Parse every line of path as JSON; each must be an alert.  Returns the
 * number of lines, fails the test on a torn or invalid one. */
static size_t check_json_lines(const char *path, const char **rules, size_t nrules)
{
  size_t len = 0, n = 0;
  char *data = slurp(path, &len);
  assert_non_null(data);
  if (len > 0)
    assert_int_equal(data[len - 1], '\n');
  for (char *p = data, *nl; p < data + len; p = nl + 1, n++) {
    nl = memchr(p, '\n', (size_t)(data + len - p));
    assert_non_null(nl);
    rcw_jdoc *doc = NULL;
    assert_int_equal(rcw_jread_parse(p, (size_t)(nl - p), NULL, &doc, NULL), 0);
    const struct rcw_jval *rule = rcw_jval_get(rcw_jdoc_root(doc), "rule");
    assert_non_null(rule);
    assert_non_null(rcw_jval_get(rcw_jdoc_root(doc), "key"));
    if (n < nrules)
      assert_string_equal(rule->u.str.s, rules[n]);
    rcw_jdoc_free(doc);
  }
  free(data);
  return n;
}

static void capture_begin(struct fx *f)
{
  f->capture_path = path_in(f, "stderr.txt");
  fflush(stderr);
  f->saved_stderr = dup(2);
  int fd = open(f->capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  dup2(fd, 2);
  close(fd);
}

/* Stop capturing; returns what was written to stderr meanwhile. */
static char *capture_end(struct fx *f)
{
  fflush(stderr);
  dup2(f->saved_stderr, 2);
  close(f->saved_stderr);
  char *text = slurp(f->capture_path, NULL);
  assert_non_null(text);
  free(f->capture_path);
  f->capture_path = NULL;
  return text;
}

static size_t count_lines(const char *text)
{
  size_t n = 0;
  for (; *text; text++)
    n += *text == '\n';
  return n;
}

static bool gone(pid_t pid)
{
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *fp = fopen(path, "r");
  if (!fp)
    return kill(pid, 0) < 0 && errno == ESRCH;
  size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  /* A killed grandchild is reparented; until its new parent reaps it, it
   * is a zombie: dead all the same. */
  char *close_paren = strrchr(buf, ')');
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

static bool pid_gone_cb(void *arg)
{
  return gone(*(pid_t *)arg);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd >= 0) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_APPEND_FL)) {
      flags &= ~FS_APPEND_FL;
      ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    close(fd);
  }
  chmod(path, 0700);
  return remove(path);
}

/* --- fixture ------------------------------------------------------------- */

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  strcpy(f->dir, "/tmp/rcw-sinks-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  f->cfg.path = "test.yaml";
  f->cfg.sinks = f->specs;
  f->cfg.limits.exec_children = 8;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  if (f->capture_path) /* a failed test left stderr captured */
    free(capture_end(f));
  if (f->s)
    close_sinks(f, 0);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle was closed */
  nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  for (size_t i = 0; i < f->cfg.nsinks; i++) {
    free(f->specs[i].path);
    for (size_t k = 0; k < f->specs[i].ncommand; k++)
      free(f->specs[i].command[k]);
    free(f->specs[i].command);
  }
  free(f);
  return 0;
}

static void set_command(struct rcw_sink_spec *sp, const char *const *argv)
{
  size_t n = 0;
  while (argv[n])
    n++;
  sp->command = calloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    sp->command[i] = strdup(argv[i]);
  sp->ncommand = n;
}

/* --- escaping and the log sink -------------------------------------------- */

static void test_escape(void **state)
{
  struct rcw_buf b = RCW_BUF_INIT;
  const char in[] = "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\ \n\t\x1b[31m \xc2\x9b \xff\xc3 \x7f";
  rcw_sink_escape(&b, in, sizeof(in) - 1);
  assert_string_equal(b.data, "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\\\ \\n\\t\\x1b[31m "
                              "\\xc2\\x9b \\xff\\xc3 \\x7f");
  rcw_buf_reset(&b);
  rcw_sink_escape(&b, "\xe0\x80\xaf \xed\xa0\x80", 7); /* overlong, surrogate */
  assert_string_equal(b.data, "\\xe0\\x80\\xaf \\xed\\xa0\\x80");
  rcw_buf_free(&b);
}

static void test_log_format(void **state)
{
  struct fx *f = *state;
  add_spec(f, RCW_SINK_LOG);
  new_sinks(f);
  struct rcw_alert a = alert_of("auth-failures", "auth");
  capture_begin(f);
  rcw_sinks_send(f->s, &a);
  a.state = RCW_ALERT_RESOLVED;
  a.value = 0.005;
  a.threshold = 0.01;
  a.failures = 6;
  rcw_sinks_send(f->s, &a);
  struct rcw_alert c = alert_of("stock-1204", "1204\n2026-01-01 fake: alert resolved\x1b[2J");
  c.scope = RCW_SCOPE_CODE;
  c.metric = RCW_METRIC_COUNT;
  c.value = 120;
  c.threshold = 100;
  c.severity = RCW_SEV_WARNING;
  c.window_ms = 60000;
  rcw_sinks_send(f->s, &c);
  char *text = capture_end(f);
  assert_int_equal(count_lines(text), 3);
  assert_non_null(strstr(text, "notice: alert firing: rule=auth-failures key=auth "
                               "severity=critical failure_rate=8.30% > 2.00% over 5m "
                               "(100/1200)\n"));
  assert_non_null(strstr(text, "notice: alert resolved: rule=auth-failures key=auth "
                               "severity=critical failure_rate=0.50% <= 1.00% over 5m "
                               "(6/1200)\n"));
  assert_non_null(strstr(text, "notice: alert firing: rule=stock-1204 "
                               "key=1204\\n2026-01-01 fake: alert resolved\\x1b[2J "
                               "severity=warning count=120 > 100 over 1m (100/1200)\n"));
  free(text);
  assert_int_equal(stats(f, 0).sent, 3);
  assert_string_equal(stats(f, 0).type, "log");
}

/* --- the file sink --------------------------------------------------------- */

static struct rcw_sink_spec *add_file(struct fx *f, const char *name)
{
  struct rcw_sink_spec *sp = add_spec(f, RCW_SINK_FILE);
  sp->path = path_in(f, name);
  return sp;
}

static void test_file_json_lines(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  new_sinks(f);
  const char *keys[] = {"auth", "quote\" back\\ nl\n tab\t esc\x1b bad\xff\xfe", "\xc3\xa9t\xc3\xa9"};
  const char *rules[] = {"r1", "r2", "r3"};
  for (size_t i = 0; i < 3; i++) {
    struct rcw_alert a = alert_of(rules[i], keys[i]);
    rcw_sinks_send(f->s, &a);
  }
  assert_int_equal(stats(f, 0).sent, 3);
  assert_int_equal(check_json_lines(sp->path, rules, 3), 3);

  /* The escaped key reads back as what was sent (invalid bytes aside). */
  char *data = slurp(sp->path, NULL);
  char *second = strchr(data, '\n') + 1;
  rcw_jdoc *doc = NULL;
  assert_int_equal(rcw_jread_parse(second, strcspn(second, "\n"), NULL, &doc, NULL), 0);
  const char *key = rcw_jval_get(rcw_jdoc_root(doc), "key")->u.str.s;
  const char *prefix = "quote\" back\\ nl\n tab\t esc\x1b bad";
  assert_memory_equal(key, prefix, strlen(prefix));
  assert_string_equal(key + strlen(prefix), "\xef\xbf\xbd\xef\xbf\xbd"); /* U+FFFD x2 */
  rcw_jdoc_free(doc);
  free(data);

  struct stat st;
  assert_int_equal(stat(sp->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640); /* umask 022 */
}

static void test_file_reopens_after_rotation(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  char *rotated = path_in(f, "alerts.jsonl.1");
  new_sinks(f);
  struct rcw_alert a = alert_of("before", "auth");
  rcw_sinks_send(f->s, &a);
  assert_int_equal(rename(sp->path, rotated), 0); /* logrotate's move */
  int fd = open(sp->path, O_WRONLY | O_CREAT | O_EXCL, 0640); /* and `create` */
  assert_true(fd >= 0);
  close(fd);
  a.rule = "after";
  rcw_sinks_send(f->s, &a);
  const char *before[] = {"before"}, *after[] = {"after"};
  assert_int_equal(check_json_lines(rotated, before, 1), 1);
  assert_int_equal(check_json_lines(sp->path, after, 1), 1);

  assert_int_equal(unlink(sp->path), 0); /* removed outright */
  a.rule = "recreated";
  rcw_sinks_send(f->s, &a);
  const char *recreated[] = {"recreated"};
  assert_int_equal(check_json_lines(sp->path, recreated, 1), 1);
  assert_int_equal(stats(f, 0).sent, 3);
  assert_int_equal(stats(f, 0).failed, 0);
  free(rotated);
}

/* The path is taken by a directory: every open fails (even for root,
 * which a read-only directory would not stop). */
static void test_file_retries_after_failure(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  new_sinks(f);
  assert_int_equal(unlink(sp->path), 0);
  assert_int_equal(mkdir(sp->path, 0700), 0);
  struct rcw_alert a = alert_of("r1", "auth");
  rcw_sinks_send(f->s, &a);
  a.rule = "r2";
  rcw_sinks_send(f->s, &a);
  struct rcw_sink_stats st = stats(f, 0);
  assert_int_equal(st.sent, 0);
  assert_int_equal(st.queued, 2);
  assert_true(st.failed >= 2);

  /* The retry timer writes them once the path is usable, in order. */
  assert_int_equal(rmdir(sp->path), 0);
  WAIT_STAT(f, 0, sent, 2, 5000);
  st = stats(f, 0);
  assert_int_equal(st.queued, 0);
  assert_true(st.retried >= 1);
  const char *order[] = {"r1", "r2", "r3", "r4"};
  assert_int_equal(check_json_lines(sp->path, order, 2), 2);

  /* A new alert flushes the queue at once, without waiting for a timer. */
  char *moved = path_in(f, "moved.jsonl");
  assert_int_equal(rename(sp->path, moved), 0);
  assert_int_equal(mkdir(sp->path, 0700), 0);
  a.rule = "r3";
  rcw_sinks_send(f->s, &a);
  assert_int_equal(stats(f, 0).queued, 1);
  assert_int_equal(rmdir(sp->path), 0);
  a.rule = "r4";
  rcw_sinks_send(f->s, &a);
  assert_int_equal(stats(f, 0).queued, 0);
  assert_int_equal(stats(f, 0).sent, 4);
  assert_int_equal(check_json_lines(sp->path, order + 2, 2), 2);
  free(moved);
}

static void set_fsize_limit(rlim_t soft)
{
  struct rlimit rl;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
  rl.rlim_cur = soft;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static off_t file_size(const char *path)
{
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_size;
}

/* A file size limit makes the kernel take only part of a line (as a full
 * disk does): the part must not stay in the file. */
static void test_file_short_write_truncated(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  new_sinks(f);
  struct rcw_alert a = alert_of("r1", "auth");
  rcw_sinks_send(f->s, &a);
  off_t whole = file_size(sp->path);
  signal(SIGXFSZ, SIG_IGN);
  set_fsize_limit((rlim_t)whole + 40);
  a.rule = "r2";
  rcw_sinks_send(f->s, &a);
  set_fsize_limit(RLIM_INFINITY);
  assert_int_equal(file_size(sp->path), whole); /* the 40 bytes were cut */
  assert_int_equal(stats(f, 0).queued, 1);
  assert_int_equal(stats(f, 0).failed, 1);
  WAIT_STAT(f, 0, sent, 2, 5000);
  const char *order[] = {"r1", "r2"};
  assert_int_equal(check_json_lines(sp->path, order, 2), 2);
}

/* When even ftruncate fails (an append-only inode), the fragment is
 * completed by the retry: the file still ends up with whole lines only. */
static void test_file_short_write_completed(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  new_sinks(f);
  struct rcw_alert a = alert_of("r1", "auth");
  rcw_sinks_send(f->s, &a);
  int fd = open(sp->path, O_RDONLY);
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
      (flags |= FS_APPEND_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags)) < 0) {
    close(fd);
    skip(); /* no chattr +a here (filesystem or capability) */
  }
  close(fd);
  off_t whole = file_size(sp->path);
  signal(SIGXFSZ, SIG_IGN);
  set_fsize_limit((rlim_t)whole + 40);
  a.rule = "r2";
  rcw_sinks_send(f->s, &a);
  set_fsize_limit(RLIM_INFINITY);
  assert_int_equal(file_size(sp->path), whole + 40); /* could not be cut */
  WAIT_STAT(f, 0, sent, 2, 5000);
  const char *order[] = {"r1", "r2"};
  assert_int_equal(check_json_lines(sp->path, order, 2), 2);
}

static void test_file_queue_bounded(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  assert_int_equal(mkdir(sp->path, 0700), 0);
  capture_begin(f);
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  for (int i = 0; i < 1005; i++)
    rcw_sinks_send(f->s, &a);
  struct rcw_sink_stats st = stats(f, 0);
  close_sinks(f, 0);
  char *text = capture_end(f);
  assert_int_equal(st.queued, 1000);
  assert_int_equal(st.dropped, 5);
  /* One complaint a minute, whatever the number of alerts, plus the final
   * word at stop. */
  assert_int_equal(count_lines(text), 2);
  assert_non_null(strstr(text, "file sink "));
  assert_non_null(strstr(text, "stopping with 1000 alerts not written"));
  free(text);
}

/* --- the exec sink --------------------------------------------------------- */

static struct rcw_sink_spec *add_exec(struct fx *f, const char *const *argv, int64_t timeout)
{
  struct rcw_sink_spec *sp = add_spec(f, RCW_SINK_EXEC);
  set_command(sp, argv);
  sp->timeout_ms = timeout;
  return sp;
}

/* NUL-separated `env -0` output: the value of name, or NULL; also counts
 * how often name occurs. */
static const char *env_lookup(const char *data, size_t len, const char *name, int *count)
{
  const char *found = NULL;
  size_t n = strlen(name);
  *count = 0;
  for (const char *p = data; p < data + len; p += strlen(p) + 1)
    if (strncmp(p, name, n) == 0 && p[n] == '=') {
      found = p + n + 1;
      (*count)++;
    }
  return found;
}

static void expect_env(const char *data, size_t len, const char *name, const char *value)
{
  int count;
  const char *got = env_lookup(data, len, name, &count);
  assert_non_null(got);
  assert_int_equal(count, 1);
  assert_string_equal(got, value);
}

static void test_exec_stdin_and_env(void **state)
{
  struct fx *f = *state;
  char *in_path = path_in(f, "stdin.json"), *env_path = path_in(f, "env.bin");
  const char *argv[] = {"/bin/sh", "-c", "cat > \"$1\"; env -0 > \"$2\"", "sh", in_path,
                        env_path, NULL};
  add_exec(f, argv, 5000);
  new_sinks(f);
  char *key;
  assert_true(asprintf(&key, EVIL_KEY_FMT, f->dir, f->dir) > 0);
  setenv("RCWATCH_KEY", "inherited stale value", 1);
  setenv("RCW_TEST_INHERITED", "yes", 1);
  struct rcw_alert a = alert_of("auth-failures", key);
  a.description = "desc with $PATH and \"quotes\"";
  rcw_sinks_send(f->s, &a);
  unsetenv("RCWATCH_KEY");
  WAIT_STAT(f, 0, sent, 1, 5000);

  struct rcw_buf want = RCW_BUF_INIT;
  rcw_sink_alert_line(&a, &want);
  char *got = slurp(in_path, NULL);
  assert_string_equal(got, want.data);
  free(got);
  rcw_buf_free(&want);

  size_t len = 0;
  char *env = slurp(env_path, &len);
  assert_non_null(env);
  expect_env(env, len, "RCWATCH_STATE", "firing");
  expect_env(env, len, "RCWATCH_RULE", "auth-failures");
  expect_env(env, len, "RCWATCH_SEVERITY", "critical");
  expect_env(env, len, "RCWATCH_SCOPE", "category");
  expect_env(env, len, "RCWATCH_KEY", key);
  expect_env(env, len, "RCWATCH_WINDOW", "5m");
  expect_env(env, len, "RCWATCH_METRIC", "failure_rate");
  expect_env(env, len, "RCWATCH_VALUE", "0.083");
  expect_env(env, len, "RCWATCH_THRESHOLD", "0.02");
  expect_env(env, len, "RCWATCH_REQUESTS", "1200");
  expect_env(env, len, "RCWATCH_FAILURES", "100");
  expect_env(env, len, "RCWATCH_AT", "2026-12-04T10:03:00.000Z");
  expect_env(env, len, "RCWATCH_DESCRIPTION", "desc with $PATH and \"quotes\"");
  expect_env(env, len, "RCW_TEST_INHERITED", "yes");
  free(env);
  unsetenv("RCW_TEST_INHERITED");

  char *pwned1 = path_in(f, "pwned1"), *pwned2 = path_in(f, "pwned2");
  assert_int_equal(access(pwned1, F_OK), -1);
  assert_int_equal(access(pwned2, F_OK), -1);
  assert_int_equal(stats(f, 0).failed, 0);
  free(pwned1);
  free(pwned2);
  free(key);
  free(in_path);
  free(env_path);
}

static void test_exec_timeout_kills_group(void **state)
{
  struct fx *f = *state;
  char *pids = path_in(f, "pids");
  const char *argv[] = {"/bin/sh", "-c", "sleep 60 & echo $! > \"$1\"; echo $$ >> \"$1\"; "
                        "exec sleep 60", "sh", pids, NULL};
  add_exec(f, argv, 500);
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  capture_begin(f);
  rcw_sinks_send(f->s, &a);
  WAIT_STAT(f, 0, failed, 1, 5000);
  char *text = capture_end(f);
  assert_non_null(strstr(text, "exec sink /bin/sh: timed out after 500 ms, killed"));
  free(text);
  struct rcw_sink_stats st = stats(f, 0);
  assert_int_equal(st.timeouts, 1);
  assert_int_equal(st.sent, 0);
  assert_int_equal(st.in_flight, 0);

  int grandchild = 0, child = 0;
  FILE *fp = fopen(pids, "r");
  assert_non_null(fp);
  assert_int_equal(fscanf(fp, "%d %d", &grandchild, &child), 2);
  fclose(fp);
  pid_t g = grandchild, c = child;
  assert_true(run_until(&f->loop, pid_gone_cb, &c, 2000));
  assert_true(run_until(&f->loop, pid_gone_cb, &g, 2000));
  free(pids);
}

static bool sent_plus_failed(void *arg)
{
  struct want *w = arg;
  struct rcw_sink_stats st;
  rcw_sinks_stats(w->s, w->i, &st);
  return st.sent + st.failed >= w->n;
}

struct starts {
  const char *log;
  size_t n;
};

static bool started_cb(void *arg)
{
  struct starts *w = arg;
  char *text = slurp(w->log, NULL);
  size_t n = 0;
  for (char *p = text; p && *p; p++)
    n += *p == '+';
  free(text);
  return n >= w->n;
}

/* Children wait for a gate file; each logs when it starts and ends, so
 * the log shows how many ran at once. */
static void test_exec_concurrency_cap(void **state)
{
  struct fx *f = *state;
  char *gate = path_in(f, "gate"), *log = path_in(f, "log");
  const char *argv[] = {"/bin/sh", "-c", "echo + >> \"$2\"; while [ ! -e \"$1\" ]; do "
                        "sleep 0.02; done; echo - >> \"$2\"", "sh", gate, log, NULL};
  add_exec(f, argv, 10000);
  f->cfg.limits.exec_children = 2;
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  for (int i = 0; i < 5; i++)
    rcw_sinks_send(f->s, &a);
  struct rcw_sink_stats st = stats(f, 0);
  assert_int_equal(st.in_flight, 2);
  assert_int_equal(st.queued, 3);
  struct starts want_two = {log, 2};
  assert_true(run_until(&f->loop, started_cb, &want_two, 5000));
  assert_int_equal(stats(f, 0).queued, 3); /* the third waits for a slot */
  int fd = open(gate, O_WRONLY | O_CREAT, 0600);
  close(fd);
  struct want w = {f->s, 0, 0, 5};
  assert_true(run_until(&f->loop, sent_plus_failed, &w, 10000));
  assert_int_equal(stats(f, 0).sent, 5);
  assert_int_equal(stats(f, 0).queued, 0);
  char *text = slurp(log, NULL);
  int running = 0, most = 0, starts = 0;
  for (char *p = text; *p; p++) {
    if (*p == '+')
      running++, starts++;
    else if (*p == '-')
      running--;
    most = running > most ? running : most;
  }
  assert_int_equal(starts, 5);
  assert_int_equal(most, 2);
  free(text);
  free(gate);
  free(log);
}

/* A full queue drops new alerts; closing kills what runs and drops what
 * waits, within the grace period. */
static void test_exec_queue_bounded_and_close(void **state)
{
  struct fx *f = *state;
  const char *argv[] = {"/bin/sleep", "60", NULL};
  add_exec(f, argv, 60000);
  f->cfg.limits.exec_children = 1;
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  capture_begin(f);
  for (int i = 0; i < 104; i++)
    rcw_sinks_send(f->s, &a);
  struct rcw_sink_stats st = stats(f, 0);
  assert_int_equal(st.in_flight, 1);
  assert_int_equal(st.queued, 100);
  assert_int_equal(st.dropped, 3);
  uint64_t t0 = uv_hrtime();
  close_sinks(f, 200);
  uint64_t took_ms = (uv_hrtime() - t0) / 1000000;
  char *text = capture_end(f);
  assert_true(took_ms < 5000);
  assert_non_null(strstr(text, "stopping: killing 1 children, dropping 100 queued alerts"));
  assert_non_null(strstr(text, "exec sink /bin/sleep: killed at stop"));
  free(text);
}

static void test_exec_missing_program(void **state)
{
  struct fx *f = *state;
  const char *argv[] = {"/nonexistent/rcw-page", "--team", "payments", NULL};
  add_exec(f, argv, 1000);
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  capture_begin(f);
  rcw_sinks_send(f->s, &a);
  rcw_sinks_send(f->s, &a);
  char *text = capture_end(f);
  assert_non_null(strstr(text, "exec sink /nonexistent/rcw-page: cannot run: "
                               "no such file or directory"));
  free(text);
  struct rcw_sink_stats st = stats(f, 0);
  assert_int_equal(st.failed, 2);
  assert_int_equal(st.in_flight, 0);
}

static void test_exec_output_bounded(void **state)
{
  struct fx *f = *state;
  const char *argv[] = {"/bin/sh", "-c", "printf 'hello\\033[31m\\n' >&2; "
                        "head -c 100000 /dev/zero | tr '\\000' x; exit 3", NULL};
  add_exec(f, argv, 5000);
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  capture_begin(f);
  rcw_sinks_send(f->s, &a);
  WAIT_STAT(f, 0, failed, 1, 5000);
  char *text = capture_end(f);
  assert_int_equal(count_lines(text), 1);
  const char *head = "exec sink /bin/sh: exit 3: hello\\x1b[31m\\nxxxx";
  char *at = strstr(text, head);
  assert_non_null(at);
  at += strlen(head) - 4;
  size_t xs = strspn(at, "x");
  assert_int_equal(xs, 4096 - 11); /* 11 bytes of "hello..." kept first */
  assert_non_null(strstr(at + xs, " (95915 more bytes of output not kept)\n"));
  free(text);
  assert_int_equal(stats(f, 0).sent, 0);
}

/* A child that never reads stdin, with more JSON than a pipe holds: the
 * loop goes on, and the child is still counted when it exits. */
static void test_exec_stdin_never_read(void **state)
{
  struct fx *f = *state;
  const char *argv[] = {"/bin/sh", "-c", "exec sleep 0.3", NULL};
  add_exec(f, argv, 5000);
  new_sinks(f);
  size_t n = 60000;
  char *key = malloc(n + 1);
  memset(key, '\x01', n); /* six bytes each in JSON: ~360 KB */
  key[n] = '\0';
  struct rcw_alert a = alert_of("r", key);
  uint64_t t0 = uv_hrtime();
  rcw_sinks_send(f->s, &a);
  assert_true((uv_hrtime() - t0) / 1000000 < 200);
  free(key);
  WAIT_STAT(f, 0, sent, 1, 5000);
}

/* --- the dispatcher -------------------------------------------------------- */

static void test_fanout_with_failing_sinks(void **state)
{
  struct fx *f = *state;
  char *out = path_in(f, "exec-out");
  const char *good_argv[] = {"/bin/sh", "-c", "cat >> \"$1\"", "sh", out, NULL};
  const char *bad_argv[] = {"/nonexistent/page", NULL};
  add_spec(f, RCW_SINK_LOG);
  struct rcw_sink_spec *bad_file = add_spec(f, RCW_SINK_FILE);
  bad_file->path = path_in(f, "no/such/dir/alerts.jsonl");
  add_exec(f, bad_argv, 1000);
  struct rcw_sink_spec *good_file = add_file(f, "alerts.jsonl");
  add_exec(f, good_argv, 5000);
  capture_begin(f);
  new_sinks(f);
  struct rcw_alert a = alert_of("r1", "auth");
  rcw_sinks_send(f->s, &a);
  a.rule = "r2";
  rcw_sinks_send(f->s, &a);
  WAIT_STAT(f, 4, sent, 2, 5000);
  const char *types[] = {"log", "file", "exec", "file", "exec"};
  for (size_t i = 0; i < 5; i++)
    assert_string_equal(stats(f, i).type, types[i]);
  assert_int_equal(stats(f, 0).sent, 2);
  assert_int_equal(stats(f, 1).sent, 0);
  assert_int_equal(stats(f, 1).queued, 2);
  assert_int_equal(stats(f, 2).failed, 2);
  assert_int_equal(stats(f, 3).sent, 2);
  assert_string_equal(stats(f, 3).target, good_file->path);
  close_sinks(f, 100);
  char *text = capture_end(f);
  free(text);
  const char *order[] = {"r1", "r2"};
  assert_int_equal(check_json_lines(good_file->path, order, 2), 2);
  assert_int_equal(check_json_lines(out, NULL, 0), 2); /* two children: any order */
  free(out);
}

/* A reload builds the new set while the old one is still closing: both
 * may write the same file, and nothing is lost. */
static void test_reload_overlap(void **state)
{
  struct fx *f = *state;
  struct rcw_sink_spec *sp = add_file(f, "alerts.jsonl");
  const char *argv[] = {"/bin/sh", "-c", "exec sleep 0.2", NULL};
  add_exec(f, argv, 5000);
  new_sinks(f);
  struct rcw_alert a = alert_of("old", "auth");
  rcw_sinks_send(f->s, &a);
  rcw_sinks *old = f->s;
  new_sinks(f);
  bool old_done = false;
  rcw_sinks_close(old, 5000, set_flag_cb, &old_done);
  a.rule = "new";
  rcw_sinks_send(f->s, &a);
  assert_true(run_until(&f->loop, flag_cb, &old_done, 5000)); /* its child ran out */
  WAIT_STAT(f, 1, sent, 1, 5000);
  const char *order[] = {"old", "new"};
  assert_int_equal(check_json_lines(sp->path, order, 2), 2);
}

/* A type without a constructor (a config from a newer rcwatch, say) is
 * refused rather than silently losing alerts. */
static void test_unsupported_type_refused(void **state)
{
  struct fx *f = *state;
  add_spec(f, RCW_SINK_LOG);
  add_spec(f, (enum rcw_sink_type)(RCW_SINK_WEBHOOK + 1));
  capture_begin(f);
  assert_int_equal(rcw_sinks_new(&f->loop, &f->cfg, &f->s), -ENOTSUP);
  char *text = capture_end(f);
  assert_non_null(strstr(text, "test.yaml:2:5: alerts.sinks[1]: unknown sinks are not "
                               "supported by this build"));
  free(text);
  f->s = NULL;
}

static void test_no_sinks(void **state)
{
  struct fx *f = *state;
  new_sinks(f);
  struct rcw_alert a = alert_of("r", "auth");
  rcw_sinks_send(f->s, &a);
  close_sinks(f, 1000);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN); /* as the daemon does */
  umask(022);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_escape),
    cmocka_unit_test_setup_teardown(test_log_format, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_json_lines, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_reopens_after_rotation, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_retries_after_failure, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_short_write_truncated, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_short_write_completed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_queue_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_stdin_and_env, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_timeout_kills_group, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_concurrency_cap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_queue_bounded_and_close, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_missing_program, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_output_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_stdin_never_read, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fanout_with_failing_sinks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reload_overlap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unsupported_type_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_sinks, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
