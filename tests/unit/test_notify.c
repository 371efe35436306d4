/* notify: a fake service manager — a unix datagram socket in a temp dir
 * named by NOTIFY_SOCKET — receives what the daemon would tell systemd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

struct fake_manager {
  char dir[64];
  char path[96];
  int fd;
};

static int setup(void **state)
{
  struct fake_manager *m = calloc(1, sizeof(*m));
  assert_non_null(m);
  snprintf(m->dir, sizeof(m->dir), "/tmp/rcw-notify-XXXXXX");
  assert_non_null(mkdtemp(m->dir));
  snprintf(m->path, sizeof(m->path), "%s/notify", m->dir);
  m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(m->fd >= 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->path);
  assert_int_equal(bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(setenv("NOTIFY_SOCKET", m->path, 1), 0);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  *state = m;
  return 0;
}

static int teardown(void **state)
{
  struct fake_manager *m = *state;
  close(m->fd);
  unlink(m->path);
  rmdir(m->dir);
  free(m);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  return 0;
}

/* The next datagram, NUL-terminated; its length, or -1 when none waits.
 * sd_notify has returned by the time we look, and a local datagram is
 * queued by then, so not waiting is exact. */
static ssize_t next_datagram(struct fake_manager *m, char *buf, size_t cap)
{
  ssize_t n = recv(m->fd, buf, cap - 1, MSG_DONTWAIT);
  if (n < 0) {
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return -1;
  }
  buf[n] = '\0';
  return n;
}

static void expect_datagram(struct fake_manager *m, const char *want)
{
  char buf[1024];
  assert_true(next_datagram(m, buf, sizeof(buf)) >= 0);
  assert_string_equal(buf, want);
}

static void expect_nothing(struct fake_manager *m)
{
  char buf[1024];
  assert_int_equal(next_datagram(m, buf, sizeof(buf)), -1);
}

static uint64_t monotonic_usec(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void test_states(void **state)
{
  struct fake_manager *m = *state;
  assert_true(rcw_notify_active());
  assert_int_equal(rcw_notify_ready(), 1);
  expect_datagram(m, "READY=1");
  assert_int_equal(rcw_notify_watchdog(), 1);
  expect_datagram(m, "WATCHDOG=1");
  assert_int_equal(rcw_notify_stopping(), 1);
  expect_datagram(m, "STOPPING=1");
  expect_nothing(m);
}

static void test_reloading_carries_monotonic_time(void **state)
{
  struct fake_manager *m = *state;
  uint64_t before = monotonic_usec();
  assert_int_equal(rcw_notify_reloading(), 1);
  uint64_t after = monotonic_usec();
  char buf[256];
  assert_true(next_datagram(m, buf, sizeof(buf)) > 0);
  const char *prefix = "RELOADING=1\nMONOTONIC_USEC=";
  assert_int_equal(strncmp(buf, prefix, strlen(prefix)), 0);
  char *end = NULL;
  unsigned long long usec = strtoull(buf + strlen(prefix), &end, 10);
  assert_true(end && *end == '\0' && end != buf + strlen(prefix));
  assert_true(usec >= before && usec <= after);
  /* The reload ends with READY=1, as the daemon sends it. */
  assert_int_equal(rcw_notify_ready(), 1);
  expect_datagram(m, "READY=1");
}

static void test_status(void **state)
{
  struct fake_manager *m = *state;
  assert_int_equal(rcw_notify_status("%d source(s), %s lines", 3, "1204"), 1);
  expect_datagram(m, "STATUS=3 source(s), 1204 lines");
  assert_int_equal(rcw_notify_status("reload refused:\nbad.yaml:3:1: x\tREADY=1"), 1);
  expect_datagram(m, "STATUS=reload refused: bad.yaml:3:1: x READY=1");
  expect_nothing(m);
}

static void test_status_cut_to_cap_on_a_character(void **state)
{
  struct fake_manager *m = *state;
  char text[RCW_NOTIFY_STATUS_MAX + 16];
  char buf[2048];

  /* Fits exactly: nothing is cut. */
  memset(text, 'a', RCW_NOTIFY_STATUS_MAX);
  text[RCW_NOTIFY_STATUS_MAX] = '\0';
  assert_int_equal(rcw_notify_status("%s", text), 1);
  assert_int_equal(next_datagram(m, buf, sizeof(buf)), 7 + RCW_NOTIFY_STATUS_MAX);
  assert_memory_equal(buf, "STATUS=", 7);
  assert_string_equal(buf + 7, text);

  /* A two-byte character straddles the cap: it goes whole. */
  memset(text, 'a', RCW_NOTIFY_STATUS_MAX - 1);
  strcpy(text + RCW_NOTIFY_STATUS_MAX - 1, "\xc3\xa9tail");
  assert_int_equal(rcw_notify_status("%s", text), 1);
  assert_int_equal(next_datagram(m, buf, sizeof(buf)), 7 + RCW_NOTIFY_STATUS_MAX - 1);
  assert_int_equal(buf[7 + RCW_NOTIFY_STATUS_MAX - 2], 'a');

  /* The same character ending right at the cap stays. */
  memset(text, 'a', RCW_NOTIFY_STATUS_MAX - 2);
  strcpy(text + RCW_NOTIFY_STATUS_MAX - 2, "\xc3\xa9tail");
  assert_int_equal(rcw_notify_status("%s", text), 1);
  assert_int_equal(next_datagram(m, buf, sizeof(buf)), 7 + RCW_NOTIFY_STATUS_MAX);
  assert_memory_equal(buf + 7 + RCW_NOTIFY_STATUS_MAX - 2, "\xc3\xa9", 2);
}

static void test_nothing_sent_without_a_manager(void **state)
{
  struct fake_manager *m = *state;
  const char *values[] = {NULL, ""};
  for (size_t i = 0; i < 2; i++) {
    if (values[i])
      setenv("NOTIFY_SOCKET", values[i], 1);
    else
      unsetenv("NOTIFY_SOCKET");
    assert_false(rcw_notify_active());
    assert_int_equal(rcw_notify_ready(), 0);
    assert_int_equal(rcw_notify_status("%s", "idle"), 0);
    assert_int_equal(rcw_notify_reloading(), 0);
    assert_int_equal(rcw_notify_watchdog(), 0);
    assert_int_equal(rcw_notify_stopping(), 0);
    expect_nothing(m);
  }
}

static void test_manager_gone_is_an_error_not_a_crash(void **state)
{
  struct fake_manager *m = *state;
  char gone[128];
  snprintf(gone, sizeof(gone), "%s/gone", m->dir);
  setenv("NOTIFY_SOCKET", gone, 1);
  assert_true(rcw_notify_ready() < 0);
  assert_true(rcw_notify_status("x") < 0);
  expect_nothing(m);
}

static void set_watchdog(const char *usec, long pid)
{
  char buf[32];
  if (usec)
    setenv("WATCHDOG_USEC", usec, 1);
  else
    unsetenv("WATCHDOG_USEC");
  snprintf(buf, sizeof(buf), "%ld", pid);
  if (pid)
    setenv("WATCHDOG_PID", buf, 1);
  else
    unsetenv("WATCHDOG_PID");
}

static void test_watchdog_interval(void **state)
{
  (void)state;
  long me = (long)getpid();
  set_watchdog(NULL, 0);
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 0);
  set_watchdog("30000000", me); /* WatchdogSec=30s */
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 15000);
  set_watchdog("30000000", 0); /* no WATCHDOG_PID: meant for us */
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 15000);
  set_watchdog("30000000", me + 1); /* a parent's watchdog, not ours */
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 0);
  set_watchdog("1500", me); /* below a millisecond when halved */
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 1);
  set_watchdog("soon", me);
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 0);
  set_watchdog("0", me);
  assert_int_equal(rcw_notify_watchdog_interval_ms(), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_states, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reloading_carries_monotonic_time, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_cut_to_cap_on_a_character, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nothing_sent_without_a_manager, setup, teardown),
    cmocka_unit_test_setup_teardown(test_manager_gone_is_an_error_not_a_crash, setup, teardown),
    cmocka_unit_test_setup_teardown(test_watchdog_interval, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
