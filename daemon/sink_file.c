/* The `file` sink: each alert appended to a file as one JSON line.
 *
 * Writes happen on the loop thread, synchronously.  That is deliberate: a
 * line is a few hundred bytes, alerts come a few a minute, and a regular
 * file write only copies into the page cache; a thread would buy nothing
 * but reordering problems.  (A path on a hard-mounted network filesystem
 * could stall the loop; the file belongs on local disk.)
 *
 * A line reaches the file whole or not at all: it is written with one
 * write(2), so readers never see half of it; if the kernel takes only part
 * (disk full, file size limit), the rest is written at once, and if that
 * fails too, the part is cut off again with ftruncate.  Only if even the
 * ftruncate fails does a fragment stay, and then the next attempt
 * completes that same line before anything else is written (unless the
 * file was rotated away meanwhile, or the daemon stops first).
 *
 * Failed lines wait in a bounded queue, in order, and are retried on a
 * timer with exponential backoff and at every new alert.  The file is
 * reopened when the path no longer names the open inode (logrotate moved
 * or removed it). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sink_impl.h"

#define QUEUE_MAX_LINES 1000
#define QUEUE_MAX_BYTES (4u << 20) /* keys from log lines can be long */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000

struct line {
  struct line *next;
  size_t len;
  size_t done;   /* bytes already in the file when an undo failed */
  bool failed;   /* a write of it failed before: the next one is a retry */
  char data[];
};

struct file_sink {
  struct rcw_sink base;
  int fd; /* -1 while closed */
  dev_t dev;
  ino_t ino;
  struct line *head, *tail;
  size_t nlines, nbytes;
  uv_timer_t retry;
  uint64_t backoff_ms;
  bool failing;        /* the last attempt failed */
  bool closing, finished;
};

static void file_close_fd(struct file_sink *f)
{
  if (f->fd >= 0)
    close(f->fd);
  f->fd = -1;
  /* A fragment left in the old file cannot be completed in a new one. */
  if (f->head)
    f->head->done = 0;
}

static int file_open(struct file_sink *f)
{
  struct stat st;
  int fd = open(f->base.target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return -errno;
  if (fstat(fd, &st) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  f->fd = fd;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  return 0;
}

/* Make fd the file the path names now. */
static int file_ensure(struct file_sink *f)
{
  struct stat st;
  if (f->fd >= 0) {
    if (stat(f->base.target, &st) < 0) {
      /* Only a missing path means rotation; if the path cannot be
       * examined, the open file is still the best place for the line. */
      if (errno != ENOENT)
        return 0;
    } else if (st.st_dev == f->dev && st.st_ino == f->ino) {
      return 0;
    }
    file_close_fd(f);
  }
  return file_open(f);
}

/* Cut off the part of l written by a failed attempt (up to `off`). */
static void undo_partial(struct file_sink *f, struct line *l, size_t off)
{
  off_t end = lseek(f->fd, 0, SEEK_CUR);
  if (end >= (off_t)off && ftruncate(f->fd, end - (off_t)off) == 0)
    l->done = 0;
  else
    l->done = off;
}

static int write_line(struct file_sink *f, struct line *l)
{
  size_t off = l->done;
  int err = 0;
  while (off < l->len) {
    ssize_t w = write(f->fd, l->data + off, l->len - off);
    if (w > 0) {
      off += (size_t)w;
    } else if (w < 0 && errno != EINTR) {
      err = -errno;
      break;
    } else if (w == 0) {
      err = -EIO;
      break;
    }
  }
  if (err < 0 && off > 0)
    undo_partial(f, l, off);
  return err;
}

static void pop_line(struct file_sink *f)
{
  struct line *l = f->head;
  f->head = l->next;
  if (!f->head)
    f->tail = NULL;
  f->nlines--;
  f->nbytes -= l->len;
  f->base.stats.queued = f->nlines;
  free(l);
}

static void file_finish(struct file_sink *f);
static void retry_cb(uv_timer_t *t);

static void schedule_retry(struct file_sink *f)
{
  if (uv_is_active((uv_handle_t *)&f->retry))
    return;
  uv_timer_start(&f->retry, retry_cb, f->backoff_ms, 0);
  f->backoff_ms = f->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : f->backoff_ms * 2;
}

static void recovered(struct file_sink *f)
{
  if (f->failing)
    rcw_log_info("file sink %s: writing again", f->base.target);
  f->failing = false;
  f->backoff_ms = RETRY_MIN_MS;
  uv_timer_stop(&f->retry);
}

/* Write queued lines in order until one fails; 0 when the queue is empty. */
static int flush(struct file_sink *f)
{
  while (f->head) {
    struct line *l = f->head;
    if (l->failed)
      f->base.stats.retried++;
    int r = file_ensure(f);
    if (r == 0)
      r = write_line(f, l);
    if (r < 0) {
      l->failed = true;
      f->base.stats.failed++;
      f->failing = true;
      rcw_sink_complain(&f->base, "cannot %s: %s (%zu alerts queued for retry)",
                        f->fd < 0 ? "open" : "write", strerror(-r), f->nlines);
      schedule_retry(f);
      return r;
    }
    pop_line(f);
    f->base.stats.sent++;
  }
  recovered(f);
  return 0;
}

static void flush_and_maybe_finish(struct file_sink *f)
{
  if (flush(f) == 0 && f->closing)
    file_finish(f);
}

static void retry_cb(uv_timer_t *t)
{
  flush_and_maybe_finish(t->data);
}

static struct line *render(const struct rcw_alert *a)
{
  struct rcw_buf b = RCW_BUF_INIT;
  rcw_sink_alert_line(a, &b);
  struct line *l = b.oom ? NULL : malloc(sizeof(*l) + b.len);
  if (l) {
    memset(l, 0, sizeof(*l));
    memcpy(l->data, b.data, b.len);
    l->len = b.len;
  }
  rcw_buf_free(&b);
  return l;
}

static void file_send(struct rcw_sink *sk, const struct rcw_alert *a)
{
  struct file_sink *f = (struct file_sink *)sk;
  struct line *l = render(a);
  if (!l || f->nlines >= QUEUE_MAX_LINES || f->nbytes + l->len > QUEUE_MAX_BYTES) {
    /* The newest alert goes: the queue keeps order, and its head may be
     * a line already partly in the file. */
    const char *why = l ? "retry queue full, alert dropped" : "out of memory, alert dropped";
    free(l);
    sk->stats.dropped++;
    rcw_sink_complain(sk, "%s", why);
    return;
  }
  if (f->tail)
    f->tail->next = l;
  else
    f->head = l;
  f->tail = l;
  f->nlines++;
  f->nbytes += l->len;
  sk->stats.queued = f->nlines;
  /* Even while a retry is pending: the disk may be back, and an alert
   * should not wait out a long backoff. */
  flush(f);
}

static void retry_closed_cb(uv_handle_t *h)
{
  rcw_sink_done(h->data);
}

static void file_finish(struct file_sink *f)
{
  if (f->finished)
    return;
  f->finished = true;
  uv_timer_stop(&f->retry);
  file_close_fd(f);
  uv_close((uv_handle_t *)&f->retry, retry_closed_cb);
}

static void file_close(struct rcw_sink *sk)
{
  struct file_sink *f = (struct file_sink *)sk;
  f->closing = true;
  flush_and_maybe_finish(f);
}

static void file_abort(struct rcw_sink *sk)
{
  struct file_sink *f = (struct file_sink *)sk;
  if (f->nlines > 0)
    rcw_log_warning("file sink %s: stopping with %zu alerts not written", sk->target,
                    f->nlines);
  while (f->head) {
    pop_line(f);
    sk->stats.dropped++;
  }
  file_finish(f);
}

static void file_destroy(struct rcw_sink *sk)
{
  struct file_sink *f = (struct file_sink *)sk;
  while (f->head)
    pop_line(f);
  rcw_sink_fini(sk);
  free(f);
}

static const struct rcw_sink_ops file_ops = {
  .type = "file",
  .send = file_send,
  .close = file_close,
  .abort = file_abort,
  .destroy = file_destroy,
};

int rcw_sink_file_new(uv_loop_t *loop, const struct rcw_sink_spec *spec,
                      const struct rcw_config *cfg, struct rcw_sink **out)
{
  struct file_sink *f = calloc(1, sizeof(*f));
  if (!f)
    return -ENOMEM;
  if (rcw_sink_init(&f->base, &file_ops, loop, spec->path) < 0) {
    free(f);
    return -ENOMEM;
  }
  f->fd = -1;
  f->backoff_ms = RETRY_MIN_MS;
  uv_timer_init(loop, &f->retry);
  f->retry.data = f;
  /* Tell a wrong path at start, not at the first alert; keep going, since
   * the directory may appear later. */
  int r = file_open(f);
  if (r < 0)
    rcw_sink_complain(&f->base, "cannot open: %s (will retry at each alert)", strerror(-r));
  *out = &f->base;
  return 0;
}
