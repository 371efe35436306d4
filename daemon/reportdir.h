/* reportdir — the directory of periodic report files (CONTRACT §2
 * `reports:`).  A report is stored as report-YYYYMMDDTHHMMSSmmmZ.<ext>
 * (UTC, milliseconds), so names sort in time order; ext is "json" or
 * "txt".  Files are written atomically: a reader such as `rcwatch report`
 * sees the previous report or the new one, never half of one, and a crash
 * leaves at most a hidden temporary file behind.
 *
 * Two reports stamped with the same millisecond share a name: the later
 * replaces the earlier, which keeps "the newest" well defined.
 *
 * Never logs: every function returns 0 (or a count) or a negative errno. */
#ifndef RCW_REPORTDIR_H
#define RCW_REPORTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RCW_REPORT_EXT_JSON "json"
#define RCW_REPORT_EXT_TEXT "txt"
/* "report-" + 19-character stamp + "." + ext + NUL, for exts up to 15. */
#define RCW_REPORT_NAME_MAX 48

/* The file name of a report generated at at_ms: "report-…Z.<ext>".
 * -EINVAL when ext is empty, too long, or holds '/'. */
int rcw_reportdir_name(int64_t at_ms, const char *ext, char out[RCW_REPORT_NAME_MAX]);

/* True when name is a report file name of that extension. */
bool rcw_reportdir_is_report(const char *name, const char *ext);

/* Create dir and any missing parents (mode 0755).  0 or -errno. */
int rcw_reportdir_ensure(const char *dir);

/* Write data[0..len) as dir/<name of at_ms and ext>: a temporary file in
 * dir, fsync, rename over the final name, fsync dir.  Creates dir when it
 * is missing.  On success *path_out (may be NULL) gets the final path,
 * which the caller frees.  0 or -errno; an error before the rename leaves
 * nothing behind (the previous reports are untouched). */
int rcw_reportdir_write(const char *dir, int64_t at_ms, const char *ext, const char *data,
                        size_t len, char **path_out);

/* Delete the oldest report files of that extension until at most keep
 * remain, and temporary files left by a crash (older than ten minutes).
 * Returns how many reports were deleted, or -errno: the first error met,
 * after trying every file. */
int rcw_reportdir_prune(const char *dir, const char *ext, size_t keep);

/* The newest report file of that extension, as "dir/name" in *path_out
 * (the caller frees it).  0, -ENOENT when there is none, or -errno when
 * dir cannot be read. */
int rcw_reportdir_newest(const char *dir, const char *ext, char **path_out);

#endif
