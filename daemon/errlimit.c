/* Rate limit for repeated complaints about one path: a file that stays
 * unreadable is retried at every rescan, and the log must not fill with
 * the same line each second. */
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"

#define ERRLIMIT_PERIOD_MS 60000

bool rcw_errlimit_allow(struct rcw_errlimit *e, const char *path, int64_t now_ms)
{
  size_t oldest = 0;
  for (size_t i = 0; i < RCW_ERRLIMIT_SLOTS; i++) {
    if (e->path[i] && strcmp(e->path[i], path) == 0) {
      if (now_ms - e->last_ms[i] < ERRLIMIT_PERIOD_MS)
        return false;
      e->last_ms[i] = now_ms;
      return true;
    }
    if (!e->path[i] || e->last_ms[i] < e->last_ms[oldest])
      oldest = i;
  }
  /* A path not seen lately takes the stalest slot: with more failing paths
   * than slots a line may come more often than once a minute, never less. */
  char *copy = strdup(path);
  if (copy) {
    free(e->path[oldest]);
    e->path[oldest] = copy;
    e->last_ms[oldest] = now_ms;
  }
  return true;
}

void rcw_errlimit_free(struct rcw_errlimit *e)
{
  for (size_t i = 0; i < RCW_ERRLIMIT_SLOTS; i++) {
    free(e->path[i]);
    e->path[i] = NULL;
  }
}
