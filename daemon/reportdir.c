#include "reportdir.h"

#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "report-"
#define PREFIX_LEN 7
#define STAMP_LEN 19 /* YYYYMMDDTHHMMSSmmmZ */
#define EXT_MAX 15
#define TEMP_PREFIX ".report-"
#define TEMP_SUFFIX ".tmp"
#define TEMP_NAME_MAX (RCW_REPORT_NAME_MAX + 48)
#define TEMP_STALE_SECONDS 600
#define TEMP_ATTEMPTS 100

static bool valid_ext(const char *ext)
{
  size_t n = ext ? strlen(ext) : 0;
  return n > 0 && n <= EXT_MAX && !strchr(ext, '/');
}

int rcw_reportdir_name(int64_t at_ms, const char *ext, char out[RCW_REPORT_NAME_MAX])
{
  if (!valid_ext(ext))
    return -EINVAL;
  int64_t ms = at_ms % 1000, secs = at_ms / 1000;
  if (ms < 0) { /* floor division: a stamp never reads 59.-123 */
    ms += 1000;
    secs--;
  }
  time_t t = (time_t)secs;
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
    return -EINVAL; /* fixed width keeps name order equal to time order */
  snprintf(out, RCW_REPORT_NAME_MAX, PREFIX "%04d%02d%02dT%02d%02d%02d%03dZ.%s",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)ms, ext);
  return 0;
}

static bool digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

bool rcw_reportdir_is_report(const char *name, const char *ext)
{
  if (!valid_ext(ext) || strncmp(name, PREFIX, PREFIX_LEN) != 0)
    return false;
  const char *s = name + PREFIX_LEN;
  if (strlen(s) < STAMP_LEN || !digits(s, 8) || s[8] != 'T' || !digits(s + 9, 9) ||
      s[18] != 'Z')
    return false;
  return s[STAMP_LEN] == '.' && strcmp(s + STAMP_LEN + 1, ext) == 0;
}

static bool is_temp(const char *name)
{
  size_t n = strlen(name), sn = strlen(TEMP_SUFFIX);
  return strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0 && n > sn &&
         strcmp(name + n - sn, TEMP_SUFFIX) == 0;
}

/* --- creating the directory ------------------------------------------------ */

static int mkdir_one(const char *path)
{
  struct stat st;
  if (mkdir(path, 0755) == 0)
    return 0;
  if (errno != EEXIST)
    return -errno;
  if (stat(path, &st) < 0)
    return -errno;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int rcw_reportdir_ensure(const char *dir)
{
  char path[PATH_MAX];
  size_t n = strlen(dir);
  if (n == 0)
    return -EINVAL;
  if (n >= sizeof(path))
    return -ENAMETOOLONG;
  memcpy(path, dir, n + 1);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/' || p[-1] == '/')
      continue;
    *p = '\0';
    int r = mkdir_one(path);
    *p = '/';
    if (r < 0)
      return r;
  }
  return mkdir_one(path);
}

/* --- writing ---------------------------------------------------------------- */

static int open_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* Through a fresh hidden temporary file next to the final name, so a
 * crash leaves nothing a reader takes for a report. */
static int write_in(int dfd, const char *name, const char *data, size_t len)
{
  static unsigned counter;
  char tmp[TEMP_NAME_MAX];
  int r = -EEXIST;
  for (int i = 0; i < TEMP_ATTEMPTS && r == -EEXIST; i++) {
    snprintf(tmp, sizeof(tmp), TEMP_PREFIX "%s.%ld-%u" TEMP_SUFFIX, name + PREFIX_LEN,
             (long)getpid(), counter++);
    r = rcw_replace_at(dfd, tmp, name, data, len, 0644);
  }
  return r;
}

static int join_path(const char *dir, const char *name, char **out)
{
  size_t n = strlen(dir);
  bool slash = n > 0 && dir[n - 1] == '/';
  char *p = malloc(n + strlen(name) + 2);
  if (!p)
    return -ENOMEM;
  sprintf(p, "%s%s%s", dir, slash ? "" : "/", name);
  *out = p;
  return 0;
}

int rcw_reportdir_write(const char *dir, int64_t at_ms, const char *ext, const char *data,
                        size_t len, char **path_out)
{
  char name[RCW_REPORT_NAME_MAX];
  int r = rcw_reportdir_name(at_ms, ext, name);
  if (r < 0)
    return r;
  int dfd = open_dir(dir);
  if (dfd == -ENOENT && (r = rcw_reportdir_ensure(dir)) < 0)
    return r;
  if (dfd == -ENOENT)
    dfd = open_dir(dir);
  if (dfd < 0)
    return dfd;
  r = write_in(dfd, name, data, len);
  close(dfd);
  if (r == 0 && path_out)
    r = join_path(dir, name, path_out);
  return r;
}

/* --- listing ---------------------------------------------------------------- */

struct names {
  char **v;
  size_t n, cap;
};

static void names_free(struct names *ns)
{
  for (size_t i = 0; i < ns->n; i++)
    free(ns->v[i]);
  free(ns->v);
}

static int names_add(struct names *ns, const char *name)
{
  if (ns->n == ns->cap) {
    size_t cap = ns->cap ? ns->cap * 2 : 64;
    char **v = realloc(ns->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    ns->v = v;
    ns->cap = cap;
  }
  if (!(ns->v[ns->n] = strdup(name)))
    return -ENOMEM;
  ns->n++;
  return 0;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void remove_if_stale(int dfd, const char *name, time_t now)
{
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
      st.st_mtime < now - TEMP_STALE_SECONDS)
    unlinkat(dfd, name, 0);
}

/* Report names of ext in dir, sorted oldest first; stale temporary files
 * are removed on the way when clean is set. */
static int list_reports(int dfd, const char *ext, bool clean, struct names *ns)
{
  int fd = dup(dfd);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) {
    int r = -errno;
    if (fd >= 0)
      close(fd);
    return r;
  }
  time_t now = time(NULL);
  int r = 0;
  struct dirent *de;
  while (r == 0 && (errno = 0, de = readdir(d)) != NULL) {
    if (rcw_reportdir_is_report(de->d_name, ext))
      r = names_add(ns, de->d_name);
    else if (clean && is_temp(de->d_name))
      remove_if_stale(dfd, de->d_name, now);
  }
  if (r == 0 && errno != 0)
    r = -errno;
  closedir(d);
  if (r == 0 && ns->n > 1)
    qsort(ns->v, ns->n, sizeof(*ns->v), name_cmp);
  return r;
}

int rcw_reportdir_prune(const char *dir, const char *ext, size_t keep)
{
  if (!valid_ext(ext))
    return -EINVAL;
  int dfd = open_dir(dir);
  if (dfd < 0)
    return dfd;
  struct names ns = {0};
  int r = list_reports(dfd, ext, true, &ns);
  int removed = 0;
  bool listed = r == 0; /* a partial listing is not in order: delete nothing */
  for (size_t i = 0; listed && i + keep < ns.n; i++) {
    if (unlinkat(dfd, ns.v[i], 0) == 0)
      removed++;
    else if (errno != ENOENT && r == 0)
      r = -errno;
  }
  names_free(&ns);
  close(dfd);
  return r < 0 ? r : removed;
}

int rcw_reportdir_newest(const char *dir, const char *ext, char **path_out)
{
  if (!valid_ext(ext))
    return -EINVAL;
  int dfd = open_dir(dir);
  if (dfd < 0)
    return dfd;
  struct names ns = {0};
  int r = list_reports(dfd, ext, false, &ns);
  close(dfd);
  if (r == 0)
    r = ns.n > 0 ? join_path(dir, ns.v[ns.n - 1], path_out) : -ENOENT;
  names_free(&ns);
  return r;
}
