/*
 * The keepalive fast path: recognizes a GB/T 28181 keepalive MESSAGE (the usual layout only) and
 * writes its 200 OK, with no allocation. Anything it is not sure of is left to the JavaScript
 * SIP stack, which handles every message; this code only ever answers a subset of what that
 * stack would answer the same way (test/sip/transport/keepalive-lane-differential.test.ts checks it).
 */
#ifndef GBVMS_KEEPALIVE_H
#define GBVMS_KEEPALIVE_H

#include <stddef.h>
#include <stdint.h>

#define KA_ID_LEN 20

typedef struct {
  /* The source address as text (IPv4 dotted or IPv6, not bracketed) and port. */
  const char *address;
  size_t address_len;
  uint16_t port;
} ka_peer;

typedef struct {
  const char *user_agent; /* NULL or "" for none */
  size_t user_agent_len;
  uint64_t tag_seed;
} ka_config;

/* The fields of a recognized keepalive, pointing into the message. */
typedef struct {
  const uint8_t *device_id; /* KA_ID_LEN digits */
  const uint8_t *via, *from, *to, *call_id, *cseq;
  size_t via_len, from_len, to_len, call_id_len, cseq_len;
  /* Offsets in via of the host (and its end), and of the rport parameter's value span. */
  size_t host_start, host_end;
  int rport_at;        /* -1: no rport; else offset of the ";rport" parameter */
  int rport_end;       /* offset after the parameter (and its value) */
} ka_request;

/* 1 when msg is a keepalive this code may answer (req filled), 0 otherwise. */
int ka_recognize(const uint8_t *msg, size_t len, ka_request *req);

/* Writes the 200 OK for req from peer into out; returns its length, or 0 when it does not fit. */
size_t ka_write_answer(const ka_request *req, const ka_peer *peer, const ka_config *cfg, uint8_t *out, size_t cap);

#endif
