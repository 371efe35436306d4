"""/metrics and /healthz of `rcwatch run` (CONTRACT §5)."""
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.request

from rcwlib import DaemonTestCase, kv_line, wait_for


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return r.status, r.read().decode()


def sample(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)\{(.*)\} (\S+)$", line)
        if m and m.group(1) == name:
            got = ",".join(sorted(m.group(2).split(",")))
            if got == want:
                return float(m.group(3))
    return None


class MetricsTest(DaemonTestCase):
    def setUp(self):
        self.port = free_port()
        self.EXTRA_CONFIG = "metrics:\n  listen: 127.0.0.1:%d\n" % self.port
        super().setUp()

    def count(self, code, category):
        return sample(scrape(self.port)[1], "rcwatch_responses_total", source="app", code=code,
                      category=category)

    def test_counters_continue_across_restarts(self):
        with open(self.log, "w") as f:
            f.write(kv_line("-1") * 20 + kv_line("1001") * 5 + "junk\n")
        self.d.start()
        wait_for(lambda: self.count("1001", "auth") == 5, what="the scrape to show 5 auth")
        status, text = scrape(self.port)
        self.assertEqual(status, 200)
        self.assertEqual(sample(text, "rcwatch_responses_total", source="app", code="-1",
                                category="success"), 20)
        self.assertEqual(sample(text, "rcwatch_lines_total", source="app", result="unmatched"), 1)
        ratio = sample(text, "rcwatch_failure_ratio", scope="category", key="auth", window="5m")
        self.assertAlmostEqual(ratio, 5 / 25)
        self.assertEqual(scrape(self.port, "/healthz")[0], 200)
        if shutil.which("promtool"):
            p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.d.stop()
        with open(self.log, "a") as f:
            f.write(kv_line("1001") * 2)
        self.d.start()
        wait_for(lambda: self.count("1001", "auth") == 7, what="the count to continue at 7")
        self.d.stop()

    def test_stalled_clients_do_not_delay_a_scrape(self):
        self.d.start()
        stalled = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(b"GET /metr")
            stalled.append(s)
        try:
            t0 = time.monotonic()
            status, text = scrape(self.port)
            self.assertEqual(status, 200)
            self.assertLess(time.monotonic() - t0, 1.0)
            self.assertIn("rcwatch_lines_total", text)
            self.assertEqual(scrape(self.port, "/healthz")[0], 200)
        finally:
            for s in stalled:
                s.close()
        self.d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
