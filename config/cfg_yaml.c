#include "cfg_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_CORE_TAG "tag:yaml.org,2002:"

struct anchor {
  char *name;
  struct cfg_node *node;
};

struct frame {
  struct cfg_node *node;
  char *anchor; /* registered when the collection ends, so an alias inside
                   it cannot refer to it and make a cycle */
};

struct reader {
  yaml_parser_t parser;
  const char *buf;
  size_t len;
  const char *file;
  rcw_diags *d;
  struct cfg_doc *doc;
  struct frame stack[CFG_MAX_DEPTH];
  size_t depth;
  struct anchor anchors[CFG_MAX_ANCHORS];
  size_t nanchors;
  size_t total; /* nodes so far, aliases expanded */
  int documents;
  bool done;
};

__attribute__((format(printf, 3, 4)))
static int fail_at(struct reader *rd, yaml_mark_t m, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  rcw_diags_vadd(rd->d, rd->file, (int)m.line + 1, (int)m.column + 1, fmt, ap);
  va_end(ap);
  return -EINVAL;
}

static size_t add_weight(size_t a, size_t b)
{
  size_t s = a + b;
  return s < a || s > CFG_MAX_NODES + 1 ? CFG_MAX_NODES + 1 : s;
}

static struct cfg_node *node_new(struct reader *rd, enum cfg_kind kind, yaml_mark_t m)
{
  struct cfg_doc *doc = rd->doc;
  if (doc->nall == doc->capall) {
    size_t cap = doc->capall ? doc->capall * 2 : 64;
    struct cfg_node **all = realloc(doc->all, cap * sizeof(*all));
    if (!all)
      return NULL;
    doc->all = all;
    doc->capall = cap;
  }
  struct cfg_node *n = calloc(1, sizeof(*n));
  if (!n)
    return NULL;
  n->kind = kind;
  n->line = (int)m.line + 1;
  n->column = (int)m.column + 1;
  n->weight = 1;
  doc->all[doc->nall++] = n;
  return n;
}

/* Count nodes as they arrive, so an alias bomb stops at the alias that
 * crosses the cap instead of after the walk it would cause. */
static int count_nodes(struct reader *rd, size_t n, yaml_mark_t m)
{
  rd->total = add_weight(rd->total, n);
  if (rd->total <= CFG_MAX_NODES)
    return 0;
  return fail_at(rd, m, "document too large: more than %d nodes once aliases are expanded",
                 CFG_MAX_NODES);
}

static int push_item(struct cfg_node *parent, struct cfg_node *child)
{
  if (parent->nitems == parent->cap) {
    size_t cap = parent->cap ? parent->cap * 2 : 8;
    struct cfg_node **items = realloc(parent->items, cap * sizeof(*items));
    if (!items)
      return -ENOMEM;
    parent->items = items;
    parent->cap = cap;
  }
  parent->items[parent->nitems++] = child;
  parent->weight = add_weight(parent->weight, child->weight);
  return 0;
}

static int attach(struct reader *rd, struct cfg_node *n)
{
  if (rd->depth == 0) {
    rd->doc->root = n;
    return 0;
  }
  return push_item(rd->stack[rd->depth - 1].node, n);
}

static int add_anchor(struct reader *rd, const char *name, struct cfg_node *n, yaml_mark_t m)
{
  if (!name)
    return 0;
  for (size_t i = 0; i < rd->nanchors; i++)
    if (strcmp(rd->anchors[i].name, name) == 0) {
      rd->anchors[i].node = n;
      return 0;
    }
  if (rd->nanchors == CFG_MAX_ANCHORS)
    return fail_at(rd, m, "too many anchors (at most %d)", CFG_MAX_ANCHORS);
  char *copy = strdup(name);
  if (!copy)
    return -ENOMEM;
  rd->anchors[rd->nanchors++] = (struct anchor){copy, n};
  return 0;
}

static int check_tag(struct reader *rd, const yaml_char_t *tag, yaml_mark_t m)
{
  if (!tag || strncmp((const char *)tag, YAML_CORE_TAG, strlen(YAML_CORE_TAG)) == 0)
    return 0;
  return fail_at(rd, m, "tag %s is not supported", (const char *)tag);
}

static bool is_null(const yaml_event_t *ev)
{
  const char *v = (const char *)ev->data.scalar.value;
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
    return false;
  return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
         strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static int on_scalar(struct reader *rd, const yaml_event_t *ev)
{
  yaml_mark_t m = ev->start_mark;
  size_t len = ev->data.scalar.length;
  int r = check_tag(rd, ev->data.scalar.tag, m);
  if (r < 0)
    return r;
  if (memchr(ev->data.scalar.value, '\0', len))
    return fail_at(rd, m, "a NUL character cannot appear in a config string");
  if ((r = count_nodes(rd, 1, m)) < 0)
    return r;
  struct cfg_node *n = node_new(rd, is_null(ev) ? CFG_NULL : CFG_SCALAR, m);
  if (!n || !(n->text = strdup((const char *)ev->data.scalar.value)))
    return -ENOMEM;
  n->len = len;
  n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
              ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  if ((r = attach(rd, n)) < 0)
    return r;
  return add_anchor(rd, (const char *)ev->data.scalar.anchor, n, m);
}

static int on_alias(struct reader *rd, const yaml_event_t *ev)
{
  const char *name = (const char *)ev->data.alias.anchor;
  for (size_t i = rd->nanchors; i-- > 0;) {
    if (strcmp(rd->anchors[i].name, name) != 0)
      continue;
    int r = count_nodes(rd, rd->anchors[i].node->weight, ev->start_mark);
    return r < 0 ? r : attach(rd, rd->anchors[i].node);
  }
  return fail_at(rd, ev->start_mark, "alias *%s refers to no anchor defined before it", name);
}

static int on_start(struct reader *rd, const yaml_event_t *ev, enum cfg_kind kind,
                    const yaml_char_t *anchor, const yaml_char_t *tag)
{
  yaml_mark_t m = ev->start_mark;
  if (rd->depth == CFG_MAX_DEPTH)
    return fail_at(rd, m, "nesting deeper than %d levels", CFG_MAX_DEPTH);
  int r = check_tag(rd, tag, m);
  if (r < 0 || (r = count_nodes(rd, 1, m)) < 0)
    return r;
  struct cfg_node *n = node_new(rd, kind, m);
  char *a = anchor ? strdup((const char *)anchor) : NULL;
  if (!n || (anchor && !a)) {
    free(a);
    return -ENOMEM;
  }
  rd->stack[rd->depth++] = (struct frame){n, a};
  return 0;
}

static int on_end(struct reader *rd, const yaml_event_t *ev)
{
  struct frame f = rd->stack[--rd->depth];
  int r = attach(rd, f.node);
  if (r == 0)
    r = add_anchor(rd, f.anchor, f.node, ev->start_mark);
  free(f.anchor);
  return r;
}

static int on_event(struct reader *rd, const yaml_event_t *ev)
{
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++rd->documents > 1)
      return fail_at(rd, ev->start_mark, "a config is one YAML document; a second one starts here");
    return 0;
  case YAML_SCALAR_EVENT:
    return on_scalar(rd, ev);
  case YAML_ALIAS_EVENT:
    return on_alias(rd, ev);
  case YAML_SEQUENCE_START_EVENT:
    return on_start(rd, ev, CFG_SEQ, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
  case YAML_MAPPING_START_EVENT:
    return on_start(rd, ev, CFG_MAP, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    return on_end(rd, ev);
  case YAML_STREAM_END_EVENT:
    rd->done = true;
    return 0;
  default:
    return 0;
  }
}

/* libyaml reports bad encoding by byte offset only. */
static yaml_mark_t mark_of_offset(const struct reader *rd, size_t offset)
{
  yaml_mark_t m = {0, 0, 0};
  for (size_t i = 0; i < offset && i < rd->len; i++) {
    if (rd->buf[i] == '\n') {
      m.line++;
      m.column = 0;
    } else {
      m.column++;
    }
  }
  return m;
}

static int syntax_error(struct reader *rd)
{
  const yaml_parser_t *p = &rd->parser;
  if (p->error == YAML_MEMORY_ERROR)
    return -ENOMEM;
  const char *problem = p->problem ? p->problem : "malformed document";
  if (p->error == YAML_READER_ERROR)
    return fail_at(rd, mark_of_offset(rd, p->problem_offset), "yaml error: %s", problem);
  if (!p->context)
    return fail_at(rd, p->problem_mark, "yaml syntax error: %s", problem);
  return fail_at(rd, p->problem_mark, "yaml syntax error: %s (%s at line %d, column %d)",
                 problem, p->context, (int)p->context_mark.line + 1,
                 (int)p->context_mark.column + 1);
}

static void reader_destroy(struct reader *rd)
{
  for (size_t i = 0; i < rd->nanchors; i++)
    free(rd->anchors[i].name);
  while (rd->depth > 0)
    free(rd->stack[--rd->depth].anchor);
  yaml_parser_delete(&rd->parser);
}

int cfg_yaml_read(const char *buf, size_t len, const char *file, struct cfg_doc *doc,
                  rcw_diags *d)
{
  static struct reader zero;
  struct reader *rd = malloc(sizeof(*rd));
  if (!rd)
    return -ENOMEM;
  *rd = zero;
  *doc = (struct cfg_doc){0};
  rd->buf = buf;
  rd->len = len;
  rd->file = file;
  rd->d = d;
  rd->doc = doc;
  int r = yaml_parser_initialize(&rd->parser) ? 0 : -ENOMEM;
  if (r == 0)
    yaml_parser_set_input_string(&rd->parser, (const unsigned char *)buf, len);
  while (r == 0 && !rd->done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&rd->parser, &ev)) {
      r = syntax_error(rd);
      break;
    }
    r = on_event(rd, &ev);
    yaml_event_delete(&ev);
  }
  reader_destroy(rd);
  free(rd);
  if (r < 0)
    cfg_doc_free(doc);
  return r;
}

void cfg_doc_free(struct cfg_doc *doc)
{
  if (!doc)
    return;
  for (size_t i = 0; i < doc->nall; i++) {
    free(doc->all[i]->text);
    free(doc->all[i]->items);
    free(doc->all[i]);
  }
  free(doc->all);
  *doc = (struct cfg_doc){0};
}

size_t cfg_map_size(const struct cfg_node *map)
{
  return map && map->kind == CFG_MAP ? map->nitems / 2 : 0;
}

const struct cfg_node *cfg_map_key(const struct cfg_node *map, size_t i)
{
  return map->items[2 * i];
}

const struct cfg_node *cfg_map_value(const struct cfg_node *map, size_t i)
{
  return map->items[2 * i + 1];
}

const struct cfg_node *cfg_map_get_key(const struct cfg_node *map, const char *name)
{
  for (size_t i = 0; i < cfg_map_size(map); i++) {
    const struct cfg_node *k = cfg_map_key(map, i);
    if (k->kind == CFG_SCALAR && strcmp(k->text, name) == 0)
      return k;
  }
  return NULL;
}

const struct cfg_node *cfg_map_get(const struct cfg_node *map, const char *name)
{
  for (size_t i = 0; i < cfg_map_size(map); i++) {
    const struct cfg_node *k = cfg_map_key(map, i);
    if (k->kind == CFG_SCALAR && strcmp(k->text, name) == 0)
      return cfg_map_value(map, i);
  }
  return NULL;
}
