/* Unit tests for the catalog: the embedded table, code normalisation,
 * 1306's two meanings, unknown codes and their cap, HTTP status entries,
 * and merging a user catalog. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"

/* The published table (issuer-response-codes.md), written out here so the
 * test depends on nothing outside the repository.  1306 is tested apart. */
static const struct {
  const char *code, *category, *description;
} expected[] = {
  {"-1", "success", "Successful"},
  {"1000", "auth", "Interface Authentication Failed. Account does not exist."},
  {"1001", "auth", "Interface Authentication Failed. Invalid password."},
  {"1002", "auth", "Interface Authentication Failed. Interface account not activated."},
  {"1003", "auth", "Interface Authentication Failed. Issuer account not activated."},
  {"1004", "webuser_auth", "Issuer Webuser Authentication Failed. Account does not exist."},
  {"1005", "webuser_auth", "Issuer Webuser Authentication Failed. Invalid password."},
  {"1006", "webuser_auth", "Issuer Webuser Authentication Failed. Issuer webuser not activated."},
  {"1007", "webuser_auth", "Issuer Webuser Authentication Failed. Issuer webuser not linked to "
                           "interface issuer."},
  {"1008", "auth", "Interface Authentication Failed. Credentials missing."},
  {"1200", "config", "Campaign does not exist."},
  {"1201", "config", "Campaign is not active."},
  {"1202", "campaign_window", "Campaign not yet active for issuing vouchers."},
  {"1203", "campaign_window", "Campaign issuing window closed. No more vouchers can be issued."},
  {"1204", "stock", "Campaign has reached its max available."},
  {"1205", "validation", "The campaign requires an user id to issue voucher to."},
  {"1206", "config", "Campaign not linked to channel."},
  {"1207", "config", "Campaign not linked to channel."},
  {"1208", "stock", "No more coupons available."},
  {"1209", "user_limit", "User has reached the maximum allowed live coupons per user on campaign."},
  {"1210", "user_limit", "User has reached the maximum allowed coupons per user on campaign."},
  {"1211", "user_limit", "Campaign is open to selected users only."},
  {"1212", "config", "There is no SMS account linked. Cannot issue SMS voucher."},
  {"1213", "stock", "No more coupons available for today."},
  {"1214", "config", "This is not a coupon campaign."},
  {"1215", "not_found", "Transaction coupon does not exist."},
  {"1216", "not_found", "Coupon does not exist."},
  {"1250", "validation", "Invalid voucher phase specified. Must be LIVE, REDEEMED, or EXPIRED."},
  {"1251", "validation", "Invalid campaign type specified."},
  {"1300", "platform", "No valid wiCodes found."},
  {"1301", "platform", "Could not link voucher infos."},
  {"1303", "not_found", "Invalid wiCode."},
  {"1304", "not_found", "No vouchers found for User."},
  {"1305", "validation", "Invalid campaign type specified."},
  {"1307", "validation", "Required field in voucherInfo missing"},
  {"1308", "not_found", "Coupon does not exist."},
  {"1309", "not_found", "Coupon cannot be expired as it has already been redeemed."},
  {"1310", "not_found", "Coupon already expired."},
  {"1311", "validation", "You must specify something to redeem."},
  {"1312", "not_found", "User does not have a valid token."},
  {"1500", "validation", "Invalid campaign phase specified. Must be CURRENT, TODAY, PENDING."},
  {"1501", "validation", "Invalid campaign type specified."},
  {"1550", "validation", "Latitude and Longitude values are required in order to sort by "
                         "distance."},
  {"1600", "config", "Invalid channel group id specified."},
  {"2100", "not_found", "Invalid wicode"},
  {"2303", "not_found", "Mobile Number not Registered"},
  {"7100", "config", "This is not a giftcard campaign."},
  {"7101", "stock", "Amount to issue exceeds available float for campaign."},
  {"7102", "validation", "Amount to issue exceeds maximum allowable amount to issue."},
  {"7103", "validation", "Amount to issue is less than minimum allowable amount to issue."},
  {"7104", "validation", "The campaign requires an user id to issue giftcard to."},
  {"7105", "stock", "No more giftcard available."},
  {"7106", "user_limit", "User has reached the maximum allowed giftcards per user on campaign."},
  {"7107", "not_found", "Giftcard does not exist."},
  {"7108", "config", "Giftcards cannot be issued with SMS."},
  {"7109", "config", "The campaign does not allow channel to specify expiry days."},
  {"7110", "config", "The campaign does not allow the requested expiry days."},
  {"7111", "validation", "Amount to issue invalid."},
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static int setup(void **state)
{
  *state = rcw_catalog_new_default();
  return *state ? 0 : -1;
}

static int teardown(void **state)
{
  rcw_catalog_free(*state);
  return 0;
}

static uint32_t classify(rcw_catalog *c, const char *code, const char *desc, bool *is_new)
{
  return rcw_catalog_classify(c, code, strlen(code), desc, desc ? strlen(desc) : 0, is_new);
}

static const char *category_of(const rcw_catalog *c, uint32_t id)
{
  return rcw_catalog_category(c, rcw_catalog_entry(c, id)->category)->name;
}

static void test_every_code(void **state)
{
  rcw_catalog *c = *state;
  for (size_t i = 0; i < NEXPECTED; i++) {
    bool is_new = true;
    uint32_t id = classify(c, expected[i].code, NULL, &is_new);
    assert_int_not_equal(id, RCW_ENTRY_NONE);
    const struct rcw_entry *e = rcw_catalog_entry(c, id);
    assert_string_equal(e->code, expected[i].code);
    assert_string_equal(category_of(c, id), expected[i].category);
    assert_string_equal(e->description, expected[i].description);
    assert_true(e->known);
    assert_false(is_new);
    assert_int_equal(e->success, strcmp(expected[i].code, "-1") == 0);
  }
  /* The table plus 1306's two meanings, and nothing else (no 1302). */
  assert_int_equal(rcw_catalog_entry_count(c), NEXPECTED + 2);
  bool is_new = false;
  uint32_t id = classify(c, "1302", NULL, &is_new);
  assert_true(is_new);
  assert_false(rcw_catalog_entry(c, id)->known);
}

static void test_1306_by_description(void **state)
{
  rcw_catalog *c = *state;
  assert_true(rcw_catalog_needs_desc(c, "1306", 4));
  assert_true(rcw_catalog_needs_desc(c, "\"01306\"", 7));
  assert_false(rcw_catalog_needs_desc(c, "1204", 4));
  assert_false(rcw_catalog_needs_desc(c, "4242", 4));

  uint32_t busy = classify(c, "1306", "Another request issued at the same time. Failing call.", NULL);
  uint32_t missing = classify(c, "1306", "Required field missing", NULL);
  uint32_t other = classify(c, "1306", "Something else entirely", NULL);
  uint32_t none = classify(c, "1306", NULL, NULL);
  assert_string_equal(category_of(c, busy), "concurrency");
  assert_string_equal(rcw_catalog_entry(c, busy)->description,
                      "Another request issued at the same time. Failing call.");
  assert_string_equal(category_of(c, missing), "validation");
  assert_string_equal(rcw_catalog_entry(c, missing)->description, "Required field missing");
  assert_int_equal(other, missing);
  assert_int_equal(none, missing);
  assert_int_not_equal(busy, missing);
  /* Loggers differ in case; the match does not. */
  assert_int_equal(classify(c, "1306", "ANOTHER REQUEST AT THE SAME TIME", NULL), busy);
  /* The description is a slice of the line, not NUL-terminated. */
  const char *line = "same time";
  assert_int_equal(rcw_catalog_classify(c, "1306", 4, line, 4, NULL), missing);
}

static void test_numeric_normalisation(void **state)
{
  rcw_catalog *c = *state;
  uint32_t id = classify(c, "1204", NULL, NULL);
  assert_int_equal(classify(c, "01204", NULL, NULL), id);
  assert_int_equal(classify(c, "0001204", NULL, NULL), id);
  assert_int_equal(classify(c, "\"1204\"", NULL, NULL), id);
  assert_int_equal(rcw_catalog_classify(c, "1204,\"x\"", 4, NULL, 0, NULL), id);
  uint32_t ok = classify(c, "-1", NULL, NULL);
  assert_true(rcw_catalog_entry(c, ok)->success);
  assert_string_equal(category_of(c, ok), "success");
  assert_int_equal(classify(c, "-01", NULL, NULL), ok);
  assert_int_equal(classify(c, "\"-1\"", NULL, NULL), ok);
  /* Zero has one spelling whatever the sign. */
  assert_int_equal(classify(c, "-0", NULL, NULL), classify(c, "000", NULL, NULL));
  assert_string_equal(rcw_catalog_entry(c, classify(c, "-0", NULL, NULL))->code, "0");
}

static void test_invalid_codes(void **state)
{
  rcw_catalog *c = *state;
  static const char *const bad[] = {"", "\"\"", " 1204", "12 04", "-", "--", "\"1204",
                                    "12\"04", "a/b", "x\ny", "_", "1204;rm"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(classify(c, bad[i], NULL, NULL), RCW_ENTRY_NONE);
  char longest[RCW_CODE_MAX_LEN + 2];
  memset(longest, '7', RCW_CODE_MAX_LEN);
  longest[RCW_CODE_MAX_LEN] = '\0';
  assert_int_not_equal(classify(c, longest, NULL, NULL), RCW_ENTRY_NONE);
  strcat(longest, "7");
  assert_int_equal(classify(c, longest, NULL, NULL), RCW_ENTRY_NONE);
  assert_int_equal(rcw_catalog_classify(c, NULL, 0, NULL, 0, NULL), RCW_ENTRY_NONE);
}

static void test_unknown_code(void **state)
{
  rcw_catalog *c = *state;
  size_t before = rcw_catalog_entry_count(c);
  bool is_new = false;
  uint32_t id = classify(c, "4242", NULL, &is_new);
  assert_true(is_new);
  const struct rcw_entry *e = rcw_catalog_entry(c, id);
  assert_string_equal(e->code, "4242");
  assert_string_equal(category_of(c, id), "unknown");
  assert_string_equal(e->description, "Code not in the catalog");
  assert_false(e->known);
  assert_false(e->success);
  assert_int_equal(id, before); /* ids are dense */
  assert_int_equal(classify(c, "04242", NULL, &is_new), id);
  assert_false(is_new);
  /* Codes outside the numeric fast path and named codes behave the same. */
  uint32_t big = classify(c, "123456789012", NULL, &is_new);
  assert_true(is_new);
  assert_int_equal(classify(c, "000123456789012", NULL, &is_new), big);
  assert_false(is_new);
  uint32_t named = classify(c, "ERR_TIMEOUT", NULL, &is_new);
  assert_true(is_new);
  assert_string_equal(rcw_catalog_entry(c, named)->code, "ERR_TIMEOUT");
  assert_int_equal(classify(c, "ERR_TIMEOUT", NULL, &is_new), named);
  assert_false(is_new);
  assert_int_not_equal(classify(c, "err_timeout", NULL, NULL), named);
  uint32_t minus = classify(c, "-5", NULL, &is_new);
  assert_true(is_new);
  assert_string_equal(rcw_catalog_entry(c, minus)->code, "-5");
  assert_int_equal(rcw_catalog_entry_count(c), before + 5);
}

static void test_unknown_cap(void **state)
{
  rcw_catalog *c = *state;
  rcw_catalog_set_max_unknown(c, 3);
  static const char *const codes[] = {"5001", "5002", "5003", "5004", "X-5", "5004"};
  uint32_t ids[6];
  bool is_new[6];
  for (size_t i = 0; i < 6; i++)
    ids[i] = classify(c, codes[i], NULL, &is_new[i]);
  assert_true(is_new[0] && is_new[1] && is_new[2]);
  const struct rcw_entry *other = rcw_catalog_entry(c, ids[3]);
  assert_string_equal(other->code, "_other");
  assert_string_equal(category_of(c, ids[3]), "unknown");
  assert_true(is_new[3]); /* _other itself is new once */
  assert_int_equal(ids[4], ids[3]);
  assert_false(is_new[4]);
  assert_int_equal(ids[5], ids[3]);
  assert_int_equal(rcw_catalog_unknown_overflow(c), 3);
  /* Known codes are not affected by the cap. */
  assert_string_equal(category_of(c, classify(c, "1204", NULL, NULL)), "stock");
  /* Earlier unknown codes keep their own entries. */
  assert_int_equal(classify(c, "5002", NULL, NULL), ids[1]);
}

static void test_entries_do_not_move(void **state)
{
  rcw_catalog *c = *state;
  const struct rcw_entry *e1204 = rcw_catalog_entry(c, classify(c, "1204", NULL, NULL));
  uint32_t first = classify(c, "100000", NULL, NULL);
  const struct rcw_entry *efirst = rcw_catalog_entry(c, first);
  for (int i = 1; i < 900; i++) {
    char code[16];
    snprintf(code, sizeof(code), "%d", 100000 + i);
    assert_int_equal(classify(c, code, NULL, NULL), first + (uint32_t)i);
  }
  assert_ptr_equal(rcw_catalog_entry(c, classify(c, "1204", NULL, NULL)), e1204);
  assert_ptr_equal(rcw_catalog_entry(c, first), efirst);
  assert_string_equal(efirst->code, "100000");
  assert_null(rcw_catalog_entry(c, (uint32_t)rcw_catalog_entry_count(c)));
}

static void test_http_status(void **state)
{
  rcw_catalog *c = *state;
  uint32_t id = rcw_catalog_classify_status(c, 503);
  const struct rcw_entry *e = rcw_catalog_entry(c, id);
  assert_string_equal(e->code, "http_503");
  assert_string_equal(category_of(c, id), "transport");
  assert_string_equal(e->description, "HTTP 503 with no response code");
  assert_false(e->success);
  assert_int_equal(rcw_catalog_classify_status(c, 503), id);
  assert_int_equal(classify(c, "http_503", NULL, NULL), id);
  assert_int_not_equal(rcw_catalog_classify_status(c, 502), id);
  assert_int_equal(rcw_catalog_classify_status(c, 42), RCW_ENTRY_NONE);
  assert_int_equal(rcw_catalog_classify_status(c, 1000), RCW_ENTRY_NONE);
}

static void test_categories(void **state)
{
  rcw_catalog *c = *state;
  static const struct {
    const char *name;
    enum rcw_severity sev;
  } cats[] = {
    {"success", RCW_SEV_INFO},         {"auth", RCW_SEV_CRITICAL},
    {"webuser_auth", RCW_SEV_WARNING}, {"config", RCW_SEV_WARNING},
    {"campaign_window", RCW_SEV_WARNING}, {"stock", RCW_SEV_CRITICAL},
    {"user_limit", RCW_SEV_INFO},      {"validation", RCW_SEV_WARNING},
    {"not_found", RCW_SEV_INFO},       {"platform", RCW_SEV_CRITICAL},
    {"concurrency", RCW_SEV_WARNING},  {"transport", RCW_SEV_CRITICAL},
    {"unknown", RCW_SEV_WARNING},
  };
  assert_int_equal(rcw_catalog_category_count(c), sizeof(cats) / sizeof(cats[0]));
  for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
    uint32_t id = rcw_catalog_category_id(c, cats[i].name);
    assert_int_not_equal(id, RCW_ENTRY_NONE);
    const struct rcw_category *cat = rcw_catalog_category(c, id);
    assert_string_equal(cat->name, cats[i].name);
    assert_int_equal(cat->severity, cats[i].sev);
    assert_true(strlen(cat->description) > 10);
  }
  assert_int_equal(rcw_catalog_category_id(c, "nope"), RCW_ENTRY_NONE);
  assert_null(rcw_catalog_category(c, 99));
}

static void test_user_merge(void **state)
{
  rcw_catalog *c = *state;
  size_t nentries = rcw_catalog_entry_count(c);
  assert_int_equal(rcw_catalog_set_category(c, "fraud", "Suspected abuse", RCW_SEV_CRITICAL), 0);
  assert_int_equal(rcw_catalog_set_code(c, "1204", "fraud", "Capped by us"), 0);
  uint32_t id = classify(c, "1204", NULL, NULL);
  assert_string_equal(category_of(c, id), "fraud");
  assert_string_equal(rcw_catalog_entry(c, id)->description, "Capped by us");
  /* No description given: the code keeps its text. */
  assert_int_equal(rcw_catalog_set_code(c, "1001", "fraud", NULL), 0);
  assert_string_equal(rcw_catalog_entry(c, classify(c, "1001", NULL, NULL))->description,
                      "Interface Authentication Failed. Invalid password.");
  /* A new code, written with leading zeros in the config. */
  assert_int_equal(rcw_catalog_set_code(c, "08000", "stock", "Regional cap reached"), 0);
  bool is_new = true;
  uint32_t added = classify(c, "8000", NULL, &is_new);
  assert_false(is_new);
  assert_true(rcw_catalog_entry(c, added)->known);
  assert_string_equal(category_of(c, added), "stock");
  assert_int_equal(rcw_catalog_entry_count(c), nentries + 1);
  /* Errors. */
  assert_int_equal(rcw_catalog_set_code(c, "1205", "nope", "x"), -ENOENT);
  assert_int_equal(rcw_catalog_set_code(c, "12 05", "stock", "x"), -EINVAL);
  assert_int_equal(rcw_catalog_set_category(c, "", "x", RCW_SEV_INFO), -EINVAL);
  assert_int_equal(rcw_catalog_set_category(c, "bad name", "x", RCW_SEV_INFO), -EINVAL);
  /* Redefining a category changes it in place. */
  uint32_t auth = rcw_catalog_category_id(c, "auth");
  assert_int_equal(rcw_catalog_set_category(c, "auth", "Ours", RCW_SEV_INFO), 0);
  assert_int_equal(rcw_catalog_category_id(c, "auth"), auth);
  assert_string_equal(rcw_catalog_category(c, auth)->description, "Ours");
  assert_int_equal(rcw_catalog_category(c, auth)->severity, RCW_SEV_INFO);
}

static void test_set_code_replaces_meanings(void **state)
{
  rcw_catalog *c = *state;
  uint32_t busy = classify(c, "1306", "at the same time", NULL);
  uint32_t missing = classify(c, "1306", NULL, NULL);
  assert_int_equal(rcw_catalog_set_code(c, "1306", "concurrency", "Duplicate submit"), 0);
  assert_false(rcw_catalog_needs_desc(c, "1306", 4));
  uint32_t a = classify(c, "1306", "at the same time", NULL);
  uint32_t b = classify(c, "1306", "Required field missing", NULL);
  assert_int_equal(a, b);
  assert_int_equal(a, busy); /* the code keeps its first id */
  const struct rcw_entry *e = rcw_catalog_entry(c, a);
  assert_string_equal(e->description, "Duplicate submit");
  assert_null(e->desc_match);
  assert_false(e->replaced);
  assert_true(rcw_catalog_entry(c, missing)->replaced);
}

/* A config or a loaded report can give a code a second meaning, as the
 * embedded table does for 1306; the first meaning stays the fallback. */
static void test_add_meaning(void **state)
{
  rcw_catalog *c = *state;
  uint32_t cap = classify(c, "1204", NULL, NULL);
  size_t before = rcw_catalog_entry_count(c);
  assert_int_equal(rcw_catalog_add_meaning(c, "1204", "config", "Campaign cap not set up",
                                           "not set up"), 0);
  assert_int_equal(rcw_catalog_entry_count(c), before + 1);
  uint32_t setup = (uint32_t)before;
  assert_true(rcw_catalog_needs_desc(c, "1204", 4));
  assert_int_equal(classify(c, "1204", "The cap is NOT SET UP yet", NULL), setup);
  assert_int_equal(classify(c, "1204", "Campaign has reached its max available.", NULL), cap);
  assert_int_equal(classify(c, "1204", NULL, NULL), cap);
  const struct rcw_entry *e = rcw_catalog_entry(c, setup);
  assert_string_equal(e->code, "1204");
  assert_string_equal(category_of(c, setup), "config");
  assert_string_equal(e->description, "Campaign cap not set up");
  assert_string_equal(e->desc_match, "not set up");
  assert_true(e->known);
  assert_false(e->success);

  /* A third meaning of 1306 beside the table's two. */
  assert_int_equal(rcw_catalog_add_meaning(c, "1306", "platform", "Lock timeout", "lock"), 0);
  uint32_t lock = (uint32_t)rcw_catalog_entry_count(c) - 1;
  assert_int_equal(classify(c, "1306", "row lock wait", NULL), lock);
  assert_string_equal(category_of(c, classify(c, "1306", "same time", NULL)), "concurrency");
  assert_string_equal(category_of(c, classify(c, "1306", NULL, NULL)), "validation");

  /* Redefining the code drops every further meaning again. */
  assert_int_equal(rcw_catalog_set_code(c, "1204", "stock", NULL), 0);
  assert_true(rcw_catalog_entry(c, setup)->replaced);
  assert_int_equal(classify(c, "1204", "not set up", NULL), cap);

  size_t n = rcw_catalog_entry_count(c);
  assert_int_equal(rcw_catalog_add_meaning(c, "1204", "stock", "x", ""), -EINVAL);
  assert_int_equal(rcw_catalog_add_meaning(c, "1204", "stock", "x", NULL), -EINVAL);
  assert_int_equal(rcw_catalog_add_meaning(c, "12 04", "stock", "x", "y"), -EINVAL);
  assert_int_equal(rcw_catalog_add_meaning(c, "1204", "no_such", "x", "y"), -ENOENT);
  assert_int_equal(rcw_catalog_add_meaning(c, "9009", "stock", "x", "y"), -ENOENT);
  assert_int_equal(rcw_catalog_entry_count(c), n);
}

static void test_an_unknown_code_defined_later(void **state)
{
  rcw_catalog *c = *state;
  rcw_catalog_set_max_unknown(c, 1);
  uint32_t id = classify(c, "9001", NULL, NULL);
  assert_int_equal(rcw_catalog_set_code(c, "9001", "stock", "Now known"), 0);
  assert_int_equal(classify(c, "9001", NULL, NULL), id);
  assert_true(rcw_catalog_entry(c, id)->known);
  /* Its unknown slot is free again. */
  bool is_new = false;
  uint32_t next = classify(c, "9002", NULL, &is_new);
  assert_true(is_new);
  assert_string_equal(rcw_catalog_entry(c, next)->code, "9002");
}

static void test_set_success(void **state)
{
  rcw_catalog *c = *state;
  const char *const codes[] = {"-1", "0", "1204"};
  assert_int_equal(rcw_catalog_set_success(c, codes, 3), 0);
  uint32_t zero = classify(c, "0", NULL, NULL);
  assert_true(rcw_catalog_entry(c, zero)->success);
  assert_true(rcw_catalog_entry(c, zero)->known);
  assert_string_equal(category_of(c, zero), "success");
  uint32_t cap = classify(c, "1204", NULL, NULL);
  assert_true(rcw_catalog_entry(c, cap)->success);
  assert_string_equal(category_of(c, cap), "stock");
  assert_true(rcw_catalog_entry(c, classify(c, "-1", NULL, NULL))->success);

  const char *const only[] = {"00"};
  assert_int_equal(rcw_catalog_set_success(c, only, 1), 0);
  assert_false(rcw_catalog_entry(c, classify(c, "-1", NULL, NULL))->success);
  assert_false(rcw_catalog_entry(c, cap)->success);
  assert_true(rcw_catalog_entry(c, zero)->success);
  /* Codes defined afterwards take their success from the set. */
  assert_int_equal(rcw_catalog_set_code(c, "0", "success", "OK"), 0);
  assert_true(rcw_catalog_entry(c, zero)->success);
  const char *const bad[] = {"1 2"};
  assert_int_equal(rcw_catalog_set_success(c, bad, 1), -EINVAL);
}

static void test_empty_catalog(void **state)
{
  (void)state;
  rcw_catalog *c = rcw_catalog_new_empty();
  assert_non_null(c);
  assert_int_equal(rcw_catalog_category_count(c), 3);
  assert_int_not_equal(rcw_catalog_category_id(c, "success"), RCW_ENTRY_NONE);
  assert_int_not_equal(rcw_catalog_category_id(c, "transport"), RCW_ENTRY_NONE);
  assert_int_not_equal(rcw_catalog_category_id(c, "unknown"), RCW_ENTRY_NONE);
  assert_int_equal(rcw_catalog_entry_count(c), 1);
  uint32_t ok = classify(c, "-1", NULL, NULL);
  assert_true(rcw_catalog_entry(c, ok)->success);
  bool is_new = false;
  uint32_t id = classify(c, "1204", NULL, &is_new);
  assert_true(is_new);
  assert_string_equal(category_of(c, id), "unknown");
  assert_int_equal(rcw_catalog_set_code(c, "1205", "auth", "x"), -ENOENT);
  assert_int_equal(rcw_catalog_set_category(c, "mine", "Our codes", RCW_SEV_WARNING), 0);
  assert_int_equal(rcw_catalog_set_code(c, "77", "mine", "Ours"), 0);
  assert_string_equal(category_of(c, classify(c, "77", NULL, NULL)), "mine");
  assert_string_equal(category_of(c, rcw_catalog_classify_status(c, 500)), "transport");
  rcw_catalog_free(c);
  rcw_catalog_free(NULL);
}

static void test_severity_names(void **state)
{
  (void)state;
  enum rcw_severity s = RCW_SEV_INFO;
  assert_int_equal(rcw_severity_parse("critical", &s), 0);
  assert_int_equal(s, RCW_SEV_CRITICAL);
  assert_int_equal(rcw_severity_parse("warning", &s), 0);
  assert_int_equal(s, RCW_SEV_WARNING);
  assert_int_equal(rcw_severity_parse("info", &s), 0);
  assert_int_equal(s, RCW_SEV_INFO);
  assert_int_equal(rcw_severity_parse("Critical", &s), -EINVAL);
  assert_int_equal(rcw_severity_parse(NULL, &s), -EINVAL);
  assert_string_equal(rcw_severity_name(RCW_SEV_CRITICAL), "critical");
  assert_string_equal(rcw_severity_name(RCW_SEV_WARNING), "warning");
  assert_string_equal(rcw_severity_name(RCW_SEV_INFO), "info");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_every_code),
    T(test_1306_by_description),
    T(test_numeric_normalisation),
    T(test_invalid_codes),
    T(test_unknown_code),
    T(test_unknown_cap),
    T(test_entries_do_not_move),
    T(test_http_status),
    T(test_categories),
    T(test_user_merge),
    T(test_set_code_replaces_meanings),
    T(test_add_meaning),
    T(test_an_unknown_code_defined_later),
    T(test_set_success),
    cmocka_unit_test(test_empty_catalog),
    cmocka_unit_test(test_severity_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
