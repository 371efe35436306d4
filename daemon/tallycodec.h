/* tallycodec — tallies that outlive their catalog: saved in checkpoints
 * and carried across a config reload.
 *
 * A tally counts by catalog entry id, and ids belong to one catalog: a
 * reload builds a new catalog, a restart another.  So a tally is written
 * by code and meaning (the entry's desc_match), and read back by
 * classifying each code again with the catalog now in force; a code the
 * new catalog does not know becomes an unknown entry there, as it would
 * if it came from a log line.  Never logs. */
#ifndef RCW_TALLYCODEC_H
#define RCW_TALLYCODEC_H

#include <stddef.h>

#include "buf.h"
#include "catalog.h"
#include "tally.h"

/* Append t, versioned, to out.  0 or -ENOMEM. */
int rcw_tally_save(const struct rcw_tally *t, const rcw_catalog *c, struct rcw_buf *out);
/* Replace t by a saved tally, classifying its codes with c.  0; -EINVAL for
 * bytes that are not a complete saved tally (t is then unchanged); -ENOMEM. */
int rcw_tally_load(struct rcw_tally *t, rcw_catalog *c, const void *p, size_t n);
/* dst = src with src's entries (of src_c) moved to the entries of dst_c
 * that have the same code and meaning.  0 or -ENOMEM. */
int rcw_tally_remap(struct rcw_tally *dst, rcw_catalog *dst_c, const struct rcw_tally *src,
                    const rcw_catalog *src_c);

#endif
