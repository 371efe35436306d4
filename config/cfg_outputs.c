/* The sections that say where results go: alerts, reports, metrics and
 * state, plus the limits extension. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_load.h"

#define LIMIT_MAX 1000000
#define TIMEOUT_MAX (10 * 60 * 1000)
#define DAY_MS (24 * 3600 * 1000LL)

static bool absent(const struct cfg_node *n)
{
  return !n || n->kind == CFG_NULL;
}

static struct rcw_loc loc_of(const struct cfg_loader *l, const struct cfg_node *n)
{
  return (struct rcw_loc){l->cfg->path, n->line, n->column};
}

/* --- limits ------------------------------------------------------------ */

#define LIMIT(name) {#name, CFG_T_SIZE, offsetof(struct rcw_limits_spec, name), 0, 0, 1, LIMIT_MAX}
static const struct cfg_field limit_fields[] = {
  LIMIT(dimension_values), LIMIT(unknown_codes), LIMIT(files), LIMIT(webhook_queue),
  LIMIT(exec_children),
};

void cfg_load_limits(struct cfg_loader *l, const struct cfg_node *n)
{
  if (!absent(n))
    cfg_map_walk(&l->ctx, n, CFG_KEY(NULL, "limits"), limit_fields, CFG_NFIELDS(limit_fields),
                 &l->cfg->limits);
}

/* --- alerts.sinks ------------------------------------------------------ */

struct sink_raw {
  struct rcw_sink_spec spec;
  const struct cfg_node *type, *command, *format;
};

enum { SK_TYPE, SK_PATH, SK_COMMAND, SK_URL, SK_FORMAT, SK_TIMEOUT };
static const struct cfg_field sink_fields[] = {
  [SK_TYPE] = {"type", CFG_T_NODE, offsetof(struct sink_raw, type), 0, CFG_REQUIRED, 0, 0},
  [SK_PATH] = {"path", CFG_T_STR, offsetof(struct sink_raw, spec.path), 0, 0, 0, 0},
  [SK_COMMAND] = {"command", CFG_T_NODE, offsetof(struct sink_raw, command), 0, 0, 0, 0},
  [SK_URL] = {"url", CFG_T_STR, offsetof(struct sink_raw, spec.url), 0, 0, 0, 0},
  [SK_FORMAT] = {"format", CFG_T_NODE, offsetof(struct sink_raw, format), 0, 0, 0, 0},
  [SK_TIMEOUT] = {"timeout", CFG_T_DURATION, offsetof(struct sink_raw, spec.timeout_ms), 0, 0,
                  1, TIMEOUT_MAX},
};

static const char *const sink_types[] = {"log", "file", "exec", "webhook"};
static const char *const sink_articles[] = {"a", "a", "an", "a"};
static const char *const webhook_formats[] = {"alertmanager", "json"};

#define BIT(i) (UINT64_C(1) << (i))
/* The keys each type takes, indexed by enum rcw_sink_type; the first
 * after type is the required one. */
static const uint64_t sink_keys[] = {
  BIT(SK_TYPE),
  BIT(SK_TYPE) | BIT(SK_PATH),
  BIT(SK_TYPE) | BIT(SK_COMMAND) | BIT(SK_TIMEOUT),
  BIT(SK_TYPE) | BIT(SK_URL) | BIT(SK_FORMAT) | BIT(SK_TIMEOUT),
};
static const int sink_required[] = {-1, SK_PATH, SK_COMMAND, SK_URL};
static const char *const sink_key_list[] = {
  "type", "type, path", "type, command, timeout", "type, url, format, timeout",
};

static void foreign_keys(struct cfg_loader *l, const struct cfg_node *map,
                         const struct cfg_path *p, int type, uint64_t seen)
{
  for (size_t i = 0; i < CFG_NFIELDS(sink_fields); i++) {
    if (!(seen & BIT(i)) || (sink_keys[type] & BIT(i)))
      continue;
    const char *key = sink_fields[i].key;
    cfg_error(&l->ctx, cfg_map_get_key(map, key), CFG_KEY(p, key),
              "%s %s sink has no '%s' key (its keys: %s)", sink_articles[type],
              sink_types[type], key, sink_key_list[type]);
  }
}

static bool valid_url(const char *s)
{
  const char *rest = strncmp(s, "http://", 7) == 0    ? s + 7
                     : strncmp(s, "https://", 8) == 0 ? s + 8
                                                      : NULL;
  if (!rest || *rest == '\0' || *rest == '/')
    return false;
  for (; *rest; rest++)
    if ((unsigned char)*rest <= ' ')
      return false;
  return true;
}

static void sink_type_keys(struct cfg_loader *l, struct sink_raw *r, const struct cfg_node *map,
                           const struct cfg_path *p, int type)
{
  struct rcw_sink_spec *s = &r->spec;
  if (type == RCW_SINK_EXEC && r->command &&
      cfg_read_strs(&l->ctx, r->command, CFG_KEY(p, "command"), false, 64, &s->command,
                    &s->ncommand) &&
      s->ncommand == 0)
    cfg_error(&l->ctx, r->command, CFG_KEY(p, "command"), "must name the program to run");
  if (type == RCW_SINK_WEBHOOK && s->url && !valid_url(s->url))
    cfg_error(&l->ctx, cfg_map_get(map, "url"), CFG_KEY(p, "url"),
              "expected an http:// or https:// URL, got '%s'", cfg_quote(s->url).s);
  int fmt = RCW_WEBHOOK_JSON;
  if (type == RCW_SINK_WEBHOOK && r->format)
    cfg_read_enum(&l->ctx, r->format, CFG_KEY(p, "format"), webhook_formats, 2, &fmt);
  s->format = (enum rcw_webhook_format)fmt;
}

static void load_sink(struct cfg_loader *l, const struct cfg_node *map, const struct cfg_path *p,
                      struct rcw_sink_spec *out)
{
  struct sink_raw r = {0};
  uint64_t seen = cfg_map_walk(&l->ctx, map, p, sink_fields, CFG_NFIELDS(sink_fields), &r);
  int type = -1;
  if (r.type)
    cfg_read_enum(&l->ctx, r.type, CFG_KEY(p, "type"), sink_types, 4, &type);
  if (type >= 0) {
    foreign_keys(l, map, p, type, seen);
    int req = sink_required[type];
    if (req >= 0 && !(seen & BIT(req)))
      cfg_error(&l->ctx, map, p, "missing required key '%s' for %s %s sink",
                sink_fields[req].key, sink_articles[type], sink_types[type]);
    sink_type_keys(l, &r, map, p, type);
    r.spec.type = (enum rcw_sink_type)type;
  }
  if (!(seen & BIT(SK_TIMEOUT)))
    r.spec.timeout_ms = type == RCW_SINK_WEBHOOK ? 5000 : 10000;
  r.spec.loc = loc_of(l, map);
  *out = r.spec;
}

static void load_sinks(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p)
{
  if (!cfg_is_list(&l->ctx, n, p, "sinks"))
    return;
  if (n->nitems > RCW_MAX_SINKS) {
    cfg_error(&l->ctx, n, p, "too many sinks: %zu (at most %d)", n->nitems, RCW_MAX_SINKS);
    return;
  }
  l->cfg->sinks = cfg_alloc(&l->ctx, n->nitems, sizeof(*l->cfg->sinks));
  if (!l->cfg->sinks)
    return;
  l->cfg->nsinks = n->nitems;
  for (size_t i = 0; i < n->nitems; i++)
    load_sink(l, n->items[i], CFG_IDX(p, i), &l->cfg->sinks[i]);
}

struct alerts_raw {
  const struct cfg_node *sinks;
};
static const struct cfg_field alerts_fields[] = {
  {"sinks", CFG_T_NODE, offsetof(struct alerts_raw, sinks), 0, 0, 0, 0},
};

void cfg_load_alerts(struct cfg_loader *l, const struct cfg_node *n)
{
  struct alerts_raw r = {0};
  const struct cfg_path *p = CFG_KEY(NULL, "alerts");
  if (absent(n))
    return;
  cfg_map_walk(&l->ctx, n, p, alerts_fields, CFG_NFIELDS(alerts_fields), &r);
  if (!absent(r.sinks))
    load_sinks(l, r.sinks, CFG_KEY(p, "sinks"));
}

/* --- reports ----------------------------------------------------------- */

struct reports_raw {
  struct rcw_reports_spec spec;
  const struct cfg_node *interval, *formats, *keep;
};
static const struct cfg_field reports_fields[] = {
  {"directory", CFG_T_STR, offsetof(struct reports_raw, spec.directory), 0, 0, 0, 0},
  {"interval", CFG_T_NODE, offsetof(struct reports_raw, interval), 0, 0, 0, 0},
  {"formats", CFG_T_NODE, offsetof(struct reports_raw, formats), 0, 0, 0, 0},
  {"keep", CFG_T_NODE, offsetof(struct reports_raw, keep), 0, 0, 0, 0},
};
static const char *const report_formats[] = {"json", "text"};

static void read_formats(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                         struct rcw_reports_spec *s)
{
  bool one = n->kind == CFG_SCALAR, seen[2] = {false, false};
  if (!one && !cfg_is_list(&l->ctx, n, p, "formats (json, text)"))
    return;
  size_t count = one ? 1 : n->nitems;
  if (count == 0)
    cfg_error(&l->ctx, n, p, "must name at least one format (json, text)");
  for (size_t i = 0; i < count; i++) {
    const struct cfg_node *item = one ? n : n->items[i];
    const struct cfg_path *ip = one ? p : CFG_IDX(p, i);
    int k;
    if (!cfg_read_enum(&l->ctx, item, ip, report_formats, 2, &k))
      continue;
    if (seen[k])
      cfg_error(&l->ctx, item, ip, "%s is listed twice", report_formats[k]);
    seen[k] = true;
  }
  s->json = seen[0];
  s->text = seen[1];
}

/* 0 disables periodic reports; anything else is a real period. */
static void read_report_interval(struct cfg_loader *l, const struct cfg_node *n,
                                 const struct cfg_path *p, int64_t *out)
{
  int64_t v;
  if (!cfg_read_duration(&l->ctx, n, p, 0, 366 * DAY_MS, &v))
    return;
  if (v > 0 && v < 1000)
    cfg_error(&l->ctx, n, p, "%s is shorter than 1s (0 disables periodic reports)",
              cfg_quote(n->text).s);
  else
    *out = v;
}

void cfg_load_reports(struct cfg_loader *l, const struct cfg_node *n)
{
  const struct cfg_path *p = CFG_KEY(NULL, "reports");
  if (absent(n))
    return;
  struct reports_raw r = {l->cfg->reports, NULL, NULL, NULL};
  cfg_map_walk(&l->ctx, n, p, reports_fields, CFG_NFIELDS(reports_fields), &r);
  if (r.interval)
    read_report_interval(l, r.interval, CFG_KEY(p, "interval"), &r.spec.interval_ms);
  if (r.formats)
    read_formats(l, r.formats, CFG_KEY(p, "formats"), &r.spec);
  int64_t keep;
  if (r.keep && cfg_read_int(&l->ctx, r.keep, CFG_KEY(p, "keep"), 1, 100000, &keep))
    r.spec.keep = (int)keep;
  l->cfg->reports = r.spec;
}

/* --- metrics ----------------------------------------------------------- */

struct metrics_raw {
  struct rcw_metrics_spec spec;
};
static const struct cfg_field metrics_fields[] = {
  {"listen", CFG_T_STR, offsetof(struct metrics_raw, spec.listen), 0, 0, 0, 0},
};

/* HOST:PORT with an IP address for host ([v6] in brackets), "localhost",
 * or nothing for every interface.  *host is allocated; port is checked by
 * the caller, so a bad port gets a message of its own. */
static bool split_listen(const char *s, char **host, const char **port)
{
  const char *colon = strrchr(s, ':');
  if (!colon)
    return false;
  size_t hlen = (size_t)(colon - s);
  bool v6 = hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']';
  char *h = v6 ? strndup(s + 1, hlen - 2) : strndup(s, hlen);
  if (!h)
    return false;
  unsigned char addr[16];
  bool ok = v6 ? inet_pton(AF_INET6, h, addr) == 1
               : hlen == 0 || strcmp(h, "localhost") == 0 || inet_pton(AF_INET, h, addr) == 1;
  if (!ok) {
    free(h);
    return false;
  }
  *host = h;
  *port = colon + 1;
  return true;
}

static bool parse_port(const char *s, int *out)
{
  long v = 0;
  size_t i = 0;
  for (; s[i] >= '0' && s[i] <= '9' && i < 6; i++)
    v = v * 10 + (s[i] - '0');
  if (i == 0 || s[i] != '\0' || v < 1 || v > 65535)
    return false;
  *out = (int)v;
  return true;
}

/* The daemon binds to an address: resolve the two spellings that are
 * not one here, so it never has to. */
static char *bind_host(struct cfg_ctx *c, char *host)
{
  const char *fixed = *host == '\0' ? "0.0.0.0" : strcmp(host, "localhost") == 0 ? "127.0.0.1" : NULL;
  if (!fixed)
    return host;
  free(host);
  return cfg_strdup(c, fixed);
}

static void read_listen(struct cfg_loader *l, const struct cfg_node *n, const struct cfg_path *p,
                        struct rcw_metrics_spec *m)
{
  char *host = NULL;
  const char *port;
  if (!split_listen(m->listen, &host, &port)) {
    cfg_error(&l->ctx, n, p, "expected HOST:PORT with an IP address, such as 127.0.0.1:9310 "
              "or [::1]:9310, got '%s'", cfg_quote(m->listen).s);
    return;
  }
  if (!parse_port(port, &m->port)) {
    cfg_error(&l->ctx, n, p, "port '%s' is not a number from 1 to 65535", cfg_quote(port).s);
    free(host);
    return;
  }
  m->host = bind_host(&l->ctx, host);
}

void cfg_load_metrics(struct cfg_loader *l, const struct cfg_node *n)
{
  struct metrics_raw r = {{NULL, NULL, 0}};
  const struct cfg_path *p = CFG_KEY(NULL, "metrics");
  if (absent(n))
    return;
  cfg_map_walk(&l->ctx, n, p, metrics_fields, CFG_NFIELDS(metrics_fields), &r);
  if (r.spec.listen)
    read_listen(l, cfg_map_get(n, "listen"), CFG_KEY(p, "listen"), &r.spec);
  l->cfg->metrics = r.spec;
}

/* --- state ------------------------------------------------------------- */

static const struct cfg_field state_fields[] = {
  {"path", CFG_T_STR, offsetof(struct rcw_state_spec, path), 0, 0, 0, 0},
  {"interval", CFG_T_DURATION, offsetof(struct rcw_state_spec, interval_ms), 0, 0, 1, DAY_MS},
};

void cfg_load_state(struct cfg_loader *l, const struct cfg_node *n)
{
  if (!absent(n))
    cfg_map_walk(&l->ctx, n, CFG_KEY(NULL, "state"), state_fields, CFG_NFIELDS(state_fields),
                 &l->cfg->state);
}

void cfg_free_outputs(struct rcw_config *cfg)
{
  for (size_t i = 0; i < cfg->nsinks; i++) {
    free(cfg->sinks[i].path);
    cfg_strv_free(cfg->sinks[i].command);
    free(cfg->sinks[i].url);
  }
  free(cfg->sinks);
  free(cfg->reports.directory);
  free(cfg->metrics.listen);
  free(cfg->metrics.host);
  free(cfg->state.path);
}
