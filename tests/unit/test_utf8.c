/* utf8: the validator every text output relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

static size_t dec(const char *s, size_t len, uint32_t *cp)
{
  return rcw_utf8_decode((const unsigned char *)s, len, cp);
}

static void test_well_formed(void **state)
{
  (void)state;
  uint32_t cp;
  assert_int_equal(dec("A", 1, &cp), 1);
  assert_int_equal(cp, 'A');
  assert_int_equal(dec("\xC3\xA9", 2, &cp), 2); /* é */
  assert_int_equal(cp, 0xE9);
  assert_int_equal(dec("\xE2\x82\xAC", 3, &cp), 3); /* € */
  assert_int_equal(cp, 0x20AC);
  assert_int_equal(dec("\xF0\x9F\x98\x80", 4, &cp), 4); /* U+1F600 */
  assert_int_equal(cp, 0x1F600);
  assert_int_equal(dec("\xF4\x8F\xBF\xBF", 4, &cp), 4); /* U+10FFFF, the last */
  assert_int_equal(cp, 0x10FFFF);
  assert_int_equal(dec("\xED\x9F\xBF", 3, NULL), 3); /* U+D7FF, just below surrogates */
}

static void test_ill_formed(void **state)
{
  (void)state;
  assert_int_equal(dec("\x80", 1, NULL), 0);             /* lone continuation */
  assert_int_equal(dec("\xC0\xAF", 2, NULL), 0);         /* overlong '/' */
  assert_int_equal(dec("\xC1\xBF", 2, NULL), 0);         /* overlong */
  assert_int_equal(dec("\xE0\x80\xAF", 3, NULL), 0);     /* overlong, 3 bytes */
  assert_int_equal(dec("\xF0\x80\x80\xAF", 4, NULL), 0); /* overlong, 4 bytes */
  assert_int_equal(dec("\xED\xA0\x80", 3, NULL), 0);     /* surrogate U+D800 */
  assert_int_equal(dec("\xF4\x90\x80\x80", 4, NULL), 0); /* past U+10FFFF */
  assert_int_equal(dec("\xF5\x80\x80\x80", 4, NULL), 0);
  assert_int_equal(dec("\xFF", 1, NULL), 0);
  assert_int_equal(dec("\xC3", 1, NULL), 0);             /* cut short */
  assert_int_equal(dec("\xE2\x82", 2, NULL), 0);
  assert_int_equal(dec("\xE2\x28\xA1", 3, NULL), 0);     /* bad continuation */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_well_formed),
    cmocka_unit_test(test_ill_formed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
