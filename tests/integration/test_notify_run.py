"""`rcwatch run` under a fake service manager: a unix datagram socket named
by NOTIFY_SOCKET receives READY=1 once the daemon is up, STATUS= lines,
WATCHDOG=1 pings at half WATCHDOG_USEC, RELOADING=1 then READY=1 around a
SIGHUP, and STOPPING=1 at SIGTERM.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

RCWATCH = os.environ.get("RCWATCH") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rcwatch")


class NotifyRun(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rcw-notify-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.sock.close)
        self.sock_path = os.path.join(self.tmp, "notify")
        self.sock.bind(self.sock_path)
        self.log = os.path.join(self.tmp, "a.log")
        open(self.log, "w").close()
        self.config = os.path.join(self.tmp, "rcwatch.yaml")
        with open(self.config, "w") as f:
            f.write("sources: [{name: t, paths: [%s], parser: kv}]\n"
                    "state: {path: %s/state}\nreports: {directory: %s/reports}\n"
                    % (self.log, self.tmp, self.tmp))
        self.msgs = []

    def start(self, **env):
        e = dict(os.environ, NOTIFY_SOCKET=self.sock_path, **env)
        self.proc = subprocess.Popen([RCWATCH, "run", "-c", self.config], env=e,
                                     stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop_proc)

    def stop_proc(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def until(self, pred, timeout=10.0):
        """Collect datagrams until pred(new ones) holds; return those."""
        start = len(self.msgs)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            self.msgs.append((time.monotonic(), data.decode()))
            new = [m for _, m in self.msgs[start:]]
            if pred(new):
                return new
        self.fail("datagrams so far: %r" % [m for _, m in self.msgs])

    def test_lifecycle(self):
        self.start()
        self.until(lambda new: "READY=1" in new)
        status = self.until(lambda new: any(m.startswith("STATUS=") for m in new))
        line = [m for m in status if m.startswith("STATUS=")][0]
        self.assertRegex(line, r"^STATUS=\d+ lines/s, \d+ file\(s\) watched, \d+ alert\(s\) "
                               r"firing; \d+ line\(s\) \(\d+ unmatched\) from 1 source\(s\)$")
        self.proc.send_signal(signal.SIGHUP)
        new = self.until(lambda new: "READY=1" in new)
        reloading = [m for m in new if m.startswith("RELOADING=1\n")]
        self.assertEqual(len(reloading), 1, new)
        self.assertRegex(reloading[0], r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
        self.assertLess(new.index(reloading[0]), new.index("READY=1"))
        self.proc.send_signal(signal.SIGTERM)
        self.until(lambda new: "STOPPING=1" in new)
        self.assertEqual(self.proc.wait(10), 0)
        self.assertNotIn("WATCHDOG=1", [m for _, m in self.msgs])  # not asked for

    def test_watchdog_pings_at_half_the_period(self):
        self.start(WATCHDOG_USEC="1000000")  # 1 s: a ping every 500 ms
        self.until(lambda new: "READY=1" in new)
        self.until(lambda new: new.count("WATCHDOG=1") >= 5, timeout=6)
        pings = [t for t, m in self.msgs if m == "WATCHDOG=1"]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertTrue(all(0.3 < g < 0.8 for g in gaps), gaps)

    def test_watchdog_of_another_process_is_ignored(self):
        self.start(WATCHDOG_USEC="1000000", WATCHDOG_PID="1")
        self.until(lambda new: "READY=1" in new)
        time.sleep(1.5)
        self.until(lambda new: any(m.startswith("STATUS=") for m in new))
        self.assertNotIn("WATCHDOG=1", [m for _, m in self.msgs])


if __name__ == "__main__":
    unittest.main()
