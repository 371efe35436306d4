/* json — streaming writer.  Commas and indentation come from the nesting
 * state, so callers only say what to write, and every string goes through
 * one escaper that makes arbitrary log bytes valid JSON. */
#include "json.h"

#include "timefmt.h"
#include "utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rcw_json_init(struct rcw_json *j, struct rcw_buf *out, bool pretty)
{
  memset(j, 0, sizeof(*j));
  j->out = out;
  j->pretty = pretty;
  j->first[0] = true;
}

/* Nesting deeper than the writer tracks cannot be written correctly: the
 * buffer is marked failed, like an allocation failure. */
static bool *first_here(struct rcw_json *j)
{
  int d = j->depth < RCW_JSON_MAX_DEPTH ? j->depth : RCW_JSON_MAX_DEPTH - 1;
  return &j->first[d];
}

static void newline(struct rcw_json *j)
{
  if (!j->pretty)
    return;
  rcw_buf_putc(j->out, '\n');
  rcw_buf_pad(j->out, ' ', 2 * (size_t)j->depth);
}

/* Separator before a value or a key: none after a key, a comma between
 * siblings, a newline between top-level values. */
static void before_value(struct rcw_json *j)
{
  bool *first = first_here(j);
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  if (j->depth == 0) {
    if (!*first)
      rcw_buf_putc(j->out, '\n');
    *first = false;
    return;
  }
  if (!*first)
    rcw_buf_putc(j->out, ',');
  *first = false;
  newline(j);
}

static void open_container(struct rcw_json *j, char c)
{
  before_value(j);
  rcw_buf_putc(j->out, c);
  j->depth++;
  if (j->depth >= RCW_JSON_MAX_DEPTH)
    j->out->oom = true;
  *first_here(j) = true;
}

static void close_container(struct rcw_json *j, char c)
{
  if (j->depth == 0) {
    j->out->oom = true;
    return;
  }
  bool empty = *first_here(j);
  j->depth--;
  if (!empty)
    newline(j);
  rcw_buf_putc(j->out, c);
}

void rcw_json_object_begin(struct rcw_json *j)
{
  open_container(j, '{');
}

void rcw_json_object_end(struct rcw_json *j)
{
  close_container(j, '}');
}

void rcw_json_array_begin(struct rcw_json *j)
{
  open_container(j, '[');
}

void rcw_json_array_end(struct rcw_json *j)
{
  close_container(j, ']');
}

void rcw_json_key(struct rcw_json *j, const char *key)
{
  before_value(j);
  rcw_buf_putc(j->out, '"');
  rcw_json_escape(j->out, key, strlen(key));
  rcw_buf_puts(j->out, j->pretty ? "\": " : "\":");
  j->after_key = true;
}

static void escape_byte(struct rcw_buf *b, unsigned char c)
{
  if (c == '"' || c == '\\') {
    char esc[2] = {'\\', (char)c};
    rcw_buf_append(b, esc, 2);
  } else {
    rcw_buf_printf(b, "\\u%04x", c);
  }
}

void rcw_json_escape(struct rcw_buf *b, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t run = 0; /* bytes since p[i - run] that need no escaping */
  for (size_t i = 0; i < len;) {
    size_t n = p[i] < 0x20 || p[i] == '"' || p[i] == '\\' ? 0 : rcw_utf8_decode(p + i, len - i, NULL);
    if (n > 0) {
      run += n;
      i += n;
      continue;
    }
    rcw_buf_append(b, p + i - run, run);
    run = 0;
    if (p[i] < 0x80)
      escape_byte(b, p[i]);
    else
      rcw_buf_puts(b, "\\ufffd");
    i++;
  }
  rcw_buf_append(b, p + len - run, run);
}

void rcw_json_stringn(struct rcw_json *j, const char *s, size_t len)
{
  before_value(j);
  rcw_buf_putc(j->out, '"');
  rcw_json_escape(j->out, s, len);
  rcw_buf_putc(j->out, '"');
}

void rcw_json_string(struct rcw_json *j, const char *s)
{
  if (!s) {
    rcw_json_null(j);
    return;
  }
  rcw_json_stringn(j, s, strlen(s));
}

void rcw_json_int(struct rcw_json *j, int64_t v)
{
  before_value(j);
  rcw_buf_printf(j->out, "%" PRId64, v);
}

void rcw_json_uint(struct rcw_json *j, uint64_t v)
{
  before_value(j);
  rcw_buf_printf(j->out, "%" PRIu64, v);
}

/* The shortest of %.15g, %.16g and %.17g that reads back as the same
 * double, with ".0" on integral values so readers keep them as floats. */
void rcw_json_double(struct rcw_json *j, double v)
{
  char text[40];
  if (!isfinite(v)) {
    rcw_json_null(j);
    return;
  }
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(text, sizeof(text), "%.*g", digits, v);
    if (strtod(text, NULL) == v)
      break;
  }
  if (strspn(text, "-0123456789") == strlen(text))
    strcat(text, ".0");
  before_value(j);
  rcw_buf_puts(j->out, text);
}

void rcw_json_bool(struct rcw_json *j, bool v)
{
  before_value(j);
  rcw_buf_puts(j->out, v ? "true" : "false");
}

void rcw_json_null(struct rcw_json *j)
{
  before_value(j);
  rcw_buf_puts(j->out, "null");
}

void rcw_format_time(int64_t ms, char *out, size_t outlen)
{
  char text[RCW_TIME_ISO_LEN];
  rcw_time_format_iso(ms, text);
  snprintf(out, outlen, "%s", text);
}

void rcw_json_time(struct rcw_json *j, int64_t ms)
{
  char text[RCW_TIME_TEXT_MAX];
  rcw_format_time(ms, text, sizeof(text));
  rcw_json_string(j, text);
}
