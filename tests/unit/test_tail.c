/* The tail on a real libuv loop and real files in a temporary directory.
 * The loop runs in bounded UV_RUN_ONCE steps (a short repeating timer
 * keeps each step short) until what a test waits for has happened: no
 * sleeps, and a deadline instead of a hang when it never happens. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "parser.h"
#include "tail.h"

#define DEADLINE_MS 5000
#define MAX_LINES 200000

struct h {
  uv_loop_t loop;
  uv_timer_t tick;
  rcw_tail *t;
  char dir[64];
  struct rcw_source_spec spec[3];
  size_t nspec;
  struct rcw_tail_options opt;
  /* what the callbacks saw */
  char **lines; /* "<source>|<file name>|<line>" */
  size_t nlines;
  size_t batches;
  size_t events[RCW_TAIL_LOST + 1];
  size_t errors;
  int last_err;
  char last_err_path[256];
};

static char *path_in(struct h *h, const char *name)
{
  static char buf[4][256];
  static int which;
  char *p = buf[which++ % 4];
  snprintf(p, 256, "%s/%s", h->dir, name);
  return p;
}

static void on_line(void *ctx, size_t source, const char *path, const char *line, size_t len,
                    bool too_long)
{
  struct h *h = ctx;
  assert_true(h->nlines < MAX_LINES);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char *s;
  if (too_long)
    assert_true(asprintf(&s, "%zu|%s|<too long: %zu>", source, base, len) > 0);
  else
    assert_true(asprintf(&s, "%zu|%s|%.*s", source, base, (int)len, line) > 0);
  h->lines[h->nlines++] = s;
}

static void on_batch(void *ctx)
{
  ((struct h *)ctx)->batches++;
}

static void on_error(void *ctx, size_t source, const char *path, int err)
{
  struct h *h = ctx;
  h->errors++;
  h->last_err = err;
  snprintf(h->last_err_path, sizeof(h->last_err_path), "%s", path);
}

static void on_event(void *ctx, size_t source, const char *path, enum rcw_tail_event ev)
{
  ((struct h *)ctx)->events[ev]++;
}

static const struct rcw_tail_callbacks callbacks = {on_line, on_batch, on_error, on_event};

static void tick_cb(uv_timer_t *t)
{
}

static int setup(void **state)
{
  struct h *h = calloc(1, sizeof(*h));
  h->lines = calloc(MAX_LINES, sizeof(char *));
  strcpy(h->dir, "/tmp/rcw-tail-XXXXXX");
  if (!h->lines || !mkdtemp(h->dir) || uv_loop_init(&h->loop) < 0)
    return -1;
  uv_timer_init(&h->loop, &h->tick);
  uv_timer_start(&h->tick, tick_cb, 2, 2);
  rcw_tail_options_default(&h->opt);
  h->opt.rescan_ms = 20;
  h->opt.rotate_wait_ms = 60;
  *state = h;
  return 0;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static void close_walk_cb(uv_handle_t *handle, void *arg)
{
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

static void free_tail(struct h *h)
{
  rcw_tail_free(h->t);
  h->t = NULL;
  /* Let the tail's close callbacks run. */
  for (int i = 0; i < 10; i++)
    uv_run(&h->loop, UV_RUN_NOWAIT);
}

static int teardown(void **state)
{
  struct h *h = *state;
  free_tail(h);
  uv_walk(&h->loop, close_walk_cb, NULL);
  uv_run(&h->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&h->loop), 0);
  for (size_t i = 0; i < h->nlines; i++)
    free(h->lines[i]);
  free(h->lines);
  nftw(h->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  free(h);
  return 0;
}

/* --- building sources --- */

static char *globs[3][2];
static char *excludes[3][1];

static void add_source(struct h *h, const char *name, const char *glob, const char *exclude,
                       bool beginning)
{
  size_t i = h->nspec++;
  globs[i][0] = strdup(path_in(h, glob));
  excludes[i][0] = exclude ? strdup(exclude) : NULL;
  struct rcw_source_spec s = {0};
  s.name = (char *)name;
  s.paths = globs[i];
  s.npaths = 1;
  s.exclude = excludes[i];
  s.nexclude = exclude ? 1 : 0;
  s.parser = (char *)"json";
  s.start_at_beginning = beginning;
  h->spec[i] = s;
}

static void free_sources(struct h *h)
{
  for (size_t i = 0; i < h->nspec; i++) {
    free(globs[i][0]);
    free(excludes[i][0]);
  }
  h->nspec = 0;
}

static void start(struct h *h)
{
  assert_int_equal(rcw_tail_new(&h->loop, h->spec, h->nspec, &h->opt, &callbacks, h, &h->t), 0);
  assert_int_equal(rcw_tail_start(h->t), 0);
}

/* --- files --- */

static void write_str(const char *path, const char *s, int flags)
{
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
  close(fd);
}

static void append(const char *path, const char *s)
{
  write_str(path, s, O_APPEND);
}

static void fd_write(int fd, const char *s)
{
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void copy_file(const char *from, const char *to)
{
  char buf[4096];
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(in >= 0 && out >= 0);
  ssize_t n;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    assert_int_equal(write(out, buf, (size_t)n), n);
  close(in);
  close(out);
}

/* --- running the loop --- */

static bool run_until(struct h *h, bool (*done)(struct h *, uintptr_t), uintptr_t arg)
{
  uv_update_time(&h->loop);
  uint64_t end = uv_now(&h->loop) + DEADLINE_MS;
  while (!done(h, arg)) {
    if (uv_now(&h->loop) > end)
      return false;
    uv_run(&h->loop, UV_RUN_ONCE);
  }
  return true;
}

static bool have_lines(struct h *h, uintptr_t n)
{
  return h->nlines >= n;
}

static bool have_event(struct h *h, uintptr_t ev)
{
  return h->events[ev] > 0;
}

static bool have_errors(struct h *h, uintptr_t n)
{
  return h->errors >= n;
}

static bool time_passed(struct h *h, uintptr_t end)
{
  return uv_now(&h->loop) >= end;
}

/* Run for ms: long enough for several rescans, to show nothing more comes. */
static void run_for(struct h *h, uint64_t ms)
{
  uv_update_time(&h->loop);
  run_until(h, time_passed, (uintptr_t)(uv_now(&h->loop) + ms));
}

static void expect_lines(struct h *h, size_t n)
{
  assert_true(run_until(h, have_lines, n));
  run_for(h, 3 * (uint64_t)h->opt.rescan_ms);
  if (h->nlines != n)
    for (size_t i = 0; i < h->nlines; i++)
      print_message("line %zu: %s\n", i, h->lines[i]);
  assert_int_equal(h->nlines, n);
}

static void expect_event(struct h *h, enum rcw_tail_event ev)
{
  assert_true(run_until(h, have_event, ev));
}

static void assert_line(struct h *h, size_t i, const char *want)
{
  assert_true(i < h->nlines);
  assert_string_equal(h->lines[i], want);
}

static struct rcw_tail_stats stats(struct h *h, size_t source)
{
  struct rcw_tail_stats st;
  assert_int_equal(rcw_tail_stats(h->t, source, &st), 0);
  return st;
}

/* Snapshot, encode, decode: what a checkpoint carries across a restart. */
static void checkpoint(struct h *h, struct rcw_file_record **r, size_t *n)
{
  struct rcw_file_record *snap;
  size_t k;
  assert_int_equal(rcw_tail_snapshot(h->t, &snap, &k), 0);
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_file_records_encode(snap, k, &b), 0);
  assert_int_equal(rcw_file_records_decode(b.data, b.len, r, n), 0);
  rcw_buf_free(&b);
  rcw_file_records_free(snap, k);
}

static void restart_from(struct h *h, struct rcw_file_record *r, size_t n)
{
  free_tail(h);
  memset(h->events, 0, sizeof(h->events));
  assert_int_equal(rcw_tail_new(&h->loop, h->spec, h->nspec, &h->opt, &callbacks, h, &h->t), 0);
  assert_int_equal(rcw_tail_restore(h->t, r, n), 0);
  rcw_file_records_free(r, n);
  assert_int_equal(rcw_tail_start(h->t), 0);
}

/* --- tests --- */

static void test_append_and_partial_line(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\ntwo\r\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  assert_line(h, 0, "0|app.log|one");
  assert_line(h, 1, "0|app.log|two");
  assert_true(h->batches >= 1);

  append(p, "thr");
  run_for(h, 5 * (uint64_t)h->opt.rescan_ms);
  assert_int_equal(h->nlines, 2); /* no newline yet: held back */
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_tail_snapshot(h->t, &r, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].offset, 9); /* committed stops before "thr" */
  assert_string_equal(r[0].source, "api");
  assert_string_equal(r[0].path, p);
  rcw_file_records_free(r, n);

  append(p, "ee\nfour\n");
  expect_lines(h, 4);
  assert_line(h, 2, "0|app.log|three");
  assert_line(h, 3, "0|app.log|four");
  struct rcw_tail_stats st = stats(h, 0);
  assert_int_equal(st.files, 1);
  assert_int_equal(st.lines, 4);
  assert_int_equal(st.bytes, 20);
  assert_int_equal(st.rotations + st.truncations + st.read_errors + st.cap_hits, 0);
  assert_int_equal(rcw_tail_stats(h->t, 1, &st), -EINVAL);
  free_sources(h);
}

static void test_start_at_end(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "old 1\nold 2\nparti");
  add_source(h, "api", "app.log", NULL, false);
  start(h);
  run_for(h, 3 * (uint64_t)h->opt.rescan_ms);
  assert_int_equal(h->nlines, 0);
  /* The line being written at start is read whole once complete. */
  append(p, "al\nnew\n");
  expect_lines(h, 2);
  assert_line(h, 0, "0|app.log|partial");
  assert_line(h, 1, "0|app.log|new");
  free_sources(h);
}

static void test_new_file_read_from_beginning(void **state)
{
  struct h *h = *state;
  append(path_in(h, "a.log"), "before start\n");
  add_source(h, "api", "*.log", NULL, false);
  start(h);
  run_for(h, 3 * (uint64_t)h->opt.rescan_ms);
  assert_int_equal(h->nlines, 0);
  /* Created after start: start_at does not apply, it is read whole. */
  append(path_in(h, "b.log"), "first\nsecond\n");
  expect_lines(h, 2);
  assert_line(h, 0, "0|b.log|first");
  assert_line(h, 1, "0|b.log|second");
  assert_int_equal(stats(h, 0).files, 2);
  free_sources(h);
}

static void test_exclude(void **state)
{
  struct h *h = *state;
  append(path_in(h, "a.log"), "a\n");
  append(path_in(h, "a.log.1.gz"), "compressed\n");
  mkdir(path_in(h, "subdir.log"), 0755); /* matched, but not a file */
  add_source(h, "api", "*", "*.gz", true);
  start(h);
  append(path_in(h, "b.log.gz"), "compressed\n");
  append(path_in(h, "b.log"), "b\n");
  expect_lines(h, 2);
  assert_line(h, 0, "0|a.log|a");
  assert_line(h, 1, "0|b.log|b");
  assert_int_equal(stats(h, 0).files, 2);
  free_sources(h);
}

static void test_rename_rotation(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  int writer = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
  fd_write(writer, "old 1\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 1);

  /* logrotate renames; the writer goes on writing to its descriptor for
   * a moment, then reopens the path. */
  assert_int_equal(rename(p, path_in(h, "app.log.1")), 0);
  fd_write(writer, "old 2\n");
  close(writer);
  append(p, "new 1\n");
  expect_lines(h, 3);
  assert_line(h, 1, "0|app.log|old 2"); /* the old file is drained first */
  assert_line(h, 2, "0|app.log|new 1");
  assert_int_equal(stats(h, 0).rotations, 1);
  assert_int_equal(h->events[RCW_TAIL_ROTATED], 1);

  /* Quiet for rotate_wait with a new file at the path: closed. */
  expect_event(h, RCW_TAIL_CLOSED);
  assert_int_equal(stats(h, 0).files, 1);
  append(p, "new 2\n");
  expect_lines(h, 4);
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_tail_snapshot(h->t, &r, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].offset, 12);
  rcw_file_records_free(r, n);
  free_sources(h);
}

static void test_rotated_file_still_written_stays_open(void **state)
{
  struct h *h = *state;
  h->opt.rotate_wait_ms = 300;
  const char *p = path_in(h, "app.log");
  int writer = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
  fd_write(writer, "a\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 1);
  assert_int_equal(rename(p, path_in(h, "app.log.1")), 0);
  append(p, "new\n");
  /* The writer keeps writing to the renamed file for longer than
   * rotate_wait in total: every line arrives, none is lost to an early
   * close. */
  for (int i = 0; i < 5; i++) {
    fd_write(writer, "late\n");
    run_for(h, 30);
  }
  close(writer);
  expect_lines(h, 7);
  expect_event(h, RCW_TAIL_CLOSED);
  free_sources(h);
}

static void test_rename_within_globs(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\n");
  add_source(h, "api", "app.log*", NULL, true);
  start(h);
  expect_lines(h, 1);
  /* app.log.1 still matches: the same file, followed under its new name,
   * never read again from the start. */
  assert_int_equal(rename(p, path_in(h, "app.log.1")), 0);
  append(path_in(h, "app.log.1"), "two\n");
  append(p, "three\n");
  expect_lines(h, 3);
  /* Read under the old name or the new one, depending on whether a poll
   * came before the rename was noticed; once either way. */
  assert_true(strcmp(h->lines[1], "0|app.log.1|two") == 0 ||
              strcmp(h->lines[1], "0|app.log|two") == 0);
  assert_line(h, 2, "0|app.log|three");
  assert_int_equal(stats(h, 0).rotations, 1);
  assert_int_equal(stats(h, 0).files, 2); /* both names match: both stay */
  free_sources(h);
}

static void test_copytruncate(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\ntwo\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  /* copytruncate: copy elsewhere, then truncate in place. */
  assert_int_equal(truncate(p, 0), 0);
  expect_event(h, RCW_TAIL_TRUNCATED);
  append(p, "three\n");
  expect_lines(h, 3);
  assert_line(h, 2, "0|app.log|three");
  assert_int_equal(stats(h, 0).truncations, 1);
  assert_int_equal(stats(h, 0).rotations, 0);
  free_sources(h);
}

static void test_rewritten_longer_before_noticed(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "a\nb\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  /* Truncated and written past the old offset before the tail looks:
   * only the first bytes tell. */
  write_str(p, "fresh content 1\nfresh content 2\n", O_TRUNC);
  expect_lines(h, 4);
  assert_line(h, 2, "0|app.log|fresh content 1");
  assert_line(h, 3, "0|app.log|fresh content 2");
  assert_int_equal(stats(h, 0).truncations, 1);
  free_sources(h);
}

static void test_truncation_hands_over_partial_line(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "whole\nhalf");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 1);
  assert_int_equal(truncate(p, 0), 0);
  expect_lines(h, 2);
  assert_line(h, 1, "0|app.log|half");
  free_sources(h);
}

static void test_deleted_with_unread_data(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 1);
  /* Written and deleted before the tail had a chance to read: the open
   * descriptor still has it. */
  int writer = open(p, O_WRONLY | O_APPEND);
  fd_write(writer, "two\nthree\npartial");
  assert_int_equal(unlink(p), 0);
  close(writer);
  expect_event(h, RCW_TAIL_DELETED);
  expect_event(h, RCW_TAIL_CLOSED);
  /* Closed for good: the partial last line is handed over. */
  assert_int_equal(h->nlines, 4);
  assert_line(h, 1, "0|app.log|two");
  assert_line(h, 2, "0|app.log|three");
  assert_line(h, 3, "0|app.log|partial");
  assert_int_equal(stats(h, 0).files, 0);
  assert_int_equal(stats(h, 0).rotations, 0);
  free_sources(h);
}

static void test_symlink_swap(void **state)
{
  struct h *h = *state;
  mkdir(path_in(h, "real"), 0755);
  char a[256], b[256], link[256], tmp[256];
  snprintf(a, sizeof(a), "%s", path_in(h, "real/a.log"));
  snprintf(b, sizeof(b), "%s", path_in(h, "real/b.log"));
  snprintf(link, sizeof(link), "%s", path_in(h, "current.log"));
  snprintf(tmp, sizeof(tmp), "%s", path_in(h, "current.tmp"));
  append(a, "a1\n");
  assert_int_equal(symlink(a, link), 0);
  add_source(h, "api", "current.log", NULL, true);
  start(h);
  expect_lines(h, 1);
  append(a, "a2\n"); /* through the link's target, in another directory */
  expect_lines(h, 2);

  append(b, "b1\n");
  assert_int_equal(symlink(b, tmp), 0);
  assert_int_equal(rename(tmp, link), 0); /* ln -sfn, atomically */
  append(a, "a3\n");                      /* the old target still drains */
  expect_lines(h, 4);
  assert_line(h, 2, "0|current.log|a3");
  assert_line(h, 3, "0|current.log|b1");
  assert_int_equal(stats(h, 0).rotations, 1);
  expect_event(h, RCW_TAIL_CLOSED);
  append(b, "b2\n");
  expect_lines(h, 5);
  free_sources(h);
}

static void test_unreadable_file_reported_and_retried(void **state)
{
  struct h *h = *state;
  char bad[256];
  snprintf(bad, sizeof(bad), "%s", path_in(h, "bad.log"));
  assert_int_equal(symlink(bad, bad), 0); /* ELOOP, even for root */
  add_source(h, "api", "*.log", NULL, true);
  start(h);
  assert_true(run_until(h, have_errors, 3)); /* again at every rescan */
  assert_int_equal(h->last_err, -ELOOP);
  assert_string_equal(h->last_err_path, bad);
  assert_true(stats(h, 0).read_errors >= 3);
  assert_int_equal(stats(h, 0).files, 0);
  /* Fixed: picked up at the next rescan, from the beginning. */
  assert_int_equal(unlink(bad), 0);
  append(bad, "readable now\n");
  expect_lines(h, 1);
  assert_line(h, 0, "0|bad.log|readable now");
  free_sources(h);
}

static void test_long_line_and_many_lines(void **state)
{
  struct h *h = *state;
  h->opt.read_budget = 4096; /* many turns of the work loop */
  const char *p = path_in(h, "app.log");
  FILE *f = fopen(p, "w");
  for (int i = 0; i < RCW_LINE_MAX + 10; i++)
    fputc('x', f);
  fputc('\n', f);
  for (int i = 0; i < 20000; i++)
    fprintf(f, "line %d\n", i);
  fclose(f);
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 20001);
  char want[64];
  snprintf(want, sizeof(want), "0|app.log|<too long: %d>", RCW_LINE_MAX + 10);
  assert_line(h, 0, want);
  for (int i = 0; i < 20000; i++) {
    snprintf(want, sizeof(want), "0|app.log|line %d", i);
    assert_line(h, (size_t)i + 1, want);
  }
  free_sources(h);
}

static void test_cap_on_files(void **state)
{
  struct h *h = *state;
  h->opt.max_files = 2;
  append(path_in(h, "a.log"), "a\n");
  append(path_in(h, "b.log"), "b\n");
  append(path_in(h, "c.log"), "c\n");
  add_source(h, "api", "*.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  struct rcw_tail_stats st = stats(h, 0);
  assert_int_equal(st.files, 2);
  assert_true(st.cap_hits >= 1);
  assert_int_equal(h->events[RCW_TAIL_OPENED], 2);
  free_sources(h);
}

static void test_restart_exactly_once(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\ntwo\n");
  add_source(h, "api", "app.log", NULL, false);
  add_source(h, "other", "other.log", NULL, true);
  h->spec[0].start_at_beginning = true;
  start(h);
  expect_lines(h, 2);
  append(p, "three\npar");
  expect_lines(h, 3);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].offset, 14);

  /* While rcwatch is down the line is completed and more come. */
  append(p, "tial\nfour\n");
  restart_from(h, r, n);
  expect_lines(h, 5);
  assert_line(h, 3, "0|app.log|partial");
  assert_line(h, 4, "0|app.log|four");
  free_sources(h);
}

static void test_restart_after_rotation_while_down(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\n");
  add_source(h, "api", "app.log", NULL, false);
  start(h);
  append(p, "two\n");
  expect_lines(h, 1);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);

  /* Down: more lines, then a rotation and a new file. */
  append(p, "three\n");
  assert_int_equal(rename(p, path_in(h, "app.log.1")), 0);
  append(p, "new one\n");
  restart_from(h, r, n);
  expect_lines(h, 3);
  assert_line(h, 1, "0|app.log|three"); /* drained from the saved offset */
  assert_line(h, 2, "0|app.log|new one"); /* then the new file, from 0 */
  assert_int_equal(stats(h, 0).rotations, 1);
  expect_event(h, RCW_TAIL_CLOSED);
  free_sources(h);
}

static void test_restart_after_replacement_while_down(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "a fairly long first line\nand a second one\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);
  /* Deleted and created again, shorter than the saved offset (the inode
   * may well be reused). */
  assert_int_equal(unlink(p), 0);
  append(p, "short\n");
  restart_from(h, r, n);
  expect_lines(h, 3);
  assert_line(h, 2, "0|app.log|short");
  free_sources(h);
}

static void test_restart_after_truncation_while_down(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\ntwo\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 2);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);
  write_str(p, "x\n", O_TRUNC);
  restart_from(h, r, n);
  expect_lines(h, 3);
  assert_line(h, 2, "0|app.log|x");
  assert_int_equal(stats(h, 0).truncations, 1);
  free_sources(h);
}

static void test_restart_after_copytruncate_while_down(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  for (int i = 0; i < 10; i++) {
    char line[64];
    snprintf(line, sizeof(line), "a line long enough to fill the fingerprint %d\n", i);
    append(p, line);
  }
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 10);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);
  assert_int_equal(r[0].id.fp_len, RCW_FILEID_FP_LEN);

  /* Down: two more lines, then logrotate's copytruncate, then one more. */
  append(p, "after checkpoint 1\nafter checkpoint 2\n");
  copy_file(p, path_in(h, "app.log.1"));
  assert_int_equal(truncate(p, 0), 0);
  append(p, "after truncate\n");
  restart_from(h, r, n);
  expect_lines(h, 13);
  /* The two lines only the copy holds come first, from the saved offset. */
  assert_line(h, 10, "0|app.log|after checkpoint 1");
  assert_line(h, 11, "0|app.log|after checkpoint 2");
  assert_line(h, 12, "0|app.log|after truncate");
  assert_int_equal(stats(h, 0).truncations, 1);
  expect_event(h, RCW_TAIL_CLOSED); /* the copy, once drained and quiet */
  free_sources(h);
}

static void test_restart_file_lost_while_down(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\n");
  add_source(h, "api", "app.log", NULL, false);
  start(h);
  append(p, "two\n");
  expect_lines(h, 1);
  struct rcw_file_record *r;
  size_t n;
  checkpoint(h, &r, &n);
  assert_int_equal(unlink(p), 0);
  restart_from(h, r, n);
  expect_event(h, RCW_TAIL_LOST);
  /* A file created at the path later is new: read from 0 even with
   * start_at end. */
  append(p, "again\n");
  expect_lines(h, 2);
  free_sources(h);
}

static void test_restore_ignores_unknown_source(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\ntwo\n");
  add_source(h, "api", "app.log", NULL, false);
  struct rcw_file_record rec = {(char *)"gone", (char *)p, {0, 0, 0, 0}, 0};
  assert_int_equal(rcw_tail_new(&h->loop, h->spec, h->nspec, &h->opt, &callbacks, h, &h->t), 0);
  assert_int_equal(rcw_tail_restore(h->t, &rec, 1), 0);
  assert_int_equal(rcw_tail_start(h->t), 0);
  assert_int_equal(rcw_tail_restore(h->t, &rec, 1), -EBUSY);
  run_for(h, 3 * (uint64_t)h->opt.rescan_ms);
  assert_int_equal(h->nlines, 0); /* start_at end, the record ignored */
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_tail_snapshot(h->t, &r, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(r[0].source, "api");
  assert_int_equal(r[0].offset, 8);
  rcw_file_records_free(r, n);
  free_sources(h);
}

static void test_reconfigure(void **state)
{
  struct h *h = *state;
  append(path_in(h, "a.log"), "a1\n");
  append(path_in(h, "b.log"), "b1\n");
  add_source(h, "A", "a.log", NULL, true);
  add_source(h, "B", "b.log", NULL, true);
  start(h);
  expect_lines(h, 2);

  /* A goes, B stays (now second), C comes. */
  append(path_in(h, "c.log"), "c1\n");
  struct rcw_source_spec next[2] = {h->spec[1], h->spec[1]};
  char *cglob[1] = {strdup(path_in(h, "c.log"))};
  next[0].name = (char *)"C";
  next[0].paths = cglob;
  next[0].start_at_beginning = true;
  assert_int_equal(rcw_tail_reconfigure(h->t, next, 2), 0);
  append(path_in(h, "a.log"), "a2\n");
  append(path_in(h, "b.log"), "b2\n");
  expect_lines(h, 4);
  /* B's file kept its offset (b1 not read again) under its new index. */
  bool saw_b2 = false, saw_c1 = false;
  for (size_t i = 2; i < 4; i++) {
    saw_b2 = saw_b2 || strcmp(h->lines[i], "1|b.log|b2") == 0;
    saw_c1 = saw_c1 || strcmp(h->lines[i], "0|c.log|c1") == 0;
  }
  assert_true(saw_b2 && saw_c1);
  assert_int_equal(stats(h, 1).lines, 2); /* B's counters came along */
  assert_int_equal(stats(h, 0).lines, 1);
  free(cglob[0]);
  free_sources(h);
}

static void test_reconfigure_globs(void **state)
{
  struct h *h = *state;
  append(path_in(h, "x.log"), "x0\n");
  append(path_in(h, "y.log"), "y0\n");
  add_source(h, "A", "*.log", NULL, false);
  start(h);
  append(path_in(h, "x.log"), "x1\n");
  append(path_in(h, "y.log"), "y1\n");
  expect_lines(h, 2);

  /* Same source, wider paths, y.log now excluded. */
  append(path_in(h, "z.txt"), "z0\n");
  char *paths[2] = {strdup(path_in(h, "*.log")), strdup(path_in(h, "*.txt"))};
  char *exclude[1] = {(char *)"y.log"};
  struct rcw_source_spec next = h->spec[0];
  next.paths = paths;
  next.npaths = 2;
  next.exclude = exclude;
  next.nexclude = 1;
  assert_int_equal(rcw_tail_reconfigure(h->t, &next, 1), 0);
  expect_event(h, RCW_TAIL_CLOSED); /* y.log */
  /* z.txt was there before the reload: start_at end applies to it. */
  append(path_in(h, "x.log"), "x2\n");
  append(path_in(h, "y.log"), "y2\n");
  append(path_in(h, "z.txt"), "z1\n");
  expect_lines(h, 4);
  bool saw_x2 = false, saw_z1 = false;
  for (size_t i = 2; i < 4; i++) {
    saw_x2 = saw_x2 || strcmp(h->lines[i], "0|x.log|x2") == 0;
    saw_z1 = saw_z1 || strcmp(h->lines[i], "0|z.txt|z1") == 0;
  }
  assert_true(saw_x2 && saw_z1);
  assert_int_equal(stats(h, 0).files, 2);
  free(paths[0]);
  free(paths[1]);
  free_sources(h);
}

static void test_stop_then_snapshot(void **state)
{
  struct h *h = *state;
  const char *p = path_in(h, "app.log");
  append(p, "one\n");
  add_source(h, "api", "app.log", NULL, true);
  start(h);
  expect_lines(h, 1);
  rcw_tail_stop(h->t);
  append(p, "two\n");
  run_for(h, 3 * (uint64_t)h->opt.rescan_ms);
  assert_int_equal(h->nlines, 1);
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_tail_snapshot(h->t, &r, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].offset, 4);
  rcw_file_records_free(r, n);
  free_sources(h);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_append_and_partial_line),
    T(test_start_at_end),
    T(test_new_file_read_from_beginning),
    T(test_exclude),
    T(test_rename_rotation),
    T(test_rotated_file_still_written_stays_open),
    T(test_rename_within_globs),
    T(test_copytruncate),
    T(test_rewritten_longer_before_noticed),
    T(test_truncation_hands_over_partial_line),
    T(test_deleted_with_unread_data),
    T(test_symlink_swap),
    T(test_unreadable_file_reported_and_retried),
    T(test_long_line_and_many_lines),
    T(test_cap_on_files),
    T(test_restart_exactly_once),
    T(test_restart_after_rotation_while_down),
    T(test_restart_after_replacement_while_down),
    T(test_restart_after_truncation_while_down),
    T(test_restart_after_copytruncate_while_down),
    T(test_restart_file_lost_while_down),
    T(test_restore_ignores_unknown_source),
    T(test_reconfigure),
    T(test_reconfigure_globs),
    T(test_stop_then_snapshot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
