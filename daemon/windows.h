/* windows — rolling counts over the configured windows (e.g. 1m 5m 15m 1h)
 * for the total, every category, every catalog entry and every value of
 * each dimension.  Rules read them once a second; reports show each
 * window's summary.  Pure: no clock, no I/O, no logging; time is int64 ms
 * passed in by the caller.
 *
 * Each window is a ring of buckets, 1 s wide for windows up to a minute
 * and 1/60 of the span above that.  Per key the ring keeps one counter
 * per bucket and the running sum of the ring, so adding an event touches
 * one bucket and one sum per key and window, and a read is one load.
 * When time moves into a new bucket, that bucket is emptied for every key
 * and subtracted from the sums: the cost follows the clock, not the
 * traffic, and a read never walks buckets.
 *
 * What a window at time `now` holds: the events of the current bucket and
 * of the N-1 buckets before it (N = span / bucket width), so the span
 * covered is between (N-1) and N buckets.  "now" is the newest time the
 * windows were advanced to, by rcw_windows_advance or by an event: time
 * never goes back.  An event older than a window's oldest bucket is not
 * added to that window (it is counted as late for it); an event in an
 * older bucket still inside the window lands in that bucket.  An event
 * newer than now moves now forward; the daemon, whose events carry log
 * times, should clamp them to its clock so one line stamped next year
 * cannot empty every window.
 *
 * Keys.  Categories and entries are the catalog's dense ids; the windows
 * record the order in which each was first seen, so rules can add keys
 * as they appear.  A dimension keeps at most `dimension_values` distinct
 * values (and values up to RCW_WINDOWS_VALUE_MAX bytes); every further
 * value, and every longer one, is counted under the value "_other", and
 * the events that went there are counted as overflow.  A dimension value
 * also keeps, per category filter, the failures of those categories: a
 * rule "stock failures per campaign" reads them.  Filters are taken from
 * the rules when the windows are made.
 *
 * Memory: for each window, (4 * N + 8) bytes per counter, plus 4 bytes
 * per counter and 4 per key for the counts pending in the current bucket;
 * counters are 2 for the total, 2 per category, 1 per entry and
 * (2 + filters) per dimension value.  Arrays grow by doubling, so up to
 * twice that while keys are still being added.
 *
 * Not thread-safe.  Never logs, never exits. */
#ifndef RCW_WINDOWS_H
#define RCW_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "catalog.h"
#include "config.h"
#include "parser.h"
#include "tally.h"

#define RCW_WINDOWS_MAX_DIMS 16    /* dimensions tracked, over all parsers */
#define RCW_WINDOWS_MAX_FILTERS 16 /* category filters per dimension */
#define RCW_WINDOWS_VALUE_MAX 256  /* longer dimension values go to "_other" */
#define RCW_WINDOWS_OTHER "_other"

typedef struct rcw_windows rcw_windows;

struct rcw_windows_spec {
  const int64_t *windows_ms; /* the spans, each > 0, no duplicates */
  size_t nwindows;           /* 1..RCW_MAX_WINDOWS */
  size_t dimension_values;   /* cap on distinct values per dimension; 0: 1000 */
  const char *const *dimensions; /* dimension names the parsers capture */
  size_t ndimensions;
  /* The rules, for the dimensions and category filters their `dimension`
   * scopes need (names are resolved with catalog).  May be NULL/0. */
  const struct rcw_rule_spec *rules;
  size_t nrules;
  const rcw_catalog *catalog; /* needed when a rule has `categories` */
};

/* 0 and *out, -EINVAL for a bad spec (no windows, a span <= 0, duplicate
 * spans, too many dimensions or filters, an unknown category in a rule),
 * or -ENOMEM. */
int rcw_windows_new(const struct rcw_windows_spec *spec, rcw_windows **out);
void rcw_windows_free(rcw_windows *w); /* accepts NULL */
/* Forget every count and key; the spans, dimensions and filters stay. */
void rcw_windows_reset(rcw_windows *w);

/* --- the hot path ------------------------------------------------------ */

/* One request.  dims[i] is the value of dimension dim_index[i] (of this
 * module's dimensions, see rcw_windows_dimension_index), or of dimension i
 * when dim_index is NULL; a negative index or a value with ptr NULL or
 * len 0 is skipped.  The ingest hook passes its match's dims with a map
 * from its parser's dimension order built once per parser. */
struct rcw_win_event {
  int64_t time_ms;
  uint32_t entry;    /* catalog entry id */
  uint32_t category; /* that entry's category id */
  bool failure;      /* the entry is not a success */
  const struct rcw_field *dims;
  const int *dim_index;
  size_t ndims;
};

/* Count one event in every window that still covers its time.  O(1): one
 * hash lookup per dimension value, allocation only for a key never seen
 * before.  0, or -ENOMEM (then nothing was counted), or -EINVAL for an
 * entry or category of RCW_ENTRY_NONE. */
int rcw_windows_add(rcw_windows *w, const struct rcw_win_event *ev);
/* rcw_windows_add n times (n >= 0), in one step when the events can
 * pend, as a run of events of one entry in one second mostly can.  0, or
 * the first error of the adds (then only the adds before it counted). */
int rcw_windows_add_n(rcw_windows *w, const struct rcw_win_event *ev, uint32_t n);

/* Move now forward to t (no-op when t is not newer): buckets that fall
 * out of a window are emptied. */
void rcw_windows_advance(rcw_windows *w, int64_t t);

/* --- shape ------------------------------------------------------------- */

size_t rcw_windows_count(const rcw_windows *w);
int64_t rcw_windows_span(const rcw_windows *w, size_t win);
int64_t rcw_windows_bucket_ms(const rcw_windows *w, size_t win);
size_t rcw_windows_buckets(const rcw_windows *w, size_t win);
/* The index of the window with that span, or -1. */
int rcw_windows_index(const rcw_windows *w, int64_t span_ms);
/* The newest time seen (INT64_MIN before the first event or advance). */
int64_t rcw_windows_now(const rcw_windows *w);
/* The newest event time added (INT64_MIN when none). */
int64_t rcw_windows_latest(const rcw_windows *w);
/* True when no window holds an event at time t (t >= now). */
bool rcw_windows_idle_at(const rcw_windows *w, int64_t t);

size_t rcw_windows_dimension_count(const rcw_windows *w);
const char *rcw_windows_dimension(const rcw_windows *w, size_t dim);
/* The index of the dimension of that name, or -1. */
int rcw_windows_dimension_index(const rcw_windows *w, const char *name);
/* The filter of that dimension whose categories are exactly cats[0..n),
 * or -1. */
int rcw_windows_filter_index(const rcw_windows *w, size_t dim, const uint32_t *cats,
                             size_t n);

/* --- reads (at the current now; advance first) ------------------------- */

struct rcw_win_counts {
  uint64_t requests; /* of a category: its responses */
  uint64_t failures;
};

struct rcw_win_counts rcw_windows_total(const rcw_windows *w, size_t win);
struct rcw_win_counts rcw_windows_category(const rcw_windows *w, size_t win, uint32_t cat);
uint64_t rcw_windows_entry(const rcw_windows *w, size_t win, uint32_t entry);
/* requests of the value; failures of the value, all of them (filter < 0)
 * or only those of the filter's categories. */
struct rcw_win_counts rcw_windows_value(const rcw_windows *w, size_t win, size_t dim,
                                        uint32_t value, int filter);

/* Events too old for that window when they came. */
uint64_t rcw_windows_late(const rcw_windows *w, size_t win);

/* Entries and categories in the order first seen (an array owned by w,
 * valid until the next add or load). */
const uint32_t *rcw_windows_entries_seen(const rcw_windows *w, size_t *n);
const uint32_t *rcw_windows_categories_seen(const rcw_windows *w, size_t *n);

/* A dimension's values, in the order first seen ("_other" among them once
 * used); each is NUL-terminated, with its length (it may hold NUL). */
size_t rcw_windows_value_count(const rcw_windows *w, size_t dim);
const char *rcw_windows_value_name(const rcw_windows *w, size_t dim, uint32_t value,
                                   size_t *len);
/* The index of that value, or -1 when it was never seen. */
int64_t rcw_windows_value_find(const rcw_windows *w, size_t dim, const char *s, size_t len);
/* The index of that value, adding it (or mapping it to "_other" past the
 * cap) when new; a negative errno on failure. */
int64_t rcw_windows_value_intern(rcw_windows *w, size_t dim, const char *s, size_t len);
/* Events counted under "_other" because the dimension was full or the
 * value too long. */
uint64_t rcw_windows_value_overflow(const rcw_windows *w, size_t dim);

/* One window as a tally: by_entry holds each entry's requests in the
 * window at t (advanced to first), lines_total and lines_matched the
 * window's requests (windows see requests only).  0 or -ENOMEM. */
int rcw_windows_tally(rcw_windows *w, size_t win, int64_t t, struct rcw_tally *out);

/* Bytes allocated for the counters and keys. */
size_t rcw_windows_memory(const rcw_windows *w);

/* --- checkpoints and reloads ------------------------------------------- */

/* Append w's state to out, versioned.  Entries are written by code (and
 * meaning), categories are not written: a load classifies the codes
 * with its own catalog and rebuilds the totals and categories from the
 * entries, so a checkpoint survives a catalog that changed.  0 or
 * -ENOMEM. */
int rcw_windows_save(const rcw_windows *w, const rcw_catalog *c, struct rcw_buf *out);
/* Replace w's state by a saved one.  Windows are matched by span (a span
 * w lacks is dropped, a span the blob lacks starts empty), dimensions by
 * name, filters by their category names, values by text (past w's cap
 * they go to "_other").  Codes are classified with c, which may add
 * unknown entries to it.  0; -EINVAL for a blob that is not a complete,
 * well-formed windows state of a known version (w is then unchanged); or
 * -ENOMEM (w is then reset). */
int rcw_windows_load(rcw_windows *w, rcw_catalog *c, const void *p, size_t n);
/* After a config reload: take over old's counts (the same matching as
 * load).  The old catalog must still be alive.  0 or a negative errno
 * (then dst is reset). */
int rcw_windows_adopt(rcw_windows *dst, rcw_catalog *dst_catalog, const rcw_windows *old,
                      const rcw_catalog *old_catalog);

#endif
