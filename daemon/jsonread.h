/* jsonread — a small, strict JSON (RFC 8259) reader into a tree, for
 * documents rcwatch wrote itself and reads back: report files and state.
 *
 * Strict: no comments, no trailing commas, no BOM, no leading zeros, no
 * raw control characters in strings, no duplicate keys in an object, and
 * strings must be valid UTF-8 (lone surrogates in \u escapes included).
 * Everything a document can grow is capped (nesting depth, input size,
 * number of values), so a hostile file costs bounded memory and stack.
 *
 * Errors carry the 1-based line and column (columns count characters, not
 * bytes) of the offending input.  Every value also records where it
 * started, so callers can point at a value that parses but means nothing
 * to them.  Never logs. */
#ifndef RCW_JSONREAD_H
#define RCW_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RCW_JREAD_MAX_DEPTH 64
#define RCW_JREAD_MAX_SIZE ((size_t)16 << 20) /* bytes of input */
#define RCW_JREAD_MAX_VALUES ((size_t)1 << 20)  /* ~48 MiB of tree at most */

/* Caps for one parse; a zero field takes the default above. */
struct rcw_jread_limits {
  size_t max_depth;
  size_t max_size;
  size_t max_values;
};

enum rcw_jtype {
  RCW_JNULL,
  RCW_JBOOL,
  RCW_JNUMBER,
  RCW_JSTRING,
  RCW_JARRAY,
  RCW_JOBJECT,
};

struct rcw_jmember;

/* One value.  Read-only for callers; owned by its rcw_jdoc. */
struct rcw_jval {
  enum rcw_jtype type;
  int line, column; /* where the value starts */
  union {
    bool b;
    struct {
      double d;       /* always set */
      bool is_int;    /* integral and fits int64: i is exact */
      bool is_uint;   /* integral and fits uint64: u is exact */
      int64_t i;
      uint64_t u;
    } num;
    struct {
      char *s;   /* unescaped, NUL-terminated; may hold NUL (\u0000) */
      size_t len;
    } str;
    struct {
      struct rcw_jval *items;
      size_t n;
    } arr;
    struct {
      struct rcw_jmember *members; /* in document order */
      size_t n;
    } obj;
  } u;
};

struct rcw_jmember {
  char *key; /* unescaped, NUL-terminated */
  size_t key_len;
  struct rcw_jval value;
};

struct rcw_jread_error {
  int line, column; /* 0 when the error has no position (out of memory) */
  char message[128];
};

typedef struct rcw_jdoc rcw_jdoc;

/* Parse data[0..len) as one JSON text.  Returns 0 and *out, or: -EINVAL
 * (not valid JSON), -E2BIG (over a cap), -ENOMEM; err (may be NULL) then
 * says what and where.  *out is set only on success. */
int rcw_jread_parse(const char *data, size_t len, const struct rcw_jread_limits *lim,
                    rcw_jdoc **out, struct rcw_jread_error *err);
void rcw_jdoc_free(rcw_jdoc *doc); /* accepts NULL */
const struct rcw_jval *rcw_jdoc_root(const rcw_jdoc *doc);
size_t rcw_jdoc_value_count(const rcw_jdoc *doc);

/* The member named key of an object, or NULL (also when v is not an
 * object or is NULL). */
const struct rcw_jval *rcw_jval_get(const struct rcw_jval *v, const char *key);
const char *rcw_jtype_name(enum rcw_jtype t);

#endif
