#!/usr/bin/env python3
"""genlog — writes Issuer API client logs and the counts rcwatch must find.

Three formats, the line shapes users really have (shared DOMAIN.md):
json application logs, key=value Logback lines, and nginx access logs with
the code copied into a trailing cvs_code field.  Output is deterministic
for a given --seed.

Profiles:
  torture (default)  at least --lines lines, with every case the contract names: success and codes of
                     every category, 1306 with both descriptions, unknown
                     and negative codes, string and number codes, nested
                     JSON, quoted and escaped descriptions, 5xx with no code
                     (transport), no code below 500 (unmatched), junk,
                     empty and CRLF lines, NUL bytes and invalid UTF-8
                     inside matching lines, lines of exactly 64 KiB and
                     longer, and a final line with no newline.
  --realistic        what a day of a healthy client looks like: ~90%
                     success, failures of several categories, a few 5xx
                     with no code, a few junk lines.
  --plain            only realistic request lines, fast, for the benchmark.

--expect FILE writes what `rcwatch scan --format json` must report:
{"lines": {"total", "matched", "unmatched", "too_long"}, "requests",
 "failures", "codes": [{"code", "category", "count"}] (1306 can appear
 twice, once per meaning),
 "categories": {name: {"failures", "count"}},
 "period": {"start", "end"} (first and last request time, ISO 8601 UTC),
 "bytes": size of the output}.
"""
import argparse
import datetime
import json
import random
import sys

LINE_MAX = 64 * 1024

DESC = {
    "-1": "Successful",
    "1000": "Interface Authentication Failed. Account does not exist.",
    "1001": "Interface Authentication Failed. Invalid password.",
    "1002": "Interface Authentication Failed. Interface account not activated.",
    "1003": "Interface Authentication Failed. Issuer account not activated.",
    "1004": "Issuer Webuser Authentication Failed. Account does not exist.",
    "1005": "Issuer Webuser Authentication Failed. Invalid password.",
    "1006": "Issuer Webuser Authentication Failed. Issuer webuser not activated.",
    "1007": "Issuer Webuser Authentication Failed. Issuer webuser not linked to interface issuer.",
    "1008": "Interface Authentication Failed. Credentials missing.",
    "1200": "Campaign does not exist.",
    "1201": "Campaign is not active.",
    "1202": "Campaign not yet active for issuing vouchers.",
    "1203": "Campaign issuing window closed. No more vouchers can be issued.",
    "1204": "Campaign has reached its max available.",
    "1205": "The campaign requires an user id to issue voucher to.",
    "1206": "Campaign not linked to channel.",
    "1207": "Campaign not linked to channel.",
    "1208": "No more coupons available.",
    "1209": "User has reached the maximum allowed live coupons per user on campaign.",
    "1210": "User has reached the maximum allowed coupons per user on campaign.",
    "1211": "Campaign is open to selected users only.",
    "1212": "There is no SMS account linked. Cannot issue SMS voucher.",
    "1213": "No more coupons available for today.",
    "1214": "This is not a coupon campaign.",
    "1215": "Transaction coupon does not exist.",
    "1216": "Coupon does not exist.",
    "1250": "Invalid voucher phase specified. Must be LIVE, REDEEMED, or EXPIRED.",
    "1251": "Invalid campaign type specified.",
    "1300": "No valid wiCodes found.",
    "1301": "Could not link voucher infos.",
    "1303": "Invalid wiCode.",
    "1304": "No vouchers found for User.",
    "1305": "Invalid campaign type specified.",
    "1307": "Required field in voucherInfo missing",
    "1308": "Coupon does not exist.",
    "1309": "Coupon cannot be expired as it has already been redeemed.",
    "1310": "Coupon already expired.",
    "1311": "You must specify something to redeem.",
    "1312": "User does not have a valid token.",
    "1500": "Invalid campaign phase specified. Must be CURRENT, TODAY, PENDING.",
    "1501": "Invalid campaign type specified.",
    "1550": "Latitude and Longitude values are required in order to sort by distance.",
    "1600": "Invalid channel group id specified.",
    "2100": "Invalid wicode",
    "2303": "Mobile Number not Registered",
    "7100": "This is not a giftcard campaign.",
    "7101": "Amount to issue exceeds available float for campaign.",
    "7102": "Amount to issue exceeds maximum allowable amount to issue.",
    "7103": "Amount to issue is less than minimum allowable amount to issue.",
    "7104": "The campaign requires an user id to issue giftcard to.",
    "7105": "No more giftcard available.",
    "7106": "User has reached the maximum allowed giftcards per user on campaign.",
    "7107": "Giftcard does not exist.",
    "7108": "Giftcards cannot be issued with SMS.",
    "7109": "The campaign does not allow channel to specify expiry days.",
    "7110": "The campaign does not allow the requested expiry days.",
    "7111": "Amount to issue invalid.",
}
DESC_1306_SAME_TIME = "Another request issued at the same time. Failing call."
DESC_1306_REQUIRED = "Required field missing"

CATEGORY_CODES = {
    "auth": "1000 1001 1002 1003 1008",
    "webuser_auth": "1004 1005 1006 1007",
    "config": "1200 1201 1206 1207 1212 1214 1600 7100 7108 7109 7110",
    "campaign_window": "1202 1203",
    "stock": "1204 1208 1213 7101 7105",
    "user_limit": "1209 1210 1211 7106",
    "validation": "1205 1250 1251 1305 1307 1311 1500 1501 1550 7102 7103 7104 7111",
    "not_found": "1215 1216 1303 1304 1308 1309 1310 1312 2100 2303 7107",
    "platform": "1300 1301",
}
CATEGORY = {"-1": "success"}
for _cat, _codes in CATEGORY_CODES.items():
    for _c in _codes.split():
        CATEGORY[_c] = _cat
FAILURE_CODES = sorted(c for c in CATEGORY if c != "-1")
# Codes the catalog does not know (there is no 1302), negative ones too.
UNKNOWN_CODES = ["1302", "4242", "9001", "-7"]

# Failures by how often a healthy client sees them (realistic profile).
REALISTIC_FAILURES = [
    ("1209", 30), ("1210", 12), ("1204", 10), ("1213", 6), ("1303", 14), ("1310", 6),
    ("1216", 5), ("7101", 4), ("1203", 4), ("1001", 2), ("1307", 3), ("1300", 2),
    ("1306", 3), ("1206", 2), ("2303", 2),
]

ENDPOINTS = [
    ("POST", "/coupons?issueWiCode=true"), ("POST", "/coupons?issueWiCode=false"),
    ("GET", "/coupons/{id}"), ("DELETE", "/coupons/{id}"), ("POST", "/giftcards"),
    ("GET", "/giftcards/{id}"), ("GET", "/couponcampaigns"), ("GET", "/couponcampaigns/{id}"),
    ("POST", "/users/{id}/token"), ("GET", "/users/{id}/coupons"),
    ("GET", "/coupontransactions/{id}"),
]
API_IDS = ["AcmeProd", "AcmeUssd", "LoyaltyApp"]
# Where each code usually comes from (DOMAIN.md's operations table); codes
# not listed (auth) can come from any call.
OPERATION_CODES = [
    ("POST", "/coupons?issueWiCode=true", "1200-1214 1300 1306"),
    ("POST", "/giftcards", "7100-7106 7108-7111"),
    ("DELETE", "/coupons/{id}", "1216 1308 1309 1310"),
    ("GET", "/giftcards/{id}", "7107"),
    ("GET", "/couponcampaigns", "1500 1501 1550 1600"),
    ("POST", "/users/{id}/token", "1301 1303 1305 1307 1311 1312 2100 2303"),
    ("GET", "/users/{id}/coupons", "1250 1251 1304"),
    ("GET", "/coupontransactions/{id}", "1215"),
]
OPERATION = {}
for _m, _p, _codes in OPERATION_CODES:
    for _c in _codes.split():
        lo, _, hi = _c.partition("-")
        for _n in range(int(lo), int(hi or lo) + 1):
            OPERATION[str(_n)] = (_m, _p)
AGENTS = ["okhttp/4.12.0", "Apache-HttpClient/4.5.14 (Java/17.0.9)", "python-requests/2.31.0"]
BASE_MS = 1773471600000  # 2026-03-14T07:00:00Z
OFFSET = datetime.timedelta(hours=2)


def category_of(code, desc):
    if code == "1306":
        return "concurrency" if desc and "same time" in desc else "validation"
    return CATEGORY.get(code, "unknown")


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def iso_z(ms):
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


class Expect:
    """The counts a correct scan of the generated lines reports."""

    def __init__(self):
        self.total = self.unmatched = self.too_long = 0
        self.codes = {}
        self.first = self.last = None

    def request(self, code, category, ts_ms):
        self.total += 1
        key = (code, category)
        self.codes[key] = self.codes.get(key, 0) + 1
        if self.first is None:
            self.first = ts_ms
        self.last = ts_ms

    def no_request(self, too_long=False):
        self.total += 1
        self.unmatched += 1
        self.too_long += too_long

    def as_json(self, nbytes):
        codes, cats = [], {}
        requests = failures = 0
        for (code, cat), n in sorted(self.codes.items()):
            codes.append({"code": code, "category": cat, "count": n})
            c = cats.setdefault(cat, {"failures": 0, "count": 0})
            c["count"] += n
            requests += n
            if cat != "success":
                c["failures"] += n
                failures += n
        out = {
            "lines": {"total": self.total, "matched": requests,
                      "unmatched": self.unmatched, "too_long": self.too_long},
            "requests": requests, "failures": failures,
            "codes": codes, "categories": cats, "bytes": nbytes,
        }
        if self.first is not None:
            out["period"] = {"start": iso_z(self.first), "end": iso_z(self.last)}
        return out


class Format:
    """One log format: builds lines (bytes, no newline) of each shape."""

    def __init__(self, rng, realistic):
        self.rng = rng
        self.realistic = realistic  # one client writes its lines one way

    def endpoint(self, code=None):
        method, path = OPERATION.get(code) or self.rng.choice(ENDPOINTS)
        return method, path.replace("{id}", str(self.rng.randint(10, 99999)))

    def ts_ms(self, ms):
        """The time a parser reads back from this format's timestamp."""
        return ms


class JsonFormat(Format):
    name = "json"

    def ts(self, ms):
        t = utc(ms) + OFFSET
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+02:00" % (ms % 1000)

    def head(self, ms, level, extra=b"", code=None):
        method, path = self.endpoint(code)
        return ('{"ts":"%s","level":"%s","method":"%s","path":"/cvs-issuer/rest%s",'
                % (self.ts(ms), level, method, path)).encode() + extra

    def request(self, ms, code, desc, status=200, binary=False, pad=0):
        r = 0.5 if self.realistic else self.rng.random()
        level = "INFO" if code == "-1" else "WARN"
        api = b'"apiId":"Acme\x00\xc3\x28Prod\xff",' if binary else (
            '"apiId":"%s",' % self.rng.choice(API_IDS)).encode()
        code_json = code if r < 0.25 else '"%s"' % code  # numbers and strings
        body = '"responseCode":%s,"responseDesc":%s' % (code_json, json.dumps(desc))
        filler = b'"note":"' + b"x" * pad + b'",' if pad else b""
        if r > 0.85:  # nested response object
            line = self.head(ms, level, api + filler, code) + (
                '"response":{"status":%d,%s}}' % (status, body)).encode()
        else:
            line = self.head(ms, level, api + filler, code) + (
                '"status":%d,"latency_ms":%d,"campaignId":%d,%s}'
                % (status, self.rng.randint(20, 900), self.rng.randint(1000, 99999), body)
            ).encode()
        return line

    def no_code(self, ms, status):
        return self.head(ms, "ERROR" if status >= 500 else "INFO") + (
            '"status":%d,"latency_ms":%d,"error":"upstream said %d"}'
            % (status, self.rng.randint(1, 30001), status)).encode()

    def junk(self, ms):
        return self.rng.choice([
            ('{"ts":"%s","level":"INFO","msg":"Started IssuerClient in 3.2 seconds"}'
             % self.ts(ms)).encode(),
            b"Exception in thread \"pool-3\" java.lang.IllegalStateException: closed",
            b"\tat com.acme.rewards.CvsClient.call(CvsClient.java:88)",
            b"{\"level\":\"DEBUG\",\"msg\":\"responseCode missing from body\"}",
        ])


class KvFormat(Format):
    name = "kv"

    def ts(self, ms):
        return utc(ms).strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (ms % 1000)

    def head(self, ms, level, binary=False, code=None):
        thread = b"http-nio-8080-exec-\x00\xff\xfe" if binary else (
            "http-nio-8080-exec-%d" % self.rng.randint(1, 12)).encode()
        method, path = self.endpoint(code)
        return (b"%s %-5s [" % (self.ts(ms).encode(), level.encode()) + thread +
                ("] c.a.rewards.CvsClient - cvs_call method=%s endpoint=%s campaignId=%d "
                 % (method, path, self.rng.randint(1000, 99999))).encode())

    def request(self, ms, code, desc, status=200, binary=False, pad=0):
        level = "INFO" if code == "-1" else "WARN"
        quoted = not self.realistic and self.rng.random() < 0.2
        code_kv = '"%s"' % code if quoted else code
        desc_kv = desc.replace("\\", "\\\\").replace('"', '\\"')
        filler = b" note=" + b"x" * pad if pad else b""
        return self.head(ms, level, binary, code) + (
            'httpStatus=%d responseCode=%s responseDesc="%s" latencyMs=%d'
            % (status, code_kv, desc_kv, self.rng.randint(20, 900))).encode() + filler

    def no_code(self, ms, status):
        return self.head(ms, "ERROR" if status >= 500 else "WARN") + (
            'httpStatus=%d latencyMs=%d error="upstream said %d"'
            % (status, self.rng.randint(1, 30001), status)).encode()

    def junk(self, ms):
        return self.rng.choice([
            ("%s INFO  [main] c.a.rewards.Application - Started Application in 3.2 seconds"
             % self.ts(ms)).encode(),
            b"java.net.SocketTimeoutException: Read timed out",
            b"\tat com.acme.rewards.CvsClient.call(CvsClient.java:88)",
            ("%s DEBUG [main] c.a.rewards.CvsClient - pool size=8 idle=3" % self.ts(ms)).encode(),
        ])


class NginxFormat(Format):
    name = "nginx"

    def ts(self, ms):
        return (utc(ms) + OFFSET).strftime("%d/%b/%Y:%H:%M:%S +0200")

    def ts_ms(self, ms):
        return ms - ms % 1000

    def line(self, ms, status, code, binary=False, pad=0):
        method, path = self.endpoint(code)
        agent = b"okhttp/\x00\xff\xfe" if binary else self.rng.choice(AGENTS).encode()
        if pad:
            agent += b"x" * pad
        return ("10.20.1.%d - - [%s] \"%s /cvs-issuer/rest%s HTTP/1.1\" %d %d \""
                % (self.rng.randint(2, 250), self.ts(ms), method, path, status,
                   self.rng.randint(2, 900))).encode() + agent + (
            '" rt=%.3f cvs_code=%s api_id=%s'
            % (self.rng.random(), code, self.rng.choice(API_IDS))).encode()

    def request(self, ms, code, desc, status=200, binary=False, pad=0):
        return self.line(ms, status, code, binary, pad)

    def no_code(self, ms, status):
        return self.line(ms, status, "-")

    def junk(self, ms):
        return self.rng.choice([
            ("10.20.1.9 - - [%s] \"GET /healthz HTTP/1.1\" 200 2 \"-\"" % self.ts(ms)).encode(),
            b"2026/03/14 09:12:44 [error] 31#31: *8 upstream timed out (110: Connection timed out)",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ])


FORMATS = {"json": JsonFormat, "kv": KvFormat, "nginx": NginxFormat}

# Torture-profile line kinds and their weights; each appears at least twice.
TORTURE_KINDS = [
    ("success", 850), ("failure", 90), ("same_time", 4), ("required", 4),
    ("unknown", 6), ("status_5xx", 8), ("status_low", 6), ("junk", 10),
    ("empty", 5), ("blank", 2), ("crlf", 8), ("binary", 5),
]


class Generator:
    def __init__(self, fmt, rng, out):
        self.fmt, self.rng, self.out = fmt, rng, out
        self.expect = Expect()
        self.ms = BASE_MS
        self.nbytes = 0

    def tick(self):
        self.ms += self.rng.randint(0, 400)
        return self.ms

    def emit(self, line, end=b"\n"):
        self.out.write(line + end)
        self.nbytes += len(line) + len(end)

    def request(self, code, desc, end=b"\n", binary=False, pad=0, status=200):
        ms = self.tick()
        line = self.fmt.request(ms, code, desc, status=status, binary=binary, pad=pad)
        logged_desc = None if self.fmt.name == "nginx" else desc
        self.expect.request(code, category_of(code, logged_desc), self.fmt.ts_ms(ms))
        self.emit(line, end)
        return line

    def failure(self, code=None):
        code = code or self.rng.choice(FAILURE_CODES)
        if code == "1306":
            desc = self.rng.choice([DESC_1306_SAME_TIME, DESC_1306_REQUIRED])
        else:
            desc = DESC.get(code, "Unexpected error")
        self.request(code, desc)

    def no_code(self, status):
        line = self.fmt.no_code(self.tick(), status)
        if status >= 500:
            self.expect.request("http_%d" % status, "transport", self.fmt.ts_ms(self.ms))
        else:
            self.expect.no_request()
        self.emit(line)

    def unmatched(self, line):
        self.expect.no_request()
        self.emit(line)

    def kind(self, k):
        rng = self.rng
        if k == "success":
            self.request("-1", DESC["-1"])
        elif k == "failure":
            self.failure()
        elif k == "same_time":
            # escaped quotes around the words that choose the meaning
            self.request("1306", 'Another request issued at the "same time". Failing call.')
        elif k == "required":
            self.request("1306", DESC_1306_REQUIRED)
        elif k == "unknown":
            self.request(rng.choice(UNKNOWN_CODES), "Something new")
        elif k == "status_5xx":
            self.no_code(rng.choice([500, 502, 503, 504]))
        elif k == "status_low":
            self.no_code(rng.choice([200, 404]))
        elif k == "junk":
            self.unmatched(self.fmt.junk(self.tick()))
        elif k == "empty":
            self.unmatched(b"")
        elif k == "blank":
            self.unmatched(b"  \t ")
        elif k == "crlf":
            code = rng.choice(["-1", "1204", "1001"])
            self.request(code, DESC[code], end=b"\r\n")
        elif k == "binary":
            code = rng.choice(["-1", "1209"])
            self.request(code, DESC[code], binary=True)

    def exact_limit(self, crlf):
        """A request line of exactly LINE_MAX bytes: still a line."""
        ms = self.tick()
        state = self.rng.getstate()
        probe = self.fmt.request(ms, "1204", DESC["1204"], pad=1)
        self.rng.setstate(state)  # the same random fields, a wider pad
        line = self.fmt.request(ms, "1204", DESC["1204"], pad=1 + LINE_MAX - len(probe))
        assert len(line) == LINE_MAX, len(line)
        self.expect.request("1204", "stock", self.fmt.ts_ms(ms))
        self.emit(line, b"\r\n" if crlf else b"\n")

    def too_long(self):
        line = self.fmt.request(self.tick(), "1204", DESC["1204"], pad=LINE_MAX + 5000)
        self.expect.no_request(too_long=True)
        self.emit(line)

    def torture(self, n):
        kinds = [k for k, _ in TORTURE_KINDS]
        weights = [w for _, w in TORTURE_KINDS]
        specials = ["exact", "exact_crlf", "too_long", "too_long"]
        plan = [k for k in kinds for _ in range(2)] + specials
        # every known failure code at least once
        plan += ["code:" + c for c in FAILURE_CODES]
        rest = max(0, n - 1 - len(plan))
        plan += self.rng.choices(kinds, weights, k=rest)
        self.rng.shuffle(plan)
        for k in plan:
            if k == "exact":
                self.exact_limit(False)
            elif k == "exact_crlf":
                self.exact_limit(True)
            elif k == "too_long":
                self.too_long()
            elif k.startswith("code:"):
                self.failure(k[5:])
            else:
                self.kind(k)
        self.request("-1", DESC["-1"], end=b"")  # the final line has no newline

    def realistic(self, n):
        codes = [c for c, _ in REALISTIC_FAILURES]
        weights = [w for _, w in REALISTIC_FAILURES]
        for _ in range(n):
            r = self.rng.random()
            if r < 0.90:
                self.request("-1", DESC["-1"])
            elif r < 0.985:
                self.failure(self.rng.choices(codes, weights)[0])
            elif r < 0.99:
                self.no_code(self.rng.choice([502, 503, 504]))
            else:
                self.unmatched(self.fmt.junk(self.tick()))


def plain_kv(n, rng, out):
    """Fast path for the benchmark: kv request lines only, built from
    per-second prefixes and a few hundred prepared tails."""
    codes = ["-1"] * 90 + [c for c, w in REALISTIC_FAILURES for _ in range(max(1, w // 10))]
    tails = []
    for i in range(512):
        code = rng.choice(codes)
        method, path = rng.choice(ENDPOINTS)
        desc = DESC.get(code, DESC_1306_SAME_TIME)
        tails.append(
            (" INFO  [http-nio-8080-exec-%d] c.a.rewards.CvsClient - cvs_call method=%s "
             "endpoint=%s campaignId=%d httpStatus=200 responseCode=%s "
             'responseDesc="%s" latencyMs=%d\n'
             % (i % 12 + 1, method, path.replace("{id}", str(rng.randint(10, 99999))),
                rng.randint(1000, 99999), code, desc, rng.randint(20, 900))))
    ms = BASE_MS
    sec, prefix = None, ""
    chunk = []
    picks = rng.choices(range(len(tails)), k=n)
    gaps = rng.choices(range(0, 8), k=n)
    for i in range(n):
        ms += gaps[i]
        if ms // 1000 != sec:
            sec = ms // 1000
            prefix = utc(sec * 1000).strftime("%Y-%m-%d %H:%M:%S,")
        chunk.append("%s%03d%s" % (prefix, ms % 1000, tails[picks[i]]))
        if len(chunk) >= 65536:
            out.write("".join(chunk).encode())
            chunk = []
    out.write("".join(chunk).encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--format", choices=sorted(FORMATS), default="kv")
    ap.add_argument("--lines", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="output file (default: standard output)")
    ap.add_argument("--expect", help="write the expected scan counts (JSON) here")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--realistic", action="store_true")
    group.add_argument("--plain", action="store_true")
    args = ap.parse_args()
    if args.lines < 1:
        ap.error("--lines must be at least 1")
    rng = random.Random(args.seed)
    out = open(args.out, "wb") if args.out else sys.stdout.buffer
    try:
        if args.plain:
            if args.format != "kv" or args.expect:
                ap.error("--plain writes kv lines only, without --expect")
            plain_kv(args.lines, rng, out)
            return 0
        gen = Generator(FORMATS[args.format](rng, args.realistic), rng, out)
        if args.realistic:
            gen.realistic(args.lines)
        else:
            gen.torture(args.lines)
    finally:
        if args.out:
            out.close()
    if args.expect:
        with open(args.expect, "w") as f:
            json.dump(gen.expect.as_json(gen.nbytes), f, indent=1, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
