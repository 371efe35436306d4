/* backtest — `rcwatch scan --alerts`: the rules of a config replayed over
 * finished logs by event time, so thresholds can be tuned on last week's
 * logs before they page anyone.
 *
 * Events go into the same rolling windows and rule engine as in the
 * daemon; before an event of second S is added, the rules are evaluated
 * at every second up to S - 1 that could change anything, and once more
 * after the last event.  Every transition is kept, in order.  Alerts still
 * firing at the end stay firing: no resolve is made up.  Pure: no clock,
 * no I/O, never logs. */
#ifndef RCW_BACKTEST_H
#define RCW_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "ingest.h"

typedef struct rcw_backtest rcw_backtest;

/* Windows and rules from cfg (borrowed; its catalog is the one events are
 * classified with).  0 and *out; -EINVAL with diagnostics in d (a rule that
 * does not fit its windows), or -ENOMEM. */
int rcw_backtest_new(const struct rcw_config *cfg, rcw_diags *d, rcw_backtest **out);
void rcw_backtest_free(rcw_backtest *bt); /* accepts NULL */

/* The parser whose events come next (its dimensions are mapped once). */
void rcw_backtest_set_parser(rcw_backtest *bt, const rcw_parser *p);
/* The ingest hook: ctx is the backtest. */
void rcw_backtest_event_cb(void *ctx, const struct rcw_event *ev);
/* Fields the hook needs from the parser (for struct rcw_ingest_hooks.want). */
unsigned rcw_backtest_want(const rcw_backtest *bt);
/* Evaluate through the last event's second.  Call once, at the end. */
void rcw_backtest_finish(rcw_backtest *bt);

/* Every transition so far, in order (owned by bt). */
const struct rcw_alert *rcw_backtest_alerts(const rcw_backtest *bt, size_t *n);
/* Requests that carried no readable event time (counted at the time of
 * the event before them), and events lost to out-of-memory. */
uint64_t rcw_backtest_untimed(const rcw_backtest *bt);
uint64_t rcw_backtest_errors(const rcw_backtest *bt);

#endif
