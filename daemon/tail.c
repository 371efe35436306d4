#include "tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parser.h"
#include "splitter.h"

/* Entries looked at when searching a directory for a file rotated while
 * rcwatch was down: a bound on start-up time in a huge directory. */
#define DIR_SCAN_MAX 100000
/* open_probe: the path is not a regular file (a directory, a FIFO). */
#define NOT_REGULAR 1

enum file_state {
  FILE_LIVE,    /* its path leads to it */
  FILE_ROTATED, /* renamed away or replaced at its path: draining */
  FILE_DELETED, /* unlinked: draining through the descriptor */
};

struct tail_file {
  uv_fs_event_t ev; /* the file is freed in this handle's close callback */
  struct rcw_tail *t;
  struct tail_file *prev, *next;
  struct tail_file *pred; /* rotated away from our path: read it first */
  size_t source;
  char *path;      /* the name it is followed under */
  char *left_path; /* the name it was rotated away from, or NULL */
  int fd;
  struct rcw_fileid id;
  uint64_t read_off; /* bytes given to the splitter */
  uint64_t delivered; /* lines handed over by the current commit */
  struct rcw_splitter sp;
  int64_t last_data_ms; /* last read that returned bytes, or the rotation */
  enum file_state state;
  bool dirty;   /* bytes may be waiting: read at the next work pass */
  bool drained; /* the last read found nothing more */
  bool seen;    /* matched by the current expansion */
};

struct tail_dir {
  uv_fs_event_t ev; /* freed in its close callback */
  struct rcw_tail *t;
  struct tail_dir *next;
  char *path;
  size_t source; /* a source whose globs live here, for errors */
  uint64_t dev, ino; /* of the directory watched, to re-arm when replaced */
  bool active;
};

struct tail_source {
  char *name;
  char **paths;
  size_t npaths;
  char **exclude;
  size_t nexclude;
  bool start_at_beginning;
  bool fresh; /* not expanded yet: start_at applies to what is found */
  struct rcw_tail_stats st;
};

struct saved_rec {
  struct rcw_file_record r;
  size_t source;
  bool done; /* resolved: opened, found rotated, or lost */
};

struct rcw_tail {
  uv_loop_t *loop;
  struct rcw_tail_options opt;
  struct rcw_tail_callbacks cb;
  void *ctx;
  struct tail_source *src;
  size_t nsrc;
  struct tail_file *head, *tail;
  size_t nfiles;
  struct tail_dir *dirs;
  struct saved_rec *saved;
  size_t nsaved;
  uv_timer_t rescan_timer;
  uv_idle_t work; /* active while files have bytes waiting */
  size_t handles; /* initialised and not yet closed */
  bool started, stopped, freeing, rescan_pending;
};

/* A file just opened, before it becomes a tail_file. */
struct opened {
  int fd;
  struct stat st;
  unsigned char head[RCW_FILEID_FP_LEN];
  size_t headlen;
};

static void work_cb(uv_idle_t *h);

/* --- small helpers --- */

void rcw_tail_options_default(struct rcw_tail_options *o)
{
  o->rescan_ms = 1000;
  o->rotate_wait_ms = 5000;
  o->max_files = 1024;
  o->read_chunk = 64 * 1024;
  o->read_budget = 1024 * 1024;
}

const char *rcw_tail_event_name(enum rcw_tail_event ev)
{
  switch (ev) {
  case RCW_TAIL_OPENED:
    return "opened";
  case RCW_TAIL_ROTATED:
    return "rotated";
  case RCW_TAIL_TRUNCATED:
    return "truncated";
  case RCW_TAIL_DELETED:
    return "deleted";
  case RCW_TAIL_CLOSED:
    return "closed";
  case RCW_TAIL_LOST:
    return "lost";
  }
  return "unknown";
}

static int64_t now_ms(const struct rcw_tail *t)
{
  return (int64_t)uv_now(t->loop);
}

static void tail_event(struct rcw_tail *t, size_t s, const char *path, enum rcw_tail_event ev)
{
  if (t->cb.on_file_event)
    t->cb.on_file_event(t->ctx, s, path, ev);
}

static void tail_error(struct rcw_tail *t, size_t s, const char *path, int err)
{
  t->src[s].st.read_errors++;
  if (t->cb.on_error)
    t->cb.on_error(t->ctx, s, path, err);
}

/* Make sure the work pass runs soon. */
static void kick(struct rcw_tail *t)
{
  if (t->started && !t->stopped)
    uv_idle_start(&t->work, work_cb);
}

static char *dir_of(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static char *path_join(const char *dir, const char *name)
{
  size_t dl = strlen(dir), nl = strlen(name);
  char *p = malloc(dl + nl + 2);
  if (!p)
    return NULL;
  memcpy(p, dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, name, nl + 1);
  return p;
}

static bool at_path(const struct tail_file *f, const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && (uint64_t)st.st_dev == f->id.dev &&
         (uint64_t)st.st_ino == f->id.ino;
}

/* --- sources --- */

static void strv_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static char **strv_dup(char *const *v, size_t n)
{
  char **d = calloc(n ? n : 1, sizeof(*d));
  for (size_t i = 0; d && i < n; i++) {
    if (!(d[i] = strdup(v[i]))) {
      strv_free(d, i);
      return NULL;
    }
  }
  return d;
}

static void source_destroy(struct tail_source *s)
{
  free(s->name);
  strv_free(s->paths, s->npaths);
  strv_free(s->exclude, s->nexclude);
}

static int source_copy(struct tail_source *d, const struct rcw_source_spec *spec)
{
  memset(d, 0, sizeof(*d));
  d->name = strdup(spec->name);
  d->paths = strv_dup(spec->paths, spec->npaths);
  d->exclude = strv_dup(spec->exclude, spec->nexclude);
  d->npaths = d->paths ? spec->npaths : 0;
  d->nexclude = d->exclude ? spec->nexclude : 0;
  d->start_at_beginning = spec->start_at_beginning;
  d->fresh = true;
  if (!d->name || !d->paths || !d->exclude) {
    source_destroy(d);
    return -ENOMEM;
  }
  return 0;
}

static void sources_free(struct tail_source *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    source_destroy(&s[i]);
  free(s);
}

static int sources_build(const struct rcw_source_spec *specs, size_t n,
                         struct tail_source **out)
{
  struct tail_source *s = calloc(n ? n : 1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (source_copy(&s[i], &specs[i]) < 0) {
      sources_free(s, i);
      return -ENOMEM;
    }
  }
  *out = s;
  return 0;
}

static size_t source_index(const struct tail_source *s, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0)
      return i;
  return SIZE_MAX;
}

/* An exclude with a '/' is matched against the whole path, else against
 * the file name, so `*.gz` works whatever the directory. */
static bool excluded(const struct tail_source *src, const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; i < src->nexclude; i++) {
    const char *subject = strchr(src->exclude[i], '/') ? path : base;
    if (fnmatch(src->exclude[i], subject, 0) == 0)
      return true;
  }
  return false;
}

static bool path_matches(const struct tail_source *src, const char *path)
{
  for (size_t i = 0; i < src->npaths; i++)
    if (fnmatch(src->paths[i], path, FNM_PATHNAME | FNM_PERIOD) == 0)
      return !excluded(src, path);
  return false;
}

/* --- the file list --- */

static struct tail_file *find_by_id(const struct rcw_tail *t, uint64_t dev, uint64_t ino)
{
  for (struct tail_file *f = t->head; f; f = f->next)
    if (f->id.dev == dev && f->id.ino == ino)
      return f;
  return NULL;
}

static struct tail_file *find_live_at(const struct rcw_tail *t, size_t s, const char *path)
{
  for (struct tail_file *f = t->head; f; f = f->next)
    if (f->source == s && f->state == FILE_LIVE && strcmp(f->path, path) == 0)
      return f;
  return NULL;
}

/* The file most recently rotated away from path: read before its
 * successor, so lines keep their order across a rotation. */
static struct tail_file *find_rotated_from(const struct rcw_tail *t, size_t s,
                                           const char *path)
{
  struct tail_file *found = NULL;
  for (struct tail_file *f = t->head; f; f = f->next)
    if (f->source == s && f->left_path && strcmp(f->left_path, path) == 0)
      found = f;
  return found;
}

static void list_append(struct rcw_tail *t, struct tail_file *f)
{
  f->prev = t->tail;
  f->next = NULL;
  if (t->tail)
    t->tail->next = f;
  else
    t->head = f;
  t->tail = f;
  t->nfiles++;
}

static void list_remove(struct rcw_tail *t, struct tail_file *f)
{
  if (f->prev)
    f->prev->next = f->next;
  else
    t->head = f->next;
  if (f->next)
    f->next->prev = f->prev;
  else
    t->tail = f->prev;
  t->nfiles--;
  for (struct tail_file *g = t->head; g; g = g->next)
    if (g->pred == f)
      g->pred = NULL;
}

/* --- handles --- */

static void maybe_free(struct rcw_tail *t)
{
  if (!t->freeing || t->handles > 0)
    return;
  sources_free(t->src, t->nsrc);
  for (size_t i = 0; i < t->nsaved; i++) {
    free(t->saved[i].r.source);
    free(t->saved[i].r.path);
  }
  free(t->saved);
  free(t);
}

static void handle_closed_cb(uv_handle_t *h)
{
  struct rcw_tail *t = h->data;
  t->handles--;
  maybe_free(t);
}

static void file_closed_cb(uv_handle_t *h)
{
  struct tail_file *f = h->data;
  struct rcw_tail *t = f->t;
  free(f->path);
  free(f->left_path);
  free(f);
  t->handles--;
  maybe_free(t);
}

static void dir_closed_cb(uv_handle_t *h)
{
  struct tail_dir *d = h->data;
  struct rcw_tail *t = d->t;
  free(d->path);
  free(d);
  t->handles--;
  maybe_free(t);
}

/* --- reading --- */

static void line_cb(void *ctx, const char *line, size_t len, bool too_long)
{
  struct tail_file *f = ctx;
  struct rcw_tail *t = f->t;
  f->delivered++;
  t->src[f->source].st.lines++;
  t->cb.on_line(t->ctx, f->source, f->path, line, len, too_long);
}

static void batch_done(struct tail_file *f)
{
  if (f->delivered > 0 && f->t->cb.on_batch)
    f->t->cb.on_batch(f->t->ctx);
  f->delivered = 0;
}

/* Hand over a partial last line that can never be completed where it is:
 * its file is closed for good or starts over. */
static void file_flush_partial(struct tail_file *f)
{
  f->delivered = 0;
  rcw_splitter_finish(&f->sp, line_cb, f);
  batch_done(f);
}

static void file_restart(struct tail_file *f)
{
  file_flush_partial(f);
  f->read_off = 0;
  f->t->src[f->source].st.truncations++;
  tail_event(f->t, f->source, f->path, RCW_TAIL_TRUNCATED);
}

/* Before reading: is the file still what was read so far?  Restarts at 0
 * when it shrank below the offset or its first bytes changed, and lets a
 * short fingerprint grow with the file. */
static int file_check(struct tail_file *f)
{
  struct stat st;
  unsigned char head[RCW_FILEID_FP_LEN];
  ssize_t h = 0;
  if (fstat(f->fd, &st) < 0 || (h = pread(f->fd, head, sizeof(head), 0)) < 0) {
    int err = -errno;
    tail_error(f->t, f->source, f->path, err);
    return err;
  }
  struct rcw_fileid_probe now = {true, f->id.dev, f->id.ino, (uint64_t)st.st_size, head,
                                 (size_t)h};
  enum rcw_fileid_verdict v = rcw_fileid_decide(&f->id, f->read_off, &now);
  if (v != RCW_FILEID_CONTINUE)
    file_restart(f);
  if (v != RCW_FILEID_CONTINUE || (size_t)h > f->id.fp_len)
    rcw_fileid_fingerprint(&f->id, head, (size_t)h);
  return 0;
}

static void file_take(struct tail_file *f, size_t n)
{
  struct rcw_tail *t = f->t;
  f->read_off += n;
  f->last_data_ms = now_ms(t);
  f->drained = false;
  t->src[f->source].st.bytes += n;
  f->delivered = 0;
  rcw_splitter_commit(&f->sp, n, line_cb, f);
  batch_done(f);
}

/* Read what is there, up to the per-turn budget (then stay dirty). */
static void file_read(struct tail_file *f)
{
  struct rcw_tail *t = f->t;
  f->dirty = false;
  if (file_check(f) < 0) {
    f->drained = true;
    return;
  }
  size_t budget = t->opt.read_budget;
  while (!t->stopped) {
    if (budget == 0) {
      f->dirty = true;
      return;
    }
    size_t avail;
    char *p = rcw_splitter_space(&f->sp, &avail);
    ssize_t n = pread(f->fd, p, avail, (off_t)f->read_off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n < 0)
        tail_error(t, f->source, f->path, -errno);
      f->drained = true;
      return;
    }
    file_take(f, (size_t)n);
    budget -= (size_t)n < budget ? (size_t)n : budget;
  }
}

/* --- opening and closing --- */

static int open_probe(const char *path, struct opened *o)
{
  o->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (o->fd < 0)
    return -errno;
  ssize_t h = 0;
  if (fstat(o->fd, &o->st) < 0 || (S_ISREG(o->st.st_mode) &&
                                    (h = pread(o->fd, o->head, sizeof(o->head), 0)) < 0)) {
    int err = -errno;
    close(o->fd);
    return err;
  }
  if (!S_ISREG(o->st.st_mode)) {
    close(o->fd);
    return NOT_REGULAR;
  }
  o->headlen = (size_t)h;
  return 0;
}

static struct rcw_fileid_probe probe_of(const struct opened *o)
{
  struct rcw_fileid_probe p = {true, (uint64_t)o->st.st_dev, (uint64_t)o->st.st_ino,
                               (uint64_t)o->st.st_size, o->head, o->headlen};
  return p;
}

/* start_at: end begins after the last complete line, so a line being
 * written at that moment is read whole once its newline comes. */
static uint64_t end_offset(int fd, uint64_t size)
{
  size_t win = size < (uint64_t)RCW_LINE_MAX + 1 ? (size_t)size : (size_t)RCW_LINE_MAX + 1;
  if (win == 0)
    return 0;
  char *buf = malloc(win);
  if (!buf)
    return size;
  uint64_t off = size;
  if (pread(fd, buf, win, (off_t)(size - win)) == (ssize_t)win) {
    char *nl = memrchr(buf, '\n', win);
    if (nl)
      off = size - win + (uint64_t)(nl - buf) + 1;
    else if (win == size)
      off = 0;
  }
  free(buf);
  return off;
}

static void file_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
  struct tail_file *f = h->data;
  struct rcw_tail *t = f->t;
  if (status < 0 || t->stopped)
    return;
  f->dirty = true;
  if (events & UV_RENAME)
    t->rescan_pending = true;
  kick(t);
}

/* A file with no watch (inotify's limit reached) is still polled by the
 * rescan timer, so a failure here costs latency, not lines. */
static void file_watch(struct tail_file *f, const char *where)
{
  int r = uv_fs_event_start(&f->ev, file_event_cb, where, 0);
  if (r < 0 && f->t->cb.on_error)
    f->t->cb.on_error(f->t->ctx, f->source, where, r);
}

/* Follow an opened file (takes o->fd): named path, watched where it was
 * opened, read from off. */
static struct tail_file *file_new(struct rcw_tail *t, size_t s, const char *path,
                                  const char *opened_at, struct opened *o, uint64_t off)
{
  struct tail_file *f = calloc(1, sizeof(*f));
  char *name = strdup(path);
  if (!f || !name || rcw_splitter_init(&f->sp, (size_t)RCW_LINE_MAX + t->opt.read_chunk) < 0) {
    free(name);
    free(f);
    close(o->fd);
    tail_error(t, s, path, -ENOMEM);
    return NULL;
  }
  f->path = name;
  uv_fs_event_init(t->loop, &f->ev);
  f->ev.data = f;
  t->handles++;
  f->t = t;
  f->source = s;
  f->fd = o->fd;
  f->id.dev = (uint64_t)o->st.st_dev;
  f->id.ino = (uint64_t)o->st.st_ino;
  rcw_fileid_fingerprint(&f->id, o->head, o->headlen);
  f->read_off = off;
  f->last_data_ms = now_ms(t);
  f->dirty = f->seen = true;
  list_append(t, f);
  file_watch(f, opened_at);
  tail_event(t, s, path, RCW_TAIL_OPENED);
  kick(t);
  return f;
}

/* Stop following f.  deliver: hand over its partial last line (closed
 * for good) or keep it unread (the tail stops; a restart reads it). */
static void file_close(struct tail_file *f, bool deliver, bool notify)
{
  struct rcw_tail *t = f->t;
  if (deliver)
    file_flush_partial(f);
  list_remove(t, f);
  rcw_splitter_destroy(&f->sp);
  close(f->fd);
  if (notify)
    tail_event(t, f->source, f->path, RCW_TAIL_CLOSED);
  uv_close((uv_handle_t *)&f->ev, file_closed_cb);
}

/* f's path no longer leads to it: keep reading through the descriptor
 * until rotate_wait of quiet (see close_quiet). */
static void file_rotate(struct tail_file *f)
{
  struct rcw_tail *t = f->t;
  struct stat st;
  bool gone = fstat(f->fd, &st) == 0 && st.st_nlink == 0;
  free(f->left_path);
  f->left_path = strdup(f->path);
  f->state = gone ? FILE_DELETED : FILE_ROTATED;
  f->last_data_ms = now_ms(t);
  f->dirty = true;
  f->drained = false;
  if (!gone)
    t->src[f->source].st.rotations++;
  tail_event(t, f->source, f->path, gone ? RCW_TAIL_DELETED : RCW_TAIL_ROTATED);
  kick(t);
}

/* --- restored records --- */

static bool cap_reached(struct rcw_tail *t, size_t s)
{
  if (t->nfiles < t->opt.max_files)
    return false;
  t->src[s].st.cap_hits++;
  return true;
}

/* How an entry of rec's directory relates to rec's file: by inode, the
 * file itself under a new name (rename rotation); by copy, a copy of it
 * (copytruncate): another inode that starts with the same full
 * fingerprint and holds at least the saved offset. */
static enum rcw_fileid_verdict candidate_verdict(const struct saved_rec *rec,
                                                 const struct rcw_fileid_probe *p, bool copy)
{
  if (!copy)
    return rcw_fileid_decide(&rec->r.id, rec->r.offset, p);
  bool is_copy = rec->r.id.fp_len == RCW_FILEID_FP_LEN && p->ino != rec->r.id.ino &&
                 p->size >= rec->r.offset &&
                 rcw_fileid_prefix_matches(&rec->r.id, p->head, p->headlen);
  return is_copy ? RCW_FILEID_CONTINUE : RCW_FILEID_REPLACED;
}

/* Follow dir/name from rec's offset, as a rotated file, if it is rec's
 * file or its copy.  True when it is (followed now or already). */
static bool try_candidate(struct rcw_tail *t, struct saved_rec *rec, const char *dir,
                          const char *name, bool copy)
{
  char *path = path_join(dir, name);
  struct opened o;
  if (!path || open_probe(path, &o) != 0) {
    free(path);
    return false;
  }
  struct rcw_fileid_probe p = probe_of(&o);
  enum rcw_fileid_verdict v = candidate_verdict(rec, &p, copy);
  bool ours = v == RCW_FILEID_CONTINUE || v == RCW_FILEID_TRUNCATED;
  if (!ours || find_by_id(t, p.dev, p.ino) || cap_reached(t, rec->source)) {
    close(o.fd);
    free(path);
    return ours;
  }
  uint64_t off = v == RCW_FILEID_CONTINUE ? rec->r.offset : 0;
  struct tail_file *f = file_new(t, rec->source, rec->r.path, path, &o, off);
  free(path);
  if (f) {
    if (v == RCW_FILEID_TRUNCATED)
      t->src[f->source].st.truncations++;
    file_rotate(f);
  }
  return true;
}

/* Look among the entries of rec's directory.  Only that directory: a
 * file rotated into another one (logrotate's olddir) is not found. */
static bool search_dir(struct rcw_tail *t, struct saved_rec *rec, bool copy)
{
  char *dir = dir_of(rec->r.path);
  DIR *d = dir ? opendir(dir) : NULL;
  bool found = false;
  struct dirent *e;
  for (size_t i = 0; d && !found && i < DIR_SCAN_MAX && (e = readdir(d)); i++)
    if ((copy || e->d_ino == rec->r.id.ino) && strcmp(e->d_name, ".") != 0 &&
        strcmp(e->d_name, "..") != 0)
      found = try_candidate(t, rec, dir, e->d_name, copy);
  if (d)
    closedir(d);
  free(dir);
  return found;
}

/* rec's path holds another file or none: find rec's file by inode. */
static void resolve_rotated(struct rcw_tail *t, struct saved_rec *rec)
{
  rec->done = true;
  if (!search_dir(t, rec, false))
    tail_event(t, rec->source, rec->r.path, RCW_TAIL_LOST);
}

/* At start, before any new file at their paths is opened: find the files
 * of records rotated away while rcwatch was down, and the copies of
 * files copytruncated meanwhile (the lines between the saved offset and
 * the copy are only there).  The rest is left to the first expansion. */
static void restore_rotated(struct rcw_tail *t)
{
  for (size_t i = 0; i < t->nsaved; i++) {
    struct saved_rec *rec = &t->saved[i];
    struct opened o;
    int r = open_probe(rec->r.path, &o);
    if (r == 0) {
      struct rcw_fileid_probe p = probe_of(&o);
      enum rcw_fileid_verdict v = rcw_fileid_decide(&rec->r.id, rec->r.offset, &p);
      close(o.fd);
      if (v == RCW_FILEID_TRUNCATED || v == RCW_FILEID_REPLACED)
        search_dir(t, rec, true);
      if (v != RCW_FILEID_ROTATED)
        continue;
    } else if (r != -ENOENT && r != NOT_REGULAR) {
      continue; /* unreadable for now: retried when the globs find it */
    }
    resolve_rotated(t, rec);
  }
}

/* The unresolved record for path, preferring one of the opened file. */
static struct saved_rec *saved_pending(struct rcw_tail *t, size_t s, const char *path,
                                       const struct rcw_fileid_probe *p)
{
  struct saved_rec *any = NULL;
  for (size_t i = 0; i < t->nsaved; i++) {
    struct saved_rec *rec = &t->saved[i];
    if (rec->done || rec->source != s || strcmp(rec->r.path, path) != 0)
      continue;
    if (rcw_fileid_same(&rec->r.id, p))
      return rec;
    any = any ? any : rec;
  }
  return any;
}

static bool saved_any(const struct rcw_tail *t, size_t s, const char *path)
{
  for (size_t i = 0; i < t->nsaved; i++)
    if (t->saved[i].source == s && strcmp(t->saved[i].r.path, path) == 0)
      return true;
  return false;
}

/* Where to start a file newly found at path. */
static uint64_t start_offset(struct rcw_tail *t, size_t s, const char *path,
                             const struct opened *o, bool *truncated)
{
  struct rcw_fileid_probe p = probe_of(o);
  struct saved_rec *rec = saved_pending(t, s, path, &p);
  if (rec) {
    rec->done = true;
    switch (rcw_fileid_decide(&rec->r.id, rec->r.offset, &p)) {
    case RCW_FILEID_CONTINUE:
      return rec->r.offset;
    case RCW_FILEID_TRUNCATED:
    case RCW_FILEID_REPLACED:
      *truncated = true;
      return 0;
    case RCW_FILEID_ROTATED:
      resolve_rotated(t, rec);
      return 0;
    }
  }
  /* A path with saved state whose file is new appeared after the
   * checkpoint; so did any file found after the first expansion. */
  const struct tail_source *src = &t->src[s];
  if (saved_any(t, s, path) || !src->fresh || src->start_at_beginning)
    return 0;
  return end_offset(o->fd, (uint64_t)o->st.st_size);
}

/* --- expansion --- */

static void open_for_path(struct rcw_tail *t, size_t s, const char *path)
{
  if (cap_reached(t, s))
    return;
  struct opened o;
  int r = open_probe(path, &o);
  if (r == -ENOENT || r == NOT_REGULAR)
    return; /* gone or changed since the stat: the next rescan sees */
  if (r < 0) {
    tail_error(t, s, path, r);
    return;
  }
  if (find_by_id(t, (uint64_t)o.st.st_dev, (uint64_t)o.st.st_ino)) {
    close(o.fd);
    return;
  }
  bool truncated = false;
  uint64_t off = start_offset(t, s, path, &o, &truncated);
  struct tail_file *old = find_live_at(t, s, path);
  if (old)
    file_rotate(old);
  struct tail_file *f = file_new(t, s, path, path, &o, off);
  if (!f)
    return;
  f->pred = find_rotated_from(t, s, path);
  if (truncated) {
    t->src[s].st.truncations++;
    tail_event(t, s, path, RCW_TAIL_TRUNCATED);
  }
}

/* A followed file found under path.  A second name of a file whose first
 * name still leads to it (a symlink, a hard link) changes nothing; a new
 * name for a file whose old name is gone is a rename within the globs. */
static void adopt_name(struct tail_file *f, const char *path)
{
  f->seen = true;
  if (strcmp(f->path, path) == 0) {
    f->state = FILE_LIVE; /* a rotated file back under its name */
    return;
  }
  if (f->state == FILE_LIVE && at_path(f, f->path))
    return;
  char *name = strdup(path);
  if (!name)
    return;
  if (f->state == FILE_LIVE) {
    f->t->src[f->source].st.rotations++;
    tail_event(f->t, f->source, f->path, RCW_TAIL_ROTATED);
    free(f->left_path);
    f->left_path = f->path;
  } else {
    free(f->path);
  }
  f->path = name;
  f->state = FILE_LIVE;
}

static void consider_path(struct rcw_tail *t, size_t s, const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno != ENOENT)
      tail_error(t, s, path, -errno);
    return;
  }
  if (!S_ISREG(st.st_mode))
    return;
  struct tail_file *f = find_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
  if (!f)
    open_for_path(t, s, path);
  else if (f->source == s) /* else another source follows it already */
    adopt_name(f, path);
}

static void expand_pattern(struct rcw_tail *t, size_t s, const char *pattern)
{
  glob_t g;
  int r = glob(pattern, 0, NULL, &g);
  if (r == GLOB_NOSPACE)
    tail_error(t, s, pattern, -ENOMEM);
  if (r == 0)
    for (size_t i = 0; i < g.gl_pathc && !t->stopped; i++)
      if (!excluded(&t->src[s], g.gl_pathv[i]))
        consider_path(t, s, g.gl_pathv[i]);
  globfree(&g);
}

/* Live files of source s the expansion did not find. */
static void sweep_unseen(struct rcw_tail *t, size_t s)
{
  struct tail_file *next;
  for (struct tail_file *f = t->head; f; f = next) {
    next = f->next;
    if (f->source != s || f->state != FILE_LIVE || f->seen)
      continue;
    if (!at_path(f, f->path)) {
      file_rotate(f);
    } else if (!path_matches(&t->src[s], f->path)) {
      file_read(f); /* no longer configured: take what is there, then stop */
      file_close(f, true, true);
    }
    /* else glob(3) missed it (a directory briefly unreadable): keep it */
  }
}

static void source_rescan(struct rcw_tail *t, size_t s)
{
  for (struct tail_file *f = t->head; f; f = f->next)
    if (f->source == s)
      f->seen = false;
  for (size_t i = 0; i < t->src[s].npaths && !t->stopped; i++)
    expand_pattern(t, s, t->src[s].paths[i]);
  if (t->stopped)
    return; /* an expansion cut short says nothing about unseen files */
  sweep_unseen(t, s);
  t->src[s].fresh = false;
}

/* Close rotated and deleted files that are drained, have been quiet for
 * rotate_wait, and whose writer has moved on: the path holds another
 * file, or none can ever write here again (deleted). */
static void close_quiet(struct rcw_tail *t)
{
  int64_t now = now_ms(t);
  struct tail_file *next;
  for (struct tail_file *f = t->head; f; f = next) {
    next = f->next;
    if (f->state == FILE_LIVE || now - f->last_data_ms < t->opt.rotate_wait_ms)
      continue;
    struct stat st;
    bool gone = f->state == FILE_DELETED || (fstat(f->fd, &st) == 0 && st.st_nlink == 0);
    if (!gone && (at_path(f, f->path) || access(f->path, F_OK) != 0))
      continue;
    int64_t before = f->last_data_ms;
    file_read(f); /* what came since the last event, then decide */
    if (f->drained && f->last_data_ms == before)
      file_close(f, true, true);
  }
}

/* --- directories --- */

/* The directory part of a pattern, when it has no wildcard: watched for
 * new files.  Patterns with wildcards in directories rely on the rescan. */
static char *literal_dir(const char *pattern)
{
  char *dir = dir_of(pattern);
  if (dir && strpbrk(dir, "*?[")) {
    free(dir);
    return NULL;
  }
  return dir;
}

static void dir_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
  struct tail_dir *d = h->data;
  if (status < 0 || d->t->stopped || !(events & UV_RENAME))
    return;
  d->t->rescan_pending = true;
  kick(d->t);
}

static int dir_add(struct rcw_tail *t, size_t s, char *path)
{
  for (struct tail_dir *d = t->dirs; d; d = d->next)
    if (strcmp(d->path, path) == 0) {
      free(path);
      return 0;
    }
  struct tail_dir *d = calloc(1, sizeof(*d));
  if (!d) {
    free(path);
    return -ENOMEM;
  }
  uv_fs_event_init(t->loop, &d->ev);
  d->ev.data = d;
  t->handles++;
  d->t = t;
  d->path = path;
  d->source = s;
  d->next = t->dirs;
  t->dirs = d;
  return 0;
}

static int dirs_build(struct rcw_tail *t)
{
  for (size_t s = 0; s < t->nsrc; s++)
    for (size_t i = 0; i < t->src[s].npaths; i++) {
      char *dir = literal_dir(t->src[s].paths[i]);
      if (dir && dir_add(t, s, dir) < 0)
        return -ENOMEM;
    }
  return 0;
}

static void dirs_close(struct rcw_tail *t)
{
  struct tail_dir *next;
  for (struct tail_dir *d = t->dirs; d; d = next) {
    next = d->next;
    uv_close((uv_handle_t *)&d->ev, dir_closed_cb);
  }
  t->dirs = NULL;
}

/* Watch each directory; again when it appeared or was replaced. */
static void dirs_arm(struct rcw_tail *t)
{
  for (struct tail_dir *d = t->dirs; d; d = d->next) {
    struct stat st;
    bool exists = stat(d->path, &st) == 0 && S_ISDIR(st.st_mode);
    if (d->active && exists && (uint64_t)st.st_dev == d->dev && (uint64_t)st.st_ino == d->ino)
      continue;
    if (d->active)
      uv_fs_event_stop(&d->ev);
    d->active = false;
    if (!exists)
      continue;
    int r = uv_fs_event_start(&d->ev, dir_event_cb, d->path, 0);
    if (r < 0 && t->cb.on_error)
      t->cb.on_error(t->ctx, d->source, d->path, r);
    d->active = r == 0;
    d->dev = (uint64_t)st.st_dev;
    d->ino = (uint64_t)st.st_ino;
  }
}

/* --- the loop side --- */

static void rescan(struct rcw_tail *t)
{
  t->rescan_pending = false;
  for (size_t s = 0; s < t->nsrc && !t->stopped; s++)
    source_rescan(t, s);
  if (!t->stopped)
    close_quiet(t);
  if (!t->stopped)
    dirs_arm(t);
}

static void work_cb(uv_idle_t *h)
{
  struct rcw_tail *t = h->data;
  if (t->rescan_pending)
    rescan(t);
  bool more = false;
  for (struct tail_file *f = t->head; f && !t->stopped; f = f->next) {
    if (!f->dirty)
      continue;
    if (f->pred && !f->pred->drained) {
      more = more || f->pred->dirty; /* else the pred's next event wakes us */
      continue;
    }
    file_read(f);
    more = more || f->dirty;
  }
  if (!more || t->stopped)
    uv_idle_stop(h);
}

static void timer_cb(uv_timer_t *h)
{
  struct rcw_tail *t = h->data;
  rescan(t);
  for (struct tail_file *f = t->head; f; f = f->next)
    f->dirty = true;
  kick(t);
}

/* --- public --- */

static bool options_valid(const struct rcw_tail_options *o)
{
  return o->rescan_ms > 0 && o->rotate_wait_ms >= 0 && o->max_files > 0 &&
         o->read_chunk > 0 && o->read_chunk <= ((size_t)1 << 30) && o->read_budget > 0;
}

int rcw_tail_new(uv_loop_t *loop, const struct rcw_source_spec *sources, size_t n,
                 const struct rcw_tail_options *opt, const struct rcw_tail_callbacks *cb,
                 void *ctx, rcw_tail **out)
{
  struct rcw_tail_options o;
  if (opt)
    o = *opt;
  else
    rcw_tail_options_default(&o);
  if (!cb || !cb->on_line || !options_valid(&o))
    return -EINVAL;
  struct rcw_tail *t = calloc(1, sizeof(*t));
  if (!t)
    return -ENOMEM;
  if (sources_build(sources, n, &t->src) < 0) {
    free(t);
    return -ENOMEM;
  }
  t->nsrc = n;
  t->loop = loop;
  t->opt = o;
  t->cb = *cb;
  t->ctx = ctx;
  uv_timer_init(loop, &t->rescan_timer);
  uv_idle_init(loop, &t->work);
  t->rescan_timer.data = t->work.data = t;
  t->handles = 2;
  if (dirs_build(t) < 0) {
    rcw_tail_free(t);
    return -ENOMEM;
  }
  *out = t;
  return 0;
}

static int saved_add(struct rcw_tail *t, const struct rcw_file_record *r, size_t s)
{
  struct saved_rec *rec = &t->saved[t->nsaved];
  rec->r = *r;
  rec->r.source = strdup(r->source);
  rec->r.path = strdup(r->path);
  rec->source = s;
  rec->done = false;
  if (!rec->r.source || !rec->r.path) {
    free(rec->r.source);
    free(rec->r.path);
    return -ENOMEM;
  }
  t->nsaved++;
  return 0;
}

int rcw_tail_restore(rcw_tail *t, const struct rcw_file_record *r, size_t n)
{
  if (t->started)
    return -EBUSY;
  if (n > SIZE_MAX / sizeof(*t->saved) - t->nsaved)
    return -ENOMEM;
  struct saved_rec *grown = realloc(t->saved, (t->nsaved + n + 1) * sizeof(*grown));
  if (!grown)
    return -ENOMEM;
  t->saved = grown;
  for (size_t i = 0; i < n; i++) {
    size_t s = source_index(t->src, t->nsrc, r[i].source);
    if (s != SIZE_MAX && saved_add(t, &r[i], s) < 0)
      return -ENOMEM;
  }
  return 0;
}

int rcw_tail_start(rcw_tail *t)
{
  if (t->started)
    return 0;
  t->started = true;
  restore_rotated(t);
  for (size_t s = 0; s < t->nsrc; s++)
    source_rescan(t, s);
  dirs_arm(t);
  int r = uv_timer_start(&t->rescan_timer, timer_cb, (uint64_t)t->opt.rescan_ms,
                         (uint64_t)t->opt.rescan_ms);
  if (r < 0)
    return r;
  kick(t);
  return 0;
}

void rcw_tail_stop(rcw_tail *t)
{
  if (t->stopped)
    return;
  t->stopped = true;
  uv_timer_stop(&t->rescan_timer);
  uv_idle_stop(&t->work);
  for (struct tail_file *f = t->head; f; f = f->next)
    uv_fs_event_stop(&f->ev);
  for (struct tail_dir *d = t->dirs; d; d = d->next)
    uv_fs_event_stop(&d->ev);
}

static int record_set(struct rcw_file_record *r, const char *source, const char *path,
                      const struct rcw_fileid *id, uint64_t offset)
{
  r->source = strdup(source);
  r->path = strdup(path);
  r->id = *id;
  r->offset = offset;
  return r->source && r->path ? 0 : -ENOMEM;
}

int rcw_tail_snapshot(const rcw_tail *t, struct rcw_file_record **out, size_t *n)
{
  struct rcw_file_record *r = calloc(t->nfiles + t->nsaved + 1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  size_t k = 0;
  int err = 0;
  for (const struct tail_file *f = t->head; f && err == 0; f = f->next)
    err = record_set(&r[k++], t->src[f->source].name, f->path, &f->id,
                     f->read_off - rcw_splitter_pending(&f->sp));
  for (size_t i = 0; i < t->nsaved && err == 0; i++)
    if (!t->saved[i].done)
      err = record_set(&r[k++], t->saved[i].r.source, t->saved[i].r.path, &t->saved[i].r.id,
                       t->saved[i].r.offset);
  if (err < 0) {
    rcw_file_records_free(r, k);
    return err;
  }
  *out = r;
  *n = k;
  return 0;
}

int rcw_tail_stats(const rcw_tail *t, size_t source, struct rcw_tail_stats *out)
{
  if (source >= t->nsrc)
    return -EINVAL;
  *out = t->src[source].st;
  out->files = 0;
  for (const struct tail_file *f = t->head; f; f = f->next)
    out->files += f->source == source;
  return 0;
}

static bool strv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

/* Move files, counters and records to the new source array by name;
 * map[old index] is the new index or SIZE_MAX. */
static void remap_sources(struct rcw_tail *t, struct tail_source *ns, size_t n, size_t *map)
{
  for (size_t i = 0; i < t->nsrc; i++) {
    map[i] = source_index(ns, n, t->src[i].name);
    if (map[i] != SIZE_MAX) {
      struct tail_source *o = &t->src[i], *d = &ns[map[i]];
      d->st = o->st;
      /* Files a reload newly matches have no saved offset: start_at
       * applies to them as it does at start. */
      d->fresh = o->fresh || !strv_equal(o->paths, o->npaths, d->paths, d->npaths) ||
                 !strv_equal(o->exclude, o->nexclude, d->exclude, d->nexclude);
    }
  }
  struct tail_file *next;
  for (struct tail_file *f = t->head; f; f = next) {
    next = f->next;
    f->source = map[f->source];
    if (f->source == SIZE_MAX)
      file_close(f, false, false);
  }
  for (size_t i = 0; i < t->nsaved; i++) {
    struct saved_rec *rec = &t->saved[i];
    rec->source = rec->source < t->nsrc ? map[rec->source] : SIZE_MAX;
    rec->done = rec->done || rec->source == SIZE_MAX;
  }
}

int rcw_tail_reconfigure(rcw_tail *t, const struct rcw_source_spec *sources, size_t n)
{
  struct tail_source *ns;
  size_t *map = malloc((t->nsrc ? t->nsrc : 1) * sizeof(*map));
  if (!map || sources_build(sources, n, &ns) < 0) {
    free(map);
    return -ENOMEM;
  }
  remap_sources(t, ns, n, map);
  free(map);
  sources_free(t->src, t->nsrc);
  t->src = ns;
  t->nsrc = n;
  dirs_close(t);
  int r = dirs_build(t);
  if (t->started && !t->stopped) {
    dirs_arm(t);
    t->rescan_pending = true;
    kick(t);
  }
  return r;
}

void rcw_tail_free(rcw_tail *t)
{
  if (!t)
    return;
  rcw_tail_stop(t);
  t->freeing = true;
  while (t->head)
    file_close(t->head, false, false);
  dirs_close(t);
  uv_close((uv_handle_t *)&t->rescan_timer, handle_closed_cb);
  uv_close((uv_handle_t *)&t->work, handle_closed_cb);
}
