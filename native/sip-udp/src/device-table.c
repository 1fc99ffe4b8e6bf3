#include "device-table.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_id(const char *id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < KA_ID_LEN; i++) {
    h ^= (uint8_t)id[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

int table_init(device_table *t) {
  memset(t, 0, sizeof *t);
  t->capacity = 1024;
  t->entries = calloc(t->capacity, sizeof(device_entry));
  return t->entries == NULL ? -1 : 0;
}

void table_free(device_table *t) {
  free(t->entries);
  free(t->seen);
  memset(t, 0, sizeof *t);
}

/* The slot holding id, or NULL. */
static device_entry *find(const device_table *t, const char *id) {
  size_t mask = t->capacity - 1;
  for (size_t i = hash_id(id) & mask, probes = 0; probes < t->capacity; i = (i + 1) & mask, probes++) {
    device_entry *e = &t->entries[i];
    if (e->state == 0) return NULL;
    if (e->state == 1 && memcmp(e->id, id, KA_ID_LEN) == 0) return e;
  }
  return NULL;
}

static device_entry *free_slot(device_table *t, const char *id) {
  size_t mask = t->capacity - 1;
  for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask) {
    if (t->entries[i].state != 1) return &t->entries[i];
  }
}

static int grow(device_table *t) {
  device_table next = *t;
  /* Mostly deleted slots: rebuild at the same size instead of doubling. */
  next.capacity = (t->live + 1) * 4 > t->capacity ? t->capacity * 2 : t->capacity;
  next.entries = calloc(next.capacity, sizeof(device_entry));
  if (next.entries == NULL) return -1;
  next.used = 0;
  for (size_t i = 0; i < t->capacity; i++) {
    if (t->entries[i].state != 1) continue;
    device_entry *slot = free_slot(&next, t->entries[i].id);
    *slot = t->entries[i];
    next.used++;
  }
  free(t->entries);
  *t = next;
  return 0;
}

int table_admit(device_table *t, const char *id, const char *address, size_t address_len, uint16_t port, double expires_at) {
  if (address_len >= sizeof ((device_entry *)0)->address) return -1;
  device_entry *e = find(t, id);
  if (e == NULL) {
    /* Deleted slots count: they lengthen probes until the next grow clears them. */
    if ((t->used + 1) * 2 > t->capacity && grow(t) != 0) return -1;
    e = free_slot(t, id);
    if (e->state == 0) t->used++;
    memset(e, 0, sizeof *e);
    memcpy(e->id, id, KA_ID_LEN);
    e->state = 1;
    t->live++;
  }
  memcpy(e->address, address, address_len);
  e->address_len = (uint8_t)address_len;
  e->port = port;
  e->expires_at = expires_at;
  return 0;
}

void table_revoke(device_table *t, const char *id) {
  device_entry *e = find(t, id);
  if (e == NULL) return;
  /* A keepalive already answered stays in the seen list: the JS side still records it. */
  e->state = 2;
  e->seen_slot = 0;
  t->live--;
}

int table_note_keepalive(device_table *t, const uint8_t *id, const char *address, size_t address_len, uint16_t port, double now) {
  device_entry *e = find(t, (const char *)id);
  if (e == NULL || e->port != port || e->address_len != address_len || memcmp(e->address, address, address_len) != 0) return 0;
  if (e->expires_at <= now) return 0;
  if (e->seen_slot != 0) {
    t->seen[e->seen_slot - 1].at = now;
    return 1;
  }
  if (t->seen_len == t->seen_cap) {
    size_t cap = t->seen_cap == 0 ? 256 : t->seen_cap * 2;
    seen_record *grown = realloc(t->seen, cap * sizeof(seen_record));
    if (grown == NULL) return 0;
    t->seen = grown;
    t->seen_cap = cap;
  }
  memcpy(t->seen[t->seen_len].id, id, KA_ID_LEN);
  t->seen[t->seen_len].at = now;
  e->seen_slot = (uint32_t)(++t->seen_len);
  return 1;
}

size_t table_take_seen(device_table *t, seen_record **out) {
  size_t n = t->seen_len;
  *out = t->seen;
  for (size_t i = 0; i < n; i++) {
    device_entry *e = find(t, t->seen[i].id);
    if (e != NULL) e->seen_slot = 0;
  }
  t->seen = NULL;
  t->seen_len = 0;
  t->seen_cap = 0;
  return n;
}
