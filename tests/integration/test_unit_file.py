"""The systemd unit: installed where systemd finds it, accepted by
`systemd-analyze verify`, and hardened to an exposure score of at most 1.5
by `systemd-analyze security --offline=true`.

The unit is taken from a real `cmake --install` of the build tree that
holds $RCWATCH, into a temp DESTDIR; its ExecStart then names a binary
that exists only under DESTDIR, so verify and security check a copy whose
ExecStart points there.  Skips, saying why, where systemd-analyze or the
build tree is missing.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ.get("RCW_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
RCWATCH = os.environ.get("RCWATCH") or os.path.join(SRC, "build", "rcwatch")
BUILD = os.path.dirname(os.path.abspath(RCWATCH))
MAX_EXPOSURE = 1.5


def cache_value(name):
    with open(os.path.join(BUILD, "CMakeCache.txt"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"%s:[A-Z]+=(.*)$" % re.escape(name), line.rstrip("\n"))
            if m:
                return m.group(1)
    raise AssertionError("%s not in %s/CMakeCache.txt" % (name, BUILD))


def unit_settings(text):
    """Key -> list of values, over the whole unit (comments dropped)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out.setdefault(key.strip(), []).append(value.strip())
    return out


class InstalledUnit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(BUILD, "cmake_install.cmake")):
            raise unittest.SkipTest("no build tree with install rules at %s" % BUILD)
        cls.cmake = shutil.which("cmake")
        if not cls.cmake:
            raise unittest.SkipTest("cmake is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="rcw-unit-")
        cls.destdir = os.path.join(cls.tmp, "root")
        cls.prefix = cache_value("CMAKE_INSTALL_PREFIX")
        cls.etc = cache_value("RCW_SYSCONFDIR")
        cls.install_out = cls.install()
        cls.unit_path = cls.staged(cls.prefix, "lib/systemd/system/rcwatch.service")
        with open(cls.unit_path, encoding="utf-8") as f:
            cls.unit_text = f.read()
        cls.settings = unit_settings(cls.unit_text)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def install(cls):
        env = dict(os.environ, DESTDIR=cls.destdir)
        p = subprocess.run([cls.cmake, "--install", BUILD], env=env, capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("cmake --install failed:\n%s%s" % (p.stdout, p.stderr))
        return p.stdout

    @classmethod
    def staged(cls, *parts):
        return os.path.join(cls.destdir, *(x.lstrip("/") for x in parts))

    def config_path(self):
        return self.staged(self.etc, "rcwatch", "rcwatch.yaml")

    # --- what `cmake --install` puts where --------------------------------

    def test_install_layout(self):
        for rel in ("bin/rcwatch", "lib/systemd/system/rcwatch.service",
                    "share/man/man8/rcwatch.8", "share/man/man5/rcwatch.yaml.5"):
            self.assertTrue(os.path.isfile(self.staged(self.prefix, rel)), rel)
        self.assertTrue(os.path.isfile(self.config_path()))
        self.assertTrue(os.access(self.staged(self.prefix, "bin/rcwatch"), os.X_OK))

    def test_exec_start_matches_the_install(self):
        self.assertEqual(self.settings["ExecStart"], [
            "%s/bin/rcwatch run -c %s/rcwatch/rcwatch.yaml" % (self.prefix, self.etc)])
        self.assertIsNone(re.search(r"@[A-Z_]+@", self.unit_text), "a placeholder is left")

    def test_service_contract(self):
        s = self.settings
        expect = {"Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30s",
                  "Restart": "on-failure", "TimeoutStopSec": "10s",
                  "ExecReload": "/bin/kill -HUP $MAINPID", "DynamicUser": "yes",
                  "StateDirectory": "rcwatch", "ConfigurationDirectory": "rcwatch"}
        for key, value in expect.items():
            self.assertEqual(s.get(key), [value], key)
        # Metrics and webhooks need the network.
        self.assertNotIn("PrivateNetwork", s)

    def test_installed_config_validates(self):
        p = subprocess.run([RCWATCH, "check", "-c", self.config_path()], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_reinstall_keeps_an_edited_config(self):
        conf = self.config_path()
        with open(conf, "a", encoding="utf-8") as f:
            f.write("# edited by the operator\n")
        out = self.install()
        self.assertIn("Keeping", out)
        with open(conf, encoding="utf-8") as f:
            self.assertTrue(f.read().endswith("# edited by the operator\n"))
        with open(conf + ".example", encoding="utf-8") as f, \
                open(os.path.join(SRC, "config", "rcwatch.yaml"), encoding="utf-8") as g:
            self.assertEqual(f.read(), g.read())

    def test_man_pages_render_cleanly(self):
        if not shutil.which("groff"):
            self.skipTest("groff is not installed")
        for rel in ("share/man/man8/rcwatch.8", "share/man/man5/rcwatch.yaml.5"):
            p = subprocess.run(["groff", "-man", "-ww", "-z", self.staged(self.prefix, rel)],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual((p.returncode, p.stderr), (0, ""), rel)

    def test_man_page_example_validates(self):
        with open(os.path.join(SRC, "systemd", "man", "rcwatch.yaml.5"), encoding="utf-8") as f:
            roff = f.read()
        m = re.search(r"^\.SH EXAMPLE\n\.EX\n(.*?)^\.EE$", roff, re.S | re.M)
        self.assertIsNotNone(m, "rcwatch.yaml(5) has no EXAMPLE")
        yaml = m.group(1)
        for esc, char in (("\\-", "-"), ("\\(aq", "'"), ("\\e", "\\")):
            yaml = yaml.replace(esc, char)
        path = os.path.join(self.tmp, "man-example.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(yaml)
        p = subprocess.run([RCWATCH, "check", "-c", path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    # --- systemd-analyze ----------------------------------------------------

    def analyzable_copy(self):
        """The installed unit with ExecStart pointing into DESTDIR, in a
        directory of its own (verify wants the binary to exist)."""
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed: cannot check the unit")
        d = tempfile.mkdtemp(prefix="verify-", dir=self.tmp)
        binary = "%s/bin/rcwatch" % self.prefix
        text = self.unit_text.replace("ExecStart=%s " % binary,
                                      "ExecStart=%s " % self.staged(binary))
        self.assertNotEqual(text, self.unit_text)
        path = os.path.join(d, "rcwatch.service")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_verify(self):
        path = self.analyzable_copy()
        cmd = ["systemd-analyze", "verify"]
        env = dict(os.environ, MANPATH=self.staged(self.prefix, "share/man"))
        if not shutil.which("man"):
            cmd.append("--man=no")  # Documentation= is checked only with man(1)
        p = subprocess.run(cmd + [path], env=env, capture_output=True, text=True, timeout=120)
        about_unit = [l for l in (p.stdout + p.stderr).splitlines() if "rcwatch" in l]
        self.assertEqual((p.returncode, about_unit), (0, []), p.stdout + p.stderr)

    def test_security_exposure(self):
        path = self.analyzable_copy()
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0 and "offline" in p.stderr:
            self.skipTest("this systemd-analyze has no --offline: %s" % p.stderr.strip())
        m = re.search(r"Overall exposure level for rcwatch\.service: (\d+(?:\.\d+)?)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        score = float(m.group(1))
        self.assertLessEqual(score, MAX_EXPOSURE, p.stdout)


if __name__ == "__main__":
    unittest.main()
