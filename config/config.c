#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_diag.h"
#include "cfg_load.h"

struct top_raw {
  const struct cfg_node *sources, *parsers, *catalog, *windows, *rules, *alerts, *reports,
      *metrics, *state, *limits;
};
#define SECTION(name) {#name, CFG_T_NODE, offsetof(struct top_raw, name), 0, 0, 0, 0}
static const struct cfg_field top_fields[] = {
  SECTION(sources), SECTION(parsers), SECTION(catalog), SECTION(windows), SECTION(rules),
  SECTION(alerts),  SECTION(reports), SECTION(metrics), SECTION(state),   SECTION(limits),
};

static const int64_t default_windows[] = {60000, 300000, 900000, 3600000};

static void set_defaults(struct cfg_loader *l)
{
  struct rcw_config *cfg = l->cfg;
  memcpy(cfg->windows_ms, default_windows, sizeof(default_windows));
  cfg->nwindows = sizeof(default_windows) / sizeof(default_windows[0]);
  cfg->reports = (struct rcw_reports_spec){
    cfg_strdup(&l->ctx, "/var/lib/rcwatch/reports"), 3600000, true, true, 48};
  cfg->state = (struct rcw_state_spec){cfg_strdup(&l->ctx, "/var/lib/rcwatch/state"), 5000};
  cfg->limits = (struct rcw_limits_spec){1000, 1000, 1024, 1000, 8};
}

/* Dependency order, see cfg_load.h. */
static void check_sections(struct cfg_loader *l, const struct cfg_node *root)
{
  struct top_raw t = {0};
  if (root && root->kind != CFG_NULL)
    cfg_map_walk(&l->ctx, root, NULL, top_fields, CFG_NFIELDS(top_fields), &t);
  cfg_load_limits(l, t.limits);
  l->catalog_node = t.catalog;
  cfg_load_catalog(l, t.catalog);
  if (!l->cfg->catalog)
    return;
  cfg_load_windows(l, t.windows);
  cfg_load_parsers(l, t.parsers);
  cfg_load_sources(l, t.sources);
  cfg_load_rules(l, t.rules);
  cfg_load_alerts(l, t.alerts);
  cfg_load_reports(l, t.reports);
  cfg_load_metrics(l, t.metrics);
  cfg_load_state(l, t.state);
}

static int load(const char *buf, size_t len, const char *name, struct rcw_config **out,
                rcw_diags *d)
{
  size_t first = rcw_diags_count(d);
  struct cfg_full *full = calloc(1, sizeof(*full));
  if (!full)
    return -ENOMEM;
  struct cfg_loader l = {{name, d, 0, false}, full, &full->pub, false, NULL, NULL};
  full->pub.path = cfg_strdup(&l.ctx, name);
  l.ctx.file = full->pub.path;
  set_defaults(&l);
  struct cfg_doc doc;
  int r = l.ctx.oom ? -ENOMEM : cfg_yaml_read(buf, len, name, &doc, d);
  if (r == 0) {
    check_sections(&l, doc.root);
    rcw_catalog_free(l.test_catalog);
    cfg_doc_free(&doc);
    r = l.ctx.oom ? -ENOMEM : l.ctx.errors > 0 ? -EINVAL : 0;
  }
  cfg_diags_sort_from(d, first);
  if (r < 0) {
    rcw_config_free(&full->pub);
    return r;
  }
  *out = &full->pub;
  return 0;
}

int rcw_config_load_string(const char *yaml, size_t len, const char *name,
                           struct rcw_config **out, rcw_diags *d)
{
  return load(yaml, len, name, out, d);
}

int rcw_config_load_default(struct rcw_config **out, rcw_diags *d)
{
  return load("", 0, "(default)", out, d);
}

/* One read into buf[*len..cap), growing buf first when full; capped one
 * byte past CFG_MAX_FILE_SIZE so a huge file (or /dev/zero) is refused
 * without being read whole.  Bytes read, 0 at the end, or -errno. */
static ssize_t read_more(int fd, char **buf, size_t *cap, size_t len)
{
  if (len == *cap) {
    if (len > CFG_MAX_FILE_SIZE)
      return -EFBIG;
    size_t ncap = *cap * 2 > CFG_MAX_FILE_SIZE + 1 ? CFG_MAX_FILE_SIZE + 1 : *cap * 2;
    char *nb = realloc(*buf, ncap);
    if (!nb)
      return -ENOMEM;
    *buf = nb;
    *cap = ncap;
  }
  ssize_t n;
  do
    n = read(fd, *buf + len, *cap - len);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

static int read_capped(int fd, char **out, size_t *outlen)
{
  size_t len = 0, cap = 16384;
  char *buf = malloc(cap);
  ssize_t n = buf ? 1 : -ENOMEM;
  while (n > 0 && (n = read_more(fd, &buf, &cap, len)) > 0)
    len += (size_t)n;
  if (n == 0 && len > CFG_MAX_FILE_SIZE)
    n = -EFBIG;
  if (n < 0) {
    free(buf);
    return (int)n;
  }
  *out = buf;
  *outlen = len;
  return 0;
}

int rcw_config_load_file(const char *path, struct rcw_config **out, rcw_diags *d)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    rcw_diags_add(d, path, 0, 0, "cannot open: %s", strerror(err));
    return -err;
  }
  char *buf = NULL;
  size_t len = 0;
  int r = read_capped(fd, &buf, &len);
  close(fd);
  if (r == -EFBIG)
    rcw_diags_add(d, path, 0, 0, "cannot read: larger than %u MiB", CFG_MAX_FILE_SIZE >> 20);
  else if (r < 0)
    rcw_diags_add(d, path, 0, 0, "cannot read: %s", strerror(-r));
  if (r < 0)
    return r;
  r = load(buf, len, path, out, d);
  free(buf);
  return r;
}

static struct cfg_full *full_of(const struct rcw_config *cfg)
{
  return (struct cfg_full *)((char *)cfg - offsetof(struct cfg_full, pub));
}

void rcw_config_free(struct rcw_config *cfg)
{
  if (!cfg)
    return;
  struct cfg_full *full = full_of(cfg);
  cfg_free_parsers(full);
  cfg_free_sources(cfg);
  cfg_free_rules(cfg);
  cfg_free_outputs(cfg);
  rcw_catalog_free(cfg->catalog);
  free(cfg->path);
  free(full);
}

rcw_parser *rcw_config_parser(const struct rcw_config *cfg, const char *name)
{
  const struct cfg_full *full = full_of(cfg);
  for (size_t i = 0; i < full->nparsers; i++)
    if (strcmp(full->specs[i]->name, name) == 0)
      return full->parsers[i];
  return NULL;
}

size_t rcw_config_parser_count(const struct rcw_config *cfg)
{
  return full_of(cfg)->nparsers;
}

rcw_parser *rcw_config_parser_at(const struct rcw_config *cfg, size_t i)
{
  const struct cfg_full *full = full_of(cfg);
  return i < full->nparsers ? full->parsers[i] : NULL;
}
