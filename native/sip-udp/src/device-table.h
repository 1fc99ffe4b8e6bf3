/*
 * Devices whose keepalives the native thread may answer: each admitted by the JS stack with the
 * address its packets come from and its registration's expiry. Not thread-safe: the caller holds
 * the endpoint's lock.
 */
#ifndef GBVMS_DEVICE_TABLE_H
#define GBVMS_DEVICE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "keepalive.h"

typedef struct {
  char id[KA_ID_LEN];
  uint8_t state; /* 0 empty, 1 used, 2 deleted */
  uint8_t address_len;
  char address[46];
  uint16_t port;
  double expires_at; /* ms since the epoch, as Date.now() */
  uint32_t seen_slot; /* 1 + index in the seen list while this device has an undrained keepalive */
} device_entry;

typedef struct {
  char id[KA_ID_LEN];
  double at;
} seen_record;

typedef struct {
  device_entry *entries;
  size_t capacity; /* a power of two */
  size_t used;     /* used + deleted */
  size_t live;
  seen_record *seen;
  size_t seen_len, seen_cap;
} device_table;

int table_init(device_table *t);
void table_free(device_table *t);
/* 0 on success, -1 when out of memory. */
int table_admit(device_table *t, const char *id, const char *address, size_t address_len, uint16_t port, double expires_at);
void table_revoke(device_table *t, const char *id);
/*
 * When id is admitted from this address and port and not expired at now: records the keepalive
 * and returns 1. Otherwise 0.
 */
int table_note_keepalive(device_table *t, const uint8_t *id, const char *address, size_t address_len, uint16_t port, double now);

/* Hands over the keepalives recorded since the last call (the caller frees the array). */
size_t table_take_seen(device_table *t, seen_record **out);

#endif
