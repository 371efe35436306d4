"""The alertmanager webhook format against a real Prometheus Alertmanager.

Starts `prometheus-alertmanager` on 127.0.0.1 (a free port, a temp storage
directory, clustering off), then checks through its own API
(GET /api/v2/alerts) that what rcwatch sends is accepted and understood:

- the webhook sink itself (the unit test binary test_webhook, run with
  RCW_AM_URL) posts a firing alert, and a firing alert it then resolves;
- a body rendered by rcwatch's code (written by that binary to
  RCW_WRITE_AM_BODY) is posted from here;
- `rcwatch run` with an alertmanager webhook sink fires a rule on log
  lines and the alert shows up.

Skipped (exit 0, "skipped" printed) when Alertmanager is not installed.
"""
import datetime
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rcwlib  # noqa: E402

AM_BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AM_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_binary():
    """The test_webhook program of the same build as RCWATCH."""
    path = os.environ.get("RCW_TEST_WEBHOOK") or os.path.join(
        os.path.dirname(os.path.abspath(rcwlib.RCWATCH)), "tests", "test_webhook")
    return path


def parse_time(text):
    """Alertmanager answers RFC 3339 with up to nanoseconds; keep micro."""
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        zone = rest[len(digits):]
        text = "%s.%s%s" % (head, (digits + "000000")[:6], zone)
    return datetime.datetime.fromisoformat(text)


class Alertmanager:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="rcw-am-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        config = os.path.join(self.tmp, "alertmanager.yml")
        with open(config, "w") as f:
            f.write(AM_CONFIG)
        self.log_path = os.path.join(self.tmp, "alertmanager.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [AM_BINARY, "--config.file=" + config,
             "--storage.path=" + os.path.join(self.tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--cluster.listen-address=", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        rcwlib.wait_for(self.ready, timeout=30, interval=0.1, what="alertmanager ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("alertmanager exited: " + self.output())
        try:
            with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alerts(self):
        with urllib.request.urlopen(self.base + "/api/v2/alerts", timeout=5) as r:
            return json.load(r)

    def alert(self, name):
        found = [a for a in self.alerts() if a["labels"].get("alertname") == name]
        return found[0] if found else None

    def post(self, body):
        req = urllib.request.Request(self.base + "/api/v2/alerts", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@unittest.skipIf(AM_BINARY is None, "prometheus-alertmanager is not installed")
class AlertmanagerReal(unittest.TestCase):
    def setUp(self):
        self.am = Alertmanager()
        self.addCleanup(self.am.stop)

    def check_labels(self, labels, **want):
        for k, v in want.items():
            self.assertEqual(labels.get(k), v, "label %s in %r" % (k, labels))
        self.assertEqual(labels["source"], "rcwatch")

    def test_sink_delivers_and_resolves(self):
        binary = unit_binary()
        self.assertTrue(os.access(binary, os.X_OK), "no test binary at " + binary)
        body_path = os.path.join(self.am.tmp, "body.json")
        env = dict(os.environ, RCW_AM_URL=self.am.base + "/api/v2/alerts",
                   RCW_WRITE_AM_BODY=body_path)
        run = subprocess.run([binary], env=env, capture_output=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout.decode() + run.stderr.decode())

        now = datetime.datetime.now(datetime.timezone.utc)
        firing = rcwlib.wait_for(lambda: self.am.alert("rcw-real-firing"),
                                 what="rcw-real-firing in Alertmanager")
        self.check_labels(firing["labels"], severity="critical", scope="category",
                          key="auth", window="5m", metric="failure_rate",
                          instance=socket.gethostname())
        ann = firing["annotations"]
        self.assertEqual(ann["value"], "0.083")
        self.assertEqual(ann["threshold"], "0.02")
        self.assertEqual(ann["requests"], "1200")
        self.assertEqual(ann["failures"], "100")
        self.assertTrue(ann["description"].startswith("Interface credentials"))
        self.assertIn("rcw-real-firing firing: category auth failure rate 8.3% > 2%",
                      ann["summary"])
        self.assertIn(firing["status"]["state"], ("active", "unprocessed"))
        started = parse_time(firing["startsAt"])
        self.assertLess(abs((now - started).total_seconds() - 60), 30)
        lease = (parse_time(firing["endsAt"]) - now).total_seconds()
        self.assertGreater(lease, 180, "a firing alert must not expire soon")

        # Resolved alerts drop out of Alertmanager's list of current alerts.
        self.assertIsNone(self.am.alert("rcw-real-resolved"))

        with open(body_path, "rb") as f:
            body = f.read()
        self.assertEqual(self.am.post(body), 200)
        posted = rcwlib.wait_for(lambda: self.am.alert("rcw-real-file"),
                                 what="the posted body in Alertmanager")
        self.check_labels(posted["labels"], scope="code", key="1204", instance="rcw-test-host")

    def test_rcwatch_run_fires_into_alertmanager(self):
        sinks = ('    - { type: webhook, url: "%s/api/v2/alerts", format: alertmanager, '
                 'timeout: 5s }\n' % self.am.base)
        rules = ("  - name: auth-any\n"
                 "    scope: category\n"
                 "    match: auth\n"
                 "    metric: count\n"
                 "    window: 1m\n"
                 "    above: 0\n")
        d = rcwlib.Daemon(self, rules=rules, sinks=sinks)
        self.addCleanup(d.close)
        with open(os.path.join(d.logdir, "app.log"), "w") as f:
            for _ in range(3):
                f.write(rcwlib.kv_line("1001", "Interface Authentication Failed."))
        d.start()
        alert = rcwlib.wait_for(lambda: self.am.alert("auth-any"), timeout=20,
                                what="auth-any in Alertmanager\n" + d.log())
        self.check_labels(alert["labels"], scope="category", key="auth", window="1m",
                          metric="count")
        self.assertEqual(alert["annotations"]["failures"], "3")
        d.stop()


if __name__ == "__main__":
    if AM_BINARY is None:
        print("skipped: prometheus-alertmanager is not installed")
    unittest.main(verbosity=2)
