/* splitter — cuts a byte stream into lines with no copy and no allocation
 * per line.  The caller reads straight into the splitter's buffer
 * (rcw_splitter_space), then commits what it read; every complete line is
 * handed to a callback as a slice of that buffer.
 *
 * CONTRACT §6: a trailing '\r' is dropped; a line longer than RCW_LINE_MAX
 * is reported once with too_long set (its bytes are skipped up to the next
 * newline, never buffered); a final line with no newline is held back
 * until more bytes arrive or rcw_splitter_finish is called. */
#ifndef RCW_SPLITTER_H
#define RCW_SPLITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*rcw_line_cb)(void *ctx, const char *line, size_t len, bool too_long);

struct rcw_splitter {
  char *buf;
  size_t cap;
  size_t start; /* first byte of the pending partial line */
  size_t end;   /* end of valid data */
  bool skipping; /* inside an over-long line: drop bytes until '\n' */
  uint64_t skipped; /* bytes of the current over-long line dropped so far */
};

/* cap: buffer size, at least RCW_LINE_MAX + 1 is enforced.  0 or -ENOMEM. */
int rcw_splitter_init(struct rcw_splitter *s, size_t cap);
void rcw_splitter_destroy(struct rcw_splitter *s);
void rcw_splitter_reset(struct rcw_splitter *s); /* drop any partial line */

/* Where to read next, and how many bytes fit (always > 0). */
char *rcw_splitter_space(struct rcw_splitter *s, size_t *avail);
/* n bytes were written at the space: call cb for each complete line. */
void rcw_splitter_commit(struct rcw_splitter *s, size_t n, rcw_line_cb cb, void *ctx);
/* End of input: hand over the last line if it has no newline. */
void rcw_splitter_finish(struct rcw_splitter *s, rcw_line_cb cb, void *ctx);
/* Bytes committed but not yet handed over (an incomplete line): the
 * caller's durable offset is its read offset minus this. */
uint64_t rcw_splitter_pending(const struct rcw_splitter *s);

#endif
