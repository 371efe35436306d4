#include "splitter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

/* A pending partial line may hold RCW_LINE_MAX bytes plus a '\r' whose
 * '\n' has not arrived yet; one more byte of room is needed to read it. */
#define SPLITTER_MIN_CAP ((size_t)RCW_LINE_MAX + 2)

int rcw_splitter_init(struct rcw_splitter *s, size_t cap)
{
  memset(s, 0, sizeof(*s));
  if (cap < SPLITTER_MIN_CAP)
    cap = SPLITTER_MIN_CAP;
  s->buf = malloc(cap);
  if (!s->buf)
    return -ENOMEM;
  s->cap = cap;
  return 0;
}

void rcw_splitter_destroy(struct rcw_splitter *s)
{
  free(s->buf);
  memset(s, 0, sizeof(*s));
}

void rcw_splitter_reset(struct rcw_splitter *s)
{
  s->start = 0;
  s->end = 0;
  s->skipping = false;
  s->skipped = 0;
}

char *rcw_splitter_space(struct rcw_splitter *s, size_t *avail)
{
  /* Moving the partial line to the front keeps every read large; it is
   * short (at most RCW_LINE_MAX + 1 bytes) next to a full buffer. */
  if (s->start > 0) {
    memmove(s->buf, s->buf + s->start, s->end - s->start);
    s->end -= s->start;
    s->start = 0;
  }
  *avail = s->cap - s->end;
  return s->buf + s->end;
}

/* Over-long lines are handed over without their bytes (line NULL) and
 * with their full length, so callers cannot come to rely on a prefix that
 * is only sometimes still in the buffer. */
static void emit(const char *line, size_t len, rcw_line_cb cb, void *ctx)
{
  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len > RCW_LINE_MAX)
    cb(ctx, NULL, len, true);
  else
    cb(ctx, line, len, false);
}

/* Inside an over-long line: drop bytes up to its newline.  Returns where
 * normal splitting resumes, or NULL when the whole chunk was dropped. */
static char *skip_long_line(struct rcw_splitter *s, char *from, char *end,
                            rcw_line_cb cb, void *ctx)
{
  char *nl = memchr(from, '\n', (size_t)(end - from));
  if (!nl) {
    s->skipped += (uint64_t)(end - from);
    s->start = s->end = 0;
    return NULL;
  }
  uint64_t len = s->skipped + (uint64_t)(nl - from);
  /* The '\r' before the newline was dropped with the rest; it is not part
   * of the line, but the line is too long either way. */
  s->skipping = false;
  s->skipped = 0;
  cb(ctx, NULL, (size_t)len, true);
  return nl + 1;
}

void rcw_splitter_commit(struct rcw_splitter *s, size_t n, rcw_line_cb cb, void *ctx)
{
  char *end = s->buf + s->end + n;
  char *scan = s->buf + s->end; /* [start, old end) holds no newline */
  char *line = s->buf + s->start;
  s->end += n;
  if (s->skipping) {
    line = scan = skip_long_line(s, scan, end, cb, ctx);
    if (!line)
      return;
  }
  char *nl;
  while (scan < end && (nl = memchr(scan, '\n', (size_t)(end - scan))) != NULL) {
    emit(line, (size_t)(nl - line), cb, ctx);
    line = scan = nl + 1;
  }
  s->start = (size_t)(line - s->buf);
  size_t pending = s->end - s->start;
  if (pending > (size_t)RCW_LINE_MAX + 1) {
    /* Already too long whatever follows: stop buffering it. */
    s->skipping = true;
    s->skipped = pending;
    s->start = s->end = 0;
  } else if (pending == 0) {
    s->start = s->end = 0;
  }
}

void rcw_splitter_finish(struct rcw_splitter *s, rcw_line_cb cb, void *ctx)
{
  if (s->skipping)
    cb(ctx, NULL, (size_t)s->skipped, true);
  else if (s->end > s->start)
    emit(s->buf + s->start, s->end - s->start, cb, ctx);
  rcw_splitter_reset(s);
}

uint64_t rcw_splitter_pending(const struct rcw_splitter *s)
{
  return s->skipped + (uint64_t)(s->end - s->start);
}
