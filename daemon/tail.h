/* tail — follows the log files of every source on a libuv loop and hands
 * over each complete line exactly once.
 *
 * For each source the tail expands its globs (minus `exclude`), opens the
 * regular files found, and reads them from where they stand: the saved
 * offset when rcw_tail_restore gave one, else the end or the beginning
 * (start_at) for files found by the first expansion, and the beginning for
 * every file that appears later.  Appends are noticed through uv_fs_event
 * on each file and its directory, and through a rescan timer that
 * re-expands the globs and polls every file, because inotify drops events
 * when its queue overflows and some filesystems (NFS, FUSE) have none.
 *
 * A file matched by two sources is followed by the first that found it.
 *
 * Files are known by identity (fileid.h), not by name:
 *  - rename rotation: the old file keeps being read through its open
 *    descriptor until it has been quiet for rotate_wait_ms and its path
 *    holds a new file; the new file is read from 0 once the old one is
 *    drained.  A file renamed to a name the globs still match is simply
 *    followed under its new name.
 *  - symlink swap: the path is stat'ed through the link, so a link that
 *    now points elsewhere is a rotation of the old target.
 *  - truncation (size below the read offset, or the first bytes changed,
 *    as copytruncate or `> file` do): reading restarts at 0.
 *  - deletion: the file is drained through its descriptor, then closed.
 * A partial last line is held until its newline arrives.  When a file is
 * closed for good (rotated or deleted, and quiet) or truncated, a partial
 * line left in it can never be completed where it is, so it is handed
 * over as a complete line.  At rcw_tail_free it is not: the committed
 * offset stops before it and it is read again after a restart.
 *
 * Reads are plain pread(2) calls on the loop thread: reading a regular
 * file that is in the page cache takes microseconds, where uv_fs_read
 * would add a thread-pool round trip per chunk and requests in flight to
 * track at close.  (On a network filesystem a read can stall the loop.)
 * A per-file budget per loop turn keeps one busy file from starving the
 * others and the rest of the daemon.
 *
 * Callbacks run on the loop thread.  They may call rcw_tail_stop,
 * rcw_tail_snapshot and rcw_tail_stats, but not free, restore or
 * reconfigure the tail.  The tail never logs: failures go to on_error. */
#ifndef RCW_TAIL_H
#define RCW_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "fileid.h"

struct rcw_tail_options {
  int64_t rescan_ms;      /* re-expand globs and poll files; default 1000 */
  int64_t rotate_wait_ms; /* quiet time before a rotated file is closed;
                             default 5000 */
  size_t max_files;       /* files followed at once, all sources; default
                             1024 (config limits.files) */
  size_t read_chunk;      /* room for reading beside the longest partial
                             line: a file's buffer is RCW_LINE_MAX + this,
                             and a read fills what is free; default 64 KiB */
  size_t read_budget;     /* bytes from one file per loop turn; default 1 MiB */
};

/* The defaults above. */
void rcw_tail_options_default(struct rcw_tail_options *o);

enum rcw_tail_event {
  RCW_TAIL_OPENED,    /* started following the file */
  RCW_TAIL_ROTATED,   /* renamed, or its path holds another file: draining */
  RCW_TAIL_TRUNCATED, /* shorter than what was read, or rewritten: from 0 */
  RCW_TAIL_DELETED,   /* unlinked: draining through the open descriptor */
  RCW_TAIL_CLOSED,    /* no longer followed */
  RCW_TAIL_LOST,      /* restore: a saved file is no longer anywhere */
};

const char *rcw_tail_event_name(enum rcw_tail_event ev);

struct rcw_tail_callbacks {
  /* One complete line (no '\n', no trailing '\r').  line is NULL and len
   * its full length when too_long (see splitter.h).  path is the name the
   * file is followed under; both are valid during the call only. */
  void (*on_line)(void *ctx, size_t source, const char *path, const char *line, size_t len,
                  bool too_long);
  /* Optional: after the lines of one read, so rules can run on a batch. */
  void (*on_batch)(void *ctx);
  /* Optional: err is a negative errno; path is a file or a directory.
   * Failing files are retried at every rescan, so the same error comes
   * again: rate-limit the log line. */
  void (*on_error)(void *ctx, size_t source, const char *path, int err);
  /* Optional: what happened to a file. */
  void (*on_file_event)(void *ctx, size_t source, const char *path, enum rcw_tail_event ev);
};

struct rcw_tail_stats {
  uint64_t files;       /* followed now (a gauge) */
  uint64_t rotations;   /* files renamed away or replaced at their path */
  uint64_t truncations; /* restarts at 0 (truncated or rewritten) */
  uint64_t read_errors; /* failed open, stat or read */
  uint64_t cap_hits;    /* files left out because of max_files; each rescan
                           that leaves a file out counts again */
  uint64_t bytes;       /* read */
  uint64_t lines;       /* handed over */
};

typedef struct rcw_tail rcw_tail;

/* A tail for sources[0..n) (copied: the config may be freed after).  The
 * source index in callbacks is an index into this array.  Nothing is read
 * before rcw_tail_start.  0, -EINVAL (bad options) or -ENOMEM. */
int rcw_tail_new(uv_loop_t *loop, const struct rcw_source_spec *sources, size_t n,
                 const struct rcw_tail_options *opt, const struct rcw_tail_callbacks *cb,
                 void *ctx, rcw_tail **out);

/* Before start: the records of a checkpoint (rcw_tail_snapshot then
 * rcw_file_records_encode/decode).  Records of sources no longer
 * configured are ignored.  At start each record is decided by
 * rcw_fileid_decide: the same file goes on from its offset; a truncated
 * or rewritten one starts at 0; a file whose path now holds another file
 * (rotated while rcwatch was down) is looked for by inode among the
 * entries of the path's directory and drained from its offset before the
 * new file at the path is read, from 0.  Copies what it needs.  0,
 * -EBUSY after start, or -ENOMEM. */
int rcw_tail_restore(rcw_tail *t, const struct rcw_file_record *r, size_t n);

/* Expand the globs, open the files, start watching and the timer.  Lines
 * start to flow when the loop runs.  0 or -errno (timer or idle start). */
int rcw_tail_start(rcw_tail *t);

/* Stop reading and watching; files stay open so rcw_tail_snapshot still
 * describes them.  Idempotent. */
void rcw_tail_stop(rcw_tail *t);

/* The followed files for a checkpoint or a report: source, path,
 * identity and the committed offset (bytes handed over as complete lines,
 * so a restart resumes at the first line not yet seen), plus any restored
 * record not yet resolved (its file unreadable for now).  Files are listed
 * in the order they are read, rotated ones before their successors.
 * 0 and *out (free with rcw_file_records_free), or -ENOMEM. */
int rcw_tail_snapshot(const rcw_tail *t, struct rcw_file_record **out, size_t *n);

/* Counters of one source.  0 or -EINVAL (no such source). */
int rcw_tail_stats(const rcw_tail *t, size_t source, struct rcw_tail_stats *out);

/* A new source list (SIGHUP).  Sources are matched by name: a source
 * that persists keeps its files, offsets and counters (files its new
 * globs no longer match are drained and closed); a removed source's files
 * are closed without handing over more lines or events; a new source, and
 * a source whose paths or excludes changed, is expanded as at start
 * (start_at applies to the files it newly finds).  Source indexes in
 * callbacks refer to the new array from now on.  0, or -ENOMEM: before
 * anything changed (the tail goes on as it was), or, rarely, while
 * rebuilding the directory watches (the new sources are in force; the
 * rescan timer covers the directories left unwatched). */
int rcw_tail_reconfigure(rcw_tail *t, const struct rcw_source_spec *sources, size_t n);

/* Stop and release everything.  Handles close asynchronously: keep
 * running the loop until it has no more handles of the tail (uv_run with
 * UV_RUN_DEFAULT returns once they are gone).  Accepts NULL. */
void rcw_tail_free(rcw_tail *t);

#endif
