/* Config loading: values and defaults as loaded, parser overrides, the
 * catalog merge, caps on hostile YAML, and how diagnostics are reported. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static struct rcw_config *load_ok(const char *yaml)
{
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  int r = rcw_config_load_string(yaml, strlen(yaml), "t.yaml", &cfg, d);
  if (r != 0)
    rcw_diags_print(d, stderr);
  assert_int_equal(r, 0);
  assert_int_equal(rcw_diags_count(d), 0);
  assert_non_null(cfg);
  rcw_diags_free(d);
  return cfg;
}

/* Loads a config expected to fail; returns its diagnostics. */
static rcw_diags *load_bad(const char *yaml)
{
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = (struct rcw_config *)(uintptr_t)0x1;
  assert_int_equal(rcw_config_load_string(yaml, strlen(yaml), "t.yaml", &cfg, d), -EINVAL);
  assert_ptr_equal(cfg, (struct rcw_config *)(uintptr_t)0x1); /* untouched */
  assert_true(rcw_diags_count(d) > 0);
  return d;
}

static void assert_diag(const rcw_diags *d, size_t i, int line, int col, const char *msg)
{
  const struct rcw_diag *e = rcw_diags_get(d, i);
  assert_non_null(e);
  assert_string_equal(e->file, "t.yaml");
  assert_int_equal(e->line, line);
  assert_int_equal(e->column, col);
  assert_string_equal(e->message, msg);
}

static double seconds_since(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* --- defaults ------------------------------------------------------------ */

/* A bad item in the middle of a list leaves a hole: the items after it
 * must still be freed (found by fuzz_config; LeakSanitizer checks it). */
static void test_bad_list_item_frees_the_rest(void **state)
{
  (void)state;
  rcw_diags *d = load_bad("rules:\n"
                          "  - {name: r, scope: category, match: [[], auth, stock], window: 1m,\n"
                          "     above: 1%}\n");
  rcw_diags_free(d);
}

static void test_default_config(void **state)
{
  (void)state;
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  assert_int_equal(rcw_config_load_default(&cfg, d), 0);
  assert_string_equal(cfg->path, "(default)");
  assert_int_equal(cfg->nsources, 0);
  assert_int_equal(cfg->nrules, 0);
  assert_int_equal(cfg->nsinks, 0);
  assert_int_equal(cfg->nwindows, 4);
  assert_int_equal(cfg->windows_ms[0], 60000);
  assert_int_equal(cfg->windows_ms[3], 3600000);
  assert_string_equal(cfg->reports.directory, "/var/lib/rcwatch/reports");
  assert_int_equal(cfg->reports.interval_ms, 3600000);
  assert_true(cfg->reports.json && cfg->reports.text);
  assert_int_equal(cfg->reports.keep, 48);
  assert_null(cfg->metrics.listen);
  assert_string_equal(cfg->state.path, "/var/lib/rcwatch/state");
  assert_int_equal(cfg->state.interval_ms, 5000);
  assert_int_equal(cfg->limits.dimension_values, 1000);
  assert_int_equal(cfg->limits.unknown_codes, 1000);
  assert_int_equal(cfg->limits.files, 1024);
  assert_int_equal(cfg->limits.webhook_queue, 1000);
  assert_int_equal(cfg->limits.exec_children, 8);
  assert_int_equal(rcw_config_parser_count(cfg), rcw_builtin_parser_count());
  assert_non_null(rcw_config_parser(cfg, "json"));
  assert_non_null(rcw_config_parser(cfg, "kv"));
  assert_non_null(rcw_config_parser(cfg, "nginx"));
  assert_null(rcw_config_parser(cfg, "nope"));
  assert_int_not_equal(rcw_catalog_category_id(cfg->catalog, "auth"), RCW_ENTRY_NONE);
  rcw_config_free(cfg);
  rcw_diags_free(d);
}

static void test_empty_documents_take_defaults(void **state)
{
  (void)state;
  const char *docs[] = {"", "# nothing\n", "~\n", "{}\n", "---\n...\n"};
  for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
    struct rcw_config *cfg = load_ok(docs[i]);
    assert_int_equal(cfg->nwindows, 4);
    assert_string_equal(cfg->path, "t.yaml");
    rcw_config_free(cfg);
  }
}

/* --- values as loaded -------------------------------------------------- */

static const char full_yaml[] =
  "sources:\n"
  "  - name: api\n"
  "    paths: [/var/log/a/*.log, /var/log/b.log]\n"
  "    exclude: '*.gz'\n"
  "    start_at: beginning\n"
  "  - name: edge\n"
  "    paths: /var/log/nginx.log\n"
  "    parser: nginx\n"
  "windows: [1h, 30s, 5m]\n"
  "rules:\n"
  "  - name: auth\n"
  "    scope: category\n"
  "    match: [auth, webuser_auth]\n"
  "    window: 5m\n"
  "    above: 2.5%\n"
  "    clear_below: 0.01\n"
  "    min_requests: 50\n"
  "    for: 1m\n"
  "    repeat: 1h\n"
  "    severity: critical\n"
  "  - name: count\n"
  "    scope: code\n"
  "    match: '*'\n"
  "    metric: count\n"
  "    window: 30s\n"
  "    above: 10\n"
  "  - name: by-endpoint\n"
  "    scope: dimension\n"
  "    dimension: endpoint\n"
  "    category: stock\n"
  "    match: [/coupons]\n"
  "    window: 1h\n"
  "    above: 1%\n"
  "alerts:\n"
  "  sinks:\n"
  "    - {type: log}\n"
  "    - {type: file, path: /tmp/alerts.jsonl}\n"
  "    - {type: exec, command: [/bin/page, --team, pay]}\n"
  "    - {type: webhook, url: 'http://127.0.0.1:9093/api/v2/alerts', format: alertmanager}\n"
  "    - {type: webhook, url: 'https://h.example/x', timeout: 2s}\n"
  "reports: {directory: /srv/reports, interval: 0, formats: [text], keep: 3}\n"
  "metrics: {listen: 'localhost:9999'}\n"
  "state: {path: /srv/state, interval: 250ms}\n"
  "limits: {dimension_values: 7, unknown_codes: 2, files: 9, webhook_queue: 10, exec_children: 1}\n";

static void check_sources(const struct rcw_config *cfg)
{
  assert_int_equal(cfg->nsources, 2);
  const struct rcw_source_spec *s = &cfg->sources[0];
  assert_string_equal(s->name, "api");
  assert_int_equal(s->npaths, 2);
  assert_string_equal(s->paths[1], "/var/log/b.log");
  assert_null(s->paths[2]);
  assert_int_equal(s->nexclude, 1);
  assert_string_equal(s->exclude[0], "*.gz");
  assert_string_equal(s->parser, "json");
  assert_true(s->start_at_beginning);
  assert_int_equal(s->loc.line, 2);
  assert_int_equal(s->loc.column, 5);
  assert_string_equal(s->loc.file, "t.yaml");
  assert_string_equal(cfg->sources[1].parser, "nginx");
  assert_false(cfg->sources[1].start_at_beginning);
  assert_int_equal(cfg->sources[1].npaths, 1);
}

static void check_rules(const struct rcw_config *cfg)
{
  assert_int_equal(cfg->nrules, 3);
  const struct rcw_rule_spec *r = &cfg->rules[0];
  assert_int_equal(r->scope, RCW_SCOPE_CATEGORY);
  assert_int_equal(r->nmatch, 2);
  assert_string_equal(r->match[1], "webuser_auth");
  assert_false(r->match_all);
  assert_int_equal(r->metric, RCW_METRIC_FAILURE_RATE);
  assert_int_equal(r->window_ms, 300000);
  assert_float_equal(r->above, 0.025, 1e-12);
  assert_float_equal(r->clear_below, 0.01, 1e-12);
  assert_int_equal(r->min_requests, 50);
  assert_int_equal(r->for_ms, 60000);
  assert_int_equal(r->repeat_ms, 3600000);
  assert_int_equal(r->severity, RCW_SEV_CRITICAL);
  r = &cfg->rules[1];
  assert_true(r->match_all);
  assert_int_equal(r->nmatch, 0);
  assert_int_equal(r->metric, RCW_METRIC_COUNT);
  assert_float_equal(r->above, 10, 0);
  assert_float_equal(r->clear_below, 10, 0); /* defaults to above */
  assert_int_equal(r->min_requests, 20);
  assert_int_equal(r->for_ms, 0);
  assert_int_equal(r->repeat_ms, 0);
  assert_int_equal(r->severity, -1);
  r = &cfg->rules[2];
  assert_int_equal(r->scope, RCW_SCOPE_DIMENSION);
  assert_string_equal(r->dimension, "endpoint");
  assert_int_equal(r->ncategories, 1);
  assert_string_equal(r->categories[0], "stock");
}

static void check_sinks(const struct rcw_config *cfg)
{
  assert_int_equal(cfg->nsinks, 5);
  assert_int_equal(cfg->sinks[0].type, RCW_SINK_LOG);
  assert_int_equal(cfg->sinks[1].type, RCW_SINK_FILE);
  assert_string_equal(cfg->sinks[1].path, "/tmp/alerts.jsonl");
  const struct rcw_sink_spec *e = &cfg->sinks[2];
  assert_int_equal(e->type, RCW_SINK_EXEC);
  assert_int_equal(e->ncommand, 3);
  assert_string_equal(e->command[0], "/bin/page");
  assert_null(e->command[3]);
  assert_int_equal(e->timeout_ms, 10000);
  assert_int_equal(cfg->sinks[3].format, RCW_WEBHOOK_ALERTMANAGER);
  assert_int_equal(cfg->sinks[3].timeout_ms, 5000);
  assert_int_equal(cfg->sinks[4].format, RCW_WEBHOOK_JSON);
  assert_int_equal(cfg->sinks[4].timeout_ms, 2000);
}

static void test_full_config_values(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok(full_yaml);
  check_sources(cfg);
  check_rules(cfg);
  check_sinks(cfg);
  assert_int_equal(cfg->nwindows, 3); /* sorted ascending */
  assert_int_equal(cfg->windows_ms[0], 30000);
  assert_int_equal(cfg->windows_ms[1], 300000);
  assert_int_equal(cfg->windows_ms[2], 3600000);
  assert_string_equal(cfg->reports.directory, "/srv/reports");
  assert_int_equal(cfg->reports.interval_ms, 0);
  assert_false(cfg->reports.json);
  assert_true(cfg->reports.text);
  assert_int_equal(cfg->reports.keep, 3);
  assert_string_equal(cfg->metrics.listen, "localhost:9999");
  assert_string_equal(cfg->metrics.host, "127.0.0.1");
  assert_int_equal(cfg->metrics.port, 9999);
  assert_string_equal(cfg->state.path, "/srv/state");
  assert_int_equal(cfg->state.interval_ms, 250);
  assert_int_equal(cfg->limits.dimension_values, 7);
  assert_int_equal(cfg->limits.exec_children, 1);
  rcw_config_free(cfg);
}

static void test_metrics_listen_forms(void **state)
{
  (void)state;
  const char *yaml[] = {"metrics: {listen: '[::1]:9310'}", "metrics: {listen: ':80'}",
                        "metrics: {listen: 10.1.2.3:65535}"};
  const char *host[] = {"::1", "0.0.0.0", "10.1.2.3"};
  const int port[] = {9310, 80, 65535};
  for (size_t i = 0; i < 3; i++) {
    struct rcw_config *cfg = load_ok(yaml[i]);
    assert_string_equal(cfg->metrics.host, host[i]);
    assert_int_equal(cfg->metrics.port, port[i]);
    rcw_config_free(cfg);
  }
}

/* --- parsers ------------------------------------------------------------- */

static void test_config_parser_overrides_builtin(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("parsers:\n"
                                   "  - name: json\n"
                                   "    patterns: ['rc=(?<code>-?\\d+)']\n"
                                   "  - name: mine\n"
                                   "    patterns: ['st=(?<status>\\d+)']\n");
  size_t n = rcw_builtin_parser_count();
  assert_int_equal(rcw_config_parser_count(cfg), n + 1); /* json replaced, mine added */
  assert_int_equal(cfg->nparser_specs, 2);
  rcw_parser *json = rcw_config_parser(cfg, "json");
  assert_ptr_equal(json, rcw_config_parser_at(cfg, 0)); /* config's own come first */
  assert_ptr_equal(rcw_config_parser(cfg, "mine"), rcw_config_parser_at(cfg, 1));
  assert_null(rcw_config_parser_at(cfg, n + 1));

  struct rcw_match m;
  const char *line = "rc=1204";
  assert_int_equal(rcw_parser_match(json, line, strlen(line), 0, &m), RCW_MATCH_OK);
  assert_int_equal(m.code.len, 4);
  assert_memory_equal(m.code.ptr, "1204", 4);
  line = "{\"responseCode\":\"1204\"}"; /* what the built-in json would take */
  assert_int_equal(rcw_parser_match(json, line, strlen(line), 0, &m), RCW_MATCH_NONE);
  rcw_config_free(cfg);
}

static void test_parser_spec_values(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("parsers:\n"
                                   "  - name: app\n"
                                   "    patterns:\n"
                                   "      - 'code=(?<code>\\d+)'\n"
                                   "    fields: {shop: 'shop=(?<shop>\\w+)', desc: 'd=\"(?<desc>[^\"]*)\"'}\n"
                                   "    time_format: epoch_ms\n"
                                   "    dimensions: shop\n"
                                   "    tests:\n"
                                   "      - {line: 'code=1 shop=n', code: '1'}\n"
                                   "      - {line: 'x', matched: false}\n");
  const struct rcw_parser_spec *s = &cfg->parser_specs[0];
  assert_string_equal(s->name, "app");
  assert_int_equal(s->npatterns, 1);
  assert_int_equal(s->patterns[0].loc.line, 4);
  assert_int_equal(s->patterns[0].loc.column, 10); /* after the quote */
  assert_int_equal(s->nfields, 2);
  assert_string_equal(s->fields[0].name, "shop");
  assert_string_equal(s->time_format, "epoch_ms");
  assert_int_equal(s->ndimensions, 1);
  assert_int_equal(s->ntests, 2);
  assert_true(s->tests[0].matched);
  assert_false(s->tests[1].matched);
  assert_null(s->tests[1].code);
  rcw_config_free(cfg);
}

/* A parser test that classifies an unknown code must not leave that code
 * in the config's catalog: the daemon reports each unknown code once, as
 * new, the first time a log shows it. */
static void test_parser_tests_leave_catalog_alone(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("parsers:\n"
                                   "  - name: app\n"
                                   "    patterns: ['code=(?<code>\\d+)']\n"
                                   "    tests: [{line: 'code=98765', category: unknown}]\n");
  size_t before = rcw_catalog_entry_count(cfg->catalog);
  bool is_new = false;
  uint32_t e = rcw_catalog_classify(cfg->catalog, "98765", 5, NULL, 0, &is_new);
  assert_int_not_equal(e, RCW_ENTRY_NONE);
  assert_true(is_new);
  assert_int_equal(rcw_catalog_entry_count(cfg->catalog), before + 1);
  rcw_config_free(cfg);
}

/* --- catalog ------------------------------------------------------------- */

static const struct rcw_entry *entry_of(rcw_catalog *c, const char *code)
{
  uint32_t id = rcw_catalog_classify(c, code, strlen(code), NULL, 0, NULL);
  return id == RCW_ENTRY_NONE ? NULL : rcw_catalog_entry(c, id);
}

static const char *category_of(rcw_catalog *c, const char *code)
{
  return rcw_catalog_category(c, entry_of(c, code)->category)->name;
}

static void test_catalog_merge(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("catalog:\n"
                                   "  categories:\n"
                                   "    - {name: partner, description: Partner down, severity: critical}\n"
                                   "    - {name: user_limit, severity: info}\n"
                                   "  codes:\n"
                                   "    '9001': {description: Pool empty, category: partner}\n"
                                   "    '1209': {category: stock}\n");
  rcw_catalog *c = cfg->catalog;
  const struct rcw_entry *e = entry_of(c, "9001");
  assert_true(e->known);
  assert_string_equal(e->description, "Pool empty");
  assert_string_equal(category_of(c, "9001"), "partner");
  uint32_t partner = rcw_catalog_category_id(c, "partner");
  assert_int_equal(rcw_catalog_category(c, partner)->severity, RCW_SEV_CRITICAL);
  assert_string_equal(rcw_catalog_category(c, partner)->description, "Partner down");
  /* a re-declared category keeps the description it had */
  uint32_t ul = rcw_catalog_category_id(c, "user_limit");
  assert_int_equal(rcw_catalog_category(c, ul)->severity, RCW_SEV_INFO);
  assert_true(strlen(rcw_catalog_category(c, ul)->description) > 0);
  /* a code moved to another category keeps its text */
  assert_string_equal(category_of(c, "1209"), "stock");
  assert_string_equal(entry_of(c, "1209")->description,
                      "User has reached the maximum allowed live coupons per user on campaign.");
  assert_string_equal(category_of(c, "1001"), "auth"); /* the rest is untouched */
  rcw_config_free(cfg);
}

static void test_catalog_without_default(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("catalog:\n"
                                   "  use_default: false\n"
                                   "  success: ['0']\n"
                                   "  categories: [{name: denied}]\n"
                                   "  codes: {'403': {category: denied}}\n");
  rcw_catalog *c = cfg->catalog;
  assert_int_equal(rcw_catalog_category_count(c), 4); /* success, transport, unknown, denied */
  assert_int_equal(rcw_catalog_category_id(c, "auth"), RCW_ENTRY_NONE);
  assert_true(entry_of(c, "0")->success);
  assert_false(entry_of(c, "-1")->success);
  assert_string_equal(category_of(c, "403"), "denied");
  assert_string_equal(entry_of(c, "403")->description, "");
  assert_false(entry_of(c, "1001")->known);
  assert_string_equal(category_of(c, "1001"), "unknown");
  rcw_config_free(cfg);
}

static void test_unknown_code_limit_reaches_catalog(void **state)
{
  (void)state;
  struct rcw_config *cfg = load_ok("limits: {unknown_codes: 2}\n");
  const char *codes[] = {"90001", "90002", "90003", "90004"};
  for (size_t i = 0; i < 4; i++)
    entry_of(cfg->catalog, codes[i]);
  assert_int_equal(rcw_catalog_unknown_overflow(cfg->catalog), 2);
  rcw_config_free(cfg);
}

/* --- hostile YAML ------------------------------------------------------- */

static void test_alias_bomb_fails_fast(void **state)
{
  (void)state;
  char yaml[4096];
  size_t n = (size_t)snprintf(yaml, sizeof(yaml), "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
  for (char c = 'b'; c <= 'k'; c++)
    n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, "
                          "*%c, *%c, *%c, *%c]\n", c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
                          c - 1, c - 1, c - 1, c - 1);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rcw_diags *d = load_bad(yaml);
  assert_true(seconds_since(&t0) < 1.0);
  assert_int_equal(rcw_diags_count(d), 1);
  assert_non_null(strstr(rcw_diags_get(d, 0)->message, "document too large"));
  rcw_diags_free(d);
}

static void test_deep_nesting_fails_fast(void **state)
{
  (void)state;
  size_t depth = 1000000;
  char *yaml = malloc(2 * depth + 16);
  assert_non_null(yaml);
  memcpy(yaml, "rules: ", 7);
  memset(yaml + 7, '[', depth);
  memset(yaml + 7 + depth, ']', depth);
  yaml[7 + 2 * depth] = '\0';
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rcw_diags *d = load_bad(yaml);
  assert_true(seconds_since(&t0) < 1.0);
  assert_diag(d, 0, 1, 71, "nesting deeper than 64 levels");
  rcw_diags_free(d);
  free(yaml);
}

static void test_self_referencing_alias(void **state)
{
  (void)state;
  rcw_diags *d = load_bad("windows: &w [1m, *w]\n");
  assert_diag(d, 0, 1, 18, "alias *w refers to no anchor defined before it");
  rcw_diags_free(d);
}

/* --- diagnostics ---------------------------------------------------------- */

static void test_errors_reported_in_document_order(void **state)
{
  (void)state;
  /* rules are checked after windows and catalog, but listed first here */
  rcw_diags *d = load_bad("rules:\n"
                          "  - {name: a, scope: category, match: nope, window: 2m, above: 1%}\n"
                          "windows: [1m, 1m]\n"
                          "catalog: {use_default: maybe}\n");
  assert_int_equal(rcw_diags_count(d), 3);
  assert_diag(d, 0, 2, 39, "rules[0].match: unknown category 'nope' (known: success, auth, "
              "webuser_auth, config, campaign_window, stock, user_limit, validation, not_found, "
              "platform, concurrency, transport, unknown)");
  assert_diag(d, 1, 3, 15, "windows[1]: 1m is listed twice");
  assert_diag(d, 2, 4, 24, "catalog.use_default: expected true or false, got 'maybe'");
  rcw_diags_free(d);
}

static void test_load_appends_to_existing_diags(void **state)
{
  (void)state;
  rcw_diags *d = rcw_diags_new();
  rcw_diags_add(d, "other", 99, 1, "earlier");
  struct rcw_config *cfg = NULL;
  const char *yaml = "windows: [1m, 1m]\nbogus: 1\n";
  assert_int_equal(rcw_config_load_string(yaml, strlen(yaml), "t.yaml", &cfg, d), -EINVAL);
  assert_int_equal(rcw_diags_count(d), 3);
  assert_string_equal(rcw_diags_get(d, 0)->message, "earlier"); /* not sorted among them */
  assert_int_equal(rcw_diags_get(d, 1)->line, 1);
  assert_int_equal(rcw_diags_get(d, 2)->line, 2);
  rcw_diags_free(d);
}

static void test_missing_file(void **state)
{
  (void)state;
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  assert_int_equal(rcw_config_load_file("/nonexistent/rcwatch.yaml", &cfg, d), -ENOENT);
  assert_null(cfg);
  assert_int_equal(rcw_diags_count(d), 1);
  const struct rcw_diag *e = rcw_diags_get(d, 0);
  assert_string_equal(e->file, "/nonexistent/rcwatch.yaml");
  assert_int_equal(e->line, 0);
  assert_string_equal(e->message, "cannot open: No such file or directory");
  rcw_diags_free(d);
}

static void test_load_file_reads_config(void **state)
{
  (void)state;
  char path[] = "/tmp/rcw-test-config-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("windows: [2m]\n", f);
  fclose(f);
  rcw_diags *d = rcw_diags_new();
  struct rcw_config *cfg = NULL;
  assert_int_equal(rcw_config_load_file(path, &cfg, d), 0);
  assert_string_equal(cfg->path, path);
  assert_int_equal(cfg->windows_ms[0], 120000);
  rcw_config_free(cfg);
  rcw_diags_free(d);
  unlink(path);
}

static void test_diags_cap_and_print(void **state)
{
  (void)state;
  rcw_diags *d = rcw_diags_new();
  for (int i = 0; i < RCW_DIAGS_MAX + 5; i++)
    rcw_diags_add(d, i ? "f.yaml" : NULL, i, i % 3, "e%d", i);
  assert_int_equal(rcw_diags_count(d), RCW_DIAGS_MAX);
  assert_int_equal(rcw_diags_dropped(d), 5);
  assert_null(rcw_diags_get(d, RCW_DIAGS_MAX));
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  rcw_diags_print(d, f);
  fclose(f);
  const char *head = "e0\nf.yaml:1:1: e1\nf.yaml:2:2: e2\nf.yaml:3: e3\n";
  assert_true(strncmp(out, head, strlen(head)) == 0);
  assert_non_null(strstr(out, "f.yaml:199:1: e199\n... and 5 more errors not shown\n"));
  free(out);
  rcw_diags_clear(d);
  assert_int_equal(rcw_diags_count(d), 0);
  assert_int_equal(rcw_diags_dropped(d), 0);
  rcw_diags_free(d);
  rcw_diags_free(NULL);
}

static void test_too_many_errors_are_counted(void **state)
{
  (void)state;
  char *yaml = malloc(64 * 1024);
  size_t n = (size_t)sprintf(yaml, "limits:\n");
  for (int i = 0; i < 300; i++)
    n += (size_t)sprintf(yaml + n, "  k%d: 1\n", i);
  rcw_diags *d = load_bad(yaml);
  assert_int_equal(rcw_diags_count(d), RCW_DIAGS_MAX);
  assert_int_equal(rcw_diags_dropped(d), 100);
  rcw_diags_free(d);
  free(yaml);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_default_config),
    cmocka_unit_test(test_bad_list_item_frees_the_rest),
    cmocka_unit_test(test_empty_documents_take_defaults),
    cmocka_unit_test(test_full_config_values),
    cmocka_unit_test(test_metrics_listen_forms),
    cmocka_unit_test(test_config_parser_overrides_builtin),
    cmocka_unit_test(test_parser_spec_values),
    cmocka_unit_test(test_parser_tests_leave_catalog_alone),
    cmocka_unit_test(test_catalog_merge),
    cmocka_unit_test(test_catalog_without_default),
    cmocka_unit_test(test_unknown_code_limit_reaches_catalog),
    cmocka_unit_test(test_alias_bomb_fails_fast),
    cmocka_unit_test(test_deep_nesting_fails_fast),
    cmocka_unit_test(test_self_referencing_alias),
    cmocka_unit_test(test_errors_reported_in_document_order),
    cmocka_unit_test(test_load_appends_to_existing_diags),
    cmocka_unit_test(test_missing_file),
    cmocka_unit_test(test_load_file_reads_config),
    cmocka_unit_test(test_diags_cap_and_print),
    cmocka_unit_test(test_too_many_errors_are_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
