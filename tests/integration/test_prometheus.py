"""A real Prometheus (Debian's package) on loopback scrapes `rcwatch run`,
and a PromQL query returns what rcwatch counted (issue: Many hosts)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

from rcwlib import DaemonTestCase, kv_line, wait_for
from test_metrics import free_port


def promql(port, query):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(query))
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except OSError:
        return None
    result = body.get("data", {}).get("result", [])
    return float(result[0]["value"][1]) if result else None


@unittest.skipUnless(shutil.which("prometheus"), "prometheus is not installed")
class PrometheusTest(DaemonTestCase):
    def setUp(self):
        self.metrics_port = free_port()
        self.EXTRA_CONFIG = "metrics:\n  listen: 127.0.0.1:%d\n" % self.metrics_port
        super().setUp()
        self.prom_dir = tempfile.mkdtemp(prefix="rcw-prom-")
        self.prom = None

    def tearDown(self):
        if self.prom:
            self.prom.terminate()
            self.prom.wait(timeout=10)
            self.prom_log.close()
        shutil.rmtree(self.prom_dir, ignore_errors=True)

    def start_prometheus(self):
        self.prom_port = free_port()
        conf = os.path.join(self.prom_dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: rcwatch\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                    % self.metrics_port)
        self.prom_log = log = open(os.path.join(self.prom_dir, "prometheus.log"), "wb")
        self.prom = subprocess.Popen(
            ["prometheus", "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(self.prom_dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.prom_port],
            stdout=log, stderr=log)

    def test_promql_sees_the_counts(self):
        with open(self.log, "w") as f:
            f.write(kv_line("-1") * 40 + kv_line("1204") * 7 + kv_line("1001") * 3)
        self.d.start()
        self.start_prometheus()
        got = wait_for(lambda: promql(self.prom_port,
                                      'sum(rcwatch_responses_total{code="1204"})') == 7,
                       timeout=60, interval=0.5, what="Prometheus to scrape 7 x 1204")
        self.assertTrue(got)
        total = promql(self.prom_port, 'sum(rcwatch_lines_total{result="matched"})')
        self.assertEqual(total, 50)
        ratio = promql(self.prom_port,
                       'rcwatch_failure_ratio{scope="total",key="total",window="5m"}')
        self.assertAlmostEqual(ratio, 10 / 50)
        self.d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
