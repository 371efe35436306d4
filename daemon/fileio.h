/* fileio — writing files so that a reader, a crash or a full disk only
 * ever leaves the whole old file or the whole new one.  Shared by the
 * state file and the report directory.  Never logs. */
#ifndef RCW_FILEIO_H
#define RCW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all of data to fd, retrying short writes and EINTR.  0 or -errno. */
int rcw_write_all(int fd, const void *data, size_t len);

/* Replace name in the directory dfd with data: the bytes go to a new file
 * tmp in the same directory (O_EXCL, mode), which is fsynced and renamed
 * over name; then the directory is fsynced, since the rename is durable
 * only once the directory is (a file system that cannot sync directories,
 * EINVAL, has nothing more to offer).  On a failure before the rename tmp
 * is removed and name is untouched.  0, -EEXIST when tmp exists (choose
 * another temporary name), or -errno. */
int rcw_replace_at(int dfd, const char *tmp, const char *name, const void *data, size_t len,
                   mode_t mode);

#endif
