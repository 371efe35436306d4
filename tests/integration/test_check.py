"""`rcwatch check` over the config corpus: every bad config must fail with
exactly the diagnostics of its golden .err file, every good and shipped
config must pass, and usage errors must exit 2.

Bad configs run from tests/config/bad with `-c NAME.yaml`, so the file
named in each diagnostic is the bare name the golden file holds.
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

RCWATCH = os.environ.get("RCWATCH", "")
SOURCE = os.environ.get("RCW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BAD = os.path.join(SOURCE, "tests", "config", "bad")
GOOD = os.path.join(SOURCE, "tests", "config", "good")
EXAMPLES = os.path.join(SOURCE, "config", "examples")


def check(*args, cwd=None, stdin=None):
    return subprocess.run([RCWATCH, "check", *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=60)


def yaml_files(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(".yaml"))


class BadConfigs(unittest.TestCase):
    def test_corpus_is_large(self):
        self.assertGreaterEqual(len(yaml_files(BAD)), 24)

    def test_every_bad_config_matches_its_golden_file(self):
        for name in yaml_files(BAD):
            with self.subTest(config=name):
                golden = os.path.join(BAD, name[:-len(".yaml")] + ".err")
                self.assertTrue(os.path.exists(golden), f"{golden} is missing")
                with open(golden, "rb") as f:
                    want = f.read()
                r = check("-c", name, cwd=BAD)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(r.stderr.decode(errors="replace"), want.decode(errors="replace"))

    def test_every_golden_file_has_its_config(self):
        for name in sorted(os.listdir(BAD)):
            if name.endswith(".err"):
                self.assertTrue(os.path.exists(os.path.join(BAD, name[:-4] + ".yaml")), name)

    def test_diagnostics_name_the_file_as_given(self):
        path = os.path.join(BAD, "window-not-configured.yaml")
        r = check("-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.decode().startswith(path + ":6:13: rules[0].window: 7m "),
                        r.stderr)

    def test_caps_end_quickly(self):
        for name in ("alias-bomb.yaml", "deep-nesting.yaml"):
            with self.subTest(config=name):
                start = time.monotonic()
                r = check("-c", name, cwd=BAD)
                self.assertEqual(r.returncode, 1)
                self.assertLess(time.monotonic() - start, 5.0)

    def test_wider_alias_bomb(self):
        lines = ['a: &a ["' + "x" * 1000 + '"]']
        prev = "a"
        for i in range(40):
            name = f"l{i}"
            lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 50) + "]")
            prev = name
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bomb.yaml")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            start = time.monotonic()
            r = check("-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"document too large", r.stderr)
        self.assertLess(time.monotonic() - start, 5.0)


class GoodConfigs(unittest.TestCase):
    def assert_ok(self, path, cwd=None):
        r = check("-c", path, cwd=cwd)
        self.assertEqual(r.stderr, b"")
        self.assertEqual(r.returncode, 0)
        out = r.stdout.decode()
        self.assertTrue(out.startswith(f"configuration OK: {path}: "), out)
        self.assertEqual(out.count("\n"), 1)

    def test_good_corpus(self):
        names = yaml_files(GOOD)
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            with self.subTest(config=name):
                self.assert_ok(name, cwd=GOOD)

    def test_shipped_examples(self):
        names = yaml_files(EXAMPLES)
        for required in ("minimal.yaml", "production.yaml", "nginx.yaml", "kv-dimensions.yaml"):
            self.assertIn(required, names)
        for name in names:
            with self.subTest(config=name):
                self.assert_ok(os.path.join(EXAMPLES, name))

    def test_installed_config(self):
        self.assert_ok(os.path.join(SOURCE, "config", "rcwatch.yaml"))

    def test_summary(self):
        r = check("-c", "production.yaml", cwd=EXAMPLES)
        self.assertEqual(r.stdout.decode(),
                         "configuration OK: production.yaml: 2 sources, 1 parser (+3 built-in), "
                         "7 rules, 4 windows, 5 sinks, 61 codes\n")
        r = check("-c", "empty-mapping.yaml", cwd=GOOD)
        self.assertEqual(r.stdout.decode(),
                         "configuration OK: empty-mapping.yaml: 0 sources, 0 parsers "
                         "(+3 built-in), 0 rules, 4 windows, 0 sinks, 59 codes\n")

    def test_config_from_a_pipe(self):
        r = check("-c", "/dev/stdin", stdin=b"windows: [1m]\nrules: []\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 window,", r.stdout)


class Files(unittest.TestCase):
    def test_missing_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "nope.yaml")
            r = check("-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(), f"{path}: cannot open: No such file or directory\n")

    def test_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = check("-c", tmp)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(), f"{tmp}: cannot read: Is a directory\n")

    def test_oversized_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "big.yaml")
            with open(path, "w") as f:
                f.write("# " + "x" * (5 * 1024 * 1024) + "\n")
            r = check("-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(), f"{path}: cannot read: larger than 4 MiB\n")

    def test_default_path(self):
        r = check()
        if os.path.exists("/etc/rcwatch/rcwatch.yaml"):
            self.assertIn(r.returncode, (0, 1))
        else:
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.decode(),
                             "/etc/rcwatch/rcwatch.yaml: cannot open: No such file or directory\n")


class Usage(unittest.TestCase):
    def test_help(self):
        for flag in ("--help", "-h"):
            r = check(flag)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith(b"Usage: rcwatch check"))
            self.assertEqual(r.stderr, b"")

    def test_usage_errors(self):
        for args in (["--bogus"], ["-x"], ["-c"], ["extra"], ["-c", "a.yaml", "b.yaml"]):
            with self.subTest(args=args):
                r = check(*args, cwd=GOOD)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(r.stderr.count(b"\n"), 1)
                self.assertTrue(r.stderr.startswith(b"rcwatch check: "), r.stderr)


if __name__ == "__main__":
    if not RCWATCH:
        sys.exit("RCWATCH is not set")
    unittest.main()
