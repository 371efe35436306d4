"""`rcwatch scan --alerts`: rules replayed over a crafted log by event time;
every transition's time is checked to the second (CONTRACT §2, §4)."""
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from rcwlib import RCWATCH, kv_line

T0 = datetime.datetime(2026, 3, 14, 10, 0, 0, tzinfo=datetime.timezone.utc)

CONFIG = """
windows: [1m, 5m]
rules:
  - {name: auth-rate, scope: category, match: auth, window: 1m, above: 10%,
     clear_below: 5%, min_requests: 10}
  - {name: auth-held, scope: category, match: auth, window: 1m, above: 10%,
     clear_below: 5%, min_requests: 10, for: 5s}
  - {name: stock-count, scope: code, match: ["1204"], metric: count, window: 5m, above: 2}
"""


def at(seconds, code, n, ms=0):
    when = T0 + datetime.timedelta(seconds=seconds, milliseconds=ms)
    return [kv_line(code, when=when) for _ in range(n)]


def iso(seconds):
    return (T0 + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class BacktestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rcw-bt-")
        self.conf = os.path.join(self.tmp, "rules.yaml")
        with open(self.conf, "w") as f:
            f.write(CONFIG)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def scan(self, lines, fmt="json"):
        log = os.path.join(self.tmp, "app.log")
        with open(log, "w") as f:
            f.write("".join(lines))
        p = subprocess.run([RCWATCH, "scan", "-c", self.conf, "--alerts", "--format", fmt, log],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if fmt == "json" else p.stdout

    def crafted(self):
        return (at(0, "-1", 20)                   # 20 requests, no failure
                + at(10, "1001", 5, ms=300)       # 5/25 = 20% > 10%: fires at :10
                + at(30, "-1", 40)                # 5/65 = 7.7%: above clear_below
                + at(40, "-1", 40, ms=999)        # 5/105 = 4.8% <= 5%: resolves at :40
                + at(61, "1204", 3)               # 3 > 2 stock in 5m: fires at 1:01
                + at(100, "1001", 30))            # 30/33 in 1m: fires at 1:40, stays

    def test_transitions_to_the_second(self):
        rep = self.scan(self.crafted())
        got = [(a["rule"], a["state"], a["at"], a["key"]) for a in rep["alerts"]]
        self.assertEqual(got, [
            ("auth-rate", "firing", iso(10), "auth"),
            ("auth-held", "firing", iso(15), "auth"),
            ("auth-rate", "resolved", iso(40), "auth"),
            ("auth-held", "resolved", iso(40), "auth"),
            ("stock-count", "firing", iso(61), "1204"),
            ("auth-rate", "firing", iso(100), "auth"),
        ])
        first = rep["alerts"][0]
        self.assertEqual(first["requests"], 25)
        self.assertEqual(first["failures"], 5)
        self.assertAlmostEqual(first["value"], 0.2)
        self.assertAlmostEqual(first["threshold"], 0.1)
        self.assertEqual(first["window"], "1m")
        self.assertEqual(first["severity"], "critical")

    def test_no_made_up_resolve_at_the_end(self):
        rep = self.scan(at(0, "-1", 20) + at(5, "1001", 10))
        self.assertEqual([a["state"] for a in rep["alerts"]], ["firing"])

    def test_min_requests_keeps_a_quiet_period_silent(self):
        rep = self.scan(at(0, "1001", 3) + at(50, "-1", 2))
        self.assertEqual(rep["alerts"], [])

    def test_text_timeline(self):
        out = self.scan(self.crafted(), fmt="text")
        self.assertIn("auth-rate", out)
        self.assertIn("10:00:10", out)
        self.assertIn("resolved", out)

    def test_without_alerts_flag_no_alerts_member(self):
        log = os.path.join(self.tmp, "app.log")
        with open(log, "w") as f:
            f.write("".join(self.crafted()))
        p = subprocess.run([RCWATCH, "scan", "-c", self.conf, "--format", "json", log],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("alerts", json.loads(p.stdout))


if __name__ == "__main__":
    unittest.main(verbosity=2)
