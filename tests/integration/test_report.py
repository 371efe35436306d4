"""`rcwatch report` on a reports directory and on report files: the newest
report in text and byte for byte in JSON, a given file, hand-written
reports with every member, the daemon's layout, and the errors
(CONTRACT §1, §2, §4).

Report files are produced by the real `rcwatch scan --format json` on
generated logs, by a real `rcwatch run`, or written by hand in the
CONTRACT §4 shape.
"""
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

from rcwlib import Daemon, kv_line

RCWATCH = os.environ.get("RCWATCH") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rcwatch")


def run(*args, cwd=None):
    p = subprocess.run([RCWATCH] + list(args), cwd=cwd, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def json_log(path, seed, n):
    """n JSON application log lines with a seeded mix of codes."""
    rnd = random.Random(seed)
    codes = ["-1"] * 40 + ["1204", "1001", "7101", "1209", "4242"]
    with open(path, "w") as f:
        for i in range(n):
            line = {"ts": "2026-03-14T09:%02d:%02d.000Z" % (i // 60 % 60, i % 60),
                    "status": 200, "responseCode": rnd.choice(codes)}
            f.write(json.dumps(line) + "\n")


def hand_report():
    """A `run` report with windows, lifetime, alerts and sources."""
    def summary(ok, stock, auth):
        total = ok + stock + auth
        fail = stock + auth
        cats = [{"name": "stock", "failures": stock, "failure_rate": stock / total},
                {"name": "auth", "failures": auth, "failure_rate": auth / total},
                {"name": "success", "failures": 0, "failure_rate": 0.0}]
        codes = [{"code": "-1", "category": "success", "description": "Successful",
                  "count": ok},
                 {"code": "1204", "category": "stock",
                  "description": "Campaign has reached its max available.", "count": stock},
                 {"code": "1001", "category": "auth",
                  "description": "Interface Authentication Failed. Invalid password.",
                  "count": auth}]
        return {"lines": {"total": total + 1, "matched": total, "unmatched": 1},
                "requests": total, "failures": fail, "failure_rate": fail / total,
                "categories": cats, "codes": codes}
    return {
        "rcwatch_report": 1,
        "generated_at": "2026-12-04T10:00:00.000Z",
        "period": {"start": "2026-12-04T09:00:00.000Z", "end": "2026-12-04T10:00:00.000Z"},
        "summary": summary(1000, 70, 30),
        "windows": [{"window": "1m", "summary": summary(20, 3, 1)},
                    {"window": "1h", "summary": summary(990, 66, 29)}],
        "lifetime": summary(123456, 789, 1011),
        "alerts": [{"at": "2026-12-04T09:58:00.000Z", "state": "firing",
                    "rule": "stock-out", "severity": "critical", "scope": "category",
                    "key": "stock", "window": "5m", "metric": "failure_rate",
                    "value": 0.083, "threshold": 0.02, "requests": 1200, "failures": 100,
                    "description": "Campaign cap used up"}],
        "sources": [{"name": "issuer-api",
                     "files": [{"path": "/var/log/issuer/app.log", "offset": 987654}]}],
        # Extension: the previous report's period, for what changed.
        "previous": {"period": {"start": "2026-12-04T08:00:00.000Z",
                                "end": "2026-12-04T09:00:00.000Z"},
                     "summary": summary(1000, 20, 10)},
    }


class ReportCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rcw-report-it-")
        self.reports = os.path.join(self.tmp, "reports")
        os.makedirs(self.reports)
        self.conf = self.write_conf("rcwatch.yaml", self.reports)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_conf(self, name, directory, formats="[json, text]"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("reports:\n  directory: %s\n  formats: %s\n" % (json.dumps(directory), formats))
        return path

    def scan_json(self, seed, n):
        log = os.path.join(self.tmp, "app-%d.log" % seed)
        json_log(log, seed, n)
        rc, out, err = run("scan", "--format", "json", log)
        self.assertEqual(rc, 0, err)
        return out

    def put(self, name, data):
        path = os.path.join(self.reports, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_newest_in_text_and_json(self):
        older = self.scan_json(1, 300)
        newer = self.scan_json(2, 700)
        # Written newest first: only the names say which one is newer.
        self.put("report-20261204T110000000Z.json", newer)
        self.put("report-20261204T100000000Z.json", older)
        # Neither a temporary file nor another name counts as a report.
        self.put(".report-20261205T000000000Z.json.77-0.tmp", b"{")
        self.put("report-latest.json", b"not json")

        rc, out, err = run("report", "-c", self.conf, "--format", "json")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, newer)

        rc, text, err = run("report", "-c", self.conf)
        self.assertEqual((rc, err), (0, ""))
        doc = json.loads(newer)["summary"]
        self.assertRegex(text.decode(), r"\n  requests +%s\n" % format(doc["requests"], ","))
        self.assertIn("%.2f%%" % (100 * doc["failure_rate"]), text.decode())
        for c in doc["codes"]:
            self.assertRegex(text.decode(), r"\n  %s +%s +%s  " % (
                re.escape(c["code"]), c["category"], format(c["count"], ",")))
        self.assertNotIn(b"1,000", text)  # not a total of the older one

        # The same file named on the command line renders the same text.
        rc, text2, _ = run("report", os.path.join(self.reports, "report-20261204T110000000Z.json"))
        self.assertEqual((rc, text2), (0, text))

    def test_given_file(self):
        data = self.scan_json(3, 250)
        path = os.path.join(self.tmp, "kept.json")
        with open(path, "wb") as f:
            f.write(data)
        self.put("report-20261204T110000000Z.json", self.scan_json(4, 900))
        rc, out, err = run("report", "-c", self.conf, "--format", "json", path)
        self.assertEqual((rc, out, err), (0, data, ""))
        rc, out, err = run("report", path, "--format=text")
        self.assertEqual(rc, 0, err)
        total = json.loads(data)["summary"]["lines"]["total"]
        self.assertRegex(out.decode(), r"lines +%s " % format(total, ","))

    def test_scan_text_matches(self):
        """A scan report read back shows what `scan` itself printed, except
        the generation time and the unmatched-line locations the JSON
        does not carry."""
        log = os.path.join(self.tmp, "app.log")
        json_log(log, 5, 400)
        rc, data, _ = run("scan", "--format", "json", log)
        self.assertEqual(rc, 0)
        rc, scan_text, _ = run("scan", log)
        self.assertEqual(rc, 0)
        path = self.put("report-20261204T100000000Z.json", data)
        rc, report_text, err = run("report", path)
        self.assertEqual(rc, 0, err)

        def strip(t):
            return [l for l in t.decode().splitlines() if not l.startswith("  generated")]
        self.assertEqual(strip(report_text), strip(scan_text))

    def test_hand_written_run_report(self):
        data = (json.dumps(hand_report(), indent=2) + "\n").encode()
        self.put("report-20261204T100000000Z.json", data)
        rc, out, err = run("report", "-c", self.conf, "--format", "json")
        self.assertEqual((rc, out, err), (0, data, ""))
        rc, out, err = run("report", "-c", self.conf)
        self.assertEqual((rc, err), (0, ""))
        text = out.decode()
        self.assertIn("period     2026-12-04T09:00:00.000Z .. 2026-12-04T10:00:00.000Z (1h)",
                      text)
        self.assertRegex(text, r"\n  this period +1,100 +100 +9\.09%  stock \(70\)\n")
        self.assertRegex(text, r"\n  last 1m +24 +4 +16\.67%")
        self.assertRegex(text, r"\n  lifetime +125,256 +1,800 ")
        self.assertIn("Alerts firing (1)", text)
        # fired at 09:58, reported at 10:00
        self.assertRegex(text, r"\n  critical  stock-out  stock  5m +8\.30%  > 2\.00% +2m\n")
        self.assertIn("/var/log/issuer/app.log", text)
        # auth is critical in the embedded catalog the default config uses
        self.assertRegex(text, r"\n  auth +30 +30 +2\.73% +critical")
        # the change against the hour before: 30 of 1,030 failed then
        change = text[text.index("Change since the previous report"):]
        self.assertIn("\n  previous  2026-12-04T08:00:00.000Z .. 2026-12-04T09:00:00.000Z (1h)\n",
                      change)
        self.assertRegex(change, r"\n  requests +1,100 +1,030 +\+70\n")
        self.assertRegex(change, r"\n  failures +100 +30 +\+70\n")
        self.assertRegex(change, r"\n  failure rate +9\.09% +2\.91% +\+6\.18 pts\n")
        self.assertRegex(change, r"\n    1204 +stock +70 +20 +\+50  Campaign")
        self.assertRegex(change, r"\n    1001 +auth +30 +10 +\+20  Interface")
        for line in text.splitlines():
            self.assertLessEqual(len(line), 80, line)

    def test_daemon_report(self):
        """The daemon's own report files, rendered by `rcwatch report`."""
        d = Daemon(self, tmp=os.path.join(self.tmp, "daemon"),
                   rules="  - name: too-many-failures\n    scope: total\n"
                         "    metric: failure_rate\n    window: 1m\n    above: 5%\n"
                         "    min_requests: 10\n",
                   sinks="    - { type: log }\n")
        log = os.path.join(d.logdir, "app.log")
        try:
            with open(log, "w") as f:
                f.write("".join([kv_line("-1")] * 90 + [kv_line("1204")] * 10))
            d.start()
            d.wait_lines(100)
            with open(log, "a") as f:
                f.write("".join([kv_line("1001")] * 20))
            d.wait_lines(120)
            rc, out, err = run("report", "-c", d.config)
            newest = d.report_files()[-1]
        finally:
            d.close()
        self.assertEqual((rc, err), (0, ""))
        text = out.decode()
        with open(newest) as f:
            doc = json.load(f)
        self.assertRegex(text, r"\n  last 1m +120 +30 +25\.00%  auth \(20\)\n")
        self.assertRegex(text, r"\n  lifetime +120 +30 +25\.00%  auth \(20\)\n")
        # the newest period holds few requests: codes come from the longest window
        self.assertLess(doc["summary"]["requests"], 100)
        self.assertIn("\nTop failing codes (last 1h)\n", text)
        self.assertRegex(text, r"\n  1001 +auth +20  Interface Authentication Failed")
        self.assertRegex(text, r"\n  1204 +stock +10  Campaign has reached")
        self.assertIn("\nAlerts firing (1)\n", text)
        self.assertRegex(text, r"\n  warning   too-many-failures  total  1m +25\.00%  > 5\.00% +"
                               r"\d+(ms|s)\n")
        self.assertIn("\nChange since the previous report\n", text)
        if "previous" in doc:
            self.assertIn("\n  previous  %s .. %s " % (doc["previous"]["period"]["start"],
                                                      doc["previous"]["period"]["end"]), text)
        else:
            self.assertIn("\n  no previous report to compare with\n", text)
        for line in text.splitlines():
            self.assertLessEqual(len(line), 80, line)

    def test_text_only_directory(self):
        conf = self.write_conf("text.yaml", self.reports, "[text]")
        self.put("report-20261204T090000000Z.txt", b"old text report\n")
        self.put("report-20261204T100000000Z.txt", b"the newest text report\n")
        rc, out, err = run("report", "-c", conf)
        self.assertEqual((rc, out, err), (0, b"the newest text report\n", ""))
        rc, out, err = run("report", "-c", conf, "--format", "json")
        self.assertEqual((rc, out), (1, b""))
        self.assertEqual(err, "rcwatch: no JSON report in %s (is the daemon running with "
                              "reports enabled?)\n" % self.reports)

    def assert_error(self, args, code, pattern):
        rc, out, err = run(*args)
        self.assertEqual(rc, code, err)
        self.assertEqual(out, b"")
        self.assertEqual(err.count("\n"), 1, err)
        self.assertRegex(err, pattern)

    def test_errors(self):
        self.assert_error(["report", "-c", self.conf], 1,
                          r"^rcwatch: no report in %s " % re.escape(self.reports))
        missing = os.path.join(self.tmp, "missing")
        self.assert_error(["report", "-c", self.write_conf("m.yaml", missing)], 1,
                          r"^rcwatch: no report in %s " % re.escape(missing))
        bad = self.put("report-20261204T100000000Z.json", b'{"rcwatch_report": 1,\n  "x": tru}')
        self.assert_error(["report", "-c", self.conf], 1,
                          r"^rcwatch: %s:2:8: invalid literal" % re.escape(bad))
        notrep = os.path.join(self.tmp, "list.json")
        with open(notrep, "w") as f:
            f.write("[1, 2]\n")
        self.assert_error(["report", notrep], 1,
                          r"^rcwatch: %s:1:1: not an rcwatch report" % re.escape(notrep))
        self.assert_error(["report", "--format", "json", notrep], 1, r":1:1: not an rcwatch")
        self.assert_error(["report", os.path.join(self.tmp, "nope.json")], 1,
                          r"^rcwatch: .*nope\.json: No such file or directory$")
        self.assert_error(["report", "--bogus"], 2, r"^rcwatch report: unknown option '--bogus'")
        self.assert_error(["report", "--format"], 2, r"needs an argument")
        self.assert_error(["report", "--format", "xml"], 2, r"unknown format 'xml'")
        self.assert_error(["report", "a.json", "b.json"], 2, r"unexpected argument 'b.json'")
        badconf = os.path.join(self.tmp, "bad.yaml")
        with open(badconf, "w") as f:
            f.write("reports:\n  directory: /tmp\n  bogus_key: 1\n")
        rc, out, err = run("report", "-c", badconf)
        self.assertEqual((rc, out), (1, b""))
        self.assertRegex(err, r"^%s:3:\d+: " % re.escape(badconf))

    def test_help(self):
        rc, out, err = run("report", "--help")
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith(b"Usage: rcwatch report [-c FILE] [--format text|json]"))
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn(b"\n  report ", out)


if __name__ == "__main__":
    unittest.main()
