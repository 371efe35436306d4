/* rcwatch scan — one pass over finished log files, one report.
 *
 * Each input is read with large read(2) calls straight into the splitter's
 * buffer and goes through the same ingest pipeline as the daemon.  The
 * parser is --parser, else detected per input from its first lines (the
 * first chunk is read, detected on, then counted like any other).
 *
 * The report's period runs from the first request to the last one, by
 * their logged times (logs are written in time order; across inputs, the
 * earliest first and the latest last).  Only those lines have their time
 * read: the last request of each read chunk is matched again for its
 * time, so the cost is one extra match per megabyte, not one per line.
 * Without readable times the period is the scan's own start and end. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backtest.h"
#include "cli.h"
#include "fileio.h"
#include "commands.h"
#include "ingest.h"
#include "report.h"
#include "splitter.h"

#define SCAN_BUF_SIZE ((size_t)1 << 20)
/* Detection looks at no more than this many leading lines (and bytes): a
 * file's format shows in its first lines, and a mixed file should not make
 * detection cost a pass over the whole input. */
#define SCAN_DETECT_LINES 64
#define SCAN_DETECT_BYTES ((size_t)64 * 1024)
#define SCAN_MAX_UNMATCHED 5 /* unmatched locations listed in the text report */

struct scan {
  struct rcw_config *cfg;
  rcw_backtest *backtest; /* --alerts: the rules replayed by event time */
  rcw_parser *forced;     /* --parser, or NULL: detect per input */
  rcw_parser **candidates; /* detection order: config parsers first */
  size_t ncandidates;
  struct rcw_tally tally;
  struct rcw_ingest ingest;
  struct rcw_splitter splitter;

  const char *path; /* input being read */
  uint64_t line_number;
  struct rcw_report_unmatched unmatched[SCAN_MAX_UNMATCHED];
  size_t nunmatched;
  struct rcw_report_file *files;
  size_t nfiles;

  bool have_time;
  int64_t first_ms, last_ms; /* period, from requests' logged times */
  bool first_done;           /* the input's first request was timed */
  const char *last_req;      /* the chunk's last request, in the buffer */
  size_t last_req_len;
};

static int64_t wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_usage(FILE *out)
{
  fputs("Usage: rcwatch scan [-c FILE] [--parser NAME] [--format text|json] [--alerts] FILE...\n\n"
        "Analyse finished log files ('-' is standard input) and print one report.\n\n"
        "Options:\n"
        "  -c, --config FILE   use this config's catalog and parsers\n"
        "                      (default: the embedded catalog and built-in parsers)\n"
        "      --parser NAME   parse every input with this parser (json, kv, nginx,\n"
        "                      or one of the config's); default: detect per input\n"
        "      --format FMT    text (default) or json\n"
        "      --alerts        replay the config's rules by event time and list every\n"
        "                      alert transition (a backtest of the thresholds)\n"
        "  -h, --help          show this help\n", out);
}

static void note_time(struct scan *sc, const char *line, size_t len)
{
  struct rcw_match m;
  rcw_parser *p = sc->ingest.parser;
  int64_t t;
  if (rcw_parser_match(p, line, len, RCW_WANT_TS, &m) != RCW_MATCH_OK || !m.ts.ptr ||
      rcw_time_parse(rcw_parser_timefmt(p), m.ts.ptr, m.ts.len, &t) < 0)
    return;
  if (!sc->have_time) {
    sc->first_ms = sc->last_ms = t;
    sc->have_time = true;
  } else if (t < sc->first_ms) {
    sc->first_ms = t;
  } else if (t > sc->last_ms) {
    sc->last_ms = t;
  }
}

static void on_line(void *ctx, const char *line, size_t len, bool too_long)
{
  struct scan *sc = ctx;
  sc->line_number++;
  enum rcw_line_result r = rcw_ingest_line(&sc->ingest, line, len, too_long);
  if (r == RCW_LINE_REQUEST) {
    if (!sc->first_done)
      note_time(sc, line, len);
    sc->first_done = true;
    sc->last_req = line;
    sc->last_req_len = len;
  } else if (sc->nunmatched < SCAN_MAX_UNMATCHED) {
    struct rcw_report_unmatched *u = &sc->unmatched[sc->nunmatched++];
    u->path = sc->path;
    u->line_number = sc->line_number;
    u->reason = sc->ingest.parser ? rcw_line_result_reason(r) : "no parser for this input";
  }
}

/* Read until at least want bytes are in or the input ends; pipes deliver
 * in small pieces, and detection needs whole lines. */
static int read_some(int fd, char *buf, size_t cap, size_t want, size_t *got)
{
  *got = 0;
  while (*got < want && *got < cap) {
    ssize_t n = read(fd, buf + *got, cap - *got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      break;
    *got += (size_t)n;
  }
  return 0;
}

/* The leading lines of the first chunk, for detection. */
static size_t detect_sample_len(const char *buf, size_t len)
{
  if (len > SCAN_DETECT_BYTES)
    len = SCAN_DETECT_BYTES;
  size_t pos = 0;
  for (int i = 0; i < SCAN_DETECT_LINES && pos < len; i++) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    if (!nl)
      return len;
    pos = (size_t)(nl - buf) + 1;
  }
  return pos;
}

static rcw_parser *choose_parser(struct scan *sc, const char *chunk, size_t len)
{
  if (sc->forced)
    return sc->forced;
  if (len == 0)
    return NULL;
  int i = rcw_detect_parser(sc->candidates, sc->ncandidates, chunk,
                            detect_sample_len(chunk, len));
  if (i < 0) {
    rcw_cli_error("%s: no parser recognises its first lines; its lines count as unmatched",
                  sc->path);
    return NULL;
  }
  return sc->candidates[i];
}

/* Hand n read bytes to the splitter, then time the chunk's last request
 * while its line is still in the buffer (the next read overwrites it). */
static void commit_chunk(struct scan *sc, size_t n)
{
  rcw_splitter_commit(&sc->splitter, n, on_line, sc);
  if (sc->last_req) {
    note_time(sc, sc->last_req, sc->last_req_len);
    sc->last_req = NULL;
  }
}

static int read_rest(struct scan *sc, int fd, struct rcw_report_file *rf)
{
  for (;;) {
    size_t avail;
    char *space = rcw_splitter_space(&sc->splitter, &avail);
    ssize_t n = read(fd, space, avail);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return 0;
    commit_chunk(sc, (size_t)n);
    rf->offset += (uint64_t)n;
  }
}

static int scan_fd(struct scan *sc, int fd, struct rcw_report_file *rf)
{
  size_t avail, got;
  char *space = rcw_splitter_space(&sc->splitter, &avail);
  int r = read_some(fd, space, avail, SCAN_DETECT_BYTES, &got);
  if (r < 0)
    return r;
  rcw_parser *parser = choose_parser(sc, space, got);
  rcw_ingest_set_parser(&sc->ingest, parser);
  if (sc->backtest)
    rcw_backtest_set_parser(sc->backtest, parser);
  commit_chunk(sc, got);
  rf->offset += got;
  r = read_rest(sc, fd, rf);
  if (r < 0) {
    rcw_splitter_reset(&sc->splitter); /* its last line may be cut short */
    return r;
  }
  rcw_splitter_finish(&sc->splitter, on_line, sc);
  if (sc->last_req)
    note_time(sc, sc->last_req, sc->last_req_len);
  sc->last_req = NULL;
  return 0;
}

/* Count one input; a failure is reported on stderr, and -1 returned. */
static int scan_input(struct scan *sc, const char *path)
{
  bool is_stdin = strcmp(path, "-") == 0;
  int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rcw_cli_error("%s: %s", path, strerror(errno));
    return -1;
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  struct rcw_report_file *rf = &sc->files[sc->nfiles++];
  rf->path = path;
  rf->offset = 0;
  sc->path = path;
  sc->line_number = 0;
  sc->first_done = false;
  int r = scan_fd(sc, fd, rf);
  if (r < 0)
    rcw_cli_error("%s: %s", path, strerror(-r));
  if (!is_stdin)
    close(fd);
  return r < 0 ? -1 : 0;
}

/* --alerts: windows and rules fed by the ingest hook.  Rule errors that
 * the config check cannot see are printed as diagnostics. */
static int backtest_init(struct scan *sc, struct rcw_ingest_hooks *hooks)
{
  rcw_diags *d = rcw_diags_new();
  int r = d ? rcw_backtest_new(sc->cfg, d, &sc->backtest) : -ENOMEM;
  if (r < 0 && d && rcw_diags_count(d) > 0)
    rcw_diags_print(d, stderr);
  else if (r < 0)
    rcw_cli_error("cannot set up the rules: %s", strerror(-r));
  rcw_diags_free(d);
  if (r == 0) {
    hooks->on_event = rcw_backtest_event_cb;
    hooks->ctx = sc->backtest;
    hooks->want = rcw_backtest_want(sc->backtest);
  }
  return r;
}

static int scan_init(struct scan *sc, struct rcw_config *cfg, size_t ninputs, bool alerts)
{
  struct rcw_ingest_hooks hooks = {0};
  memset(sc, 0, sizeof(*sc));
  sc->cfg = cfg;
  rcw_tally_init(&sc->tally);
  if (alerts && backtest_init(sc, &hooks) < 0)
    return -EINVAL;
  rcw_ingest_init(&sc->ingest, NULL, cfg->catalog, &sc->tally, alerts ? &hooks : NULL);
  sc->ncandidates = rcw_config_parser_count(cfg);
  sc->candidates = calloc(sc->ncandidates ? sc->ncandidates : 1, sizeof(*sc->candidates));
  sc->files = calloc(ninputs, sizeof(*sc->files));
  if (!sc->candidates || !sc->files || rcw_splitter_init(&sc->splitter, SCAN_BUF_SIZE) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < sc->ncandidates; i++)
    sc->candidates[i] = rcw_config_parser_at(cfg, i);
  return 0;
}

static void scan_destroy(struct scan *sc)
{
  rcw_backtest_free(sc->backtest);
  rcw_splitter_destroy(&sc->splitter);
  free(sc->files);
  free(sc->candidates);
  rcw_tally_destroy(&sc->tally);
}

static int print_report(struct scan *sc, enum rcw_format format, int64_t start, int64_t end)
{
  struct rcw_report_source source = {.name = "scan", .files = sc->files, .nfiles = sc->nfiles};
  struct rcw_report rep = {
    .generated_at = wall_ms(),
    .period_start = sc->have_time ? sc->first_ms : start,
    .period_end = sc->have_time ? sc->last_ms : end,
    .summary = &sc->tally,
    .sources = &source,
    .nsources = 1,
    .unmatched = sc->unmatched,
    .nunmatched = sc->nunmatched,
  };
  if (sc->backtest) {
    rep.has_alerts = true;
    rep.alerts = rcw_backtest_alerts(sc->backtest, &rep.nalerts);
  }
  struct rcw_buf out = RCW_BUF_INIT;
  int r = format == RCW_FORMAT_JSON ? rcw_report_json(&rep, sc->cfg->catalog, &out)
                                    : rcw_report_text(&rep, sc->cfg->catalog, &out);
  if (r == 0)
    r = rcw_write_all(STDOUT_FILENO, out.data, out.len);
  rcw_buf_free(&out);
  if (r < 0)
    rcw_cli_error("cannot write the report: %s", strerror(-r));
  return r;
}

static int run_scan(struct scan *sc, const struct rcw_cli_opts *o)
{
  int64_t start = wall_ms();
  int status = RCW_EXIT_OK;
  for (size_t i = 0; i < o->nargs; i++)
    if (scan_input(sc, o->args[i]) < 0)
      status = RCW_EXIT_FAILURE;
  if (sc->backtest) {
    rcw_backtest_finish(sc->backtest);
    if (rcw_backtest_untimed(sc->backtest) > 0)
      rcw_cli_error("warning: %llu requests had no readable event time; each was placed at "
                    "the time of the request before it",
                    (unsigned long long)rcw_backtest_untimed(sc->backtest));
  }
  if (sc->ingest.errors > 0) {
    rcw_cli_error("out of memory: %llu lines not counted",
                  (unsigned long long)sc->ingest.errors);
    status = RCW_EXIT_FAILURE;
  }
  if (print_report(sc, o->format, start, wall_ms()) < 0)
    status = RCW_EXIT_FAILURE;
  return status;
}

int rcw_cmd_scan(int argc, char **argv)
{
  static const struct rcw_cli_spec spec = {
    "scan", RCW_OPT_CONFIG | RCW_OPT_FORMAT | RCW_OPT_PARSER | RCW_OPT_ALERTS, 1, SIZE_MAX,
    "no input files ('-' reads standard input)", print_usage,
  };
  struct rcw_cli_opts o;
  int r = rcw_cli_parse(argc, argv, &spec, &o);
  if (r != 0)
    return r == RCW_CLI_HELP_SHOWN ? RCW_EXIT_OK : r;
  struct rcw_config *cfg = NULL;
  if (rcw_cli_load_config(o.config, &cfg) != 0)
    return RCW_EXIT_FAILURE;
  struct scan sc;
  rcw_parser *forced = o.parser ? rcw_config_parser(cfg, o.parser) : NULL;
  if (o.parser && !forced) {
    rcw_config_free(cfg);
    return rcw_cli_usage_error("scan", "unknown parser '%s' (built-in: json, kv, nginx)",
                               o.parser);
  }
  int ir = scan_init(&sc, cfg, o.nargs, o.alerts);
  if (ir < 0) {
    if (ir == -ENOMEM)
      rcw_cli_error("out of memory");
    r = RCW_EXIT_FAILURE;
  } else {
    sc.forced = forced;
    r = run_scan(&sc, &o);
  }
  scan_destroy(&sc);
  rcw_config_free(cfg);
  return r;
}
