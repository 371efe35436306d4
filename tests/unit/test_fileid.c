#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fileid.h"

static struct rcw_fileid id_of(uint64_t dev, uint64_t ino, const char *head)
{
  struct rcw_fileid id = {dev, ino, 0, 0};
  rcw_fileid_fingerprint(&id, head, strlen(head));
  return id;
}

static struct rcw_fileid_probe probe(uint64_t dev, uint64_t ino, const char *content)
{
  size_t len = strlen(content);
  struct rcw_fileid_probe p = {true, dev, ino, len, content,
                               len < RCW_FILEID_FP_LEN ? len : RCW_FILEID_FP_LEN};
  return p;
}

static char *repeat(char c, size_t n)
{
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_fingerprint_covers_at_most_fp_len(void **state)
{
  char *big = repeat('a', 1000);
  struct rcw_fileid id = id_of(1, 2, big);
  assert_int_equal(id.fp_len, RCW_FILEID_FP_LEN);
  big[RCW_FILEID_FP_LEN] = 'b'; /* past the fingerprint: same identity */
  assert_true(rcw_fileid_prefix_matches(&id, big, 1000));
  big[RCW_FILEID_FP_LEN - 1] = 'b';
  assert_false(rcw_fileid_prefix_matches(&id, big, 1000));
  free(big);
}

static void test_short_fingerprint_grows_with_the_file(void **state)
{
  struct rcw_fileid id = id_of(1, 2, "abc\n");
  assert_int_equal(id.fp_len, 4);
  /* The file grew: its first four bytes are still the same. */
  assert_true(rcw_fileid_prefix_matches(&id, "abc\ndef\n", 8));
  /* Shorter than what was fingerprinted: not the same content. */
  assert_false(rcw_fileid_prefix_matches(&id, "ab", 2));
  /* Same length, other bytes. */
  assert_false(rcw_fileid_prefix_matches(&id, "abd\n", 4));
  /* An empty file's fingerprint matches anything. */
  struct rcw_fileid empty = id_of(1, 2, "");
  assert_int_equal(empty.fp_len, 0);
  assert_true(rcw_fileid_prefix_matches(&empty, "xyz", 3));
}

static void test_decide_continue(void **state)
{
  struct rcw_fileid id = id_of(1, 2, "line one\n");
  struct rcw_fileid_probe p = probe(1, 2, "line one\nline two\n");
  assert_int_equal(rcw_fileid_decide(&id, 9, &p), RCW_FILEID_CONTINUE);
  /* Exactly at the end is fine too. */
  assert_int_equal(rcw_fileid_decide(&id, 18, &p), RCW_FILEID_CONTINUE);
}

static void test_decide_truncated(void **state)
{
  struct rcw_fileid id = id_of(1, 2, "line one\nline two\n");
  struct rcw_fileid_probe empty = probe(1, 2, "");
  assert_int_equal(rcw_fileid_decide(&id, 18, &empty), RCW_FILEID_TRUNCATED);
  struct rcw_fileid_probe shorter = probe(1, 2, "line one\n");
  assert_int_equal(rcw_fileid_decide(&id, 18, &shorter), RCW_FILEID_TRUNCATED);
}

static void test_decide_replaced(void **state)
{
  /* Same inode, longer than the offset, other first bytes: rewritten in
   * place, or the inode reused by a new file. */
  struct rcw_fileid id = id_of(1, 2, "old content\n");
  struct rcw_fileid_probe p = probe(1, 2, "new content, and more of it\n");
  assert_int_equal(rcw_fileid_decide(&id, 12, &p), RCW_FILEID_REPLACED);
}

static void test_decide_rotated(void **state)
{
  struct rcw_fileid id = id_of(1, 2, "abc\n");
  struct rcw_fileid_probe other = probe(1, 3, "abc\n");
  assert_int_equal(rcw_fileid_decide(&id, 4, &other), RCW_FILEID_ROTATED);
  struct rcw_fileid_probe none = {false, 0, 0, 0, NULL, 0};
  assert_int_equal(rcw_fileid_decide(&id, 4, &none), RCW_FILEID_ROTATED);
}

static void test_device_renumbered(void **state)
{
  char *big = repeat('q', 600);
  struct rcw_fileid id = id_of(7, 42, big);
  /* Same inode and a full fingerprint under a new device number: the
   * filesystem renumbered its device, the file is the same. */
  struct rcw_fileid_probe moved = probe(8, 42, big);
  assert_true(rcw_fileid_same(&id, &moved));
  assert_int_equal(rcw_fileid_decide(&id, 600, &moved), RCW_FILEID_CONTINUE);
  /* A short fingerprint is too weak to bridge a device change. */
  struct rcw_fileid small = id_of(7, 42, "abc\n");
  struct rcw_fileid_probe small_moved = probe(8, 42, "abc\n");
  assert_false(rcw_fileid_same(&small, &small_moved));
  assert_int_equal(rcw_fileid_decide(&small, 4, &small_moved), RCW_FILEID_ROTATED);
  free(big);
}

static void test_verdict_names(void **state)
{
  assert_string_equal(rcw_fileid_verdict_name(RCW_FILEID_CONTINUE), "continue");
  assert_string_equal(rcw_fileid_verdict_name(RCW_FILEID_TRUNCATED), "truncated");
  assert_string_equal(rcw_fileid_verdict_name(RCW_FILEID_REPLACED), "replaced");
  assert_string_equal(rcw_fileid_verdict_name(RCW_FILEID_ROTATED), "rotated");
}

/* --- records --- */

static struct rcw_file_record sample[3] = {
  {"issuer-api", "/var/log/issuer/app.log", {64769, 1234567, 0xdeadbeefcafef00du, 256}, 987654321},
  {"issuer-api", "/var/log/issuer/app.log.1", {64769, 7654321, 42, 17}, 0},
  {"nginx", "/var/log/nginx/access.log", {2049, 99, UINT64_MAX, 0}, UINT64_MAX},
};

static void encode_sample(struct rcw_buf *b)
{
  assert_int_equal(rcw_file_records_encode(sample, 3, b), 0);
  assert_false(b->oom);
}

static void test_records_round_trip(void **state)
{
  struct rcw_buf b = RCW_BUF_INIT;
  encode_sample(&b);
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), 0);
  assert_int_equal(n, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_string_equal(r[i].source, sample[i].source);
    assert_string_equal(r[i].path, sample[i].path);
    assert_memory_equal(&r[i].id, &sample[i].id, sizeof(r[i].id));
    assert_true(r[i].offset == sample[i].offset);
  }
  rcw_file_records_free(r, n);
  rcw_buf_free(&b);
}

static void test_records_empty(void **state)
{
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_file_records_encode(NULL, 0, &b), 0);
  struct rcw_file_record *r;
  size_t n = 99;
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), 0);
  assert_int_equal(n, 0);
  rcw_file_records_free(r, n);
  rcw_buf_free(&b);
}

static void test_records_every_truncation_refused(void **state)
{
  struct rcw_buf b = RCW_BUF_INIT;
  encode_sample(&b);
  for (size_t len = 0; len < b.len; len++) {
    /* A copy of exactly len bytes, so the sanitizer sees any overread. */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, b.data, len);
    struct rcw_file_record *r;
    size_t n;
    assert_int_equal(rcw_file_records_decode(copy, len, &r, &n), -EINVAL);
    free(copy);
  }
  rcw_buf_free(&b);
}

static void test_records_garbage_refused(void **state)
{
  struct rcw_buf b = RCW_BUF_INIT;
  encode_sample(&b);
  struct rcw_file_record *r;
  size_t n;
  /* Trailing bytes. */
  rcw_buf_append(&b, "x", 1);
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), -EINVAL);
  b.len--;
  /* Unknown version. */
  b.data[0] = 2;
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), -EINVAL);
  b.data[0] = 1;
  /* A count the bytes cannot hold. */
  memset(b.data + 4, 0xff, 4);
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), -EINVAL);
  rcw_buf_free(&b);

  /* A fingerprint longer than RCW_FILEID_FP_LEN. */
  struct rcw_file_record bad = {"s", "p", {1, 2, 3, RCW_FILEID_FP_LEN}, 4};
  assert_int_equal(rcw_file_records_encode(&bad, 1, &b), 0);
  b.data[b.len - 8 - 4] = (char)0xff;
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), -EINVAL);
  rcw_buf_free(&b);

  /* A NUL inside a path. */
  struct rcw_file_record nul = {"s", "ab", {1, 2, 3, 4}, 5};
  assert_int_equal(rcw_file_records_encode(&nul, 1, &b), 0);
  b.data[4 + 4 + 4 + 1 + 4] = '\0';
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), -EINVAL);
  rcw_buf_free(&b);
}

static void test_records_random_bytes(void **state)
{
  /* Random input, with a plausible header now and then so decoding gets
   * past the first checks: never a crash or an overread, and anything
   * accepted is well formed. */
  srand(1234);
  for (int round = 0; round < 20000; round++) {
    size_t len = (size_t)(rand() % 96);
    unsigned char *d = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++)
      d[i] = (unsigned char)(rand() % 4 == 0 ? rand() : rand() % 3);
    if (len >= 8 && round % 2) {
      memcpy(d, "\1\0\0\0\1\0\0\0", 8);
    }
    struct rcw_file_record *r;
    size_t n;
    int rc = rcw_file_records_decode(d, len, &r, &n);
    assert_true(rc == 0 || rc == -EINVAL);
    if (rc == 0) {
      for (size_t i = 0; i < n; i++) {
        assert_true(strlen(r[i].source) > 0 && strlen(r[i].path) > 0);
        assert_true(r[i].id.fp_len <= RCW_FILEID_FP_LEN);
      }
      rcw_file_records_free(r, n);
    }
    free(d);
  }
}

static void test_records_encode_refuses_long_strings(void **state)
{
  char *path = repeat('p', RCW_FILE_RECORD_STR_MAX + 1);
  struct rcw_file_record rec = {"s", path, {1, 2, 3, 4}, 5};
  struct rcw_buf b = RCW_BUF_INIT;
  assert_int_equal(rcw_file_records_encode(&rec, 1, &b), -EINVAL);
  assert_int_equal(b.len, 0);
  path[RCW_FILE_RECORD_STR_MAX] = '\0'; /* exactly at the cap: fine */
  assert_int_equal(rcw_file_records_encode(&rec, 1, &b), 0);
  struct rcw_file_record *r;
  size_t n;
  assert_int_equal(rcw_file_records_decode(b.data, b.len, &r, &n), 0);
  assert_int_equal(strlen(r[0].path), RCW_FILE_RECORD_STR_MAX);
  rcw_file_records_free(r, n);
  rcw_buf_free(&b);
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fingerprint_covers_at_most_fp_len),
    cmocka_unit_test(test_short_fingerprint_grows_with_the_file),
    cmocka_unit_test(test_decide_continue),
    cmocka_unit_test(test_decide_truncated),
    cmocka_unit_test(test_decide_replaced),
    cmocka_unit_test(test_decide_rotated),
    cmocka_unit_test(test_device_renumbered),
    cmocka_unit_test(test_verdict_names),
    cmocka_unit_test(test_records_round_trip),
    cmocka_unit_test(test_records_empty),
    cmocka_unit_test(test_records_every_truncation_refused),
    cmocka_unit_test(test_records_garbage_refused),
    cmocka_unit_test(test_records_random_bytes),
    cmocka_unit_test(test_records_encode_refuses_long_strings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
