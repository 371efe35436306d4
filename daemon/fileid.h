/* fileid — who a log file is, and what to do when a saved position meets
 * what is at the path now.  Pure: no I/O; callers stat and read the first
 * bytes themselves and pass them in.
 *
 * A file is its device and inode plus a fingerprint of its first bytes.
 * The inode alone is not enough: a deleted file's inode is soon reused by
 * the next file created, and copytruncate or an editor's rewrite keep the
 * inode while the content starts over.  The fingerprint covers the first
 * RCW_FILEID_FP_LEN bytes, or fewer while the file is shorter; fp_len says
 * how many, and a short fingerprint is compared against the same number of
 * bytes of the file now (then it may grow, see rcw_fileid_fingerprint).
 *
 * The records of followed files (identity + path + committed offset) are
 * what rcwatch checkpoints; they are encoded here into the "offsets"
 * section of the state file (see statefile.h). */
#ifndef RCW_FILEID_H
#define RCW_FILEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RCW_FILEID_FP_LEN 256

struct rcw_fileid {
  uint64_t dev;
  uint64_t ino;
  uint64_t fp;     /* hash of the first fp_len bytes */
  uint32_t fp_len; /* 0 .. RCW_FILEID_FP_LEN */
};

/* What is at a path now: exists false when nothing is (ENOENT).  head
 * holds the first min(size, RCW_FILEID_FP_LEN) bytes of the file. */
struct rcw_fileid_probe {
  bool exists;
  uint64_t dev;
  uint64_t ino;
  uint64_t size;
  const void *head;
  size_t headlen;
};

enum rcw_fileid_verdict {
  RCW_FILEID_CONTINUE,  /* same file: go on from the saved offset */
  RCW_FILEID_TRUNCATED, /* same file, now shorter than the offset: read from 0 */
  RCW_FILEID_REPLACED,  /* same inode, other content (rewritten in place or
                           the inode reused by a new file): read from 0 */
  RCW_FILEID_ROTATED,   /* the path holds another file or none: the saved
                           one, if it still exists, lives under another name */
};

/* Set id's fingerprint from the first len bytes of a file (len may exceed
 * RCW_FILEID_FP_LEN; only that many are used). */
void rcw_fileid_fingerprint(struct rcw_fileid *id, const void *head, size_t len);

/* Do the file's first bytes (head, len) still start with the bytes id's
 * fingerprint covers?  False when the file is now shorter than fp_len. */
bool rcw_fileid_prefix_matches(const struct rcw_fileid *id, const void *head, size_t len);

/* Is the probed file the file id names?  The same device and inode; or the
 * same inode under another device number with a full fingerprint that
 * matches, since some filesystems (btrfs, overlayfs, NFS) renumber their
 * device across reboots. */
bool rcw_fileid_same(const struct rcw_fileid *id, const struct rcw_fileid_probe *now);

/* The decision for a saved {id, offset} against what the path holds now. */
enum rcw_fileid_verdict rcw_fileid_decide(const struct rcw_fileid *saved, uint64_t offset,
                                          const struct rcw_fileid_probe *now);

const char *rcw_fileid_verdict_name(enum rcw_fileid_verdict v);

/* One followed file, as checkpointed. */
struct rcw_file_record {
  char *source; /* the source's name: records outlive source indexes */
  char *path;   /* the name it was followed under */
  struct rcw_fileid id;
  uint64_t offset; /* bytes handed over as complete lines */
};

#define RCW_FILE_RECORDS_MAX (1u << 20) /* records one section may hold */
#define RCW_FILE_RECORD_STR_MAX 4096    /* bytes of a source name or path */

void rcw_file_records_free(struct rcw_file_record *r, size_t n); /* accepts NULL */

/* Append the records, versioned and length-prefixed, to out.  0, -EINVAL
 * (a string over RCW_FILE_RECORD_STR_MAX or too many records) or -ENOMEM. */
int rcw_file_records_encode(const struct rcw_file_record *r, size_t n, struct rcw_buf *out);

/* Parse what rcw_file_records_encode wrote.  Every length is checked
 * against what remains, so any bytes are safe to pass: garbage, a
 * truncated section or an unknown version returns -EINVAL.  On success
 * *out (free with rcw_file_records_free) and *n are set. */
int rcw_file_records_decode(const void *data, size_t len, struct rcw_file_record **out,
                            size_t *n);

#endif
