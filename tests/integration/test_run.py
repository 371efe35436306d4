"""`rcwatch run` end to end: exactly-once counting through rotation,
truncation, deletion, restarts and crashes (CONTRACT §1, §6)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from rcwlib import Daemon, DaemonTestCase, RCWATCH, code_counts, kv_line, wait_for, yaml_str


def append(path, lines):
    with open(path, "a") as f:
        f.write("".join(lines))


def lines_of(n, code="-1"):
    return [kv_line(code) for _ in range(n)]


class RunTest(DaemonTestCase):
    def test_counts_each_line_once(self):
        append(self.log, lines_of(90) + lines_of(10, "1204"))
        self.d.start()
        s = self.d.wait_lines(100)
        self.assertEqual(s["requests"], 100)
        self.assertEqual(s["failures"], 10)
        append(self.log, lines_of(50, "1001"))
        s = self.d.wait_lines(150)
        self.assertEqual(code_counts(s), {"-1": 90, "1204": 10, "1001": 50})
        self.d.stop()

    def test_start_at_end_skips_existing_lines(self):
        append(self.log, lines_of(10))
        self.d.write_config(sources="  - name: app\n    paths: [%s]\n    parser: kv\n"
                            "    start_at: end\n" % yaml_str(self.log))
        self.d.start()
        time.sleep(0.3)
        append(self.log, lines_of(3, "1204"))
        s = self.d.wait_lines(3)
        self.assertEqual(code_counts(s), {"1204": 3})
        self.d.stop()

    def test_partial_line_completed_later(self):
        append(self.log, lines_of(2))
        self.d.start()
        self.d.wait_lines(2)
        with open(self.log, "a") as f:
            f.write("2026-03-14 09:12:44,512 INFO x - cvs_call httpStatus=200 respo")
        time.sleep(0.5)
        self.assertEqual(self.d.lifetime()["lines"]["total"], 2)
        with open(self.log, "a") as f:
            f.write("nseCode=1204\n")
        s = self.d.wait_lines(3)
        self.assertEqual(code_counts(s).get("1204"), 1)
        self.d.stop()

    def test_glob_discovers_new_files(self):
        self.d.start()
        other = os.path.join(self.d.logdir, "later.log")
        append(other, lines_of(7, "1305"))
        append(os.path.join(self.d.logdir, "ignored.txt"), lines_of(5))
        s = self.d.wait_lines(7)
        self.assertEqual(code_counts(s), {"1305": 7})
        self.d.stop()

    def test_truncation_restarts_at_zero(self):
        append(self.log, lines_of(20))
        self.d.start()
        self.d.wait_lines(20)
        with open(self.log, "w") as f:
            f.write(kv_line("1204"))
        s = self.d.wait_lines(21)
        self.assertEqual(code_counts(s)["1204"], 1)
        rot = self.d.report()
        self.d.stop()

    def test_deleted_file_is_drained(self):
        append(self.log, lines_of(1))
        self.d.start()
        self.d.wait_lines(1)
        append(self.log, lines_of(2000, "1208"))
        os.unlink(self.log)
        s = self.d.wait_lines(2001)
        self.assertEqual(code_counts(s)["1208"], 2000)
        self.d.stop()

    def test_rename_rotation_drains_old_file(self):
        append(self.log, lines_of(10))
        self.d.start()
        self.d.wait_lines(10)
        os.rename(self.log, self.log + ".1")
        append(self.log + ".1", lines_of(5, "1204"))  # late writes to the old file
        append(self.log, lines_of(7, "1001"))
        s = self.d.wait_lines(22)
        self.assertEqual(code_counts(s), {"-1": 10, "1204": 5, "1001": 7})
        self.d.stop()

    def test_symlink_swap_is_a_rotation(self):
        a = os.path.join(self.d.tmp, "a.data")
        b = os.path.join(self.d.tmp, "b.data")
        append(a, lines_of(4))
        os.symlink(a, self.log)
        self.d.start()
        self.d.wait_lines(4)
        append(b, lines_of(3, "1204"))
        tmp_link = self.log + ".new"
        os.symlink(b, tmp_link)
        os.rename(tmp_link, self.log)
        append(a, lines_of(2, "1001"))
        s = self.d.wait_lines(9)
        self.assertEqual(code_counts(s), {"-1": 4, "1204": 3, "1001": 2})
        self.d.stop()

    def test_sigterm_restart_counts_no_line_twice(self):
        append(self.log, lines_of(100))
        self.d.start()
        self.d.wait_lines(100)
        self.d.stop()
        append(self.log, lines_of(30, "1204"))
        self.d.start()
        s = self.d.wait_lines(130)
        self.assertEqual(code_counts(s), {"-1": 100, "1204": 30})
        self.d.stop()

    def test_sigkill_restart_counts_exactly_once(self):
        total = 0
        self.d.start()
        for round_ in range(4):
            for _ in range(10):
                append(self.log, lines_of(500))
                total += 500
                time.sleep(0.03)
            self.d.kill()
            self.d.start()
        s = self.d.wait_lines(total, timeout=20)
        self.assertEqual(s["requests"], total)
        self.d.stop()

    def test_rotation_while_stopped(self):
        append(self.log, lines_of(10))
        self.d.start()
        self.d.wait_lines(10)
        self.d.stop()
        append(self.log, lines_of(4, "1204"))        # written after the stop
        os.rename(self.log, os.path.join(self.d.logdir, "app.log.1"))
        append(self.log, lines_of(6, "1001"))        # the new file
        self.d.start()
        s = self.d.wait_lines(20)
        self.assertEqual(code_counts(s), {"-1": 10, "1204": 4, "1001": 6})
        self.d.stop()

    def test_corrupt_state_is_moved_aside(self):
        append(self.log, lines_of(5))
        self.d.start()
        self.d.wait_lines(5)
        self.d.stop()
        with open(self.d.state, "r+b") as f:
            f.seek(20)
            f.write(b"garbage!")
        self.d.start()
        self.d.wait_lines(5)  # counted afresh from the start
        moved = [n for n in os.listdir(os.path.dirname(self.d.state)) if ".corrupt-" in n]
        self.assertEqual(len(moved), 1)
        self.assertIn("moved aside", self.d.log())
        self.d.stop()


class FullDiskTest(DaemonTestCase):
    """The state directory on a tiny tmpfs that fills up."""

    def setUp(self):
        super().setUp()
        self.statedir = os.path.dirname(self.d.state)
        os.makedirs(self.statedir, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", self.statedir],
                           capture_output=True)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % r.stderr.decode().strip())

    def tearDown(self):
        self.d.close()
        subprocess.run(["umount", self.statedir], capture_output=True)

    def fill(self):
        filler = os.path.join(self.statedir, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        return filler

    def test_counting_goes_on_and_old_state_stays_intact(self):
        append(self.log, lines_of(50))
        self.d.start()
        self.d.wait_lines(50)
        wait_for(lambda: os.path.exists(self.d.state), what="a checkpoint")
        filler = self.fill()
        wait_for(lambda: "cannot write the state file" in self.d.log(), what="ENOSPC logged")
        with open(self.d.state, "rb") as f:
            before = f.read()
        append(self.log, lines_of(25, "1204"))
        self.d.wait_lines(75)
        time.sleep(0.6)
        with open(self.d.state, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual([n for n in os.listdir(self.statedir) if n not in ("filler",
                          os.path.basename(self.d.state))], [])
        os.unlink(filler)
        wait_for(lambda: open(self.d.state, "rb").read() != before, what="checkpoints resuming")
        self.d.stop()
        self.d.start()
        s = self.d.wait_lines(75)
        self.assertEqual(code_counts(s), {"-1": 50, "1204": 25})
        self.d.stop()


class LogrotateTest(DaemonTestCase):
    """Real logrotate under a writer that never stops."""

    def setUp(self):
        if not shutil.which("logrotate"):
            self.skipTest("logrotate is not installed")
        super().setUp()

    def logrotate(self, mode):
        conf = os.path.join(self.d.tmp, "logrotate.conf")
        with open(conf, "w") as f:
            f.write("%s {\n  rotate 20\n  %s\n  missingok\n  nocompress\n}\n" % (self.log, mode))
        status = os.path.join(self.d.tmp, "logrotate.status")
        subprocess.run(["logrotate", "-f", "-s", status, conf], check=True)

    def test_create_mode_rotation_under_a_writer(self):
        written = [0]
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                append(self.log, lines_of(20))
                written[0] += 20
                time.sleep(0.005)

        append(self.log, lines_of(1))
        written[0] = 1
        self.d.start()
        t = threading.Thread(target=writer)
        t.start()
        for _ in range(3):
            time.sleep(0.4)
            self.logrotate("create")
        time.sleep(0.3)
        stop.set()
        t.join()
        s = self.d.wait_lines(written[0], timeout=20)
        self.assertEqual(s["requests"], written[0])
        self.d.stop()

    def test_copytruncate(self):
        append(self.log, lines_of(300))
        self.d.start()
        self.d.wait_lines(300)
        self.logrotate("copytruncate")
        append(self.log, lines_of(40, "1204"))
        s = self.d.wait_lines(340)
        self.assertEqual(code_counts(s)["1204"], 40)
        self.assertGreaterEqual(self.d.report()["lifetime"]["lines"]["total"], 340)
        self.d.stop()


class ReloadTest(DaemonTestCase):
    def test_sighup_good_and_bad_configs(self):
        append(self.log, lines_of(40) + lines_of(10, "1001"))
        self.d.start()
        self.d.wait_lines(50)
        self.d.write_config(rules="  - {name: auth, scope: category, match: auth, "
                                  "window: 1m, above: 5%, min_requests: 1}\n")
        self.d.send(signal.SIGHUP)
        wait_for(lambda: "reloaded" in self.d.log(), what="reload")
        r = self.d.report()
        self.assertEqual(r["lifetime"]["lines"]["total"], 50)
        wait_for(lambda: any(a["rule"] == "auth" for a in self.d.report()["alerts"]),
                 what="the new rule firing")
        with open(self.d.config, "a") as f:
            f.write("bogus_key: 1\n")
        self.d.send(signal.SIGHUP)
        wait_for(lambda: "reload refused" in self.d.log(), what="refusal")
        self.assertIn("bogus_key", self.d.log())
        append(self.log, lines_of(5))
        s = self.d.wait_lines(55)
        self.assertEqual(code_counts(s)["1001"], 10)
        self.d.stop()


class SinkTest(DaemonTestCase):
    PARSER = ("parsers:\n"
              "  - name: app\n"
              "    patterns: ['code=(?<code>-?\\d+) campaign=\"(?<campaign>[^\"]*)\"']\n"
              "    dimensions: [campaign]\n")

    def test_exec_and_file_sinks_get_shell_metacharacters_verbatim(self):
        marker = os.path.join(self.d.tmp, "pwned")
        nasty = "$(touch %s); `touch %s` | & > < * ? ~ ; rm -rf \"$HOME\" '" % (marker, marker)
        out = os.path.join(self.d.tmp, "exec.out")
        script = os.path.join(self.d.tmp, "page.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncat > \"$1.stdin\"\nprintf '%s' \"$RCWATCH_KEY\" > \"$1.key\"\n")
        os.chmod(script, 0o755)
        alerts = os.path.join(self.d.tmp, "alerts.jsonl")
        sources = ("  - name: app\n    paths: [%s]\n    parser: app\n    start_at: beginning\n"
                   % yaml_str(self.log))
        rules = ("  - {name: stock, scope: dimension, dimension: campaign, match: '*', "
                 "metric: count, window: 1m, above: 2}\n")
        sinks = ("    - {type: exec, command: [%s, %s], timeout: 5s}\n"
                 "    - {type: file, path: %s}\n" % (yaml_str(script), yaml_str(out),
                                                     yaml_str(alerts)))
        self.d.write_config(sources=sources, rules=rules, sinks=sinks, extra=self.PARSER)
        self.d.start()
        append(self.log, ['code=1204 campaign="%s"\n' % nasty.replace('"', "'")] * 5)
        key = nasty.replace('"', "'")
        wait_for(lambda: os.path.exists(out + ".key"), what="the exec sink")
        with open(out + ".key") as f:
            self.assertEqual(f.read(), key)
        with open(out + ".stdin") as f:
            alert = json.load(f)
        self.assertEqual(alert["key"], key)
        self.assertEqual(alert["state"], "firing")
        self.assertFalse(os.path.exists(marker))
        with open(alerts) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual(lines[0]["key"], key)
        self.d.stop()


class WebhookRestartTest(DaemonTestCase):
    """An alert firing across a restart is sent to Alertmanager again, so its
    lease there does not run out and resolve it behind rcwatch's back."""

    def setUp(self):
        import http.server
        import threading as th
        self.posts = []
        posts = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                posts.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        th.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.shutdown)
        super().setUp()

    def test_firing_alert_resent_after_restart(self):
        url = "http://127.0.0.1:%d/api/v2/alerts" % self.server.server_address[1]
        self.d.write_config(
            rules="  - {name: auth, scope: category, match: auth, window: 5m, above: 10%, "
                  "min_requests: 5}\n",
            sinks="    - {type: webhook, url: %s, format: alertmanager, timeout: 2s}\n" % url)
        append(self.log, lines_of(10) + lines_of(10, "1001"))
        self.d.start()
        wait_for(lambda: self.posts, what="the first post")
        first = self.posts[0][0]
        self.assertEqual(first["labels"]["alertname"], "auth")
        self.d.stop()
        n = len(self.posts)
        self.d.start()
        wait_for(lambda: len(self.posts) > n, what="the re-sent alert after restart")
        again = self.posts[n][0]
        self.assertEqual(again["labels"], first["labels"])
        self.assertEqual(again["startsAt"], first["startsAt"])
        self.d.stop()


class ReportTest(unittest.TestCase):
    def test_reports_written_and_read_back(self):
        d = Daemon(self)
        log = os.path.join(d.logdir, "app.log")
        try:
            append(log, lines_of(8) + lines_of(2, "1204"))
            d.start()
            d.wait_lines(10)
            d.stop()
            newest = d.report_files()[-1]
            with open(newest) as f:
                rep = json.load(f)
            self.assertEqual(rep["rcwatch_report"], 1)
            self.assertEqual(rep["lifetime"]["failures"], 2)
            self.assertEqual([w["window"] for w in rep["windows"]], ["1m", "5m", "15m", "1h"])
            self.assertEqual(rep["sources"][0]["name"], "app")
            self.assertEqual(rep["sources"][0]["files"][0]["offset"], os.path.getsize(log))
            j = subprocess.run([RCWATCH, "report", "-c", d.config, "--format", "json"],
                               capture_output=True, check=True)
            with open(newest, "rb") as f:
                self.assertEqual(j.stdout, f.read())
            t = subprocess.run([RCWATCH, "report", "-c", d.config], capture_output=True,
                               text=True, check=True)
            self.assertIn("stock (2)", t.stdout)
        finally:
            d.close()
            shutil.rmtree(d.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
