/* alert — one alert transition as every sink, report and backtest sees it
 * (CONTRACT §4).  Strings are borrowed from whoever emits the alert and
 * stay valid only for the call they are passed to; a sink that keeps an
 * alert copies it with rcw_alert_dup. */
#ifndef RCW_ALERT_H
#define RCW_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "config.h"
#include "json.h"

enum rcw_alert_state { RCW_ALERT_FIRING, RCW_ALERT_RESOLVED };

struct rcw_alert {
  int64_t at; /* ms, UTC */
  enum rcw_alert_state state;
  const char *rule;
  enum rcw_severity severity;
  enum rcw_scope scope;
  const char *key; /* category name, code, dimension value, or "total" */
  int64_t window_ms;
  enum rcw_metric metric;
  double value;
  double threshold;
  uint64_t requests;
  uint64_t failures;
  const char *description;
};

/* Write the alert as a JSON object (the CONTRACT §4 field order). */
void rcw_alert_json(const struct rcw_alert *a, struct rcw_json *j);

const char *rcw_alert_state_name(enum rcw_alert_state s);
const char *rcw_scope_name(enum rcw_scope s);
const char *rcw_metric_name(enum rcw_metric m);

/* A deep copy (all strings owned); free with rcw_alert_free. */
struct rcw_alert *rcw_alert_dup(const struct rcw_alert *a);
void rcw_alert_free(struct rcw_alert *a); /* accepts NULL */

#endif
