/* cfg_yaml — a YAML document read with libyaml's event API into a small
 * tree of nodes that remember where they were written.
 *
 * Why not libyaml's own document loader: it expands nothing and checks
 * nothing, so a "billion laughs" file or a million nested brackets would
 * reach the validator intact.  Reading events lets the reader stop at a
 * depth cap and at a cap on the node count *with aliases expanded* (an
 * alias shares the anchored subtree, so memory stays small while the
 * count still sees what a walk over the tree would visit).
 *
 * Scalars are text: whether `48` is a number is the schema's business.
 * Plain `~`, `null` and an empty plain value become CFG_NULL. */
#ifndef RCW_CFG_YAML_H
#define RCW_CFG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 100000 /* with aliases expanded */
#define CFG_MAX_ANCHORS 256
#define CFG_MAX_FILE_SIZE (4u * 1024 * 1024)

enum cfg_kind { CFG_NULL, CFG_SCALAR, CFG_SEQ, CFG_MAP };

struct cfg_node {
  enum cfg_kind kind;
  int line, column; /* 1-based */
  char *text;       /* scalar: NUL-terminated, no NUL inside */
  size_t len;
  bool quoted;      /* scalar written in '' or "": its text starts a column later */
  /* seq: items; map: key, value, key, value ... (nitems is even) */
  struct cfg_node **items;
  size_t nitems, cap;
  size_t weight; /* nodes in this subtree with aliases expanded */
};

struct cfg_doc {
  struct cfg_node *root; /* NULL for an empty file */
  struct cfg_node **all; /* every node, for freeing */
  size_t nall, capall;
};

/* Read buf into doc.  0, or -EINVAL after adding one diagnostic (the YAML
 * error, or the cap that was hit) located in `file`, or -ENOMEM. */
int cfg_yaml_read(const char *buf, size_t len, const char *file, struct cfg_doc *doc,
                  rcw_diags *d);
void cfg_doc_free(struct cfg_doc *doc);

size_t cfg_map_size(const struct cfg_node *map); /* pairs */
const struct cfg_node *cfg_map_key(const struct cfg_node *map, size_t i);
const struct cfg_node *cfg_map_value(const struct cfg_node *map, size_t i);
/* The value of the first key equal to name, or NULL. */
const struct cfg_node *cfg_map_get(const struct cfg_node *map, const char *name);
/* The key node itself, for locating a message at the key. */
const struct cfg_node *cfg_map_get_key(const struct cfg_node *map, const char *name);

#endif
