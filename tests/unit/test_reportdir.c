/* reportdir on a real temporary directory: names, atomic writes that leave
 * no temporary file behind, pruning to `keep`, finding the newest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reportdir.h"

#define T0 INT64_C(1796378400123) /* 2026-12-04T10:00:00.123Z */

struct fixture {
  char dir[64];
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  if (!f)
    return -1;
  snprintf(f->dir, sizeof(f->dir), "/tmp/rcw-reportdir-XXXXXX");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static void remove_tree(const char *path)
{
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
    remove_tree(sub);
  }
  closedir(d);
  rmdir(path);
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  remove_tree(f->dir);
  free(f);
  return 0;
}

static char *path_of(const struct fixture *f, const char *name)
{
  static char buf[512];
  snprintf(buf, sizeof(buf), "%s/%s", f->dir, name);
  return buf;
}

static size_t count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
  closedir(d);
  return n;
}

static void assert_content(const char *path, const char *want)
{
  char buf[256];
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  assert_true(n >= 0);
  buf[n] = '\0';
  assert_string_equal(buf, want);
}

static void touch(const char *path, time_t age)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "x", 1), 1);
  close(fd);
  if (age > 0) {
    struct timespec ts[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
  }
}

static void test_names(void **state)
{
  (void)state;
  char name[RCW_REPORT_NAME_MAX];
  assert_int_equal(rcw_reportdir_name(T0, "json", name), 0);
  assert_string_equal(name, "report-20261204T100000123Z.json");
  assert_int_equal(rcw_reportdir_name(T0 + 86399877, "txt", name), 0);
  assert_string_equal(name, "report-20261205T100000000Z.txt");
  assert_int_equal(rcw_reportdir_name(-1, "json", name), 0);
  assert_string_equal(name, "report-19691231T235959999Z.json");
  assert_int_equal(rcw_reportdir_name(T0, "", name), -EINVAL);
  assert_int_equal(rcw_reportdir_name(T0, "a/b", name), -EINVAL);
  assert_int_equal(rcw_reportdir_name(T0, "abcdefghijklmnop", name), -EINVAL);
  assert_int_equal(rcw_reportdir_name(T0, NULL, name), -EINVAL);

  assert_true(rcw_reportdir_is_report("report-20261204T100000123Z.json", "json"));
  assert_false(rcw_reportdir_is_report("report-20261204T100000123Z.json", "txt"));
  assert_false(rcw_reportdir_is_report("report-20261204T100000123Z.json.bak", "json"));
  assert_false(rcw_reportdir_is_report("report-20261204T100000123Z.jsonx", "json"));
  assert_false(rcw_reportdir_is_report(".report-20261204T100000123Z.json.1-0.tmp", "json"));
  assert_false(rcw_reportdir_is_report("report-latest.json", "json"));
  assert_false(rcw_reportdir_is_report("report-2026120XT100000123Z.json", "json"));
  assert_false(rcw_reportdir_is_report("report-20261204T100000123.json", "json"));
  assert_false(rcw_reportdir_is_report("report-20261204T10000012Z.json", "json"));
  assert_false(rcw_reportdir_is_report("Report-20261204T100000123Z.json", "json"));
}

static void test_write(void **state)
{
  struct fixture *f = *state;
  char *path = NULL;
  assert_int_equal(rcw_reportdir_write(f->dir, T0, "json", "{\"a\": 1}\n", 9, &path), 0);
  assert_string_equal(path, path_of(f, "report-20261204T100000123Z.json"));
  assert_content(path, "{\"a\": 1}\n");
  free(path);
  assert_int_equal(count_entries(f->dir), 1); /* no temporary file left */

  /* The same millisecond again: replaced whole, still one file. */
  assert_int_equal(rcw_reportdir_write(f->dir, T0, "json", "second", 6, NULL), 0);
  assert_content(path_of(f, "report-20261204T100000123Z.json"), "second");
  assert_int_equal(count_entries(f->dir), 1);

  /* An empty report is still a file. */
  assert_int_equal(rcw_reportdir_write(f->dir, T0 + 1, "txt", "", 0, NULL), 0);
  assert_content(path_of(f, "report-20261204T100000124Z.txt"), "");
  struct stat st;
  assert_int_equal(stat(path_of(f, "report-20261204T100000124Z.txt"), &st), 0);
  mode_t mask = umask(022);
  umask(mask);
  assert_int_equal(st.st_mode & 0777, 0644 & ~mask);
}

/* A reader holding the old file keeps seeing it whole: the new report
 * arrives by rename, never by rewriting the old file in place. */
static void test_write_is_atomic(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(rcw_reportdir_write(f->dir, T0, "json", "old report", 10, NULL), 0);
  int fd = open(path_of(f, "report-20261204T100000123Z.json"), O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(rcw_reportdir_write(f->dir, T0, "json", "new", 3, NULL), 0);
  char buf[32] = {0};
  assert_int_equal(read(fd, buf, sizeof(buf) - 1), 10);
  close(fd);
  assert_string_equal(buf, "old report");
  assert_content(path_of(f, "report-20261204T100000123Z.json"), "new");

  /* A rename that fails (the name is taken by a directory) leaves no
   * temporary file and does not touch the other reports. */
  assert_int_equal(mkdir(path_of(f, "report-20261204T100000200Z.json"), 0755), 0);
  char *path = (char *)"unchanged";
  int r = rcw_reportdir_write(f->dir, T0 + 77, "json", "data", 4, &path);
  assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
  assert_string_equal(path, "unchanged");
  assert_int_equal(count_entries(f->dir), 2);
  assert_content(path_of(f, "report-20261204T100000123Z.json"), "new");
}

static void test_write_creates_directory(void **state)
{
  struct fixture *f = *state;
  char sub[256];
  snprintf(sub, sizeof(sub), "%s/a/b//c/", f->dir);
  char *path = NULL;
  assert_int_equal(rcw_reportdir_write(sub, T0, "txt", "hello", 5, &path), 0);
  char want[320];
  snprintf(want, sizeof(want), "%s/a/b//c/report-20261204T100000123Z.txt", f->dir);
  assert_string_equal(path, want);
  assert_content(path, "hello");
  free(path);

  assert_int_equal(rcw_reportdir_ensure(sub), 0); /* existing: fine */
  touch(path_of(f, "file"), 0);
  assert_int_equal(rcw_reportdir_ensure(path_of(f, "file")), -ENOTDIR);
  snprintf(sub, sizeof(sub), "%s/file/below", f->dir);
  assert_int_equal(rcw_reportdir_write(sub, T0, "txt", "x", 1, NULL), -ENOTDIR);
  assert_int_equal(rcw_reportdir_ensure(""), -EINVAL);
}

static void write_series(const struct fixture *f, const char *ext, int n)
{
  /* Written out of time order, so only names can say which is newest. */
  for (int i = 0; i < n; i++) {
    int k = (i * 7) % n;
    char data[16];
    int len = snprintf(data, sizeof(data), "%s %d", ext, k);
    assert_int_equal(rcw_reportdir_write(f->dir, T0 + (int64_t)k * 3600000, ext, data,
                                         (size_t)len, NULL), 0);
  }
}

static void test_prune(void **state)
{
  struct fixture *f = *state;
  write_series(f, "json", 10);
  write_series(f, "txt", 10);
  touch(path_of(f, "notes.json"), 0);
  touch(path_of(f, "report-latest.json"), 0);
  touch(path_of(f, ".report-20261204T100000123Z.json.99-0.tmp"), 0);    /* maybe in use */
  touch(path_of(f, ".report-20261204T090000123Z.json.98-0.tmp"), 3600); /* a crash's */
  assert_int_equal(count_entries(f->dir), 24);

  assert_int_equal(rcw_reportdir_prune(f->dir, "json", 3), 7);
  assert_int_equal(count_entries(f->dir), 16);
  char name[RCW_REPORT_NAME_MAX];
  for (int k = 0; k < 10; k++) {
    assert_int_equal(rcw_reportdir_name(T0 + (int64_t)k * 3600000, "json", name), 0);
    assert_int_equal(access(path_of(f, name), F_OK) == 0, k >= 7);
  }
  assert_content(path_of(f, "report-20261204T190000123Z.json"), "json 9");
  assert_int_equal(access(path_of(f, ".report-20261204T100000123Z.json.99-0.tmp"), F_OK), 0);
  assert_int_equal(access(path_of(f, ".report-20261204T090000123Z.json.98-0.tmp"), F_OK), -1);
  assert_int_equal(access(path_of(f, "notes.json"), F_OK), 0);

  assert_int_equal(rcw_reportdir_prune(f->dir, "json", 3), 0); /* already within keep */
  assert_int_equal(rcw_reportdir_prune(f->dir, "txt", 100), 0);
  assert_int_equal(rcw_reportdir_prune(f->dir, "txt", 1), 9);
  assert_content(path_of(f, "report-20261204T190000123Z.txt"), "txt 9");
  assert_int_equal(rcw_reportdir_prune(f->dir, "json", 0), 3);
  assert_int_equal(count_entries(f->dir), 4);
  assert_int_equal(rcw_reportdir_prune(path_of(f, "missing"), "json", 1), -ENOENT);
  assert_int_equal(rcw_reportdir_prune(f->dir, "", 1), -EINVAL);
}

static void test_newest(void **state)
{
  struct fixture *f = *state;
  char *path = (char *)"unchanged";
  assert_int_equal(rcw_reportdir_newest(f->dir, "json", &path), -ENOENT);
  assert_int_equal(rcw_reportdir_newest(path_of(f, "missing"), "json", &path), -ENOENT);
  touch(path_of(f, "notes.json"), 0);
  touch(path_of(f, "report-99999999T999999999Z.json.bak"), 0);
  touch(path_of(f, ".report-99991231T235959999Z.json.1-0.tmp"), 0);
  assert_int_equal(rcw_reportdir_newest(f->dir, "json", &path), -ENOENT);
  assert_string_equal(path, "unchanged");

  write_series(f, "json", 5);
  assert_int_equal(rcw_reportdir_write(f->dir, T0 + 99 * 3600000, "txt", "later", 5, NULL), 0);
  assert_int_equal(rcw_reportdir_newest(f->dir, "json", &path), 0);
  assert_string_equal(path, path_of(f, "report-20261204T140000123Z.json"));
  assert_content(path, "json 4");
  free(path);
  assert_int_equal(rcw_reportdir_newest(f->dir, "txt", &path), 0);
  assert_content(path, "later");
  free(path);
  touch(path_of(f, "file"), 0);
  assert_int_equal(rcw_reportdir_newest(path_of(f, "file"), "json", &path), -ENOTDIR);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_names),
    cmocka_unit_test_setup_teardown(test_write, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_is_atomic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_creates_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
    cmocka_unit_test_setup_teardown(test_newest, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
