/* Checkpoints: offsets, counts, windows and rule states saved together in
 * one atomically replaced state file, so a restart — after SIGTERM or
 * SIGKILL — resumes at the first line not yet counted, with the counts of
 * exactly the lines before it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blobio.h"
#include "daemon_internal.h"
#include "fileid.h"
#include "log.h"
#include "statefile.h"
#include "tallycodec.h"

#define META_VERSION 1
#define SOURCES_VERSION 1
#define BLOB_MAX ((size_t)256 << 20)

/* --- save ---------------------------------------------------------------- */

static int put_meta(const struct rcw_daemon *d, rcw_statefile *sf)
{
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_blob_put_u32(&b, META_VERSION);
  rcw_blob_put_i64(&b, d->state_started_ms);
  rcw_blob_put_i64(&b, d->period_start_ms);
  return b.oom ? (rcw_buf_free(&b), -ENOMEM) : rcw_statefile_put_buf(sf, "meta", &b);
}

static int put_sources(const struct rcw_daemon *d, rcw_statefile *sf)
{
  struct rcw_buf b = RCW_BUF_INIT, t = RCW_BUF_INIT;
  rcw_blob_put_u32(&b, SOURCES_VERSION);
  rcw_blob_put_u32(&b, (uint32_t)d->nsrc);
  for (size_t i = 0; i < d->nsrc; i++) {
    const struct rcw_source_rt *s = &d->src[i];
    rcw_blob_put_str(&b, s->name, strlen(s->name));
    rcw_buf_reset(&t);
    rcw_tally_save(&s->lifetime, d->cfg->catalog, &t);
    rcw_blob_put_str(&b, t.data, t.len);
    rcw_buf_reset(&t);
    rcw_tally_save(&s->period, d->cfg->catalog, &t);
    rcw_blob_put_str(&b, t.data, t.len);
    struct rcw_tail_stats st = {0};
    if (d->tail)
      rcw_tail_stats(d->tail, i, &st);
    rcw_blob_put_u64(&b, s->rotations_base + st.rotations);
    rcw_blob_put_u64(&b, s->truncations_base + st.truncations);
  }
  bool oom = b.oom || t.oom;
  rcw_buf_free(&t);
  return oom ? (rcw_buf_free(&b), -ENOMEM) : rcw_statefile_put_buf(sf, "sources", &b);
}

static int put_offsets(const struct rcw_daemon *d, rcw_statefile *sf)
{
  struct rcw_file_record *rec = NULL;
  size_t n = 0;
  struct rcw_buf b = RCW_BUF_INIT;
  int r = rcw_tail_snapshot(d->tail, &rec, &n);
  if (r == 0)
    r = rcw_file_records_encode(rec, n, &b);
  rcw_file_records_free(rec, n);
  return r < 0 ? (rcw_buf_free(&b), r) : rcw_statefile_put_buf(sf, "offsets", &b);
}

static int put_engine(const struct rcw_daemon *d, rcw_statefile *sf)
{
  struct rcw_buf w = RCW_BUF_INIT, r = RCW_BUF_INIT;
  int rc = rcw_windows_save(d->windows, d->cfg->catalog, &w);
  if (rc == 0)
    rc = rcw_statefile_put_buf(sf, "windows", &w);
  if (rc == 0)
    rc = rcw_rules_save(d->rules, &r);
  if (rc == 0)
    rc = rcw_statefile_put_buf(sf, "rules", &r);
  rcw_buf_free(&w);
  rcw_buf_free(&r);
  return rc;
}

int rcw_checkpoint_save(struct rcw_daemon *d)
{
  rcw_statefile *sf = rcw_statefile_new();
  int r = sf ? 0 : -ENOMEM;
  if (r == 0 && d->tail)
    r = put_offsets(d, sf);
  if (r == 0)
    r = put_sources(d, sf);
  if (r == 0)
    r = put_engine(d, sf);
  if (r == 0)
    r = put_meta(d, sf);
  if (r == 0)
    r = rcw_statefile_write(sf, d->cfg->state.path);
  rcw_statefile_free(sf);
  if (r < 0) {
    d->checkpoint_failures++;
    if (rcw_errlimit_allow(&d->errlimit, d->cfg->state.path, d->now_ms))
      rcw_log_error("cannot write the state file %s: %s (counting goes on; retrying)",
                    d->cfg->state.path, strerror(-r));
    return r;
  }
  d->checkpoints++;
  return 0;
}

/* --- restore ------------------------------------------------------------- */

static int get_meta(struct rcw_daemon *d, const rcw_statefile *sf)
{
  const void *p;
  size_t n;
  struct rcw_blob_reader r;
  if (rcw_statefile_get(sf, "meta", &p, &n) < 0)
    return -EINVAL;
  rcw_blob_reader_init(&r, p, n);
  if (rcw_blob_get_u32(&r) != META_VERSION)
    return -EINVAL;
  int64_t started = rcw_blob_get_i64(&r);
  int64_t period = rcw_blob_get_i64(&r);
  if (!rcw_blob_ok(&r))
    return -EINVAL;
  d->state_started_ms = started;
  d->period_start_ms = period;
  return 0;
}

static struct rcw_source_rt *source_named(struct rcw_daemon *d, const char *name, size_t len)
{
  for (size_t i = 0; i < d->nsrc; i++)
    if (strlen(d->src[i].name) == len && memcmp(d->src[i].name, name, len) == 0)
      return &d->src[i];
  return NULL;
}

/* Counts of sources no longer configured are dropped with them. */
static int get_sources(struct rcw_daemon *d, const rcw_statefile *sf)
{
  const void *p;
  size_t n, len, llen, plen;
  struct rcw_blob_reader r;
  if (rcw_statefile_get(sf, "sources", &p, &n) < 0)
    return -EINVAL;
  rcw_blob_reader_init(&r, p, n);
  if (rcw_blob_get_u32(&r) != SOURCES_VERSION)
    return -EINVAL;
  uint32_t count = rcw_blob_get_count(&r, 12 + 16);
  for (uint32_t i = 0; i < count && !r.bad; i++) {
    const char *name = rcw_blob_get_str(&r, 4096, &len);
    const char *life = rcw_blob_get_str(&r, BLOB_MAX, &llen);
    const char *period = rcw_blob_get_str(&r, BLOB_MAX, &plen);
    uint64_t rotations = rcw_blob_get_u64(&r);
    uint64_t truncations = rcw_blob_get_u64(&r);
    struct rcw_source_rt *s = r.bad ? NULL : source_named(d, name, len);
    if (s && (rcw_tally_load(&s->lifetime, d->cfg->catalog, life, llen) < 0 ||
              rcw_tally_load(&s->period, d->cfg->catalog, period, plen) < 0))
      return -EINVAL;
    if (s) {
      s->rotations_base = rotations;
      s->truncations_base = truncations;
    }
  }
  return rcw_blob_ok(&r) ? 0 : -EINVAL;
}

static int get_offsets(struct rcw_daemon *d, const rcw_statefile *sf)
{
  const void *p;
  size_t n, count = 0;
  struct rcw_file_record *rec = NULL;
  if (rcw_statefile_get(sf, "offsets", &p, &n) < 0)
    return -EINVAL;
  int r = rcw_file_records_decode(p, n, &rec, &count);
  if (r == 0)
    r = rcw_tail_restore(d->tail, rec, count);
  rcw_file_records_free(rec, count);
  return r;
}

static int get_engine(struct rcw_daemon *d, const rcw_statefile *sf)
{
  const void *p;
  size_t n;
  if (rcw_statefile_get(sf, "windows", &p, &n) < 0 ||
      rcw_windows_load(d->windows, d->cfg->catalog, p, n) < 0)
    return -EINVAL;
  if (rcw_statefile_get(sf, "rules", &p, &n) < 0 || rcw_rules_load(d->rules, p, n) < 0)
    return -EINVAL;
  return 0;
}

static void forget_counts(struct rcw_daemon *d)
{
  for (size_t i = 0; i < d->nsrc; i++) {
    rcw_tally_reset(&d->src[i].lifetime);
    rcw_tally_reset(&d->src[i].period);
  }
  rcw_windows_reset(d->windows);
}

static int apply(struct rcw_daemon *d, const rcw_statefile *sf)
{
  int r = get_meta(d, sf);
  if (r == 0)
    r = get_sources(d, sf);
  if (r == 0)
    r = get_engine(d, sf);
  if (r == 0)
    r = get_offsets(d, sf);
  return r;
}

static void quarantine(struct rcw_daemon *d, const char *path, const char *why)
{
  char moved[4096];
  d->state_quarantined++;
  if (rcw_statefile_quarantine(path, moved, sizeof(moved)) == 0)
    rcw_log_error("state file %s is %s: moved aside to %s; starting afresh", path, why, moved);
  else
    rcw_log_error("state file %s is %s and cannot be moved aside; starting afresh", path, why);
}

static void ensure_parent(const char *path)
{
  char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;
  for (char *p = dir ? dir + 1 : NULL; slash && p && p <= slash; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    mkdir(dir, 0750);
    *p = '/';
  }
  free(dir);
}

int rcw_checkpoint_restore(struct rcw_daemon *d)
{
  const char *path = d->cfg->state.path;
  rcw_statefile *sf = NULL;
  ensure_parent(path);
  int r = rcw_statefile_read(path, &sf);
  if (r == -ENOENT)
    return 0;
  if (r == RCW_STATEFILE_ECORRUPT || r == RCW_STATEFILE_EVERSION) {
    quarantine(d, path, r == RCW_STATEFILE_ECORRUPT ? "corrupt" : "of an unknown version");
    return 0;
  }
  if (r < 0) {
    rcw_log_error("cannot read the state file %s: %s", path, strerror(-r));
    return r;
  }
  r = apply(d, sf);
  rcw_statefile_free(sf);
  if (r == -ENOMEM) {
    rcw_log_error("out of memory while restoring %s", path);
    return r;
  }
  if (r < 0) {
    forget_counts(d);
    d->state_started_ms = d->period_start_ms = d->now_ms;
    quarantine(d, path, "inconsistent");
    return 0;
  }
  rcw_log_info("restored state from %s", path);
  return 0;
}
