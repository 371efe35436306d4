/* alertmanager — the Alertmanager v2 body of rcwatch alerts. */
#include "alertmanager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest text that reads back as the same double: annotations are
 * strings, but a reader should still get the exact value. */
static void format_double(double v, char *out, size_t len)
{
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(out, len, "%.*g", digits, v);
    if (strtod(out, NULL) == v)
      return;
  }
}

static void put_string(struct rcw_json *j, const char *name, const char *value)
{
  rcw_json_key(j, name);
  rcw_json_string(j, value ? value : "");
}

static void put_number(struct rcw_json *j, const char *name, double v)
{
  char text[40];
  format_double(v, text, sizeof(text));
  put_string(j, name, text);
}

static void put_count(struct rcw_json *j, const char *name, uint64_t v)
{
  char text[24];
  snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
  put_string(j, name, text);
}

/* Bytes below 0x20 and DEL become \xNN, so a key cannot break the line;
 * the JSON writer takes care of quotes and invalid UTF-8. */
static void put_one_line(struct rcw_buf *out, const char *s)
{
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      rcw_buf_printf(out, "\\x%02x", *p);
    else
      rcw_buf_putc(out, (char)*p);
  }
}

static void put_scope(struct rcw_buf *out, const struct rcw_alert *a)
{
  if (a->scope == RCW_SCOPE_TOTAL) {
    rcw_buf_puts(out, "all requests");
    return;
  }
  rcw_buf_printf(out, "%s ", rcw_scope_name(a->scope));
  put_one_line(out, a->key);
}

void rcw_alertmanager_summary(const struct rcw_alert *a, struct rcw_buf *out)
{
  char window[32];
  bool firing = a->state == RCW_ALERT_FIRING;
  const char *cmp = firing ? ">" : "<=";
  rcw_format_duration(a->window_ms, window, sizeof(window));
  put_one_line(out, a->rule);
  rcw_buf_printf(out, " %s: ", rcw_alert_state_name(a->state));
  put_scope(out, a);
  if (a->metric == RCW_METRIC_COUNT) {
    rcw_buf_printf(out, " %llu failures %s %.15g over %s", (unsigned long long)a->failures,
                   cmp, a->threshold, window);
    return;
  }
  rcw_buf_printf(out, " failure rate %.3g%% %s %.3g%% over %s (%llu of %llu requests)",
                 a->value * 100.0, cmp, a->threshold * 100.0, window,
                 (unsigned long long)a->failures, (unsigned long long)a->requests);
}

static void put_labels(struct rcw_json *j, const struct rcw_alert *a, const char *instance)
{
  char window[32];
  rcw_format_duration(a->window_ms, window, sizeof(window));
  rcw_json_key(j, "labels");
  rcw_json_object_begin(j);
  put_string(j, "alertname", a->rule);
  put_string(j, "severity", rcw_severity_name(a->severity));
  put_string(j, "scope", rcw_scope_name(a->scope));
  put_string(j, "key", a->key);
  put_string(j, "window", window);
  put_string(j, "metric", rcw_metric_name(a->metric));
  if (instance && *instance)
    put_string(j, "instance", instance);
  put_string(j, "source", "rcwatch");
  rcw_json_object_end(j);
}

static void put_annotations(struct rcw_json *j, const struct rcw_alert *a)
{
  struct rcw_buf summary = RCW_BUF_INIT;
  rcw_alertmanager_summary(a, &summary);
  rcw_json_key(j, "annotations");
  rcw_json_object_begin(j);
  put_string(j, "description", a->description);
  put_string(j, "summary", summary.oom ? a->rule : summary.data);
  put_number(j, "value", a->value);
  put_number(j, "threshold", a->threshold);
  put_count(j, "requests", a->requests);
  put_count(j, "failures", a->failures);
  rcw_json_object_end(j);
  rcw_buf_free(&summary);
}

void rcw_alertmanager_alert(const struct rcw_am_alert *am, const char *instance,
                            struct rcw_json *j)
{
  rcw_json_object_begin(j);
  put_labels(j, am->alert, instance);
  put_annotations(j, am->alert);
  rcw_json_key(j, "startsAt");
  rcw_json_time(j, am->starts_at);
  rcw_json_key(j, "endsAt");
  /* Alertmanager refuses an alert that ends before it starts. */
  rcw_json_time(j, am->ends_at > am->starts_at ? am->ends_at : am->starts_at);
  rcw_json_object_end(j);
}

void rcw_alertmanager_body(const struct rcw_am_alert *am, size_t n, const char *instance,
                           struct rcw_buf *out)
{
  struct rcw_json j;
  rcw_json_init(&j, out, false);
  rcw_json_array_begin(&j);
  for (size_t i = 0; i < n; i++)
    rcw_alertmanager_alert(&am[i], instance, &j);
  rcw_json_array_end(&j);
}
