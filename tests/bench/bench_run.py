#!/usr/bin/env python3
"""Benchmark of `rcwatch run` (issue 4 targets), printing figures:

  burst   1 M kv lines appended at once: time from the end of the write
          until a report shows every line counted (target <= 0.3 s)
  steady  a writer at 100 k lines/s for 10 s: CPU of rcwatch as % of one
          core (target <= 5 %)
  idle    CPU over 30 s with nothing to read (target <= 0.05 %) and RSS
          (target <= 8 MiB)

Usage: bench_run.py [--rcwatch PATH] [--idle-seconds N] [--lines N]
The latency is measured by asking for a report (SIGUSR1) every 20 ms, so
its resolution is about 20 ms.  Each figure is the median of --runs runs.
"""
import argparse
import datetime
import glob
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "..", "build", "rcwatch")
TICKS = os.sysconf("SC_CLK_TCK")


def kv_block(n, start=0):
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (now.microsecond // 1000)
    codes = ["-1"] * 9 + ["1204"]
    parts = []
    for i in range(start, start + n):
        parts.append("%s INFO  [http-nio-8080-exec-7] c.a.rewards.CvsClient - cvs_call "
                     "method=POST endpoint=/coupons campaignId=%d httpStatus=200 "
                     "responseCode=%s latencyMs=97\n" % (stamp, 48000 + i % 50, codes[i % 10]))
    return "".join(parts).encode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Daemon:
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="rcw-bench-")
        self.log = os.path.join(self.tmp, "app.log")
        self.reports = os.path.join(self.tmp, "reports")
        open(self.log, "w").close()
        conf = os.path.join(self.tmp, "rcwatch.yaml")
        with open(conf, "w") as f:
            f.write("sources:\n  - {name: app, paths: [%s], parser: kv}\n"
                    "reports: {directory: %s, interval: 0, keep: 5, formats: [json]}\n"
                    "state: {path: %s, interval: 5s}\n"
                    "metrics: {listen: 127.0.0.1:%d}\n"  # as the shipped config has
                    % (json.dumps(self.log), json.dumps(self.reports),
                       json.dumps(os.path.join(self.tmp, "state")), free_port()))
        self.errlog = os.path.join(self.tmp, "stderr.log")
        with open(self.errlog, "wb") as err:
            self.proc = subprocess.Popen([binary, "run", "-c", conf], stderr=err)
        deadline = time.monotonic() + 10
        while "started:" not in open(self.errlog).read():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("rcwatch did not start: " + open(self.errlog).read())
            time.sleep(0.01)

    def lines_counted(self):
        before = set(glob.glob(os.path.join(self.reports, "*.json")))
        self.proc.send_signal(signal.SIGUSR1)
        while True:
            new = set(glob.glob(os.path.join(self.reports, "*.json"))) - before
            if new:
                with open(sorted(new)[-1]) as f:
                    return json.load(f)["lifetime"]["lines"]["total"]
            time.sleep(0.002)

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def burst(binary, n):
    d = Daemon(binary)
    try:
        data = kv_block(n)
        with open(d.log, "ab") as f:
            f.write(data)
        end = time.monotonic()
        while d.lines_counted() < n:
            time.sleep(0.02)
        return time.monotonic() - end
    finally:
        d.close()


def steady(binary, rate, seconds):
    d = Daemon(binary)
    try:
        chunk = kv_block(rate // 100)
        c0 = cpu_seconds(d.proc.pid)
        t0 = time.monotonic()
        with open(d.log, "ab", buffering=0) as f:
            for i in range(seconds * 100):
                f.write(chunk)
                delay = t0 + (i + 1) / 100 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        elapsed = time.monotonic() - t0
        time.sleep(0.2)
        return 100.0 * (cpu_seconds(d.proc.pid) - c0) / elapsed
    finally:
        d.close()


def idle(binary, seconds):
    d = Daemon(binary)
    try:
        time.sleep(1.0)
        c0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
        time.sleep(seconds)
        pct = 100.0 * (cpu_seconds(d.proc.pid) - c0) / (time.monotonic() - t0)
        return pct, rss_kib(d.proc.pid)
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rcwatch", default=DEFAULT_BIN)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle-seconds", type=int, default=30)
    ap.add_argument("--steady-seconds", type=int, default=10)
    a = ap.parse_args()
    b = os.path.abspath(a.rcwatch)
    lat = [burst(b, a.lines) for _ in range(a.runs)]
    print("burst:  %d lines counted %.3f s after the write ended (median of %d: %s; target <= 0.3 s)"
          % (a.lines, statistics.median(lat), a.runs, ", ".join("%.3f" % x for x in lat)))
    cpu = [steady(b, 100_000, a.steady_seconds) for _ in range(a.runs)]
    print("steady: 100k lines/s costs %.2f %% of a core (median of %d: %s; target <= 5 %%)"
          % (statistics.median(cpu), a.runs, ", ".join("%.2f" % x for x in cpu)))
    pct, rss = idle(b, a.idle_seconds)
    print("idle:   %.3f %% CPU over %d s (target <= 0.05 %%), RSS %.1f MiB (target <= 8 MiB)"
          % (pct, a.idle_seconds, rss / 1024.0))


if __name__ == "__main__":
    sys.exit(main())
