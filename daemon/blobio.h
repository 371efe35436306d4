/* blobio — the binary encoding of checkpoint sections: little-endian
 * fixed-width integers and length-prefixed byte strings, written onto a
 * rcw_buf and read back with every length checked against the bytes left.
 *
 * A reader never reads out of bounds.  The first short or malformed read
 * marks it bad, and every later read returns zero, so a decoder runs
 * straight through and checks rcw_blob_ok once at the end.  Counts read
 * from a blob are checked against the bytes left before anyone allocates
 * for them, so a forged count cannot make a decoder allocate gigabytes. */
#ifndef RCW_BLOBIO_H
#define RCW_BLOBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

void rcw_blob_put_u8(struct rcw_buf *b, uint8_t v);
void rcw_blob_put_u32(struct rcw_buf *b, uint32_t v);
void rcw_blob_put_u64(struct rcw_buf *b, uint64_t v);
void rcw_blob_put_i64(struct rcw_buf *b, int64_t v);
void rcw_blob_put_f64(struct rcw_buf *b, double v);
/* An unsigned LEB128 varint: 1 byte below 128, so a checkpoint of mostly
 * empty buckets stays small. */
void rcw_blob_put_uvar(struct rcw_buf *b, uint64_t v);
/* A u32 length, then the bytes.  s may be NULL when len is 0. */
void rcw_blob_put_str(struct rcw_buf *b, const char *s, size_t len);

struct rcw_blob_reader {
  const unsigned char *p;
  size_t left;
  bool bad;
};

void rcw_blob_reader_init(struct rcw_blob_reader *r, const void *p, size_t n);
uint8_t rcw_blob_get_u8(struct rcw_blob_reader *r);
uint32_t rcw_blob_get_u32(struct rcw_blob_reader *r);
uint64_t rcw_blob_get_u64(struct rcw_blob_reader *r);
int64_t rcw_blob_get_i64(struct rcw_blob_reader *r);
double rcw_blob_get_f64(struct rcw_blob_reader *r);
/* A varint of at most max (bad when larger, over-long or cut short). */
uint64_t rcw_blob_get_uvar(struct rcw_blob_reader *r, uint64_t max);
/* A string written by rcw_blob_put_str: a pointer into the blob (not
 * NUL-terminated) and its length, or NULL (and bad) when it is longer
 * than max or than what is left. */
const char *rcw_blob_get_str(struct rcw_blob_reader *r, size_t max, size_t *len);
/* A u32 count of items that each take at least item_min bytes: bad when
 * that many items cannot fit in what is left. */
uint32_t rcw_blob_get_count(struct rcw_blob_reader *r, size_t item_min);
/* Mark the reader bad (a decoder found a value out of range). */
void rcw_blob_fail(struct rcw_blob_reader *r);
/* True when nothing went wrong and every byte was read. */
bool rcw_blob_ok(const struct rcw_blob_reader *r);

#endif
