#include "statefile.h"

#include "fileio.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char MAGIC[8] = {'R', 'C', 'W', 'S', 'T', 'A', 'T', 'E'};
#define HEADER_BYTES 24 /* magic, u32 version, u32 sections, u64 payload */
#define TRAILER_BYTES 4 /* u32 CRC-32 of all that precedes it */
#define SECTION_OVERHEAD 10 /* u16 name length, u64 data length */

struct section {
  char name[RCW_STATEFILE_NAME_MAX + 1];
  unsigned char *data;
  size_t len;
};

struct rcw_statefile {
  struct section sec[RCW_STATEFILE_MAX_SECTIONS];
  size_t n;
};

rcw_statefile *rcw_statefile_new(void)
{
  return calloc(1, sizeof(struct rcw_statefile));
}

void rcw_statefile_free(rcw_statefile *sf)
{
  if (!sf)
    return;
  for (size_t i = 0; i < sf->n; i++)
    free(sf->sec[i].data);
  free(sf);
}

static struct section *find(const rcw_statefile *sf, const char *name)
{
  for (size_t i = 0; i < sf->n; i++)
    if (strcmp(sf->sec[i].name, name) == 0)
      return (struct section *)&sf->sec[i];
  return NULL;
}

static size_t encoded_size(const rcw_statefile *sf)
{
  size_t total = HEADER_BYTES + TRAILER_BYTES;
  for (size_t i = 0; i < sf->n; i++)
    total += SECTION_OVERHEAD + strlen(sf->sec[i].name) + sf->sec[i].len;
  return total;
}

/* Takes data (malloc'd, or NULL when len is 0) in every case. */
static int put_owned(rcw_statefile *sf, const char *name, unsigned char *data, size_t len)
{
  size_t nlen = strlen(name);
  struct section *s = find(sf, name);
  size_t other = encoded_size(sf) - (s ? SECTION_OVERHEAD + nlen + s->len : 0);
  if (nlen == 0 || nlen > RCW_STATEFILE_NAME_MAX || (!s && sf->n == RCW_STATEFILE_MAX_SECTIONS) ||
      len > RCW_STATEFILE_MAX_BYTES || other + SECTION_OVERHEAD + nlen + len > RCW_STATEFILE_MAX_BYTES) {
    free(data);
    return -EINVAL;
  }
  if (!s) {
    s = &sf->sec[sf->n++];
    memcpy(s->name, name, nlen + 1);
  } else {
    free(s->data);
  }
  s->data = data;
  s->len = len;
  return 0;
}

int rcw_statefile_put(rcw_statefile *sf, const char *name, const void *data, size_t len)
{
  unsigned char *copy = NULL;
  if (len > 0 && len <= RCW_STATEFILE_MAX_BYTES) {
    copy = malloc(len);
    if (!copy)
      return -ENOMEM;
    memcpy(copy, data, len);
  }
  return put_owned(sf, name, copy, len);
}

int rcw_statefile_put_buf(rcw_statefile *sf, const char *name, struct rcw_buf *b)
{
  if (b->oom) {
    rcw_buf_free(b);
    return -ENOMEM;
  }
  unsigned char *data = (unsigned char *)b->data;
  size_t len = b->len;
  *b = (struct rcw_buf)RCW_BUF_INIT;
  if (len == 0) {
    free(data);
    data = NULL;
  }
  return put_owned(sf, name, data, len);
}

int rcw_statefile_get(const rcw_statefile *sf, const char *name, const void **data,
                      size_t *len)
{
  const struct section *s = find(sf, name);
  if (!s)
    return -ENOENT;
  *data = s->data;
  *len = s->len;
  return 0;
}

size_t rcw_statefile_count(const rcw_statefile *sf)
{
  return sf->n;
}

const char *rcw_statefile_name(const rcw_statefile *sf, size_t i)
{
  return i < sf->n ? sf->sec[i].name : NULL;
}

/* CRC-32 (IEEE 802.3, as zlib and gzip).  The table costs 2048 steps, next
 * to nothing beside the file; building it per call keeps no global state. */
static uint32_t crc32_ieee(const unsigned char *p, size_t len)
{
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++)
    crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

static void put_le(struct rcw_buf *b, uint64_t v, size_t width)
{
  unsigned char x[8];
  for (size_t i = 0; i < width; i++)
    x[i] = (unsigned char)(v >> (8 * i));
  rcw_buf_append(b, x, width);
}

static uint64_t get_le(const unsigned char *p, size_t width)
{
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int rcw_statefile_encode(const rcw_statefile *sf, struct rcw_buf *out)
{
  size_t start = out->len;
  size_t payload = encoded_size(sf) - HEADER_BYTES - TRAILER_BYTES;
  rcw_buf_append(out, MAGIC, sizeof(MAGIC));
  put_le(out, RCW_STATEFILE_VERSION, 4);
  put_le(out, sf->n, 4);
  put_le(out, payload, 8);
  for (size_t i = 0; i < sf->n; i++) {
    size_t nlen = strlen(sf->sec[i].name);
    put_le(out, nlen, 2);
    rcw_buf_append(out, sf->sec[i].name, nlen);
    put_le(out, sf->sec[i].len, 8);
    if (sf->sec[i].len > 0)
      rcw_buf_append(out, sf->sec[i].data, sf->sec[i].len);
  }
  if (out->oom)
    return -ENOMEM;
  put_le(out, crc32_ieee((unsigned char *)out->data + start, out->len - start), 4);
  return out->oom ? -ENOMEM : 0;
}

/* One section at *p (with left bytes after it); advances past it. */
static int decode_section(rcw_statefile *sf, const unsigned char **p, size_t *left)
{
  if (*left < 2)
    return RCW_STATEFILE_ECORRUPT;
  size_t nlen = (size_t)get_le(*p, 2);
  if (nlen == 0 || nlen > RCW_STATEFILE_NAME_MAX || *left - 2 < nlen + 8)
    return RCW_STATEFILE_ECORRUPT;
  char name[RCW_STATEFILE_NAME_MAX + 1];
  memcpy(name, *p + 2, nlen);
  name[nlen] = '\0';
  uint64_t dlen = get_le(*p + 2 + nlen, 8);
  size_t used = 2 + nlen + 8;
  if (memchr(name, '\0', nlen) || find(sf, name) || dlen > *left - used)
    return RCW_STATEFILE_ECORRUPT;
  int r = rcw_statefile_put(sf, name, *p + used, (size_t)dlen);
  if (r < 0)
    return r == -ENOMEM ? r : RCW_STATEFILE_ECORRUPT;
  *p += used + dlen;
  *left -= used + dlen;
  return 0;
}

/* Magic, version, lengths and CRC, before any section is looked at. */
static int check_frame(const unsigned char *d, size_t len, uint64_t *nsections)
{
  if (len < HEADER_BYTES + TRAILER_BYTES || len > RCW_STATEFILE_MAX_BYTES ||
      memcmp(d, MAGIC, sizeof(MAGIC)) != 0)
    return RCW_STATEFILE_ECORRUPT;
  /* A later version may lay out the rest differently: say so before
   * judging the rest by this version's rules. */
  if (get_le(d + 8, 4) != RCW_STATEFILE_VERSION)
    return RCW_STATEFILE_EVERSION;
  *nsections = get_le(d + 12, 4);
  uint64_t payload = get_le(d + 16, 8);
  if (payload != len - HEADER_BYTES - TRAILER_BYTES ||
      *nsections > RCW_STATEFILE_MAX_SECTIONS)
    return RCW_STATEFILE_ECORRUPT;
  if (crc32_ieee(d, len - TRAILER_BYTES) != (uint32_t)get_le(d + len - TRAILER_BYTES, 4))
    return RCW_STATEFILE_ECORRUPT;
  return 0;
}

int rcw_statefile_decode(const void *data, size_t len, rcw_statefile **out)
{
  const unsigned char *d = data;
  uint64_t nsections;
  int r = check_frame(d, len, &nsections);
  if (r < 0)
    return r;
  rcw_statefile *sf = rcw_statefile_new();
  if (!sf)
    return -ENOMEM;
  const unsigned char *p = d + HEADER_BYTES;
  size_t left = len - HEADER_BYTES - TRAILER_BYTES;
  for (uint64_t i = 0; i < nsections && r == 0; i++)
    r = decode_section(sf, &p, &left);
  if (r == 0 && left != 0)
    r = RCW_STATEFILE_ECORRUPT;
  if (r < 0) {
    rcw_statefile_free(sf);
    return r;
  }
  *out = sf;
  return 0;
}

/* Through "NAME.tmp-PID-N" beside the state file. */
static int write_atomic(const char *path, const char *data, size_t len)
{
  static unsigned counter;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  int r = !dir ? -ENOMEM : dfd < 0 ? -errno : -EEXIST;
  free(dir);
  for (int i = 0; i < 100 && r == -EEXIST; i++) {
    char tmp[RCW_STATEFILE_NAME_MAX + 4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%u", base, (long)getpid(), counter++);
    r = rcw_replace_at(dfd, tmp, base, data, len, 0600);
  }
  if (dfd >= 0)
    close(dfd);
  return r;
}

int rcw_statefile_write(const rcw_statefile *sf, const char *path)
{
  struct rcw_buf b = RCW_BUF_INIT;
  int r = rcw_statefile_encode(sf, &b);
  if (r == 0)
    r = write_atomic(path, b.data, b.len);
  rcw_buf_free(&b);
  return r;
}

static int read_all(int fd, unsigned char *p, size_t len)
{
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return RCW_STATEFILE_ECORRUPT; /* shrank under us: not what we wrote */
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int rcw_statefile_read(const char *path, rcw_statefile **out)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  int r = fstat(fd, &st) < 0 ? -errno : 0;
  if (r == 0 && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > RCW_STATEFILE_MAX_BYTES))
    r = RCW_STATEFILE_ECORRUPT;
  unsigned char *data = NULL;
  if (r == 0 && !(data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)))
    r = -ENOMEM;
  if (r == 0)
    r = read_all(fd, data, (size_t)st.st_size);
  close(fd);
  if (r == 0)
    r = rcw_statefile_decode(data, (size_t)st.st_size, out);
  free(data);
  return r;
}

int rcw_statefile_quarantine(const char *path, char *moved_to, size_t moved_len)
{
  char stamp[32];
  struct tm tm;
  time_t now = time(NULL);
  strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
  char *name = NULL;
  struct stat st;
  int r = -EEXIST;
  for (int i = 0; i < 100 && r == -EEXIST; i++) {
    free(name);
    int n = i == 0 ? asprintf(&name, "%s.corrupt-%s", path, stamp)
                   : asprintf(&name, "%s.corrupt-%s.%d", path, stamp, i);
    if (n < 0)
      return -ENOMEM;
    if (lstat(name, &st) < 0)
      r = 0;
  }
  if (r == 0 && rename(path, name) < 0)
    r = -errno;
  if (r == 0 && moved_to && moved_len > 0)
    snprintf(moved_to, moved_len, "%s", name);
  free(name);
  return r;
}
