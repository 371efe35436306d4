/* blobio — little-endian integers and strings with bounded reads. */
#include "blobio.h"

#include <string.h>

static void put_le(struct rcw_buf *b, uint64_t v, size_t n)
{
  unsigned char bytes[8];
  for (size_t i = 0; i < n; i++)
    bytes[i] = (unsigned char)(v >> (8 * i));
  rcw_buf_append(b, bytes, n);
}

void rcw_blob_put_u8(struct rcw_buf *b, uint8_t v)
{
  put_le(b, v, 1);
}

void rcw_blob_put_u32(struct rcw_buf *b, uint32_t v)
{
  put_le(b, v, 4);
}

void rcw_blob_put_u64(struct rcw_buf *b, uint64_t v)
{
  put_le(b, v, 8);
}

void rcw_blob_put_i64(struct rcw_buf *b, int64_t v)
{
  put_le(b, (uint64_t)v, 8);
}

void rcw_blob_put_f64(struct rcw_buf *b, double v)
{
  uint64_t bits;
  memcpy(&bits, &v, sizeof(bits));
  put_le(b, bits, 8);
}

void rcw_blob_put_uvar(struct rcw_buf *b, uint64_t v)
{
  unsigned char bytes[10];
  size_t n = 0;
  do {
    bytes[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  rcw_buf_append(b, bytes, n);
}

void rcw_blob_put_str(struct rcw_buf *b, const char *s, size_t len)
{
  if (len > UINT32_MAX) {
    b->oom = true; /* cannot be encoded: fail the whole rendering */
    return;
  }
  put_le(b, len, 4);
  if (len)
    rcw_buf_append(b, s, len);
}

void rcw_blob_reader_init(struct rcw_blob_reader *r, const void *p, size_t n)
{
  r->p = p;
  r->left = p ? n : 0;
  r->bad = false;
}

void rcw_blob_fail(struct rcw_blob_reader *r)
{
  r->bad = true;
  r->left = 0;
}

/* The next n bytes, or NULL once the reader is bad or short. */
static const unsigned char *take(struct rcw_blob_reader *r, size_t n)
{
  if (r->bad || n > r->left) {
    rcw_blob_fail(r);
    return NULL;
  }
  const unsigned char *p = r->p;
  r->p += n;
  r->left -= n;
  return p;
}

static uint64_t get_le(struct rcw_blob_reader *r, size_t n)
{
  const unsigned char *p = take(r, n);
  uint64_t v = 0;
  for (size_t i = 0; p && i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

uint8_t rcw_blob_get_u8(struct rcw_blob_reader *r)
{
  return (uint8_t)get_le(r, 1);
}

uint32_t rcw_blob_get_u32(struct rcw_blob_reader *r)
{
  return (uint32_t)get_le(r, 4);
}

uint64_t rcw_blob_get_u64(struct rcw_blob_reader *r)
{
  return get_le(r, 8);
}

int64_t rcw_blob_get_i64(struct rcw_blob_reader *r)
{
  return (int64_t)get_le(r, 8);
}

double rcw_blob_get_f64(struct rcw_blob_reader *r)
{
  uint64_t bits = get_le(r, 8);
  double v;
  memcpy(&v, &bits, sizeof(v));
  return v;
}

uint64_t rcw_blob_get_uvar(struct rcw_blob_reader *r, uint64_t max)
{
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    const unsigned char *p = take(r, 1);
    if (!p)
      return 0;
    uint64_t bits = (uint64_t)(*p & 0x7f);
    if (shift == 63 && bits > 1)
      break;
    v |= bits << shift;
    if (!(*p & 0x80)) {
      if (v > max)
        break;
      return v;
    }
  }
  rcw_blob_fail(r);
  return 0;
}

const char *rcw_blob_get_str(struct rcw_blob_reader *r, size_t max, size_t *len)
{
  uint32_t n = rcw_blob_get_u32(r);
  *len = 0;
  if (n > max) {
    rcw_blob_fail(r);
    return NULL;
  }
  if (n == 0)
    return "";
  const unsigned char *p = take(r, n);
  if (!p)
    return NULL;
  *len = n;
  return (const char *)p;
}

uint32_t rcw_blob_get_count(struct rcw_blob_reader *r, size_t item_min)
{
  uint32_t n = rcw_blob_get_u32(r);
  if (item_min && n > r->left / item_min) {
    rcw_blob_fail(r);
    return 0;
  }
  return n;
}

bool rcw_blob_ok(const struct rcw_blob_reader *r)
{
  return !r->bad && r->left == 0;
}
