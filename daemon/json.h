/* json — a small streaming JSON writer on a rcw_buf.  It tracks commas and
 * indentation, escapes every string (bytes from log lines may hold quotes,
 * control characters, NUL or invalid UTF-8: invalid sequences become
 * U+FFFD, so the output is always valid JSON), and writes doubles so they
 * read back exactly. */
#ifndef RCW_JSON_H
#define RCW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RCW_JSON_MAX_DEPTH 32

struct rcw_json {
  struct rcw_buf *out;
  bool pretty; /* 2-space indentation; false: one line */
  int depth;
  bool first[RCW_JSON_MAX_DEPTH]; /* no value yet at this depth */
  bool after_key;
};

void rcw_json_init(struct rcw_json *j, struct rcw_buf *out, bool pretty);
void rcw_json_object_begin(struct rcw_json *j);
void rcw_json_object_end(struct rcw_json *j);
void rcw_json_array_begin(struct rcw_json *j);
void rcw_json_array_end(struct rcw_json *j);
void rcw_json_key(struct rcw_json *j, const char *key);
void rcw_json_string(struct rcw_json *j, const char *s); /* NULL writes null */
void rcw_json_stringn(struct rcw_json *j, const char *s, size_t len);
void rcw_json_int(struct rcw_json *j, int64_t v);
void rcw_json_uint(struct rcw_json *j, uint64_t v);
void rcw_json_double(struct rcw_json *j, double v); /* NaN/inf write null */
void rcw_json_bool(struct rcw_json *j, bool v);
void rcw_json_null(struct rcw_json *j);
/* A time in ms as an ISO 8601 UTC string with milliseconds. */
void rcw_json_time(struct rcw_json *j, int64_t ms);
/* The same text into out (at least RCW_TIME_TEXT_MAX bytes), for text
 * output that must show times exactly as the JSON does. */
#define RCW_TIME_TEXT_MAX 40
void rcw_format_time(int64_t ms, char *out, size_t outlen);

/* Escape s[0..len) as the inside of a JSON string (no quotes) onto b. */
void rcw_json_escape(struct rcw_buf *b, const char *s, size_t len);

#endif
