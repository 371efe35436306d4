#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool journal;
static enum rcw_log_level max_level = RCW_LOG_INFO;

static const char *level_name(enum rcw_log_level level)
{
  switch (level) {
  case RCW_LOG_ERROR: return "error";
  case RCW_LOG_WARNING: return "warning";
  case RCW_LOG_NOTICE: return "notice";
  case RCW_LOG_INFO: return "info";
  default: return "debug";
  }
}

/* systemd sets JOURNAL_STREAM=DEV:INODE for the stream it connected; it is
 * only ours if stderr still is that stream (a shell redirect changes it). */
static bool stderr_is_journal(void)
{
  const char *env = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;
  if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
    return false;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void rcw_log_init(void)
{
  journal = stderr_is_journal();
}

void rcw_log_set_max_level(enum rcw_log_level max)
{
  max_level = max;
}

bool rcw_log_to_journal(void)
{
  return journal;
}

static void write_prefix(enum rcw_log_level level)
{
  if (journal) {
    fprintf(stderr, "<%d>", (int)level);
    return;
  }
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ", tm.tm_year + 1900,
          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
          ts.tv_nsec / 1000000, level_name(level));
}

void rcw_log(enum rcw_log_level level, const char *fmt, ...)
{
  if (level > max_level)
    return;
  va_list ap;
  write_prefix(level);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
}
