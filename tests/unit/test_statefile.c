#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "statefile.h"

struct fixture {
  char dir[64];
  char path[128];
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/rcw-statefile-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->path, sizeof(f->path), "%s/state", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  DIR *d = opendir(f->dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char p[512];
    if (e->d_name[0] == '.')
      continue;
    snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
    unlink(p);
  }
  if (d)
    closedir(d);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* Names in the directory, sorted, joined by spaces. */
static void dir_listing(const char *dir, char *out, size_t outlen)
{
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  assert_true(n >= 0);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      strncat(out, names[i]->d_name, outlen - strlen(out) - 1);
      strncat(out, " ", outlen - strlen(out) - 1);
    }
    free(names[i]);
  }
  free(names);
}

static rcw_statefile *sample(void)
{
  rcw_statefile *sf = rcw_statefile_new();
  assert_non_null(sf);
  assert_int_equal(rcw_statefile_put(sf, "offsets", "\x01\x02\x03", 3), 0);
  assert_int_equal(rcw_statefile_put(sf, "tally", "counts here", 11), 0);
  assert_int_equal(rcw_statefile_put(sf, "empty", NULL, 0), 0);
  return sf;
}

static void assert_sample(const rcw_statefile *sf)
{
  const void *d;
  size_t len;
  assert_int_equal(rcw_statefile_count(sf), 3);
  assert_string_equal(rcw_statefile_name(sf, 0), "offsets");
  assert_string_equal(rcw_statefile_name(sf, 2), "empty");
  assert_null(rcw_statefile_name(sf, 3));
  assert_int_equal(rcw_statefile_get(sf, "offsets", &d, &len), 0);
  assert_int_equal(len, 3);
  assert_memory_equal(d, "\x01\x02\x03", 3);
  assert_int_equal(rcw_statefile_get(sf, "tally", &d, &len), 0);
  assert_int_equal(len, 11);
  assert_memory_equal(d, "counts here", 11);
  assert_int_equal(rcw_statefile_get(sf, "empty", &d, &len), 0);
  assert_int_equal(len, 0);
  assert_int_equal(rcw_statefile_get(sf, "windows", &d, &len), -ENOENT);
}

static void test_sections(void **state)
{
  rcw_statefile *sf = sample();
  assert_sample(sf);
  /* Replacing keeps the position and the count. */
  assert_int_equal(rcw_statefile_put(sf, "offsets", "xy", 2), 0);
  assert_int_equal(rcw_statefile_count(sf), 3);
  const void *d;
  size_t len;
  assert_int_equal(rcw_statefile_get(sf, "offsets", &d, &len), 0);
  assert_int_equal(len, 2);
  assert_memory_equal(d, "xy", 2);
  rcw_statefile_free(sf);
  rcw_statefile_free(NULL);
}

static void test_section_limits(void **state)
{
  rcw_statefile *sf = rcw_statefile_new();
  char name[RCW_STATEFILE_NAME_MAX + 2];
  memset(name, 'n', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  assert_int_equal(rcw_statefile_put(sf, name, "x", 1), -EINVAL);
  name[RCW_STATEFILE_NAME_MAX] = '\0';
  assert_int_equal(rcw_statefile_put(sf, name, "x", 1), 0);
  assert_int_equal(rcw_statefile_put(sf, "", "x", 1), -EINVAL);
  for (int i = 1; i < RCW_STATEFILE_MAX_SECTIONS; i++) {
    char n[16];
    snprintf(n, sizeof(n), "s%d", i);
    assert_int_equal(rcw_statefile_put(sf, n, "x", 1), 0);
  }
  assert_int_equal(rcw_statefile_put(sf, "one-too-many", "x", 1), -EINVAL);
  assert_int_equal(rcw_statefile_put(sf, "s1", "replacing is fine", 17), 0);
  assert_int_equal(rcw_statefile_put(sf, "huge", "x", RCW_STATEFILE_MAX_BYTES + 1), -EINVAL);
  rcw_statefile_free(sf);
}

static void test_put_buf_takes_the_bytes(void **state)
{
  rcw_statefile *sf = rcw_statefile_new();
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_buf_puts(&b, "rendered section");
  char *before = b.data;
  assert_int_equal(rcw_statefile_put_buf(sf, "rules", &b), 0);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  const void *d;
  size_t len;
  assert_int_equal(rcw_statefile_get(sf, "rules", &d, &len), 0);
  assert_ptr_equal(d, before);
  assert_int_equal(len, 16);
  rcw_statefile_free(sf);
}

static void test_encode_decode(void **state)
{
  rcw_statefile *sf = sample();
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_statefile_encode(sf, &b), 0);
  rcw_statefile *back;
  assert_int_equal(rcw_statefile_decode(b.data, b.len, &back), 0);
  assert_sample(back);
  rcw_statefile_free(back);
  rcw_statefile_free(sf);
  rcw_buf_free(&b);
}

static void test_every_flipped_byte_detected(void **state)
{
  rcw_statefile *sf = sample();
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_statefile_encode(sf, &b), 0);
  for (size_t i = 0; i < b.len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      b.data[i] ^= (char)(1 << bit);
      rcw_statefile *out = NULL;
      int r = rcw_statefile_decode(b.data, b.len, &out);
      /* The version field flipped reads as another version. */
      if (i >= 8 && i < 12)
        assert_int_equal(r, RCW_STATEFILE_EVERSION);
      else
        assert_int_equal(r, RCW_STATEFILE_ECORRUPT);
      assert_null(out);
      b.data[i] ^= (char)(1 << bit);
    }
  }
  rcw_statefile_free(sf);
  rcw_buf_free(&b);
}

static void test_every_truncation_detected(void **state)
{
  rcw_statefile *sf = sample();
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_statefile_encode(sf, &b), 0);
  for (size_t len = 0; len < b.len; len++) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, b.data, len);
    rcw_statefile *out;
    assert_int_equal(rcw_statefile_decode(copy, len, &out), RCW_STATEFILE_ECORRUPT);
    free(copy);
  }
  rcw_statefile_free(sf);
  rcw_buf_free(&b);
}

static void test_write_read(void **state)
{
  struct fixture *f = *state;
  rcw_statefile *sf = sample();
  assert_int_equal(rcw_statefile_write(sf, f->path), 0);
  rcw_statefile *back;
  assert_int_equal(rcw_statefile_read(f->path, &back), 0);
  assert_sample(back);
  rcw_statefile_free(back);
  /* Written again over itself; nothing else is left in the directory. */
  assert_int_equal(rcw_statefile_put(sf, "tally", "v2", 2), 0);
  assert_int_equal(rcw_statefile_write(sf, f->path), 0);
  char listing[256];
  dir_listing(f->dir, listing, sizeof(listing));
  assert_string_equal(listing, "state ");
  assert_int_equal(rcw_statefile_read(f->path, &back), 0);
  const void *d;
  size_t len;
  assert_int_equal(rcw_statefile_get(back, "tally", &d, &len), 0);
  assert_memory_equal(d, "v2", 2);
  rcw_statefile_free(back);
  rcw_statefile_free(sf);
}

static void test_read_errors(void **state)
{
  struct fixture *f = *state;
  rcw_statefile *out;
  assert_int_equal(rcw_statefile_read(f->path, &out), -ENOENT);
  FILE *fp = fopen(f->path, "w");
  fputs("not a state file at all, just text that is long enough", fp);
  fclose(fp);
  assert_int_equal(rcw_statefile_read(f->path, &out), RCW_STATEFILE_ECORRUPT);
  /* A future version. */
  fp = fopen(f->path, "w");
  fwrite("RCWSTATE\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 1, 28, fp);
  fclose(fp);
  assert_int_equal(rcw_statefile_read(f->path, &out), RCW_STATEFILE_EVERSION);
  /* An empty file (a crash before the first write, on a filesystem that
   * lost the data). */
  fp = fopen(f->path, "w");
  fclose(fp);
  assert_int_equal(rcw_statefile_read(f->path, &out), RCW_STATEFILE_ECORRUPT);
  /* A directory where the file should be. */
  unlink(f->path);
  mkdir(f->path, 0700);
  assert_true(rcw_statefile_read(f->path, &out) < 0);
  rmdir(f->path);
}

static void test_write_into_missing_directory(void **state)
{
  struct fixture *f = *state;
  char path[256];
  snprintf(path, sizeof(path), "%s/no-such-dir/state", f->dir);
  rcw_statefile *sf = sample();
  assert_int_equal(rcw_statefile_write(sf, path), -ENOENT);
  rcw_statefile_free(sf);
}

/* A write that fails half-way (the disk fills up) must leave the old
 * file as it was and no temporary file behind.  RLIMIT_FSIZE makes
 * write(2) fail with EFBIG past a size, even for root, so the child
 * process sees the same partial-write failure ENOSPC would give. */
static void test_failed_write_keeps_old_file(void **state)
{
  struct fixture *f = *state;
  rcw_statefile *sf = sample();
  assert_int_equal(rcw_statefile_write(sf, f->path), 0);
  size_t big = 1 << 20;
  char *junk = calloc(1, big);
  assert_int_equal(rcw_statefile_put(sf, "windows", junk, big), 0);
  free(junk);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_FSIZE, &rl);
    _exit(rcw_statefile_write(sf, f->path) == -EFBIG ? 0 : 1);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  rcw_statefile_free(sf);
  rcw_statefile *back;
  assert_int_equal(rcw_statefile_read(f->path, &back), 0);
  assert_sample(back);
  rcw_statefile_free(back);
  char listing[256];
  dir_listing(f->dir, listing, sizeof(listing));
  assert_string_equal(listing, "state ");
}

static void test_quarantine(void **state)
{
  struct fixture *f = *state;
  FILE *fp = fopen(f->path, "w");
  fputs("garbage", fp);
  fclose(fp);
  char moved[256];
  assert_int_equal(rcw_statefile_quarantine(f->path, moved, sizeof(moved)), 0);
  assert_int_equal(access(f->path, F_OK), -1);
  size_t plen = strlen(f->path);
  assert_memory_equal(moved, f->path, plen);
  assert_memory_equal(moved + plen, ".corrupt-", 9);
  assert_int_equal(strlen(moved + plen + 9), strlen("20261204T100000Z"));
  fp = fopen(moved, "r");
  assert_non_null(fp);
  char got[16] = "";
  assert_non_null(fgets(got, sizeof(got), fp));
  fclose(fp);
  assert_string_equal(got, "garbage");
  /* A second one in the same second does not overwrite the first. */
  fp = fopen(f->path, "w");
  fputs("again", fp);
  fclose(fp);
  char moved2[256];
  assert_int_equal(rcw_statefile_quarantine(f->path, moved2, sizeof(moved2)), 0);
  assert_string_not_equal(moved, moved2);
  assert_int_equal(access(moved, F_OK), 0);
  assert_int_equal(access(moved2, F_OK), 0);
  assert_int_equal(rcw_statefile_quarantine(f->path, NULL, 0), -ENOENT);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sections),
    cmocka_unit_test(test_section_limits),
    cmocka_unit_test(test_put_buf_takes_the_bytes),
    cmocka_unit_test(test_encode_decode),
    cmocka_unit_test(test_every_flipped_byte_detected),
    cmocka_unit_test(test_every_truncation_detected),
    cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
    cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_into_missing_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
