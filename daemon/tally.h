/* tally — counts over one span of input: lines by result and responses by
 * catalog entry.  Categories, requests and failures are derived from the
 * entries when a summary is built, so there is one source of truth.  Pure:
 * no I/O, no clock. */
#ifndef RCW_TALLY_H
#define RCW_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

struct rcw_tally {
  uint64_t lines_total;
  uint64_t lines_matched;
  uint64_t lines_unmatched;
  uint64_t unmatched_too_long; /* of unmatched: longer than RCW_LINE_MAX */
  uint64_t unmatched_limit;    /* of unmatched: a regex match/depth limit hit */
  uint64_t *by_entry;          /* responses per catalog entry id */
  size_t nentries;             /* entries allocated (ids >= this are 0) */
};

void rcw_tally_init(struct rcw_tally *t);
void rcw_tally_destroy(struct rcw_tally *t);
void rcw_tally_reset(struct rcw_tally *t); /* all counts 0, keeps memory */

/* Count one response for entry (grows by_entry as needed; -ENOMEM). */
int rcw_tally_count(struct rcw_tally *t, uint32_t entry, uint64_t n);
/* dst += src */
int rcw_tally_merge(struct rcw_tally *dst, const struct rcw_tally *src);

struct rcw_summary_code {
  uint32_t entry;
  uint64_t count;
};

struct rcw_summary_category {
  uint32_t category;
  uint64_t count;    /* responses in this category (extension field) */
  uint64_t failures; /* responses that are failures */
};

/* The CONTRACT §4 summary, derived from a tally. */
struct rcw_summary {
  uint64_t lines_total, lines_matched, lines_unmatched;
  uint64_t unmatched_too_long, unmatched_limit;
  uint64_t requests, failures;
  double failure_rate; /* failures / requests, 0 when no requests */
  struct rcw_summary_category *categories; /* every category seen */
  size_t ncategories;
  struct rcw_summary_code *codes; /* every entry seen, success too */
  size_t ncodes;
};

/* Build a summary; codes sorted by count (highest first, then by code),
 * categories by failures, then count, then name.  0 or -ENOMEM. */
int rcw_summary_build(struct rcw_summary *s, const struct rcw_tally *t,
                      const rcw_catalog *c);
void rcw_summary_destroy(struct rcw_summary *s);

#endif
