"""`rcwatch codes`: the catalog in force, as JSON and as text, with and
without a user catalog (CONTRACT §1, §2 and §3)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

RCWATCH = os.environ.get("RCWATCH", "build/rcwatch")

# CONTRACT §3: every code of the source table with its category by cause.
EXPECTED = {
    "-1": "success",
    "1000": "auth", "1001": "auth", "1002": "auth", "1003": "auth", "1008": "auth",
    "1004": "webuser_auth", "1005": "webuser_auth", "1006": "webuser_auth",
    "1007": "webuser_auth",
    "1200": "config", "1201": "config", "1206": "config", "1207": "config",
    "1212": "config", "1214": "config", "1600": "config", "7100": "config",
    "7108": "config", "7109": "config", "7110": "config",
    "1202": "campaign_window", "1203": "campaign_window",
    "1204": "stock", "1208": "stock", "1213": "stock", "7101": "stock", "7105": "stock",
    "1209": "user_limit", "1210": "user_limit", "1211": "user_limit", "7106": "user_limit",
    "1205": "validation", "1250": "validation", "1251": "validation", "1305": "validation",
    "1307": "validation", "1311": "validation", "1500": "validation", "1501": "validation",
    "1550": "validation", "7102": "validation", "7103": "validation", "7104": "validation",
    "7111": "validation",
    "1215": "not_found", "1216": "not_found", "1303": "not_found", "1304": "not_found",
    "1308": "not_found", "1309": "not_found", "1310": "not_found", "1312": "not_found",
    "2100": "not_found", "2303": "not_found", "7107": "not_found",
    "1300": "platform", "1301": "platform",
}
CATEGORIES = {"success", "auth", "webuser_auth", "config", "campaign_window", "stock",
              "user_limit", "validation", "not_found", "platform", "concurrency",
              "transport", "unknown"}


def rcwatch(*args):
    return subprocess.run([RCWATCH, *args], capture_output=True, text=True, timeout=60)


class CodesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def config(self, text):
        path = os.path.join(self.tmp.name, "rcwatch.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def codes_json(self, *args):
        res = rcwatch("codes", "--format", "json", *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        return json.loads(res.stdout)

    def test_json_has_every_code(self):
        doc = self.codes_json()
        self.assertEqual(set(doc), {"codes", "categories"})
        by_code = {}
        for c in doc["codes"]:
            self.assertIsInstance(c["code"], str)
            self.assertTrue(c["description"])
            by_code.setdefault(c["code"], []).append(c)
        for code, category in EXPECTED.items():
            self.assertIn(code, by_code)
            self.assertEqual([c["category"] for c in by_code[code]], [category], code)
        self.assertNotIn("1302", by_code)
        self.assertEqual(by_code["1311"][0]["description"],
                         "You must specify something to redeem.")
        self.assertEqual(by_code["1312"][0]["description"], "User does not have a valid token.")
        self.assertEqual(by_code["-1"][0]["description"], "Successful")
        # 1306: both meanings, each with its text.
        meanings = {c["category"]: c["description"] for c in by_code["1306"]}
        self.assertEqual(meanings, {
            "concurrency": "Another request issued at the same time. Failing call.",
            "validation": "Required field missing",
        })
        self.assertEqual(len(doc["codes"]), len(EXPECTED) + 2)

    def test_json_categories(self):
        doc = self.codes_json()
        names = [c["name"] for c in doc["categories"]]
        self.assertEqual(set(names), CATEGORIES)
        self.assertEqual(len(names), len(CATEGORIES))
        for c in doc["categories"]:
            self.assertIn(c["severity"], ("info", "warning", "critical"))
            self.assertTrue(c["description"])
        sev = {c["name"]: c["severity"] for c in doc["categories"]}
        self.assertEqual(sev["auth"], "critical")
        self.assertEqual(sev["transport"], "critical")
        self.assertEqual(sev["success"], "info")

    def test_json_sorted_by_code(self):
        codes = [c["code"] for c in self.codes_json()["codes"]]
        numeric = [int(c) for c in codes]
        self.assertEqual(numeric, sorted(numeric))

    def test_text(self):
        res = rcwatch("codes")
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = res.stdout.splitlines()
        header = lines[0]
        self.assertTrue(header.startswith("CODE"))
        desc_col = header.index("DESCRIPTION")
        cat_col = header.index("CATEGORY")
        rows = {}
        for line in lines[1:]:
            if not line:
                break
            code = line.split()[0]
            # Aligned columns: category and description start where the
            # header says.
            self.assertEqual(line[cat_col - 2:cat_col], "  ", line)
            self.assertNotEqual(line[cat_col], " ", line)
            self.assertNotEqual(line[desc_col], " ", line)
            rows.setdefault(code, []).append(line)
        self.assertEqual(set(rows), set(EXPECTED) | {"1306"})
        self.assertIn("stock", rows["1204"][0])
        self.assertIn("Campaign has reached its max available.", rows["1204"][0])
        self.assertEqual(len(rows["1306"]), 2)
        # Then the categories with their severity.
        rest = res.stdout.split("\n\n", 1)[1]
        self.assertTrue(rest.startswith("CATEGORY"))
        self.assertRegex(rest, r"(?m)^auth +critical +\S")
        self.assertRegex(rest, r"(?m)^transport +critical +\S")

    def test_usage_errors(self):
        for args in (["--format", "yaml"], ["--bogus"], ["-x"], ["extra"], ["--format"],
                     ["-c"]):
            res = rcwatch("codes", *args)
            self.assertEqual(res.returncode, 2, args)
            self.assertEqual(res.stdout, "")
            self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
        res = rcwatch("codes", "--help")
        self.assertEqual(res.returncode, 0)
        self.assertIn("Usage: rcwatch codes", res.stdout)

    def test_user_catalog_merged(self):
        path = self.config(
            "catalog:\n"
            "  use_default: true\n"
            "  categories:\n"
            "    - name: fraud\n"
            "      description: Suspected abuse of a campaign\n"
            "      severity: critical\n"
            "  codes:\n"
            "    \"1204\": { description: \"Campaign cap reached\", category: fraud }\n"
            "    \"1306\": { description: \"Double submit\", category: concurrency }\n"
            "    \"8001\": { description: \"Regional cap reached\", category: stock }\n")
        doc = self.codes_json("-c", path)
        by_code = {}
        for c in doc["codes"]:
            by_code.setdefault(c["code"], []).append(c)
        self.assertEqual(by_code["1204"], [{"code": "1204", "category": "fraud",
                                            "description": "Campaign cap reached"}])
        # set_code replaces every meaning of 1306.
        self.assertEqual(len(by_code["1306"]), 1)
        self.assertEqual(by_code["1306"][0]["description"], "Double submit")
        self.assertEqual(by_code["8001"][0]["category"], "stock")
        self.assertEqual(by_code["1001"][0]["category"], "auth")  # defaults kept
        cats = {c["name"]: c for c in doc["categories"]}
        self.assertEqual(cats["fraud"]["severity"], "critical")
        self.assertEqual(cats["fraud"]["description"], "Suspected abuse of a campaign")
        self.assertIn("auth", cats)

    def test_user_catalog_alone(self):
        path = self.config(
            "catalog:\n"
            "  use_default: false\n"
            "  categories:\n"
            "    - { name: mine, description: Our codes, severity: warning }\n"
            "  codes:\n"
            "    \"77\": { description: \"Something of ours\", category: mine }\n")
        doc = self.codes_json("-c", path)
        self.assertEqual({c["code"] for c in doc["codes"]}, {"-1", "77"})
        self.assertEqual({c["name"] for c in doc["categories"]},
                         {"success", "transport", "unknown", "mine"})
        res = rcwatch("codes", "-c", path)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"(?m)^77 +mine +Something of ours$")

    def test_bad_config(self):
        path = self.config("catalog:\n  use_default: true\n  colour: blue\n")
        res = rcwatch("codes", "-c", path)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertRegex(res.stderr, "^" + path.replace(".", r"\.") + r":3:\d+: ")
        res = rcwatch("codes", "-c", os.path.join(self.tmp.name, "missing.yaml"))
        self.assertEqual(res.returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
