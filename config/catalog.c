/* catalog — code lookup.  Classification runs once per log line, so a
 * known code costs a few byte comparisons and one array index: numeric
 * codes in -1..9999 index a flat table, other codes go through a small
 * open-addressing hash, and nothing is allocated unless a code is new. */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_data.h"

#define NUM_LOW (-1)
#define NUM_HIGH 9999
#define NUM_SLOTS (NUM_HIGH - NUM_LOW + 1)
#define CHUNK_BITS 8
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define HASH_MIN 64

/* Caps on what a configuration can add (each hit is -ENOSPC). */
#define MAX_CATEGORIES 256
#define MAX_DEFINED 16384 /* codes defined by the table and the config */
#define MAX_SUCCESS 256
#define MAX_NAME_LEN 64
#define DEFAULT_MAX_UNKNOWN 1000

#define UNKNOWN_DESC "Code not in the catalog"
#define OTHER_CODE "_other"
#define OTHER_DESC "Codes not in the catalog, past the limit on distinct unknown codes"
#define SUCCESS_DESC "Success code set in the configuration"

struct slot {
  struct rcw_entry e;
  uint32_t next; /* the code's next meaning, or RCW_ENTRY_NONE */
};

/* A code reduced to its canonical form: numeric codes lose quotes and
 * leading zeros, so "01204", 1204 and "1204" are one code. */
struct key {
  char text[RCW_CODE_MAX_LEN + 2];
  size_t len;
  bool small; /* numeric within NUM_LOW..NUM_HIGH: index = value - NUM_LOW */
  int index;
};

struct rcw_catalog {
  struct rcw_category *cats;
  size_t ncats;
  struct slot **chunks; /* fixed-size chunks: entry pointers never move */
  size_t nchunks;
  uint32_t nentries;
  size_t ndefined;
  uint32_t num[NUM_SLOTS]; /* first meaning of small numeric codes */
  uint32_t *hash;          /* first meaning of every other code */
  size_t hash_cap;
  size_t hash_used;
  char **success;
  size_t nsuccess;
  size_t max_unknown;
  size_t nunknown;
  uint64_t overflow;
  uint32_t other;
};

/* --- small helpers ------------------------------------------------------ */

static struct slot *slot_at(const rcw_catalog *c, uint32_t id)
{
  return &c->chunks[id >> CHUNK_BITS][id & (CHUNK_SIZE - 1)];
}

static bool is_code_char(unsigned char ch)
{
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch == '_' || ch == '.' || ch == '-';
}

static bool is_digit(unsigned char ch)
{
  return ch >= '0' && ch <= '9';
}

static uint32_t hash_text(const char *s, size_t len)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static char *dup_or_empty(const char *s)
{
  return strdup(s ? s : "");
}

/* --- canonical codes ---------------------------------------------------- */

static void key_numeric(struct key *k, const char *s, size_t len, bool neg)
{
  while (len > 1 && s[0] == '0') {
    s++;
    len--;
  }
  if (len == 1 && s[0] == '0')
    neg = false;
  k->len = 0;
  if (neg)
    k->text[k->len++] = '-';
  memcpy(k->text + k->len, s, len);
  k->len += len;
  k->text[k->len] = '\0';
  k->small = false;
  if (len <= 4) {
    int v = 0;
    for (size_t i = 0; i < len; i++)
      v = v * 10 + (s[i] - '0');
    v = neg ? -v : v;
    k->small = v >= NUM_LOW;
    k->index = v - NUM_LOW;
  }
}

static bool all_digits(const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!is_digit((unsigned char)s[i]))
      return false;
  return len > 0;
}

/* False for a code that is empty, too long or holds bytes a code cannot. */
static bool key_make(struct key *k, const char *s, size_t len)
{
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
    s++;
    len -= 2;
  }
  if (len == 0 || len > RCW_CODE_MAX_LEN)
    return false;
  bool neg = s[0] == '-';
  if (all_digits(s + neg, len - neg)) {
    key_numeric(k, s + neg, len - neg, neg);
    return true;
  }
  bool alnum = false;
  for (size_t i = 0; i < len; i++) {
    if (!is_code_char((unsigned char)s[i]))
      return false;
    alnum |= s[i] != '_' && s[i] != '.' && s[i] != '-';
  }
  memcpy(k->text, s, len);
  k->text[len] = '\0';
  k->len = len;
  k->small = false;
  return alnum; /* "-" alone is how some logs write "no code" */
}

static bool key_from_string(struct key *k, const char *code)
{
  return code && key_make(k, code, strlen(code));
}

/* --- the index: code -> first meaning ----------------------------------- */

static uint32_t *hash_slot(const rcw_catalog *c, const char *text, size_t len)
{
  size_t mask = c->hash_cap - 1;
  size_t i = hash_text(text, len) & mask;
  for (;;) {
    uint32_t id = c->hash[i];
    if (id == RCW_ENTRY_NONE)
      return &c->hash[i];
    const char *code = slot_at(c, id)->e.code;
    if (strncmp(code, text, len) == 0 && code[len] == '\0')
      return &c->hash[i];
    i = (i + 1) & mask;
  }
}

static int hash_grow(rcw_catalog *c)
{
  size_t cap = c->hash_cap ? c->hash_cap * 2 : HASH_MIN;
  uint32_t *old = c->hash;
  size_t oldcap = c->hash_cap;
  c->hash = malloc(cap * sizeof(*c->hash));
  if (!c->hash) {
    c->hash = old;
    return -ENOMEM;
  }
  memset(c->hash, 0xff, cap * sizeof(*c->hash));
  c->hash_cap = cap;
  for (size_t i = 0; i < oldcap; i++) {
    if (old[i] == RCW_ENTRY_NONE)
      continue;
    const char *code = slot_at(c, old[i])->e.code;
    *hash_slot(c, code, strlen(code)) = old[i];
  }
  free(old);
  return 0;
}

static uint32_t index_find(const rcw_catalog *c, const struct key *k)
{
  if (k->small)
    return c->num[k->index];
  if (c->hash_cap == 0)
    return RCW_ENTRY_NONE;
  return *hash_slot(c, k->text, k->len);
}

/* Make room so that index_link cannot fail afterwards. */
static int index_reserve(rcw_catalog *c, const struct key *k)
{
  if (k->small || (c->hash_used + 1) * 2 <= c->hash_cap)
    return 0;
  return hash_grow(c);
}

/* Add entry id as the last meaning of its code. */
static void index_link(rcw_catalog *c, const struct key *k, uint32_t id)
{
  uint32_t *head = k->small ? &c->num[k->index] : hash_slot(c, k->text, k->len);
  if (*head == RCW_ENTRY_NONE) {
    *head = id;
    c->hash_used += !k->small;
    return;
  }
  uint32_t last = *head;
  while (slot_at(c, last)->next != RCW_ENTRY_NONE)
    last = slot_at(c, last)->next;
  slot_at(c, last)->next = id;
}

/* --- entries ------------------------------------------------------------ */

static bool in_success_set(const rcw_catalog *c, const char *code)
{
  for (size_t i = 0; i < c->nsuccess; i++)
    if (strcmp(c->success[i], code) == 0)
      return true;
  return false;
}

static struct slot *slot_new(rcw_catalog *c)
{
  size_t chunk = c->nentries >> CHUNK_BITS;
  if (c->nentries == RCW_ENTRY_NONE)
    return NULL;
  if (chunk == c->nchunks) {
    struct slot **chunks = realloc(c->chunks, (c->nchunks + 1) * sizeof(*chunks));
    if (!chunks)
      return NULL;
    c->chunks = chunks;
    chunks[chunk] = calloc(CHUNK_SIZE, sizeof(struct slot));
    if (!chunks[chunk])
      return NULL;
    c->nchunks++;
  }
  return slot_at(c, c->nentries);
}

/* Append an entry for k and index it; *out is its id. */
static int entry_add(rcw_catalog *c, const struct key *k, uint32_t cat, const char *desc,
                     const char *desc_match, bool known, uint32_t *out)
{
  struct slot *s = slot_new(c);
  if (!s || index_reserve(c, k) < 0)
    return -ENOMEM;
  char *code = strndup(k->text, k->len);
  char *d = dup_or_empty(desc);
  char *m = desc_match ? strdup(desc_match) : NULL;
  if (!code || !d || (desc_match && !m)) {
    free(code);
    free(d);
    free(m);
    return -ENOMEM;
  }
  s->e = (struct rcw_entry){code, d, cat, in_success_set(c, code), known, m, false};
  s->next = RCW_ENTRY_NONE;
  *out = c->nentries++;
  index_link(c, k, *out);
  return 0;
}

static bool contains_nocase(const char *hay, size_t len, const char *needle)
{
  size_t n = strlen(needle);
  if (n == 0)
    return true;
  int first = tolower((unsigned char)needle[0]);
  for (size_t i = 0; n <= len && i <= len - n; i++)
    if (tolower((unsigned char)hay[i]) == first && strncasecmp(hay + i + 1, needle + 1, n - 1) == 0)
      return true;
  return false;
}

/* Of the meanings of one code, the one whose desc_match the logged
 * description contains, else the fallback meaning. */
static uint32_t pick_meaning(const rcw_catalog *c, uint32_t first, const char *desc, size_t dlen)
{
  uint32_t fallback = RCW_ENTRY_NONE;
  for (uint32_t id = first; id != RCW_ENTRY_NONE; id = slot_at(c, id)->next) {
    const struct rcw_entry *e = &slot_at(c, id)->e;
    if (!e->desc_match) {
      if (fallback == RCW_ENTRY_NONE)
        fallback = id;
    } else if (desc && contains_nocase(desc, dlen, e->desc_match)) {
      return id;
    }
  }
  return fallback != RCW_ENTRY_NONE ? fallback : first;
}

/* --- categories --------------------------------------------------------- */

uint32_t rcw_catalog_category_id(const rcw_catalog *c, const char *name)
{
  for (size_t i = 0; i < c->ncats; i++)
    if (strcmp(c->cats[i].name, name) == 0)
      return (uint32_t)i;
  return RCW_ENTRY_NONE;
}

static bool valid_name(const char *name)
{
  size_t len = name ? strlen(name) : 0;
  if (len == 0 || len > MAX_NAME_LEN)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!is_code_char((unsigned char)name[i]))
      return false;
  return true;
}

static int category_update(struct rcw_category *cat, const char *description,
                           enum rcw_severity sev)
{
  if (description) {
    char *d = strdup(description);
    if (!d)
      return -ENOMEM;
    free((char *)cat->description);
    cat->description = d;
  }
  cat->severity = sev;
  return 0;
}

int rcw_catalog_set_category(rcw_catalog *c, const char *name, const char *description,
                             enum rcw_severity sev)
{
  if (!valid_name(name) || (int)sev < (int)RCW_SEV_INFO || (int)sev > (int)RCW_SEV_CRITICAL)
    return -EINVAL;
  uint32_t id = rcw_catalog_category_id(c, name);
  if (id != RCW_ENTRY_NONE)
    return category_update(&c->cats[id], description, sev);
  if (c->ncats >= MAX_CATEGORIES)
    return -ENOSPC;
  struct rcw_category *cats = realloc(c->cats, (c->ncats + 1) * sizeof(*cats));
  if (!cats)
    return -ENOMEM;
  c->cats = cats;
  char *n = strdup(name);
  char *d = dup_or_empty(description);
  if (!n || !d) {
    free(n);
    free(d);
    return -ENOMEM;
  }
  cats[c->ncats++] = (struct rcw_category){n, d, sev};
  return 0;
}

size_t rcw_catalog_category_count(const rcw_catalog *c)
{
  return c->ncats;
}

const struct rcw_category *rcw_catalog_category(const rcw_catalog *c, uint32_t id)
{
  return id < c->ncats ? &c->cats[id] : NULL;
}

/* --- codes -------------------------------------------------------------- */

/* Redefine an existing code in place: its first meaning keeps its id and
 * takes the new text; any further meanings are retired. */
static int code_redefine(rcw_catalog *c, uint32_t first, uint32_t cat, const char *description)
{
  struct slot *s = slot_at(c, first);
  uint32_t fb = pick_meaning(c, first, NULL, 0);
  char *d = dup_or_empty(description ? description : slot_at(c, fb)->e.description);
  if (!d)
    return -ENOMEM;
  for (uint32_t id = s->next; id != RCW_ENTRY_NONE; id = slot_at(c, id)->next)
    slot_at(c, id)->e.replaced = true;
  s->next = RCW_ENTRY_NONE;
  free((char *)s->e.description);
  free((char *)s->e.desc_match);
  if (!s->e.known)
    c->nunknown--;
  s->e.description = d;
  s->e.desc_match = NULL;
  s->e.category = cat;
  s->e.known = true;
  return 0;
}

/* append: add one more meaning to the code (the embedded table's 1306);
 * else the code ends up with exactly this one meaning. */
static int code_define(rcw_catalog *c, const char *code, const char *category,
                       const char *description, const char *desc_match, bool append)
{
  struct key k;
  if (!key_from_string(&k, code))
    return -EINVAL;
  uint32_t cat = category ? rcw_catalog_category_id(c, category) : RCW_ENTRY_NONE;
  if (cat == RCW_ENTRY_NONE)
    return -ENOENT;
  uint32_t first = index_find(c, &k);
  if (first != RCW_ENTRY_NONE && !append)
    return code_redefine(c, first, cat, description);
  if (c->ndefined >= MAX_DEFINED)
    return -ENOSPC;
  uint32_t id;
  int r = entry_add(c, &k, cat, description, desc_match, true, &id);
  c->ndefined += r == 0;
  return r;
}

int rcw_catalog_set_code(rcw_catalog *c, const char *code, const char *category,
                         const char *description)
{
  return code_define(c, code, category, description, NULL, false);
}

int rcw_catalog_add_meaning(rcw_catalog *c, const char *code, const char *category,
                            const char *description, const char *desc_match)
{
  struct key k;
  if (!key_from_string(&k, code) || !desc_match || !*desc_match)
    return -EINVAL;
  /* A meaning chosen by description only makes sense beside another. */
  if (index_find(c, &k) == RCW_ENTRY_NONE)
    return -ENOENT;
  return code_define(c, code, category, description, desc_match, true);
}

static int success_define_missing(rcw_catalog *c)
{
  for (size_t i = 0; i < c->nsuccess; i++) {
    struct key k;
    key_from_string(&k, c->success[i]);
    if (index_find(c, &k) != RCW_ENTRY_NONE)
      continue;
    int r = code_define(c, c->success[i], RCW_CAT_SUCCESS, SUCCESS_DESC, NULL, false);
    if (r < 0)
      return r;
  }
  return 0;
}

static void free_strings(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

int rcw_catalog_set_success(rcw_catalog *c, const char *const *codes, size_t n)
{
  if (n > MAX_SUCCESS)
    return -ENOSPC;
  char **set = calloc(n ? n : 1, sizeof(*set));
  if (!set)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    struct key k;
    int r = key_from_string(&k, codes[i]) ? 0 : -EINVAL;
    if (r == 0 && !(set[i] = strdup(k.text)))
      r = -ENOMEM;
    if (r < 0) {
      free_strings(set, n);
      return r;
    }
  }
  free_strings(c->success, c->nsuccess);
  c->success = set;
  c->nsuccess = n;
  for (uint32_t id = 0; id < c->nentries; id++)
    slot_at(c, id)->e.success = in_success_set(c, slot_at(c, id)->e.code);
  return success_define_missing(c);
}

void rcw_catalog_set_max_unknown(rcw_catalog *c, size_t max_unknown)
{
  c->max_unknown = max_unknown;
}

/* --- construction ------------------------------------------------------- */

static rcw_catalog *catalog_alloc(void)
{
  rcw_catalog *c = calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  memset(c->num, 0xff, sizeof(c->num));
  c->max_unknown = DEFAULT_MAX_UNKNOWN;
  c->other = RCW_ENTRY_NONE;
  c->success = calloc(1, sizeof(*c->success));
  if (!c->success || !(c->success[0] = strdup("-1"))) {
    rcw_catalog_free(c);
    return NULL;
  }
  c->nsuccess = 1;
  return c;
}

static int seed_category(rcw_catalog *c, const char *name)
{
  for (size_t i = 0; i < rcw_seed_ncategories; i++) {
    const struct rcw_seed_category *s = &rcw_seed_categories[i];
    if (!name || strcmp(name, s->name) == 0) {
      int r = rcw_catalog_set_category(c, s->name, s->description, s->severity);
      if (r < 0)
        return r;
    }
  }
  return 0;
}

static int seed_codes(rcw_catalog *c, bool only_success)
{
  for (size_t i = 0; i < rcw_seed_ncodes; i++) {
    const struct rcw_seed_code *s = &rcw_seed_codes[i];
    if (only_success && strcmp(s->category, RCW_CAT_SUCCESS) != 0)
      continue;
    int r = code_define(c, s->code, s->category, s->description, s->desc_match, true);
    if (r < 0)
      return r;
  }
  return 0;
}

rcw_catalog *rcw_catalog_new_default(void)
{
  rcw_catalog *c = catalog_alloc();
  if (c && (seed_category(c, NULL) < 0 || seed_codes(c, false) < 0)) {
    rcw_catalog_free(c);
    return NULL;
  }
  return c;
}

rcw_catalog *rcw_catalog_new_empty(void)
{
  rcw_catalog *c = catalog_alloc();
  if (c && (seed_category(c, RCW_CAT_SUCCESS) < 0 || seed_category(c, RCW_CAT_TRANSPORT) < 0 ||
            seed_category(c, RCW_CAT_UNKNOWN) < 0 || seed_codes(c, true) < 0)) {
    rcw_catalog_free(c);
    return NULL;
  }
  return c;
}

void rcw_catalog_free(rcw_catalog *c)
{
  if (!c)
    return;
  for (uint32_t id = 0; id < c->nentries; id++) {
    struct rcw_entry *e = &slot_at(c, id)->e;
    free((char *)e->code);
    free((char *)e->description);
    free((char *)e->desc_match);
  }
  for (size_t i = 0; i < c->nchunks; i++)
    free(c->chunks[i]);
  for (size_t i = 0; i < c->ncats; i++) {
    free((char *)c->cats[i].name);
    free((char *)c->cats[i].description);
  }
  free(c->chunks);
  free(c->cats);
  free(c->hash);
  free_strings(c->success, c->nsuccess);
  free(c);
}

/* --- lookups ------------------------------------------------------------ */

size_t rcw_catalog_entry_count(const rcw_catalog *c)
{
  return c->nentries;
}

const struct rcw_entry *rcw_catalog_entry(const rcw_catalog *c, uint32_t id)
{
  return id < c->nentries ? &slot_at(c, id)->e : NULL;
}

bool rcw_catalog_needs_desc(const rcw_catalog *c, const char *code, size_t len)
{
  struct key k;
  if (!key_make(&k, code, len))
    return false;
  uint32_t first = index_find(c, &k);
  return first != RCW_ENTRY_NONE && slot_at(c, first)->next != RCW_ENTRY_NONE;
}

/* Past max_unknown, every new code shares one entry: a log full of
 * garbage codes must not grow memory and metrics without end. */
static uint32_t classify_overflow(rcw_catalog *c, bool *is_new)
{
  c->overflow++;
  if (c->other != RCW_ENTRY_NONE)
    return c->other;
  struct key k;
  key_from_string(&k, OTHER_CODE);
  uint32_t id = index_find(c, &k);
  if (id == RCW_ENTRY_NONE &&
      entry_add(c, &k, rcw_catalog_category_id(c, RCW_CAT_UNKNOWN), OTHER_DESC, NULL, false,
                &id) < 0)
    return RCW_ENTRY_NONE;
  c->other = id;
  if (is_new)
    *is_new = true;
  return id;
}

static uint32_t classify_new(rcw_catalog *c, const struct key *k, bool *is_new)
{
  if (c->nunknown >= c->max_unknown)
    return classify_overflow(c, is_new);
  uint32_t id;
  if (entry_add(c, k, rcw_catalog_category_id(c, RCW_CAT_UNKNOWN), UNKNOWN_DESC, NULL, false,
                &id) < 0)
    return RCW_ENTRY_NONE;
  c->nunknown++;
  if (is_new)
    *is_new = true;
  return id;
}

uint32_t rcw_catalog_classify(rcw_catalog *c, const char *code, size_t len, const char *desc,
                              size_t desc_len, bool *is_new)
{
  struct key k;
  if (is_new)
    *is_new = false;
  if (!key_make(&k, code, len))
    return RCW_ENTRY_NONE;
  uint32_t first = index_find(c, &k);
  if (first == RCW_ENTRY_NONE)
    return classify_new(c, &k, is_new);
  if (slot_at(c, first)->next == RCW_ENTRY_NONE)
    return first;
  return pick_meaning(c, first, desc, desc_len);
}

uint32_t rcw_catalog_classify_status(rcw_catalog *c, int http_status)
{
  if (http_status < 100 || http_status > 599)
    return RCW_ENTRY_NONE;
  struct key k;
  char desc[64];
  k.len = (size_t)snprintf(k.text, sizeof(k.text), "http_%d", http_status);
  k.small = false;
  uint32_t id = index_find(c, &k);
  if (id != RCW_ENTRY_NONE)
    return id;
  snprintf(desc, sizeof(desc), "HTTP %d with no response code", http_status);
  if (entry_add(c, &k, rcw_catalog_category_id(c, RCW_CAT_TRANSPORT), desc, NULL, true, &id) < 0)
    return RCW_ENTRY_NONE;
  return id;
}

uint64_t rcw_catalog_unknown_overflow(const rcw_catalog *c)
{
  return c->overflow;
}

const char *rcw_severity_name(enum rcw_severity sev)
{
  switch (sev) {
  case RCW_SEV_INFO:
    return "info";
  case RCW_SEV_WARNING:
    return "warning";
  case RCW_SEV_CRITICAL:
    return "critical";
  }
  return "warning";
}

int rcw_severity_parse(const char *name, enum rcw_severity *out)
{
  static const enum rcw_severity all[] = {RCW_SEV_INFO, RCW_SEV_WARNING, RCW_SEV_CRITICAL};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    if (name && strcmp(name, rcw_severity_name(all[i])) == 0) {
      *out = all[i];
      return 0;
    }
  }
  return -EINVAL;
}
