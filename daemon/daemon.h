/* daemon — `rcwatch run`: the libuv loop that wires the modules together.
 *
 *   tail -> ingest (parser, catalog, tallies) -> windows -> rules -> sinks
 *
 * plus the timers (rule evaluation each second, checkpoints, periodic
 * reports) and the signals of CONTRACT §1.  This layer owns the loop,
 * reads the clock once per callback, and is the one place that logs. */
#ifndef RCW_DAEMON_H
#define RCW_DAEMON_H

typedef struct rcw_daemon rcw_daemon;

/* Load the config at config_path, restore the state file, open the
 * sources and run until SIGTERM/SIGINT.  Returns the exit code. */
int rcw_daemon_main(const char *config_path);

#endif
