/* The embedded Issuer API catalog (CONTRACT §3).  Descriptions are the
 * published texts with surrounding blanks trimmed; categories group codes
 * by cause, because the cause is what the person paged needs to know. */
#include "catalog_data.h"

/* Default severities follow who has to act and how soon:
 * - critical: every call (auth, transport), every call of a kind
 *   (platform) or every issue of a campaign (stock) fails, and only an
 *   operator can fix it;
 * - warning: a systematic fault on the caller's side (webuser_auth,
 *   config, campaign_window, validation), a retry storm (concurrency) or
 *   a code nobody has classified yet (unknown): it needs a look today;
 * - info: the call worked (success) or the end user is the cause
 *   (user_limit, not_found): only a spike is interesting, and a rule can
 *   raise its severity for that. */
/* Descriptions stay within 53 columns so `rcwatch codes` fits a terminal:
 * what broke, and where a spike points. */
const struct rcw_seed_category rcw_seed_categories[] = {
  {"success", "The call worked", RCW_SEV_INFO},
  {"auth", "API credentials wrong or inactive: every call fails", RCW_SEV_CRITICAL},
  {"webuser_auth", "Issuer web-user login wrong, inactive or not linked", RCW_SEV_WARNING},
  {"config", "Campaign or channel set-up does not match the caller", RCW_SEV_WARNING},
  {"campaign_window", "Campaign offered outside its issuing window", RCW_SEV_WARNING},
  {"stock", "Campaign cap, daily cap or float used up: top it up", RCW_SEV_CRITICAL},
  {"user_limit", "Users not eligible or at limits; a spike means abuse", RCW_SEV_INFO},
  {"validation", "Malformed requests: a caller bug, often a new deploy", RCW_SEV_WARNING},
  {"not_found", "Stale ids or used items; a spike means a sync problem", RCW_SEV_INFO},
  {"platform", "The platform could not produce or link wiCodes", RCW_SEV_CRITICAL},
  {"concurrency", "Duplicate or parallel request: a retry storm", RCW_SEV_WARNING},
  {"transport", "HTTP 5xx without a code: the API is down or failing", RCW_SEV_CRITICAL},
  {"unknown", "Code not in the catalog: find out and add it", RCW_SEV_WARNING},
};
const size_t rcw_seed_ncategories = sizeof(rcw_seed_categories) / sizeof(rcw_seed_categories[0]);

const struct rcw_seed_code rcw_seed_codes[] = {
  {"-1", "success", "Successful", NULL},
  {"1000", "auth", "Interface Authentication Failed. Account does not exist.", NULL},
  {"1001", "auth", "Interface Authentication Failed. Invalid password.", NULL},
  {"1002", "auth", "Interface Authentication Failed. Interface account not activated.", NULL},
  {"1003", "auth", "Interface Authentication Failed. Issuer account not activated.", NULL},
  {"1004", "webuser_auth", "Issuer Webuser Authentication Failed. Account does not exist.", NULL},
  {"1005", "webuser_auth", "Issuer Webuser Authentication Failed. Invalid password.", NULL},
  {"1006", "webuser_auth",
   "Issuer Webuser Authentication Failed. Issuer webuser not activated.", NULL},
  {"1007", "webuser_auth",
   "Issuer Webuser Authentication Failed. Issuer webuser not linked to interface issuer.",
   NULL},
  {"1008", "auth", "Interface Authentication Failed. Credentials missing.", NULL},
  {"1200", "config", "Campaign does not exist.", NULL},
  {"1201", "config", "Campaign is not active.", NULL},
  {"1202", "campaign_window", "Campaign not yet active for issuing vouchers.", NULL},
  {"1203", "campaign_window",
   "Campaign issuing window closed. No more vouchers can be issued.", NULL},
  {"1204", "stock", "Campaign has reached its max available.", NULL},
  {"1205", "validation", "The campaign requires an user id to issue voucher to.", NULL},
  {"1206", "config", "Campaign not linked to channel.", NULL},
  {"1207", "config", "Campaign not linked to channel.", NULL},
  {"1208", "stock", "No more coupons available.", NULL},
  {"1209", "user_limit",
   "User has reached the maximum allowed live coupons per user on campaign.", NULL},
  {"1210", "user_limit", "User has reached the maximum allowed coupons per user on campaign.",
   NULL},
  {"1211", "user_limit", "Campaign is open to selected users only.", NULL},
  {"1212", "config", "There is no SMS account linked. Cannot issue SMS voucher.", NULL},
  {"1213", "stock", "No more coupons available for today.", NULL},
  {"1214", "config", "This is not a coupon campaign.", NULL},
  {"1215", "not_found", "Transaction coupon does not exist.", NULL},
  {"1216", "not_found", "Coupon does not exist.", NULL},
  {"1250", "validation",
   "Invalid voucher phase specified. Must be LIVE, REDEEMED, or EXPIRED.", NULL},
  {"1251", "validation", "Invalid campaign type specified.", NULL},
  {"1300", "platform", "No valid wiCodes found.", NULL},
  {"1301", "platform", "Could not link voucher infos.", NULL},
  {"1303", "not_found", "Invalid wiCode.", NULL},
  {"1304", "not_found", "No vouchers found for User.", NULL},
  {"1305", "validation", "Invalid campaign type specified.", NULL},
  /* Two meanings under one code in the source table: the logged
   * description tells them apart, and a request missing a field is the
   * likelier reading when there is none. */
  {"1306", "concurrency", "Another request issued at the same time. Failing call.",
   "same time"},
  {"1306", "validation", "Required field missing", NULL},
  {"1307", "validation", "Required field in voucherInfo missing", NULL},
  {"1308", "not_found", "Coupon does not exist.", NULL},
  {"1309", "not_found", "Coupon cannot be expired as it has already been redeemed.", NULL},
  {"1310", "not_found", "Coupon already expired.", NULL},
  /* The source row runs 1312's text into this one; 1312 has its own row. */
  {"1311", "validation", "You must specify something to redeem.", NULL},
  {"1312", "not_found", "User does not have a valid token.", NULL},
  {"1500", "validation", "Invalid campaign phase specified. Must be CURRENT, TODAY, PENDING.",
   NULL},
  {"1501", "validation", "Invalid campaign type specified.", NULL},
  {"1550", "validation",
   "Latitude and Longitude values are required in order to sort by distance.", NULL},
  {"1600", "config", "Invalid channel group id specified.", NULL},
  {"2100", "not_found", "Invalid wicode", NULL},
  {"2303", "not_found", "Mobile Number not Registered", NULL},
  {"7100", "config", "This is not a giftcard campaign.", NULL},
  {"7101", "stock", "Amount to issue exceeds available float for campaign.", NULL},
  {"7102", "validation", "Amount to issue exceeds maximum allowable amount to issue.", NULL},
  {"7103", "validation", "Amount to issue is less than minimum allowable amount to issue.",
   NULL},
  {"7104", "validation", "The campaign requires an user id to issue giftcard to.", NULL},
  {"7105", "stock", "No more giftcard available.", NULL},
  {"7106", "user_limit", "User has reached the maximum allowed giftcards per user on campaign.",
   NULL},
  {"7107", "not_found", "Giftcard does not exist.", NULL},
  {"7108", "config", "Giftcards cannot be issued with SMS.", NULL},
  {"7109", "config", "The campaign does not allow channel to specify expiry days.", NULL},
  {"7110", "config", "The campaign does not allow the requested expiry days.", NULL},
  {"7111", "validation", "Amount to issue invalid.", NULL},
};
const size_t rcw_seed_ncodes = sizeof(rcw_seed_codes) / sizeof(rcw_seed_codes[0]);
