/* The sources section: which files to watch and with which parser. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_load.h"

#define MAX_PATHS 64 /* per source, for paths and for exclude */

struct source_raw {
  struct rcw_source_spec spec;
  const struct cfg_node *name, *parser, *start_at;
};
enum { SRC_NAME, SRC_PATHS };
static const struct cfg_field source_fields[] = {
  {"name", CFG_T_NODE, offsetof(struct source_raw, name), 0, CFG_REQUIRED, 0, 0},
  {"paths", CFG_T_STRS, offsetof(struct source_raw, spec.paths),
   offsetof(struct source_raw, spec.npaths), CFG_REQUIRED | CFG_ONE_OK, 0, MAX_PATHS},
  {"exclude", CFG_T_STRS, offsetof(struct source_raw, spec.exclude),
   offsetof(struct source_raw, spec.nexclude), CFG_ONE_OK, 0, MAX_PATHS},
  {"parser", CFG_T_NODE, offsetof(struct source_raw, parser), 0, 0, 0, 0},
  {"start_at", CFG_T_NODE, offsetof(struct source_raw, start_at), 0, 0, 0, 0},
};
static const char *const start_points[] = {"end", "beginning"};

static void read_parser_ref(struct cfg_loader *l, const struct cfg_node *n,
                            const struct cfg_path *p, char **out)
{
  if (!cfg_read_name(&l->ctx, n, p, out) || cfg_has_parser(l->full, *out))
    return;
  char *known = cfg_join_parser_names(l->full);
  if (!known)
    l->ctx.oom = true;
  else
    cfg_error(&l->ctx, n, p, "unknown parser '%s' (known: %s)", *out, known);
  free(known);
}

static void load_source(struct cfg_loader *l, const struct cfg_node *list, size_t i,
                        const struct cfg_path *p, struct rcw_source_spec *out)
{
  struct source_raw r = {0};
  const struct cfg_node *map = list->items[i];
  uint64_t seen = cfg_map_walk(&l->ctx, map, p, source_fields, CFG_NFIELDS(source_fields), &r);
  if (r.name && cfg_read_name(&l->ctx, r.name, CFG_KEY(p, "name"), &r.spec.name)) {
    const struct cfg_node *first = cfg_earlier_name(list, i, "name");
    if (first)
      cfg_error(&l->ctx, r.name, CFG_KEY(p, "name"),
                "duplicate source name '%s' (first at line %d)", r.spec.name, first->line);
  }
  if ((seen & (UINT64_C(1) << SRC_PATHS)) && r.spec.paths && r.spec.npaths == 0)
    cfg_error(&l->ctx, cfg_map_get(map, "paths"), CFG_KEY(p, "paths"),
              "must list at least one file or glob");
  if (r.parser)
    read_parser_ref(l, r.parser, CFG_KEY(p, "parser"), &r.spec.parser);
  else
    r.spec.parser = cfg_strdup(&l->ctx, "json");
  int start = 0;
  if (r.start_at)
    cfg_read_enum(&l->ctx, r.start_at, CFG_KEY(p, "start_at"), start_points, 2, &start);
  r.spec.start_at_beginning = start == 1;
  r.spec.loc = (struct rcw_loc){l->cfg->path, map->line, map->column};
  *out = r.spec;
}

void cfg_load_sources(struct cfg_loader *l, const struct cfg_node *n)
{
  const struct cfg_path *p = CFG_KEY(NULL, "sources");
  if (!n || n->kind == CFG_NULL || !cfg_is_list(&l->ctx, n, p, "sources"))
    return;
  if (n->nitems > RCW_MAX_SOURCES) {
    cfg_error(&l->ctx, n, p, "too many sources: %zu (at most %d)", n->nitems, RCW_MAX_SOURCES);
    return;
  }
  l->cfg->sources = cfg_alloc(&l->ctx, n->nitems, sizeof(*l->cfg->sources));
  if (!l->cfg->sources)
    return;
  l->cfg->nsources = n->nitems;
  for (size_t i = 0; i < n->nitems; i++)
    load_source(l, n, i, CFG_IDX(p, i), &l->cfg->sources[i]);
}

void cfg_free_sources(struct rcw_config *cfg)
{
  for (size_t i = 0; i < cfg->nsources; i++) {
    struct rcw_source_spec *s = &cfg->sources[i];
    free(s->name);
    cfg_strv_free(s->paths);
    cfg_strv_free(s->exclude);
    free(s->parser);
  }
  free(cfg->sources);
}
