#include "tallycodec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blobio.h"

#define TALLY_VERSION 1

/* The entry of c that means what (code, desc_match) meant elsewhere. */
static uint32_t entry_for(rcw_catalog *c, const char *code, size_t len, const char *desc,
                          size_t desc_len)
{
  if (len > 5 && memcmp(code, "http_", 5) == 0) {
    int status = 0;
    for (size_t i = 5; i < len && status < 1000; i++) {
      if (code[i] < '0' || code[i] > '9')
        return rcw_catalog_classify(c, code, len, NULL, 0, NULL);
      status = status * 10 + (code[i] - '0');
    }
    return rcw_catalog_classify_status(c, status);
  }
  /* An empty description picks a code's fallback meaning. */
  return rcw_catalog_classify(c, code, len, desc ? desc : "", desc ? desc_len : 0, NULL);
}

int rcw_tally_save(const struct rcw_tally *t, const rcw_catalog *c, struct rcw_buf *out)
{
  uint32_t n = 0;
  for (size_t i = 0; i < t->nentries; i++)
    n += t->by_entry[i] > 0;
  rcw_blob_put_u32(out, TALLY_VERSION);
  rcw_blob_put_u64(out, t->lines_total);
  rcw_blob_put_u64(out, t->lines_matched);
  rcw_blob_put_u64(out, t->lines_unmatched);
  rcw_blob_put_u64(out, t->unmatched_too_long);
  rcw_blob_put_u64(out, t->unmatched_limit);
  rcw_blob_put_u32(out, n);
  for (size_t i = 0; i < t->nentries; i++) {
    if (t->by_entry[i] == 0)
      continue;
    const struct rcw_entry *e = rcw_catalog_entry(c, (uint32_t)i);
    const char *dm = e ? e->desc_match : NULL;
    rcw_blob_put_str(out, e ? e->code : "_other", strlen(e ? e->code : "_other"));
    rcw_blob_put_u8(out, dm != NULL);
    rcw_blob_put_str(out, dm, dm ? strlen(dm) : 0);
    rcw_blob_put_u64(out, t->by_entry[i]);
  }
  return out->oom ? -ENOMEM : 0;
}

static int load_entries(struct rcw_tally *t, rcw_catalog *c, struct rcw_blob_reader *r)
{
  uint32_t n = rcw_blob_get_count(r, 4 + 1 + 4 + 8);
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    size_t len, dlen;
    const char *code = rcw_blob_get_str(r, RCW_CODE_MAX_LEN, &len);
    uint8_t has_desc = rcw_blob_get_u8(r);
    const char *desc = rcw_blob_get_str(r, 4096, &dlen);
    uint64_t count = rcw_blob_get_u64(r);
    if (r->bad)
      break;
    uint32_t entry = entry_for(c, code, len, has_desc ? desc : NULL, dlen);
    if (entry == RCW_ENTRY_NONE)
      continue;
    if (rcw_tally_count(t, entry, count) < 0)
      return -ENOMEM;
  }
  return rcw_blob_ok(r) ? 0 : -EINVAL;
}

int rcw_tally_load(struct rcw_tally *t, rcw_catalog *c, const void *p, size_t n)
{
  struct rcw_blob_reader r;
  struct rcw_tally tmp;
  rcw_blob_reader_init(&r, p, n);
  if (rcw_blob_get_u32(&r) != TALLY_VERSION)
    return -EINVAL;
  rcw_tally_init(&tmp);
  tmp.lines_total = rcw_blob_get_u64(&r);
  tmp.lines_matched = rcw_blob_get_u64(&r);
  tmp.lines_unmatched = rcw_blob_get_u64(&r);
  tmp.unmatched_too_long = rcw_blob_get_u64(&r);
  tmp.unmatched_limit = rcw_blob_get_u64(&r);
  int rc = load_entries(&tmp, c, &r);
  if (rc == 0) {
    rcw_tally_destroy(t);
    *t = tmp;
  } else {
    rcw_tally_destroy(&tmp);
  }
  return rc;
}

int rcw_tally_remap(struct rcw_tally *dst, rcw_catalog *dst_c, const struct rcw_tally *src,
                    const rcw_catalog *src_c)
{
  struct rcw_buf b = RCW_BUF_INIT;
  int rc = rcw_tally_save(src, src_c, &b);
  if (rc == 0)
    rc = rcw_tally_load(dst, dst_c, b.data, b.len);
  rcw_buf_free(&b);
  return rc;
}
