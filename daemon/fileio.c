#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int rcw_write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int write_synced(int fd, const void *data, size_t len)
{
  int r = rcw_write_all(fd, data, len);
  if (r == 0 && fsync(fd) < 0)
    r = -errno;
  if (close(fd) < 0 && r == 0)
    r = -errno;
  return r;
}

int rcw_replace_at(int dfd, const char *tmp, const char *name, const void *data, size_t len,
                   mode_t mode)
{
  int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return -errno;
  int r = write_synced(fd, data, len);
  if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
    r = -errno;
  if (r < 0) {
    unlinkat(dfd, tmp, 0);
    return r;
  }
  if (fsync(dfd) < 0 && errno != EINVAL)
    return -errno;
  return 0;
}
