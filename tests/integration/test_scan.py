#!/usr/bin/env python3
"""`rcwatch scan` end to end: generated logs of every format, with the
exact counts the generator knows, through the real binary."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

RCWATCH = os.environ.get("RCWATCH", "build/rcwatch")
SOURCE_DIR = os.environ.get("RCW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
GENLOG = os.path.join(SOURCE_DIR, "tests", "tools", "genlog.py")
SAMPLE = os.path.join(SOURCE_DIR, "tests", "data", "sample-issuer.log")
# How the committed sample was made; the test re-makes it to check both the
# generator's determinism and the counts.
SAMPLE_ARGS = ["--format", "kv", "--realistic", "--lines", "3000", "--seed", "2026"]
FORMATS = ["json", "kv", "nginx"]
LINES = 4000


def run(args, stdin=None):
    return subprocess.run([RCWATCH] + args, stdin=stdin, capture_output=True, timeout=120)


def merge(expects):
    """Expected counts of several inputs scanned into one report."""
    out = {"lines": {"total": 0, "matched": 0, "unmatched": 0, "too_long": 0},
           "requests": 0, "failures": 0, "codes": [], "categories": {}}
    codes = {}
    for e in expects:
        for k in out["lines"]:
            out["lines"][k] += e["lines"][k]
        out["requests"] += e["requests"]
        out["failures"] += e["failures"]
        for c in e["codes"]:
            key = (c["code"], c["category"])
            codes[key] = codes.get(key, 0) + c["count"]
        for name, c in e["categories"].items():
            m = out["categories"].setdefault(name, {"failures": 0, "count": 0})
            m["failures"] += c["failures"]
            m["count"] += c["count"]
    out["codes"] = [{"code": k[0], "category": k[1], "count": n} for k, n in codes.items()]
    starts = [e["period"]["start"] for e in expects if "period" in e]
    ends = [e["period"]["end"] for e in expects if "period" in e]
    out["period"] = {"start": min(starts), "end": max(ends)}
    return out


class ScanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="rcw-scan-")
        cls.logs, cls.expects = {}, {}
        for i, fmt in enumerate(FORMATS):
            cls.logs[fmt], cls.expects[fmt] = cls.generate(fmt, ["--seed", str(100 + i)])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def generate(cls, fmt, extra):
        log = os.path.join(cls.tmp.name, "%s-%s.log" % (fmt, "-".join(extra)))
        exp = log + ".expect.json"
        subprocess.run([sys.executable, GENLOG, "--format", fmt, "--lines", str(LINES),
                        "--out", log, "--expect", exp] + extra, check=True)
        with open(exp) as f:
            return log, json.load(f)

    def scan_json(self, args, stdin=None, rc=0):
        p = run(["scan", "--format", "json"] + args, stdin=stdin)
        self.assertEqual(p.returncode, rc, p.stderr.decode(errors="replace"))
        return json.loads(p.stdout), p.stderr.decode(errors="replace")

    def assert_summary(self, report, exp):
        s = report["summary"]
        for k in ("total", "matched", "unmatched"):
            self.assertEqual(s["lines"][k], exp["lines"][k], "lines.%s" % k)
        self.assertEqual(s["lines"].get("too_long"), exp["lines"]["too_long"])
        self.assertEqual(s["requests"], exp["requests"])
        self.assertEqual(s["failures"], exp["failures"])
        self.assertAlmostEqual(s["failure_rate"], exp["failures"] / exp["requests"], places=12)
        got = sorted((c["code"], c["category"], c["count"]) for c in s["codes"])
        want = sorted((c["code"], c["category"], c["count"]) for c in exp["codes"])
        self.assertEqual(got, want)
        counts = [c["count"] for c in s["codes"]]
        self.assertEqual(counts, sorted(counts, reverse=True), "codes sorted by count")
        cats = {c["name"]: c["failures"] for c in s["categories"]}
        self.assertEqual(cats, {k: v["failures"] for k, v in exp["categories"].items()})
        for c in s["categories"]:
            self.assertAlmostEqual(c["failure_rate"], c["failures"] / exp["requests"], places=12)
        self.assertEqual(report["period"], exp["period"])

    def assert_sources(self, report, paths_sizes):
        self.assertEqual(len(report["sources"]), 1)
        self.assertEqual(report["sources"][0]["name"], "scan")
        files = [(f["path"], f["offset"]) for f in report["sources"][0]["files"]]
        self.assertEqual(files, paths_sizes)

    def test_each_format_with_its_parser(self):
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                report, _ = self.scan_json(["--parser", fmt, self.logs[fmt]])
                self.assertEqual(report["rcwatch_report"], 1)
                self.assert_summary(report, self.expects[fmt])
                self.assert_sources(report, [(self.logs[fmt], self.expects[fmt]["bytes"])])

    def test_each_format_detected(self):
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                report, err = self.scan_json([self.logs[fmt]])
                self.assert_summary(report, self.expects[fmt])
                self.assertEqual(err, "")

    def test_multiple_inputs_one_report(self):
        paths = [self.logs[f] for f in FORMATS]
        report, _ = self.scan_json(paths)
        self.assert_summary(report, merge([self.expects[f] for f in FORMATS]))
        self.assert_sources(report, [(self.logs[f], self.expects[f]["bytes"]) for f in FORMATS])

    def test_stdin(self):
        with open(self.logs["kv"], "rb") as f:
            report, _ = self.scan_json(["-"], stdin=f)
        self.assert_summary(report, self.expects["kv"])
        self.assert_sources(report, [("-", self.expects["kv"]["bytes"])])

    def test_stdin_through_a_pipe(self):
        with open(self.logs["json"], "rb") as f:
            data = f.read()
        p = subprocess.run([RCWATCH, "scan", "--format", "json", "-"], input=data,
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_summary(json.loads(p.stdout), self.expects["json"])

    def test_missing_input(self):
        missing = os.path.join(self.tmp.name, "no-such.log")
        report, err = self.scan_json([self.logs["nginx"], missing], rc=1)
        self.assertEqual(err, "rcwatch: %s: No such file or directory\n" % missing)
        self.assert_summary(report, self.expects["nginx"])
        self.assert_sources(report, [(self.logs["nginx"], self.expects["nginx"]["bytes"])])

    def test_unknown_parser_is_a_usage_error(self):
        p = run(["scan", "--parser", "no-such-parser", self.logs["kv"]])
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"no-such-parser", p.stderr)
        self.assertEqual(p.stdout, b"")

    def test_usage_errors(self):
        for args in (["scan"], ["scan", "--format", "xml", "x.log"], ["scan", "--nope", "x"],
                     ["scan", "--parser"]):
            with self.subTest(args=args):
                p = run(args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertEqual(p.stdout, b"")

    def test_help(self):
        p = run(["scan", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"Usage: rcwatch scan", p.stdout)

    def test_undetectable_input_counts_as_unmatched(self):
        path = os.path.join(self.tmp.name, "notes.txt")
        with open(path, "wb") as f:
            f.write(b"shopping list\nmilk\n\neggs")
        report, err = self.scan_json([path, self.logs["kv"]])
        self.assertEqual(err.count("\n"), 1)
        self.assertIn(path, err)
        exp = json.loads(json.dumps(self.expects["kv"]))
        exp["lines"]["total"] += 4
        exp["lines"]["unmatched"] += 4
        self.assert_summary(report, exp)

    def test_text_report_sections_in_order(self):
        p = run(["scan", self.logs["kv"]])
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout.decode()
        last = -1
        for heading in (r"Totals", r"Categories", r"(Top codes.*|Codes)", r"Unmatched lines",
                        r"Sources"):
            m = re.search("^%s$" % heading, text, re.M)
            self.assertIsNotNone(m, "no section %r" % heading)
            self.assertGreater(m.start(), last, "%r after the previous section" % heading)
            last = m.start()
        self.assertIn("{:,}".format(self.expects["kv"]["requests"]), text)
        # where unmatched lines are, never what they say
        self.assertIn("%s:" % self.logs["kv"], text)
        self.assertNotIn("upstream said", text)

    def test_config_parser_is_detected_first(self):
        cfg = os.path.join(self.tmp.name, "custom.yaml")
        log = os.path.join(self.tmp.name, "custom.log")
        with open(cfg, "w") as f:
            f.write("parsers:\n"
                    "  - name: my-app\n"
                    "    patterns: ['\\bresult=(?<code>-?\\d+)']\n"
                    "    fields:\n"
                    "      ts: '^(?<ts>\\d+)'\n"
                    "    time_format: epoch_ms\n")
        with open(log, "w") as f:
            f.write("1773471600000 call result=-1\n"
                    "1773471601500 call result=1204\n"
                    "1773471602250 call result=1204\n"
                    "not a call\n")
        exp = {"lines": {"total": 4, "matched": 3, "unmatched": 1, "too_long": 0},
               "requests": 3, "failures": 2,
               "codes": [{"code": "-1", "category": "success", "count": 1},
                         {"code": "1204", "category": "stock", "count": 2}],
               "categories": {"success": {"failures": 0}, "stock": {"failures": 2}},
               "period": {"start": "2026-03-14T07:00:00.000Z",
                          "end": "2026-03-14T07:00:02.250Z"}}
        for args in (["-c", cfg, log], ["-c", cfg, "--parser", "my-app", log]):
            with self.subTest(args=args):
                report, _ = self.scan_json(args)
                self.assert_summary(report, exp)

    def test_committed_sample(self):
        regenerated = os.path.join(self.tmp.name, "sample.log")
        exp_path = regenerated + ".expect.json"
        subprocess.run([sys.executable, GENLOG, "--out", regenerated, "--expect", exp_path]
                       + SAMPLE_ARGS, check=True)
        with open(SAMPLE, "rb") as a, open(regenerated, "rb") as b:
            self.assertEqual(a.read(), b.read(), "the sample is genlog.py %s" % SAMPLE_ARGS)
        with open(exp_path) as f:
            exp = json.load(f)
        report, _ = self.scan_json([SAMPLE])
        self.assert_summary(report, exp)
        self.assertGreater(exp["failures"], 0)
        self.assertLess(exp["failures"] / exp["requests"], 0.2)


if __name__ == "__main__":
    unittest.main()
