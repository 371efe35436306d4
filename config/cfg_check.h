/* cfg_check — the vocabulary the section checkers share: key paths for
 * messages, typed reads of YAML nodes, and a table-driven walk over a
 * mapping that rejects unknown and duplicate keys and reports missing
 * required ones.
 *
 * Every read reports its own error (at the node, naming the key path) and
 * returns false, so a checker simply carries on with the next key: that
 * is how one run reports every error of a file. */
#ifndef RCW_CFG_CHECK_H
#define RCW_CFG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg_yaml.h"
#include "diag.h"

/* A key path such as rules[2].window, as a chain of stack frames: the
 * checkers build it as they descend and only an error formats it. */
struct cfg_path {
  const struct cfg_path *up;
  const char *key; /* NULL: a list index */
  size_t index;
};

#define CFG_KEY(parent, k) (&(struct cfg_path){(parent), (k), 0})
#define CFG_IDX(parent, i) (&(struct cfg_path){(parent), NULL, (i)})

struct cfg_ctx {
  const char *file;
  rcw_diags *d;
  size_t errors;
  bool oom;
};

__attribute__((format(printf, 4, 5)))
void cfg_error(struct cfg_ctx *c, const struct cfg_node *at, const struct cfg_path *p,
               const char *fmt, ...);

/* Allocation that records failure in c->oom instead of every caller
 * checking: the loader turns a set flag into -ENOMEM at the end. */
void *cfg_alloc(struct cfg_ctx *c, size_t n, size_t size);
char *cfg_strdup(struct cfg_ctx *c, const char *s);

/* User text quoted in a message: control characters escaped (a message
 * is one line), cut after CFG_QUOTE_MAX bytes.  Use as cfg_quote(s).s in
 * the argument list; the buffer lives until the end of the statement. */
#define CFG_QUOTE_MAX 64
struct cfg_quoted {
  char s[CFG_QUOTE_MAX * 4 + 4];
};
struct cfg_quoted cfg_quote(const char *s);
/* "a mapping", "a list", "a string", "nothing" */
const char *cfg_kind_name(const struct cfg_node *n);

bool cfg_is_map(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p);
bool cfg_is_list(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                 const char *of_what);
bool cfg_is_string(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p);

/* A string; empty ones only with empty_ok.  *out is allocated. */
bool cfg_read_str(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                  bool empty_ok, char **out);
/* A list of non-empty strings (or one string, with one_ok), at most max,
 * NULL-terminated in *out. */
bool cfg_read_strs(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   bool one_ok, size_t max, char ***out, size_t *nout);
bool cfg_read_bool(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   bool *out);
bool cfg_read_duration(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                       int64_t min_ms, int64_t max_ms, int64_t *out);
bool cfg_read_int(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                  int64_t min, int64_t max, int64_t *out);
/* One of names[0..n); *out is its index. */
bool cfg_read_enum(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   const char *const *names, size_t nnames, int *out);

/* A name users refer to elsewhere (source, parser, rule, category):
 * letters, digits, '_', '-', '.', at most CFG_NAME_MAX bytes. */
#define CFG_NAME_MAX 64
bool cfg_read_name(struct cfg_ctx *c, const struct cfg_node *n, const struct cfg_path *p,
                   char **out);
bool cfg_valid_name(const char *s);

/* In a list of mappings: the `key` value of an earlier item equal to item
 * i's, or NULL — how duplicate names are found and located. */
const struct cfg_node *cfg_earlier_name(const struct cfg_node *list, size_t i, const char *key);

/* Call fn for each key of a mapping, in order, skipping (and reporting)
 * keys that are not strings and repeats of a key.  p is the mapping's
 * path; fn gets the path of the value. */
typedef void (*cfg_pair_fn)(struct cfg_ctx *c, const struct cfg_node *key,
                            const struct cfg_node *val, const struct cfg_path *p, void *obj);
bool cfg_map_each(struct cfg_ctx *c, const struct cfg_node *map, const struct cfg_path *p,
                  cfg_pair_fn fn, void *obj);

/* The strings of a NULL-terminated vector, then the vector; accepts NULL. */
void cfg_strv_free(char **v);

/* --- table-driven mappings ------------------------------------------- */
enum cfg_type {
  CFG_T_STR,      /* char * */
  CFG_T_STRS,     /* char ** at off, size_t count at off_n */
  CFG_T_BOOL,     /* bool */
  CFG_T_DURATION, /* int64_t ms, within [min, max] */
  CFG_T_SIZE,     /* size_t, within [min, max] */
  CFG_T_NODE,     /* const struct cfg_node *, checked by the caller */
};

#define CFG_REQUIRED 1u
#define CFG_EMPTY_OK 2u /* CFG_T_STR: "" allowed */
#define CFG_ONE_OK 4u   /* CFG_T_STRS: a single string is a list of one */

struct cfg_field {
  const char *key;
  enum cfg_type type;
  size_t off;
  size_t off_n;
  unsigned flags;
  int64_t min, max;
};

/* Read each known key into obj; report unknown keys (listing the known
 * ones), repeated keys and missing required keys.  Returns a mask of the
 * fields present (bit i: fields[i]), or 0 when map is not a mapping.  At
 * most 64 fields. */
uint64_t cfg_map_walk(struct cfg_ctx *c, const struct cfg_node *map, const struct cfg_path *p,
                      const struct cfg_field *fields, size_t nfields, void *obj);

#define CFG_NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

#endif
