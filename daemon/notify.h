/* notify — tells the service manager how `rcwatch run` is doing, over
 * the sd_notify protocol (a datagram to $NOTIFY_SOCKET).  The unit is
 * Type=notify: systemd considers the service started only at
 * rcw_notify_ready(), and restarts it when the watchdog pings stop.
 *
 * Outside systemd (NOTIFY_SOCKET unset) every call is a no-op that
 * returns 0, so the daemon calls them unconditionally.  Each sending call
 * returns 1 when a datagram went out, 0 when there was nowhere to send
 * it, or a negative errno; the daemon may ignore the result, since a
 * lost notification must never stop it.
 *
 * NOTIFY_SOCKET stays in the environment (the watchdog needs it for the
 * whole run), so programs the daemon starts inherit it; the unit's
 * NotifyAccess=main makes systemd ignore anything they send. */
#ifndef RCW_NOTIFY_H
#define RCW_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* The longest STATUS= text sent; a longer one is cut at a UTF-8
 * character boundary.  systemctl status shows one line, so more would
 * only be hidden. */
#define RCW_NOTIFY_STATUS_MAX 512

/* True when a service manager listens ($NOTIFY_SOCKET is set): lets the
 * caller skip composing a status nobody reads. */
bool rcw_notify_active(void);

/* READY=1: start-up (or a reload) is complete — the state is restored,
 * the sources are open and /metrics listens. */
int rcw_notify_ready(void);

/* STATUS=<text>: one line for `systemctl status`.  Newlines and other
 * control characters become spaces. */
int rcw_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with MONOTONIC_USEC=<now>: a reload has begun (systemd's
 * reload protocol); follow it with rcw_notify_ready() when the reload is
 * over, whether the new config was taken or refused. */
int rcw_notify_reloading(void);

/* STOPPING=1: shutdown has begun. */
int rcw_notify_stopping(void);

/* How often to call rcw_notify_watchdog(), in milliseconds: half of
 * $WATCHDOG_USEC when the watchdog is on for this process
 * ($WATCHDOG_PID, when set, names it), else 0.  Never 0 when on. */
uint64_t rcw_notify_watchdog_interval_ms(void);

/* WATCHDOG=1: the loop is alive.  Call it from a loop timer, so a stuck
 * loop stops the pings and systemd restarts the service. */
int rcw_notify_watchdog(void);

#endif
