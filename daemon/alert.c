/* alert — the one JSON shape of an alert transition, and owned copies for
 * sinks that deliver later. */
#include "alert.h"

#include <stdlib.h>
#include <string.h>

const char *rcw_alert_state_name(enum rcw_alert_state s)
{
  return s == RCW_ALERT_RESOLVED ? "resolved" : "firing";
}

const char *rcw_scope_name(enum rcw_scope s)
{
  switch (s) {
  case RCW_SCOPE_TOTAL:
    return "total";
  case RCW_SCOPE_CATEGORY:
    return "category";
  case RCW_SCOPE_CODE:
    return "code";
  case RCW_SCOPE_DIMENSION:
    return "dimension";
  }
  return "total";
}

const char *rcw_metric_name(enum rcw_metric m)
{
  return m == RCW_METRIC_COUNT ? "count" : "failure_rate";
}

void rcw_alert_json(const struct rcw_alert *a, struct rcw_json *j)
{
  char window[32];
  rcw_format_duration(a->window_ms, window, sizeof(window));
  rcw_json_object_begin(j);
  rcw_json_key(j, "at");
  rcw_json_time(j, a->at);
  rcw_json_key(j, "state");
  rcw_json_string(j, rcw_alert_state_name(a->state));
  rcw_json_key(j, "rule");
  rcw_json_string(j, a->rule);
  rcw_json_key(j, "severity");
  rcw_json_string(j, rcw_severity_name(a->severity));
  rcw_json_key(j, "scope");
  rcw_json_string(j, rcw_scope_name(a->scope));
  rcw_json_key(j, "key");
  rcw_json_string(j, a->key);
  rcw_json_key(j, "window");
  rcw_json_string(j, window);
  rcw_json_key(j, "metric");
  rcw_json_string(j, rcw_metric_name(a->metric));
  rcw_json_key(j, "value");
  rcw_json_double(j, a->value);
  rcw_json_key(j, "threshold");
  rcw_json_double(j, a->threshold);
  rcw_json_key(j, "requests");
  rcw_json_uint(j, a->requests);
  rcw_json_key(j, "failures");
  rcw_json_uint(j, a->failures);
  rcw_json_key(j, "description");
  rcw_json_string(j, a->description);
  rcw_json_object_end(j);
}

/* strdup that keeps NULL as NULL; false only when a copy failed. */
static bool dup_field(const char **dst, const char *src)
{
  *dst = NULL;
  if (!src)
    return true;
  *dst = strdup(src);
  return *dst != NULL;
}

struct rcw_alert *rcw_alert_dup(const struct rcw_alert *a)
{
  struct rcw_alert *d = malloc(sizeof(*d));
  if (!d)
    return NULL;
  *d = *a;
  bool ok = dup_field(&d->rule, a->rule);
  ok &= dup_field(&d->key, a->key);
  ok &= dup_field(&d->description, a->description);
  if (!ok) {
    rcw_alert_free(d);
    return NULL;
  }
  return d;
}

void rcw_alert_free(struct rcw_alert *a)
{
  if (!a)
    return;
  free((char *)a->rule);
  free((char *)a->key);
  free((char *)a->description);
  free(a);
}
