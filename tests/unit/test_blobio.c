/* Unit tests for blobio: round trips of every type, and reads that run
 * past the end, over-long varints and forged counts failing cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "blobio.h"

static void test_round_trip(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  const uint64_t vars[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
  rcw_blob_put_u8(&b, 0xab);
  rcw_blob_put_u32(&b, 0xdeadbeef);
  rcw_blob_put_u64(&b, 0x0123456789abcdefULL);
  rcw_blob_put_i64(&b, INT64_MIN);
  rcw_blob_put_f64(&b, 0.083);
  rcw_blob_put_f64(&b, -INFINITY);
  for (size_t i = 0; i < 8; i++)
    rcw_blob_put_uvar(&b, vars[i]);
  rcw_blob_put_str(&b, "a\0b", 3);
  rcw_blob_put_str(&b, NULL, 0);
  assert_false(b.oom);
  /* Little-endian on every host. */
  assert_int_equal((unsigned char)b.data[1], 0xef);
  struct rcw_blob_reader r;
  rcw_blob_reader_init(&r, b.data, b.len);
  assert_int_equal(rcw_blob_get_u8(&r), 0xab);
  assert_int_equal(rcw_blob_get_u32(&r), 0xdeadbeef);
  assert_true(rcw_blob_get_u64(&r) == 0x0123456789abcdefULL);
  assert_true(rcw_blob_get_i64(&r) == INT64_MIN);
  assert_true(rcw_blob_get_f64(&r) == 0.083);
  assert_true(rcw_blob_get_f64(&r) == -INFINITY);
  for (size_t i = 0; i < 8; i++)
    assert_true(rcw_blob_get_uvar(&r, UINT64_MAX) == vars[i]);
  size_t len;
  const char *s = rcw_blob_get_str(&r, 16, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "a\0b", 3);
  s = rcw_blob_get_str(&r, 16, &len);
  assert_non_null(s);
  assert_int_equal(len, 0);
  assert_true(rcw_blob_ok(&r));
  rcw_buf_free(&b);
}

static void test_short_and_bad_reads(void **state)
{
  (void)state;
  struct rcw_buf b = RCW_BUF_INIT;
  struct rcw_blob_reader r;
  rcw_blob_put_u32(&b, 7);
  rcw_blob_reader_init(&r, b.data, 3);
  assert_int_equal(rcw_blob_get_u32(&r), 0);
  assert_true(r.bad);
  assert_int_equal(rcw_blob_get_u8(&r), 0); /* stays bad, reads nothing */
  assert_false(rcw_blob_ok(&r));
  /* A string longer than max, or than what is left. */
  rcw_buf_reset(&b);
  rcw_blob_put_str(&b, "hello", 5);
  rcw_blob_reader_init(&r, b.data, b.len);
  assert_null(rcw_blob_get_str(&r, 4, &(size_t){0}));
  assert_true(r.bad);
  rcw_blob_reader_init(&r, b.data, b.len - 1);
  assert_null(rcw_blob_get_str(&r, 16, &(size_t){0}));
  assert_true(r.bad);
  /* Varints: above max, more than 64 bits, cut short. */
  rcw_buf_reset(&b);
  rcw_blob_put_uvar(&b, 300);
  rcw_blob_reader_init(&r, b.data, b.len);
  assert_int_equal(rcw_blob_get_uvar(&r, 299), 0);
  assert_true(r.bad);
  rcw_blob_reader_init(&r, b.data, 1);
  assert_int_equal(rcw_blob_get_uvar(&r, 1000), 0);
  assert_true(r.bad);
  const unsigned char toolong[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  rcw_blob_reader_init(&r, toolong, 10);
  rcw_blob_get_uvar(&r, UINT64_MAX);
  assert_true(r.bad);
  /* A count that cannot fit in the bytes left. */
  rcw_buf_reset(&b);
  rcw_blob_put_u32(&b, 1000);
  rcw_blob_put_u64(&b, 0);
  rcw_blob_reader_init(&r, b.data, b.len);
  assert_int_equal(rcw_blob_get_count(&r, 8), 0);
  assert_true(r.bad);
  rcw_blob_reader_init(&r, b.data, b.len);
  rcw_blob_get_u8(&r);
  assert_false(rcw_blob_ok(&r)); /* bytes left over */
  rcw_blob_reader_init(&r, NULL, 5);
  assert_int_equal(rcw_blob_get_u8(&r), 0);
  assert_true(r.bad);
  rcw_buf_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip),
    cmocka_unit_test(test_short_and_bad_reads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
