/* rules — the alert rule engine (CONTRACT §2): for every rule and every key
 * it matches, a state machine inactive -> pending -> firing -> inactive
 * fed by the rolling windows, emitting struct rcw_alert transitions.
 * Pure: no clock, no I/O, no logging; `now` is passed in (ms).
 *
 * Keys.  total has the one key "total"; category keys are category names,
 * code keys codes (a code key covers every catalog entry of that code, so
 * both meanings of 1306), dimension keys the dimension's values ("_other"
 * included).  A key joins a rule when the windows first see it, if the
 * rule's match names it or is "*"; a key never seen stays inactive anyway.
 * States are capped (RCW_RULES_MAX_STATES over all rules); keys past the
 * cap are not watched and are counted in rcw_rules_dropped.
 *
 * Values, over the rule's window:
 *   failure_rate  total: failures / requests; category and code: their
 *                 failures / ALL requests; dimension: failures of the
 *                 value (only of the rule's `categories` when given) /
 *                 requests of the value.
 *   count         the same failures, as a number.
 *
 * Transitions, at each evaluation (at least once a second):
 *   inactive -> firing    value > above (and requests >= min_requests for
 *                         a failure_rate rule), when `for` is 0;
 *   inactive -> pending   the same, when `for` > 0;
 *   pending  -> inactive  the condition stopped holding (no alert);
 *   pending  -> firing    it has held for `for`;
 *   firing   -> inactive  value <= clear_below, sending `resolved`.  For a
 *                         failure_rate rule that needs requests >=
 *                         min_requests, or a window with no requests at
 *                         all: a trickle of requests after an outage
 *                         neither fires nor resolves (the rate of five
 *                         requests says little), but a silent window
 *                         resolves, as a pager user expects of "no data".
 *   firing: re-sent every `repeat` (when repeat > 0) with current values.
 * A failure_rate rule below min_requests is thus silent: it neither starts
 * pending nor fires, and a pending state falls back to inactive.
 *
 * Severity: the rule's; else for a category key the category's, for a
 * code key the highest of its entries' categories', else warning.
 *
 * Inhibition (an extension of CONTRACT §2): while a category-scope alert
 * of category C is firing, a code-scope alert of a code with an entry in C
 * that starts firing is held back: not sent, and its repeats neither.
 * When no category alert of its categories fires any more, a held alert
 * still firing is sent then, its description saying it was held back by
 * the category alert; one that resolved while held is never sent at all
 * (neither firing nor resolved).  A code alert already sent when the
 * category alert started keeps its state; only its repeats wait, and its
 * `resolved` is sent as usual.  Category rules are evaluated before code
 * rules, so both starting in the same second holds the code alert back.
 *
 * Alerts: `at` is the evaluation time; threshold is `above` on firing and
 * `clear_below` on resolved; requests/failures are those of the value.
 * Strings in an emitted alert are valid only during the callback.
 *
 * Not thread-safe.  Never logs, never exits. */
#ifndef RCW_RULES_H
#define RCW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "catalog.h"
#include "config.h"
#include "diag.h"
#include "windows.h"

#define RCW_RULES_MAX_STATES 100000

typedef struct rcw_rules rcw_rules;

typedef void (*rcw_alert_cb)(void *ctx, const struct rcw_alert *a);

/* Make the engine for specs (copied).  The catalog and the windows are
 * borrowed and must outlive it; the windows must have been made with the
 * same rule specs (for their dimensions and category filters).  Returns 0
 * and *out, or -EINVAL after adding a diagnostic (at the rule's loc) for
 * each rule that does not fit (a window not configured, an unknown
 * category or dimension, clear_below above `above`), or -ENOMEM.  d may
 * be NULL. */
int rcw_rules_new(const struct rcw_rule_spec *specs, size_t n, const rcw_catalog *c,
                  rcw_windows *w, rcw_diags *d, rcw_rules **out);
void rcw_rules_free(rcw_rules *r); /* accepts NULL */

/* Advance the windows to now, let new keys join, and step every state
 * once; emit is called for each transition, in rule order (category and
 * other scopes first, code scopes last).  O(rules x keys), no bucket walk.
 * 0, or -ENOMEM when a new key could not be added (the rest is still
 * evaluated). */
int rcw_rules_evaluate(rcw_rules *r, int64_t now, rcw_alert_cb emit, void *ctx);

/* Evaluate at every whole second after the previous evaluation up to now
 * (at now's second only, the first time): what `scan --alerts` calls before
 * adding each event (with the event's time - 1, so the second of an event
 * is evaluated once its events are in).  Stretches where every window is
 * empty and no state is pending or firing are skipped, since nothing can
 * change there.  0 or -ENOMEM. */
int rcw_rules_evaluate_through(rcw_rules *r, int64_t now, rcw_alert_cb emit, void *ctx);

/* Time of the last evaluation (INT64_MIN before the first). */
int64_t rcw_rules_last_evaluation(const rcw_rules *r);

/* Call cb for every firing alert (held ones too when include_held), with
 * the values of the last evaluation and `at` = when it started firing:
 * for reports ("alerts firing now") and rcwatch_alert_firing. */
void rcw_rules_firing(const rcw_rules *r, bool include_held, rcw_alert_cb cb, void *ctx);

size_t rcw_rules_count(const rcw_rules *r);
size_t rcw_rules_state_count(const rcw_rules *r); /* keys watched, over all rules */
size_t rcw_rules_active(const rcw_rules *r);      /* of them pending or firing */
uint64_t rcw_rules_dropped(const rcw_rules *r);   /* keys not watched: over the cap */

/* Checkpoints: the pending and firing states (rule name, scope, key and
 * timers), versioned.  0 or -ENOMEM. */
int rcw_rules_save(const rcw_rules *r, struct rcw_buf *out);
/* Replace every state by the saved ones.  A state whose rule (same name,
 * scope and dimension) is gone, or no longer matches its key, is dropped.
 * Load the windows first (dimension values are looked up there).  0;
 * -EINVAL for a blob that is not a complete, well-formed rules state (r is
 * then unchanged); -ENOMEM. */
int rcw_rules_load(rcw_rules *r, const void *p, size_t n);
/* After a config reload (windows adopted first): take over old's states
 * by rule name and key.  A firing alert that was sent and has no rule to
 * go to any more is resolved now, through emit.  0 or a negative errno. */
int rcw_rules_adopt(rcw_rules *dst, const rcw_rules *old, int64_t now, rcw_alert_cb emit,
                    void *ctx);

#endif
