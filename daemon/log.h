/* log — the daemon's own log lines on stderr.  Only the daemon layer logs
 * (library modules return errors); each event is logged once, where it is
 * decided.  When stderr is the journal (JOURNAL_STREAM matches stderr's
 * device and inode) each line carries a "<N>" syslog priority prefix so
 * journald records the level; otherwise lines start with a UTC timestamp
 * and the level name. */
#ifndef RCW_LOG_H
#define RCW_LOG_H

#include <stdbool.h>

enum rcw_log_level {
  RCW_LOG_ERROR = 3,   /* syslog LOG_ERR */
  RCW_LOG_WARNING = 4, /* LOG_WARNING */
  RCW_LOG_NOTICE = 5,  /* LOG_NOTICE: alerts, start, stop, reload */
  RCW_LOG_INFO = 6,    /* LOG_INFO */
  RCW_LOG_DEBUG = 7,   /* LOG_DEBUG */
};

/* Decide the line format from the environment; call once at start. */
void rcw_log_init(void);
void rcw_log_set_max_level(enum rcw_log_level max);
bool rcw_log_to_journal(void);

void rcw_log(enum rcw_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define rcw_log_error(...) rcw_log(RCW_LOG_ERROR, __VA_ARGS__)
#define rcw_log_warning(...) rcw_log(RCW_LOG_WARNING, __VA_ARGS__)
#define rcw_log_notice(...) rcw_log(RCW_LOG_NOTICE, __VA_ARGS__)
#define rcw_log_info(...) rcw_log(RCW_LOG_INFO, __VA_ARGS__)
#define rcw_log_debug(...) rcw_log(RCW_LOG_DEBUG, __VA_ARGS__)

#endif
