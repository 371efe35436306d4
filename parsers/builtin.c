/* builtin — the json, kv and nginx parsers, as static specs.
 *
 * Each keeps its main patterns to one cheap match per line: the first
 * finds the response code; the second, tried only when a line has no code,
 * finds the HTTP status so a 5xx without a code still counts (transport).
 * Everything else (description, time, dimensions, the status beside a
 * code) comes from field patterns that run only when a caller asks.
 * Possessive quantifiers keep quoted strings from backtracking, so a long
 * line costs one linear scan.  The tests are the formats' sample lines;
 * the unit tests run them with rcw_parser_run_tests. */
#include "parser.h"
#include "parser_internal.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A JSON string body: anything but a quote, or an escaped character. */
#define JSON_STR "(?:[^\"\\\\]++|\\\\.)*+"

/* --- json: one object a line, code as string or number, maybe nested ---- */

#define JSON_KEY(k) "\"" k "\"\\s*+:\\s*+"
#define JSON_STATUS JSON_KEY("(?:status|httpStatus|statusCode|http_status)") \
  "\"?+(?<status>\\d{3})(?!\\d)"

static struct rcw_pattern_spec json_patterns[] = {
  {.regex = JSON_KEY("responseCode") "\"?+(?<code>-?\\d++)"},
  {.regex = JSON_STATUS},
};

static struct rcw_field_spec json_fields[] = {
  {.name = "desc", .regex = JSON_KEY("responseDesc") "\"(?<desc>" JSON_STR ")\""},
  {.name = "ts", .regex = JSON_KEY("(?:ts|timestamp|@timestamp|time)") "\"(?<ts>[^\"]++)\""},
  {.name = "status", .regex = JSON_STATUS},
  {.name = "endpoint", .regex = JSON_KEY("(?:path|endpoint)") "\"(?<endpoint>[^\"?]*+)"},
  {.name = "campaign", .regex = JSON_KEY("campaignId") "\"(?<campaign>" JSON_STR ")\""},
  {.name = "campaign", .regex = JSON_KEY("campaignId") "(?<campaign>-?[\\w.]++)"},
  {.name = "api_id", .regex = JSON_KEY("apiId") "\"(?<api_id>" JSON_STR ")\""},
  {.name = "method", .regex = JSON_KEY("method") "\"(?<method>[A-Za-z]++)\""},
};

static char *json_dims[] = {"endpoint", "campaign", "api_id", "method"};

static struct rcw_parser_test json_tests[] = {
  {.line = "{\"ts\":\"2026-03-14T09:12:44.512+02:00\",\"level\":\"WARN\",\"method\":\"POST\","
           "\"path\":\"/cvs-issuer/rest/giftcards\",\"status\":200,\"latency_ms\":184,"
           "\"apiId\":\"AcmeProd\",\"campaignId\":9000,\"responseCode\":\"7101\","
           "\"responseDesc\":\"Amount to issue exceeds available float for campaign.\"}",
   .code = "7101", .status = "200", .category = "stock", .matched = true},
  {.line = "{\"response\":{\"responseCode\":1306,\"responseDesc\":\"Another request issued "
           "at the same time. Failing call.\"}}",
   .code = "1306", .category = "concurrency", .matched = true},
  {.line = "{\"responseCode\":\"-1\",\"responseDesc\":\"Successful\"}", .code = "-1",
   .category = "success", .matched = true},
  {.line = "{\"path\":\"/cvs-issuer/rest/coupons\",\"status\":503,\"latency_ms\":30001}",
   .status = "503", .category = "transport", .matched = true},
  {.line = "{\"level\":\"INFO\",\"msg\":\"started\"}", .matched = false},
};

/* --- kv: Logback key=value lines ------------------------------------------ */

#define KV_STATUS "\\b(?:httpStatus|status)=[\"']?+(?<status>\\d{3})(?!\\d)"

static struct rcw_pattern_spec kv_patterns[] = {
  {.regex = "responseCode=[\"']?+(?<code>-?\\d++)"},
  {.regex = KV_STATUS},
};

static struct rcw_field_spec kv_fields[] = {
  {.name = "desc", .regex = "\\bresponseDesc=\"(?<desc>" JSON_STR ")\""},
  {.name = "desc", .regex = "\\bresponseDesc='(?<desc>[^']*+)'"},
  {.name = "desc", .regex = "\\bresponseDesc=(?<desc>[^\\s\"']\\S*+)"},
  {.name = "ts", .regex = RCW_ISO_TS_REGEX},
  {.name = "status", .regex = KV_STATUS},
  {.name = "endpoint", .regex = "\\b(?:endpoint|path)=[\"']?+(?<endpoint>[^\\s\"'?]++)"},
  {.name = "campaign", .regex = "\\bcampaignId=[\"']?+(?<campaign>[^\\s\"']++)"},
  {.name = "method", .regex = "\\bmethod=[\"']?+(?<method>[A-Za-z]++)"},
};

static char *kv_dims[] = {"endpoint", "campaign", "method"};

static struct rcw_parser_test kv_tests[] = {
  {.line = "2026-03-14 09:12:44,512 INFO  [http-nio-8080-exec-7] c.a.rewards.CvsClient - "
           "cvs_call method=POST endpoint=/coupons campaignId=48184 httpStatus=200 "
           "responseCode=1209 responseDesc=\"User has reached the maximum allowed live "
           "coupons per user on campaign.\" latencyMs=97",
   .code = "1209", .status = "200", .category = "user_limit", .matched = true},
  {.line = "2026-03-14 09:12:45,001 INFO cvs_call responseCode=\"1306\" "
           "responseDesc=\"Required field missing\"",
   .code = "1306", .category = "validation", .matched = true},
  {.line = "2026-03-14 09:12:46,100 WARN cvs_call endpoint=/coupons httpStatus=502 latencyMs=3",
   .status = "502", .category = "transport", .matched = true},
  {.line = "2026-03-14 09:12:47,000 INFO c.a.App - started", .matched = false},
};

/* --- nginx: access log with the code copied into a trailing field --------- */

/* The first quoted field of the combined format is the request line; the
 * status is the number right after it. */
#define NGINX_REQUEST "^[^\"]*+\"(?:[^\"\\\\]++|\\\\.)*+\"\\s++"

static struct rcw_pattern_spec nginx_patterns[] = {
  {.regex = "\\bcvs_code=(?<code>-?\\d++)"},
  {.regex = NGINX_REQUEST "(?<status>\\d{3})(?!\\d).*\\bcvs_code=-(?!\\S)"},
};

static struct rcw_field_spec nginx_fields[] = {
  {.name = "status", .regex = NGINX_REQUEST "(?<status>\\d{3})(?!\\d)"},
  {.name = "ts", .regex = "\\[(?<ts>[^\\]]++)\\]"},
  {.name = "endpoint", .regex = "^[^\"]*+\"[A-Z]++\\s++(?<endpoint>[^\\s?\"]++)"},
  {.name = "method", .regex = "^[^\"]*+\"(?<method>[A-Z]++)\\s"},
  {.name = "api_id", .regex = "\\bapi_id=(?!-(?!\\S))(?<api_id>[^\\s\"]++)"},
};

static char *nginx_dims[] = {"endpoint", "method", "api_id"};

static struct rcw_parser_test nginx_tests[] = {
  {.line = "10.20.1.15 - - [14/Mar/2026:09:12:44 +0200] \"POST "
           "/cvs-issuer/rest/coupons?issueWiCode=true HTTP/1.1\" 200 412 \"okhttp/4.12.0\" "
           "rt=0.097 cvs_code=1204 api_id=AcmeProd",
   .code = "1204", .status = "200", .category = "stock", .matched = true},
  {.line = "10.20.1.15 - - [14/Mar/2026:09:12:45 +0200] \"GET /cvs-issuer/rest/coupons/77 "
           "HTTP/1.1\" 502 157 \"okhttp/4.12.0\" rt=30.001 cvs_code=- api_id=AcmeProd",
   .status = "502", .category = "transport", .matched = true},
  {.line = "10.20.1.15 - - [14/Mar/2026:09:12:46 +0200] \"GET /healthz HTTP/1.1\" 200 2 \"-\"",
   .matched = false},
};

/* --- the table ------------------------------------------------------------- */

static const struct rcw_parser_spec builtins[] = {
  {.name = "json",
   .patterns = json_patterns, .npatterns = COUNT(json_patterns),
   .fields = json_fields, .nfields = COUNT(json_fields),
   .time_format = "iso8601",
   .dimensions = json_dims, .ndimensions = COUNT(json_dims),
   .tests = json_tests, .ntests = COUNT(json_tests)},
  {.name = "kv",
   .patterns = kv_patterns, .npatterns = COUNT(kv_patterns),
   .fields = kv_fields, .nfields = COUNT(kv_fields),
   .time_format = "iso8601",
   .dimensions = kv_dims, .ndimensions = COUNT(kv_dims),
   .tests = kv_tests, .ntests = COUNT(kv_tests)},
  {.name = "nginx",
   .patterns = nginx_patterns, .npatterns = COUNT(nginx_patterns),
   .fields = nginx_fields, .nfields = COUNT(nginx_fields),
   .time_format = "%d/%b/%Y:%H:%M:%S %z",
   .dimensions = nginx_dims, .ndimensions = COUNT(nginx_dims),
   .tests = nginx_tests, .ntests = COUNT(nginx_tests)},
};

size_t rcw_builtin_parser_count(void)
{
  return COUNT(builtins);
}

const struct rcw_parser_spec *rcw_builtin_parser(size_t i)
{
  return i < COUNT(builtins) ? &builtins[i] : NULL;
}

const struct rcw_parser_spec *rcw_builtin_parser_find(const char *name)
{
  for (size_t i = 0; name && i < COUNT(builtins); i++)
    if (strcmp(builtins[i].name, name) == 0)
      return &builtins[i];
  return NULL;
}
