/* buf — a growable byte buffer for rendering output.  Allocation failure
 * is sticky (oom set, further appends ignored) so renderers need not check
 * every call; check oom once at the end. */
#ifndef RCW_BUF_H
#define RCW_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct rcw_buf {
  char *data; /* NUL-terminated when len > 0 or after any append */
  size_t len;
  size_t cap;
  bool oom;
};

#define RCW_BUF_INIT {NULL, 0, 0, false}

void rcw_buf_free(struct rcw_buf *b);
void rcw_buf_reset(struct rcw_buf *b); /* len = 0, keeps the memory */
void rcw_buf_append(struct rcw_buf *b, const void *data, size_t len);
void rcw_buf_puts(struct rcw_buf *b, const char *s);
void rcw_buf_putc(struct rcw_buf *b, char c);
void rcw_buf_printf(struct rcw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append n copies of c (padding for aligned columns). */
void rcw_buf_pad(struct rcw_buf *b, char c, size_t n);

#endif
