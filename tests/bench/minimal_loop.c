/* minimal_loop — the least a program must do to count response codes in a
 * key=value log: read large blocks, split lines with memchr, run one JIT
 * regex per line with reused match data, parse the code, count it.  The
 * benchmark measures `rcwatch scan` against this floor.
 *
 * Usage: minimal_loop FILE   (prints lines, matched, failures) */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1u << 20)
#define MAX_CODE 10000

struct counts {
  unsigned long long lines, matched, by_code[MAX_CODE + 2]; /* [0]: -1, [MAX+1]: other */
};

static pcre2_code *re;
static pcre2_match_data *md;
static uint32_t code_group;

static void count_line(struct counts *c, const char *line, size_t len)
{
  c->lines++;
  if (pcre2_jit_match(re, (PCRE2_SPTR)line, len, 0, 0, md, NULL) < 0)
    return;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  const char *p = line + ov[2 * code_group], *end = line + ov[2 * code_group + 1];
  int neg = *p == '-';
  long v = 0;
  for (p += neg; p < end; p++)
    v = v * 10 + (*p - '0');
  v = neg ? -v : v;
  c->matched++;
  c->by_code[v >= -1 && v < MAX_CODE ? v + 1 : MAX_CODE + 1]++;
}

static int scan(int fd, struct counts *c)
{
  char *buf = malloc(BLOCK);
  size_t have = 0; /* bytes of an unfinished line at the front */
  ssize_t n;
  if (!buf)
    return -ENOMEM;
  while ((n = read(fd, buf + have, BLOCK - have)) > 0) {
    char *line = buf, *end = buf + have + n, *nl;
    while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
      count_line(c, line, (size_t)(nl - line));
      line = nl + 1;
    }
    have = (size_t)(end - line);
    if (have == BLOCK) /* a line longer than the block: drop it */
      have = 0;
    memmove(buf, line, have);
  }
  if (have > 0)
    count_line(c, buf, have);
  free(buf);
  return n < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
  int err;
  PCRE2_SIZE off;
  if (argc != 2) {
    fprintf(stderr, "usage: minimal_loop FILE\n");
    return 2;
  }
  re = pcre2_compile((PCRE2_SPTR) "responseCode=(?<code>-?\\d+)", PCRE2_ZERO_TERMINATED, 0,
                     &err, &off, NULL);
  if (!re || pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0) {
    fprintf(stderr, "minimal_loop: cannot compile the pattern with JIT\n");
    return 1;
  }
  md = pcre2_match_data_create_from_pattern(re, NULL);
  code_group = (uint32_t)pcre2_substring_number_from_name(re, (PCRE2_SPTR) "code");
  int fd = open(argv[1], O_RDONLY);
  static struct counts c;
  if (fd < 0 || scan(fd, &c) < 0) {
    fprintf(stderr, "minimal_loop: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  close(fd);
  printf("lines %llu matched %llu failures %llu\n", c.lines, c.matched, c.matched - c.by_code[0]);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return 0;
}
