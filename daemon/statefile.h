/* statefile — the checkpoint container: named sections of bytes, written
 * atomically and read back only when every byte checks out.
 *
 * Each module encodes its own section ("offsets", "tally", "windows",
 * "rules", ...) and versions it itself; this module knows nothing of what
 * is inside.  The file is a header (magic, container version, section
 * count, payload length), the sections (name and data, length-prefixed)
 * and a CRC-32 over everything before it.
 *
 * Writing goes to a temporary file in the same directory, which is
 * written whole, fsynced, renamed over the old one, and then the directory
 * is fsynced: a crash or a full disk at any point leaves either the old
 * file or the new one, never a mix.  Never logs. */
#ifndef RCW_STATEFILE_H
#define RCW_STATEFILE_H

#include <errno.h>
#include <stddef.h>

#include "buf.h"

/* Errors of rcw_statefile_read / _decode besides -errno of the I/O: the
 * caller moves such a file aside (rcw_statefile_quarantine) and starts
 * afresh. */
#define RCW_STATEFILE_ECORRUPT (-EBADMSG)        /* bad magic, CRC, lengths */
#define RCW_STATEFILE_EVERSION (-EPROTONOSUPPORT) /* written by another version */

#define RCW_STATEFILE_VERSION 1
#define RCW_STATEFILE_MAX_SECTIONS 64
#define RCW_STATEFILE_NAME_MAX 64                     /* bytes of a section name */
#define RCW_STATEFILE_MAX_BYTES ((size_t)1 << 30)     /* of the whole file */

typedef struct rcw_statefile rcw_statefile;

rcw_statefile *rcw_statefile_new(void);
void rcw_statefile_free(rcw_statefile *sf); /* accepts NULL */

/* Set a section to a copy of data (replacing one of the same name).
 * 0, -EINVAL (name empty or over RCW_STATEFILE_NAME_MAX, too many
 * sections, the file would exceed RCW_STATEFILE_MAX_BYTES) or -ENOMEM. */
int rcw_statefile_put(rcw_statefile *sf, const char *name, const void *data, size_t len);
/* The same, taking the bytes of b (its memory moves into sf and b is left
 * empty, on failure too), so a section rendered into a rcw_buf is not
 * copied. */
int rcw_statefile_put_buf(rcw_statefile *sf, const char *name, struct rcw_buf *b);

/* The section of that name: 0 and its bytes (owned by sf, valid until the
 * section is replaced or sf freed), or -ENOENT. */
int rcw_statefile_get(const rcw_statefile *sf, const char *name, const void **data,
                      size_t *len);

size_t rcw_statefile_count(const rcw_statefile *sf);
const char *rcw_statefile_name(const rcw_statefile *sf, size_t i); /* in put order */

/* The file's bytes, appended to out.  0 or -ENOMEM. */
int rcw_statefile_encode(const rcw_statefile *sf, struct rcw_buf *out);
/* Parse and check a whole file's bytes: 0 and *out, RCW_STATEFILE_ECORRUPT,
 * RCW_STATEFILE_EVERSION or -ENOMEM.  Safe on any input. */
int rcw_statefile_decode(const void *data, size_t len, rcw_statefile **out);

/* Replace path atomically.  0 or -errno; on failure (ENOSPC, EIO, ...)
 * the old file is untouched and no temporary file is left, except when
 * only the final fsync of the directory failed: then the new file is in
 * place but may not survive a power cut. */
int rcw_statefile_write(const rcw_statefile *sf, const char *path);

/* Read and check path: 0 and *out; -ENOENT when there is none (first
 * start); RCW_STATEFILE_ECORRUPT or RCW_STATEFILE_EVERSION for a file to
 * move aside; other -errno when it cannot be read. */
int rcw_statefile_read(const char *path, rcw_statefile **out);

/* Rename path to path.corrupt-YYYYMMDDTHHMMSSZ (with a .N suffix if that
 * exists already) so a bad file is kept for inspection and never read
 * again.  0 and the new name in moved_to (when not NULL), or -errno. */
int rcw_statefile_quarantine(const char *path, char *moved_to, size_t moved_len);

#endif
