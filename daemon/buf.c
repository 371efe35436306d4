/* buf — growable output buffer with a sticky allocation failure. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN 256

void rcw_buf_free(struct rcw_buf *b)
{
  free(b->data);
  *b = (struct rcw_buf)RCW_BUF_INIT;
}

void rcw_buf_reset(struct rcw_buf *b)
{
  b->len = 0;
  b->oom = false;
  if (b->data)
    b->data[0] = '\0';
}

/* Room for len more bytes plus the terminating NUL. */
static bool reserve(struct rcw_buf *b, size_t len)
{
  if (b->oom)
    return false;
  if (len >= SIZE_MAX / 2 - b->len) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + len + 1;
  if (need <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : BUF_MIN;
  while (cap < need)
    cap *= 2;
  char *data = realloc(b->data, cap);
  if (!data) {
    b->oom = true;
    return false;
  }
  b->data = data;
  b->cap = cap;
  return true;
}

void rcw_buf_append(struct rcw_buf *b, const void *data, size_t len)
{
  if (!reserve(b, len))
    return;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void rcw_buf_puts(struct rcw_buf *b, const char *s)
{
  rcw_buf_append(b, s, strlen(s));
}

void rcw_buf_putc(struct rcw_buf *b, char c)
{
  rcw_buf_append(b, &c, 1);
}

void rcw_buf_printf(struct rcw_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if (!reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void rcw_buf_pad(struct rcw_buf *b, char c, size_t n)
{
  if (!reserve(b, n))
    return;
  memset(b->data + b->len, c, n);
  b->len += n;
  b->data[b->len] = '\0';
}
