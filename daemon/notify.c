#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#define STATUS_PREFIX "STATUS="

bool rcw_notify_active(void)
{
  const char *s = getenv("NOTIFY_SOCKET");
  return s && *s;
}

/* The one place a datagram leaves.  Checking the socket here, not only
 * inside sd_notify, keeps "no manager, no traffic" true whatever
 * libsystemd version is linked. */
static int send_state(const char *state)
{
  if (!rcw_notify_active())
    return 0;
  return sd_notify(0, state);
}

int rcw_notify_ready(void)
{
  return send_state("READY=1");
}

int rcw_notify_stopping(void)
{
  return send_state("STOPPING=1");
}

int rcw_notify_watchdog(void)
{
  return send_state("WATCHDOG=1");
}

/* systemd matches the reload to the READY=1 that ends it by this
 * CLOCK_MONOTONIC timestamp (systemd >= 253; older ones ignore it). */
int rcw_notify_reloading(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return send_state("RELOADING=1");
  uint64_t usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
  char msg[64];
  snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, usec);
  return send_state(msg);
}

/* Where to cut s (len bytes, the rest lost) so that no half UTF-8
 * sequence is left at the end: before the last character when its lead
 * byte announces more bytes than remain. */
static size_t utf8_cut(const unsigned char *s, size_t len)
{
  size_t start = len;
  while (start > 0 && (s[start - 1] & 0xC0) == 0x80)
    start--;
  if (start == 0)
    return len; /* no lead byte at all: not UTF-8, keep the bytes */
  unsigned char lead = s[--start];
  size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return start + need > len ? start : len;
}

/* The protocol separates assignments by newlines, so the text must be
 * one line; other control characters would garble `systemctl status`. */
static void flatten(char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7F)
      *s = ' ';
}

int rcw_notify_status(const char *fmt, ...)
{
  if (!rcw_notify_active())
    return 0;
  char msg[sizeof(STATUS_PREFIX) + RCW_NOTIFY_STATUS_MAX];
  char *text = msg + strlen(STATUS_PREFIX);
  size_t room = RCW_NOTIFY_STATUS_MAX + 1;
  memcpy(msg, STATUS_PREFIX, strlen(STATUS_PREFIX));
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, room, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -EINVAL;
  if ((size_t)n >= room)
    text[utf8_cut((const unsigned char *)text, RCW_NOTIFY_STATUS_MAX)] = '\0';
  flatten(text);
  return send_state(msg);
}

uint64_t rcw_notify_watchdog_interval_ms(void)
{
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
    return 0;
  uint64_t ms = usec / 2000u;
  return ms > 0 ? ms : 1;
}
