"""Shared helpers for the integration tests that drive `rcwatch run`.

A Daemon owns a temp directory with a config, a state file and a reports
directory; it starts the real binary and reads what it counted through the
reports it writes on SIGUSR1 (CONTRACT §1, §4), the way an operator would.
"""
import datetime
import glob
import json
import os
import signal
import subprocess
import tempfile
import shutil
import time
import unittest

RCWATCH = os.environ.get("RCWATCH") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rcwatch")


def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    """Poll pred until it returns a true value; fail after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def kv_line(code, desc=None, status=200, campaign=48184, when=None):
    """A Logback key=value line as DOMAIN.md shows them, stamped now (UTC)
    unless `when` (a datetime) is given."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (when.microsecond // 1000)
    line = ("%s INFO  [http-nio-8080-exec-7] c.a.rewards.CvsClient - "
            "cvs_call method=POST endpoint=/coupons campaignId=%d httpStatus=%d "
            "responseCode=%s" % (stamp, campaign, status, code))
    if desc is not None:
        line += ' responseDesc="%s"' % desc
    return line + " latencyMs=97\n"


def yaml_str(s):
    return json.dumps(s)  # JSON strings are valid YAML flow scalars


class Daemon:
    def __init__(self, testcase, sources=None, rules="", sinks="", extra="", tmp=None):
        self.tc = testcase
        self.tmp = tmp or tempfile.mkdtemp(prefix="rcw-it-")
        self.logdir = os.path.join(self.tmp, "logs")
        self.reports = os.path.join(self.tmp, "reports")
        self.state = os.path.join(self.tmp, "state", "rcwatch.state")
        self.config = os.path.join(self.tmp, "rcwatch.yaml")
        os.makedirs(self.logdir, exist_ok=True)
        self.proc = None
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.write_config(sources, rules, sinks, extra)

    def write_config(self, sources=None, rules="", sinks="", extra=""):
        if sources is None:
            sources = ("  - name: app\n"
                       "    paths: [%s]\n"
                       "    parser: kv\n"
                       "    start_at: beginning\n" % yaml_str(os.path.join(self.logdir, "*.log")))
        text = ("sources:\n" + sources +
                "reports:\n  directory: %s\n  interval: 0\n  keep: 500\n" % yaml_str(self.reports) +
                "state:\n  path: %s\n  interval: 250ms\n" % yaml_str(self.state))
        if rules:
            text += "rules:\n" + rules
        if sinks:
            text += "alerts:\n  sinks:\n" + sinks
        text += extra
        with open(self.config, "w") as f:
            f.write(text)

    def start(self, check_ready=True):
        seen = len(self.log())
        self.err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([RCWATCH, "run", "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        if check_ready:
            wait_for(lambda: "started:" in self.log()[seen:], what="daemon start")
        return self

    def log(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        t0 = time.monotonic()
        rc = self.proc.wait(timeout=10)
        elapsed = time.monotonic() - t0
        self.err.close()
        self.proc = None
        if sig == signal.SIGTERM:
            self.tc.assertEqual(rc, 0, self.log())
            self.tc.assertLess(elapsed, timeout, "SIGTERM took %.2fs" % elapsed)
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def report_files(self, ext="json"):
        return sorted(glob.glob(os.path.join(self.reports, "report-*." + ext)))

    def report(self):
        """Ask for a report now (SIGUSR1) and return it parsed."""
        before = set(self.report_files())
        time.sleep(0.002)  # report names are unique per millisecond
        self.send(signal.SIGUSR1)
        new = wait_for(lambda: sorted(set(self.report_files()) - before), what="a new report")
        with open(new[-1]) as f:
            return json.load(f)

    def lifetime(self):
        return self.report()["lifetime"]

    def wait_lines(self, total, timeout=10.0):
        """Wait until the lifetime count of lines reaches total, then check it
        stays there (no line counted twice)."""
        got = wait_for(lambda: (lambda s: s if s["lines"]["total"] >= total else None)(
            self.lifetime()), timeout=timeout, interval=0.05,
            what="%d lines counted" % total)
        self.tc.assertEqual(got["lines"]["total"], total, json.dumps(got["lines"]))
        return got

    def close(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.err.close()
            self.proc = None


def code_counts(summary):
    out = {}
    for c in summary["codes"]:
        out[c["code"]] = out.get(c["code"], 0) + c["count"]
    return out


class DaemonTestCase(unittest.TestCase):
    """A test with its own Daemon (self.d) and log file path (self.log);
    the daemon is killed and its directory removed after each test."""

    EXTRA_CONFIG = ""

    def setUp(self):
        self.d = Daemon(self, extra=self.EXTRA_CONFIG)
        self.log = os.path.join(self.d.logdir, "app.log")
        self.addCleanup(shutil.rmtree, self.d.tmp, ignore_errors=True)
        self.addCleanup(self.d.close)
