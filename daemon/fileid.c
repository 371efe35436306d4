#include "fileid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_VERSION 1u
/* A record with two empty strings: the least bytes one can take, used to
 * refuse a count the data cannot hold before allocating for it. */
#define RECORD_MIN_BYTES (4 + 4 + 8 + 8 + 8 + 4 + 8)

/* FNV-1a: a fingerprint only needs to tell different beginnings apart, not
 * to resist an adversary, and it is cheap on 256 bytes. */
static uint64_t fnv1a(const void *data, size_t len)
{
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3u;
  }
  return h;
}

void rcw_fileid_fingerprint(struct rcw_fileid *id, const void *head, size_t len)
{
  if (len > RCW_FILEID_FP_LEN)
    len = RCW_FILEID_FP_LEN;
  id->fp = fnv1a(head, len);
  id->fp_len = (uint32_t)len;
}

bool rcw_fileid_prefix_matches(const struct rcw_fileid *id, const void *head, size_t len)
{
  if (len < id->fp_len)
    return false;
  return fnv1a(head, id->fp_len) == id->fp;
}

bool rcw_fileid_same(const struct rcw_fileid *id, const struct rcw_fileid_probe *now)
{
  if (!now->exists || now->ino != id->ino)
    return false;
  if (now->dev == id->dev)
    return true;
  return id->fp_len == RCW_FILEID_FP_LEN &&
         rcw_fileid_prefix_matches(id, now->head, now->headlen);
}

enum rcw_fileid_verdict rcw_fileid_decide(const struct rcw_fileid *saved, uint64_t offset,
                                          const struct rcw_fileid_probe *now)
{
  if (!rcw_fileid_same(saved, now))
    return RCW_FILEID_ROTATED;
  /* Shorter than what was read: copytruncate, or `> file`.  Checked first
   * because a file cut below the fingerprint also fails the prefix. */
  if (now->size < offset)
    return RCW_FILEID_TRUNCATED;
  if (!rcw_fileid_prefix_matches(saved, now->head, now->headlen))
    return RCW_FILEID_REPLACED;
  return RCW_FILEID_CONTINUE;
}

const char *rcw_fileid_verdict_name(enum rcw_fileid_verdict v)
{
  switch (v) {
  case RCW_FILEID_CONTINUE:
    return "continue";
  case RCW_FILEID_TRUNCATED:
    return "truncated";
  case RCW_FILEID_REPLACED:
    return "replaced";
  case RCW_FILEID_ROTATED:
    return "rotated";
  }
  return "unknown";
}

void rcw_file_records_free(struct rcw_file_record *r, size_t n)
{
  if (!r)
    return;
  for (size_t i = 0; i < n; i++) {
    free(r[i].source);
    free(r[i].path);
  }
  free(r);
}

/* --- encoding: little-endian, every string length-prefixed --- */

static void put_u32(struct rcw_buf *b, uint32_t v)
{
  unsigned char x[4];
  for (int i = 0; i < 4; i++)
    x[i] = (unsigned char)(v >> (8 * i));
  rcw_buf_append(b, x, sizeof(x));
}

static void put_u64(struct rcw_buf *b, uint64_t v)
{
  unsigned char x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (unsigned char)(v >> (8 * i));
  rcw_buf_append(b, x, sizeof(x));
}

static void put_str(struct rcw_buf *b, const char *s, size_t len)
{
  put_u32(b, (uint32_t)len);
  rcw_buf_append(b, s, len);
}

int rcw_file_records_encode(const struct rcw_file_record *r, size_t n, struct rcw_buf *out)
{
  if (n > RCW_FILE_RECORDS_MAX)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (strlen(r[i].source) > RCW_FILE_RECORD_STR_MAX ||
        strlen(r[i].path) > RCW_FILE_RECORD_STR_MAX)
      return -EINVAL;
  put_u32(out, RECORDS_VERSION);
  put_u32(out, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    put_str(out, r[i].source, strlen(r[i].source));
    put_str(out, r[i].path, strlen(r[i].path));
    put_u64(out, r[i].id.dev);
    put_u64(out, r[i].id.ino);
    put_u64(out, r[i].id.fp);
    put_u32(out, r[i].id.fp_len);
    put_u64(out, r[i].offset);
  }
  return out->oom ? -ENOMEM : 0;
}

/* --- decoding: a cursor that refuses to move past the end --- */

struct cursor {
  const unsigned char *p;
  size_t left;
  bool bad;
};

static uint64_t get_le(struct cursor *c, size_t width)
{
  if (c->bad || c->left < width) {
    c->bad = true;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++)
    v |= (uint64_t)c->p[i] << (8 * i);
  c->p += width;
  c->left -= width;
  return v;
}

/* A length-prefixed string, copied and NUL-terminated; NULL on bad input
 * (over the cap, past the end, empty, or with a NUL inside). */
static char *get_str(struct cursor *c)
{
  uint64_t len = get_le(c, 4);
  if (c->bad || len == 0 || len > RCW_FILE_RECORD_STR_MAX || len > c->left ||
      memchr(c->p, '\0', (size_t)len)) {
    c->bad = true;
    return NULL;
  }
  char *s = malloc((size_t)len + 1);
  if (!s)
    return NULL;
  memcpy(s, c->p, (size_t)len);
  s[len] = '\0';
  c->p += len;
  c->left -= (size_t)len;
  return s;
}

static int get_record(struct cursor *c, struct rcw_file_record *r)
{
  r->source = get_str(c);
  r->path = r->source ? get_str(c) : NULL;
  if (!r->path)
    return c->bad ? -EINVAL : -ENOMEM;
  r->id.dev = get_le(c, 8);
  r->id.ino = get_le(c, 8);
  r->id.fp = get_le(c, 8);
  uint64_t fp_len = get_le(c, 4);
  r->offset = get_le(c, 8);
  if (c->bad || fp_len > RCW_FILEID_FP_LEN)
    return -EINVAL;
  r->id.fp_len = (uint32_t)fp_len;
  return 0;
}

int rcw_file_records_decode(const void *data, size_t len, struct rcw_file_record **out,
                            size_t *n)
{
  struct cursor c = {data, len, false};
  uint64_t version = get_le(&c, 4);
  uint64_t count = get_le(&c, 4);
  if (c.bad || version != RECORDS_VERSION || count > RCW_FILE_RECORDS_MAX ||
      count > c.left / RECORD_MIN_BYTES)
    return -EINVAL;
  struct rcw_file_record *r = calloc(count ? (size_t)count : 1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  int err = 0;
  for (size_t i = 0; i < count && err == 0; i++)
    err = get_record(&c, &r[i]);
  if (err == 0 && c.left != 0)
    err = -EINVAL;
  if (err < 0) {
    rcw_file_records_free(r, (size_t)count);
    return err;
  }
  *out = r;
  *n = (size_t)count;
  return 0;
}
