/*
 * RTP over UDP, read by one thread per JavaScript environment (the media worker) and handed to
 * JavaScript in batches. A 2 Mbit/s camera sends ~180 datagrams a second; Node's dgram wakes the
 * event loop and enters V8 for each, which at 50 streams costs more than ZLMediaKit's whole
 * pipeline (bench/media-receive-floor.ts). Here one thread waits on all the stream sockets with
 * epoll, drains each ready one with recvmmsg, and after handing over a batch sleeps a few
 * milliseconds so that the next round finds several packets per socket: JavaScript gets one call
 * per round with every socket's datagrams in one Buffer (docs/decisions/0022-native-rtp-receive.md).
 *
 * TCP active (we connect to the camera) joins once Node.js has connected: the thread takes a
 * duplicate of the connected socket (adopt) and reads it as it reads a passive connection.
 *
 * TCP passive (the camera connects to us) goes through the same thread: it listens, takes one
 * connection at a time (a second one while it is live is closed and reported) and cuts the RFC
 * 4571 framing itself, so that a frame's packets become a run as over UDP. At the first thing
 * that is not plainly the connection's RTP (a length that does not fit, another SSRC, a packet
 * cut short) it hands the rest of the connection over as raw bytes to JavaScript's framer, which
 * knows how to resynchronise, starting at that packet with the SSRC it had seen.
 *
 * Consecutive RTP packets of one sender, SSRC and timestamp, in sequence (a frame's packets, as
 * cameras send them), become one *run*: their payloads back to back, as the demuxer would read
 * them one after another, so JavaScript handles a frame's packets in one step when they are in
 * order. Anything else (RTCP, malformed packets, another sender) is handed over as it came.
 *
 * A socket may have an FLV relay (flv_relay.c, ADR 0024): it sees every RTP packet first, serves
 * HTTP-FLV viewers handed to it, and while it serves alone JavaScript gets only its records.
 *
 * Batch format, integers big-endian. The Buffer of a round holds, per socket with something to
 * hand over, u32 socket id, u32 length and that many bytes of the socket's records. A source is
 * u16 port, u8 address family (4 or 6), the address (4 or 16 bytes). Records:
 *   DATAGRAM (1): source, u16 length, the datagram.
 *   RUN (2): source, u16 count, u16 first sequence number, u32 timestamp, u32 SSRC, u8 payload
 *     type, u8 marker of the last packet, u32 bytes of the whole datagrams, u32 payload bytes,
 *     the payloads, then count u16 payload lengths.
 *   TCP only: ACCEPTED (3) and REFUSED (6): source (the peer). CLOSED (5): nothing more.
 *     RAW (7): u8 1 when the SSRC is known, u32 SSRC: what follows on the connection comes as
 *     DATA (4): u32 length and the bytes as read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "flv_relay.h"

#define BATCH 32
#define SLOT 65536
#define RECORD_HEADER_MAX (2 + 2 + 1 + 16)
/* A socket's datagrams waiting for JavaScript; beyond this they are dropped and counted, as a full kernel buffer would. */
#define MAX_PENDING_BYTES (8u * 1024u * 1024u)
#define INDEX_BITS 20
#define INDEX_MASK ((1u << INDEX_BITS) - 1u)
#define STOP_TAG UINT64_MAX
#define NO_RUN SIZE_MAX
/* Packets in one run at most; a longer frame continues in the next run (no loss, one more step). */
#define MAX_RUN 512
#define RUN_HEADER 22
enum { RECORD_DATAGRAM = 1, RECORD_RUN = 2, RECORD_ACCEPTED = 3, RECORD_DATA = 4, RECORD_CLOSED = 5, RECORD_REFUSED = 6, RECORD_RAW = 7 };
/* The FLV relay's records (TCP sockets with a relay): see relay_records below. */
enum { RECORD_RELAY = 8, RECORD_PARAMS = 9, RECORD_VIEWER_END = 10 };
enum { KIND_UDP = 0, KIND_TCP = 1 };
/* Set in an epoll tag: the event is for the TCP listener's connection, not the listener. */
#define CONNECTION_TAG (1ull << 32)
/* Set in an epoll tag: the event is for a relay viewer's socket, whose id is in the bits from 34 on. */
#define VIEWER_TAG (1ull << 33)
#define VIEWER_SHIFT 34
#define MAX_VIEWER_ID ((1u << 29) - 1u)
/* How often the thread looks for relay viewers that stopped reading. */
#define TICK_MS 250
#define READ_CHUNK 65536

typedef struct {
  uint32_t id; /* generation << INDEX_BITS | index; 0 = free slot */
  int kind;
  int fd; /* the UDP socket, or the TCP listener (-1 for an adopted connection) */
  /* TCP: the live connection (-1: none), its peer, bytes read and not yet framed. */
  int conn_fd;
  int paused; /* not read until JavaScript takes the batch (it reached MAX_PENDING_BYTES) */
  int raw;    /* framing handed over to JavaScript for the rest of the connection */
  int ssrc_known;
  uint32_t conn_ssrc;
  struct sockaddr_storage peer;
  uint8_t *in;
  size_t in_len, in_cap;
  uint8_t *pending;
  size_t pending_len, pending_cap;
  uint64_t datagrams, bytes, dropped, connections, refused;
  uint64_t last_packet_ms; /* CLOCK_MONOTONIC, when the connection or socket last gave bytes */
  /* The FLV relay, its callbacks' context, and whether JavaScript is fed meanwhile. */
  relay *relay;
  struct relay_ctx *relay_ctx;
  int unfed;
  int peer_known; /* UDP with a relay: `peer` is the stream's sender */
  /* The run at the end of the batch: where its fixed header is (NO_RUN: none), and its state. */
  size_t run_start, run_at;
  struct sockaddr_storage run_from;
  uint16_t run_count, run_next_seq;
  uint32_t run_ts, run_ssrc, run_bytes, run_payload;
  uint8_t run_pt, run_marker;
  uint16_t run_lengths[MAX_RUN];
} rtp_socket;

typedef struct {
  int epfd, evfd;
  pthread_t thread;
  int running; /* the thread runs: set before it starts, cleared by stop() */
  int stopped;
  /* The environment's teardown: its async cleanup hook, until the wake handle is closed. */
  napi_async_cleanup_hook_handle cleanup_hook;
  int finalized;
  uint32_t interval_ms;
  pthread_mutex_t lock;
  /* Guarded by lock. */
  rtp_socket *slots;
  uint32_t slot_count, slot_cap, generation, open_count;
  int scheduled; /* a delivery has been asked for and has not run yet */
  uv_async_t *wake;
  napi_env env;
  napi_ref on_batches;
  napi_async_context async_context;
} reader;

static const char *errno_code(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EMFILE: return "EMFILE";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

static void throw_errno(napi_env env, int err, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "rtp-recv: %s: %s", what, strerror(err));
  napi_throw_error(env, errno_code(err), message);
}

static rtp_socket *lookup(reader *r, uint32_t id) {
  uint32_t index = id & INDEX_MASK;
  if (id == 0 || index >= r->slot_count || r->slots[index].id != id) return NULL;
  return &r->slots[index];
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}


/* u16 port, u8 family, address (IPv4-mapped IPv6 as IPv4); returns the bytes written (7 or 19). */
static size_t write_source(uint8_t *out, const struct sockaddr_storage *from) {
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)from;
    put16(out, ntohs(in->sin_port));
    out[2] = 4;
    memcpy(out + 3, &in->sin_addr, 4);
    return 7;
  }
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)from;
  put16(out, ntohs(in6->sin6_port));
  if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
    out[2] = 4;
    memcpy(out + 3, &in6->sin6_addr.s6_addr[12], 4);
    return 7;
  }
  out[2] = 6;
  memcpy(out + 3, &in6->sin6_addr, 16);
  return 19;
}

/* Room for `extra` more bytes in the socket's batch; 0 when memory ran out. */
static int reserve(rtp_socket *s, size_t extra) {
  size_t need = s->pending_len + extra;
  if (need <= s->pending_cap) return 1;
  size_t cap = s->pending_cap == 0 ? 16384 : s->pending_cap;
  while (cap < need) cap *= 2;
  uint8_t *grown = realloc(s->pending, cap);
  if (grown == NULL) return 0;
  s->pending = grown;
  s->pending_cap = cap;
  return 1;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Writes the finished run's counts and its table of payload lengths; the run is closed. */
static void close_run(rtp_socket *s) {
  if (s->run_at == NO_RUN) return;
  uint8_t *h = s->pending + s->run_at;
  put16(h, s->run_count);
  h[13] = s->run_marker;
  put32(h + 14, s->run_bytes);
  put32(h + 18, s->run_payload);
  /* Room for the table was reserved with each payload. */
  for (uint16_t i = 0; i < s->run_count; i++) put16(s->pending + s->pending_len + 2u * i, s->run_lengths[i]);
  s->pending_len += 2u * s->run_count;
  s->run_at = NO_RUN;
}

/* Appends one datagram as it came, with its source; 0 when it had to be dropped. */
static int append(rtp_socket *s, const uint8_t *data, size_t len, const struct sockaddr_storage *from) {
  close_run(s);
  uint8_t header[1 + RECORD_HEADER_MAX];
  header[0] = RECORD_DATAGRAM;
  size_t header_len = 1 + write_source(header + 1, from);
  put16(header + header_len, (uint16_t)len);
  header_len += 2;
  if (s->pending_len + header_len + len > MAX_PENDING_BYTES || !reserve(s, header_len + len)) return 0;
  memcpy(s->pending + s->pending_len, header, header_len);
  memcpy(s->pending + s->pending_len + header_len, data, len);
  s->pending_len += header_len + len;
  return 1;
}

/* The payload of a well-formed RTP v2 packet (the rules of src/media/rtp/packet.ts); 0 for RTCP or anything else. */
static int rtp_payload(const uint8_t *p, size_t len, size_t *offset, size_t *payload_len) {
  if (len >= 8 && p[0] >> 6 == 2 && p[1] >= 192 && p[1] <= 223) return 0; /* RTCP (RFC 5761) */
  if (len < 12 || p[0] >> 6 != 2) return 0;
  size_t o = 12 + (size_t)(p[0] & 0x0f) * 4;
  if (o > len) return 0;
  if (p[0] & 0x10) {
    if (o + 4 > len) return 0;
    o += 4 + (size_t)((p[o + 2] << 8) | p[o + 3]) * 4;
    if (o > len) return 0;
  }
  size_t end = len;
  if (p[0] & 0x20) {
    size_t padding = p[len - 1];
    if (padding == 0 || padding > len - o) return 0;
    end -= padding;
  }
  *offset = o;
  *payload_len = end - o;
  return 1;
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* Adds an RTP packet (its payload at `offset`) to the socket's open run, or opens one; 0 when it had to be dropped. */
static int append_rtp(rtp_socket *s, const uint8_t *data, size_t len, size_t offset, size_t payload_len, const struct sockaddr_storage *from) {
  uint16_t seq = (uint16_t)(data[2] << 8 | data[3]);
  uint32_t ts = get32(data + 4), ssrc = get32(data + 8);
  uint8_t pt = data[1] & 0x7f, marker = data[1] >> 7;
  int continues = s->run_at != NO_RUN && !s->run_marker && s->run_count < MAX_RUN && seq == s->run_next_seq && ts == s->run_ts &&
                  ssrc == s->run_ssrc && pt == s->run_pt && same_source(from, &s->run_from);
  if (!continues) {
    close_run(s);
    uint8_t header[1 + RECORD_HEADER_MAX + RUN_HEADER];
    header[0] = RECORD_RUN;
    size_t header_len = 1 + write_source(header + 1, from);
    if (s->pending_len + header_len + RUN_HEADER > MAX_PENDING_BYTES || !reserve(s, header_len + RUN_HEADER)) return 0;
    uint8_t *h = header + header_len;
    memset(h, 0, RUN_HEADER);
    put16(h + 2, seq);
    put32(h + 4, ts);
    put32(h + 8, ssrc);
    h[12] = pt;
    memcpy(s->pending + s->pending_len, header, header_len + RUN_HEADER);
    s->run_start = s->pending_len;
    s->run_at = s->pending_len + header_len;
    s->pending_len += header_len + RUN_HEADER;
    s->run_from = *from;
    s->run_count = 0;
    s->run_ts = ts;
    s->run_ssrc = ssrc;
    s->run_pt = pt;
    s->run_bytes = s->run_payload = 0;
  }
  /* The payload, and room for the whole length table after it. */
  size_t need = payload_len + 2u * ((size_t)s->run_count + 1);
  if (s->pending_len + need > MAX_PENDING_BYTES || !reserve(s, need)) {
    if (s->run_count == 0) {
      s->pending_len = s->run_start; /* a run with no packet is no record */
      s->run_at = NO_RUN;
    }
    close_run(s);
    return 0;
  }
  memcpy(s->pending + s->pending_len, data + offset, payload_len);
  s->pending_len += payload_len;
  s->run_lengths[s->run_count++] = (uint16_t)payload_len;
  s->run_next_seq = (uint16_t)(seq + 1);
  s->run_marker = marker;
  s->run_bytes += (uint32_t)len;
  s->run_payload += (uint32_t)payload_len;
  return 1;
}



/* A small TCP record: ACCEPTED/REFUSED with the peer, CLOSED, RAW with the SSRC; kept even beyond the cap. */
static void append_event(rtp_socket *s, uint8_t type, const struct sockaddr_storage *peer) {
  close_run(s);
  uint8_t record[1 + RECORD_HEADER_MAX];
  size_t len = 1;
  record[0] = type;
  if (peer != NULL) len += write_source(record + 1, peer);
  if (type == RECORD_RAW) {
    record[len++] = (uint8_t)s->ssrc_known;
    put32(record + len, s->conn_ssrc);
    len += 4;
  }
  if (!reserve(s, len)) return;
  memcpy(s->pending + s->pending_len, record, len);
  s->pending_len += len;
}

/* Bytes of the connection as they came (raw mode), in a DATA record. */
static void append_data(rtp_socket *s, const uint8_t *data, size_t len) {
  if (len == 0) return;
  close_run(s);
  if (!reserve(s, 5 + len)) return;
  s->pending[s->pending_len] = RECORD_DATA;
  put32(s->pending + s->pending_len + 1, (uint32_t)len);
  memcpy(s->pending + s->pending_len + 5, data, len);
  s->pending_len += 5 + len;
}

/*
 * The relay's records, which reach JavaScript whether or not it is fed the stream:
 *   RELAY (8): u8 state (0 pending, 1 native, 2 bailed), u8 length, the reason (latin1).
 *   PARAMS (9): u16 length, the SPS, u16 length, the PPS: what the sequence header now carries.
 *   VIEWER_END (10): u32 viewer id, u8 reason (flv_relay.h), u32 high and u32 low bytes written.
 * The callbacks run on whichever thread holds the reader's lock; they find their socket by id,
 * as the slots array moves when it grows.
 */
struct relay_ctx {
  reader *r;
  uint32_t id;
};

static void append_bytes(rtp_socket *s, const uint8_t *data, size_t len) {
  close_run(s);
  if (!reserve(s, len)) return;
  memcpy(s->pending + s->pending_len, data, len);
  s->pending_len += len;
}

static void relay_state_changed(void *ctx, int state, const char *reason) {
  struct relay_ctx *c = ctx;
  rtp_socket *s = lookup(c->r, c->id);
  if (s == NULL) return;
  size_t n = strlen(reason);
  if (n > 255) n = 255;
  uint8_t record[3 + 255];
  record[0] = RECORD_RELAY;
  record[1] = (uint8_t)state;
  record[2] = (uint8_t)n;
  memcpy(record + 3, reason, n);
  append_bytes(s, record, 3 + n);
  /* A bailed relay leaves the stream to JavaScript, which must then be fed whatever it asked. */
  if (state == RELAY_BAILED) s->unfed = 0;
}

static void relay_params(void *ctx, const uint8_t *sps, size_t sps_len, const uint8_t *pps, size_t pps_len) {
  struct relay_ctx *c = ctx;
  rtp_socket *s = lookup(c->r, c->id);
  if (s == NULL || sps_len > 0xffff || pps_len > 0xffff) return;
  close_run(s);
  if (!reserve(s, 5 + sps_len + pps_len)) return;
  uint8_t *p = s->pending + s->pending_len;
  p[0] = RECORD_PARAMS;
  put16(p + 1, (uint16_t)sps_len);
  memcpy(p + 3, sps, sps_len);
  put16(p + 3 + sps_len, (uint16_t)pps_len);
  memcpy(p + 5 + sps_len, pps, pps_len);
  s->pending_len += 5 + sps_len + pps_len;
}

static void relay_viewer_end(void *ctx, uint32_t viewer, int reason, uint64_t bytes, const uint8_t *memory, size_t memory_len) {
  (void)memory;
  (void)memory_len;
  struct relay_ctx *c = ctx;
  rtp_socket *s = lookup(c->r, c->id);
  if (s == NULL) return;
  uint8_t record[14];
  record[0] = RECORD_VIEWER_END;
  put32(record + 1, viewer);
  record[5] = (uint8_t)reason;
  put32(record + 6, (uint32_t)(bytes >> 32));
  put32(record + 10, (uint32_t)bytes);
  append_bytes(s, record, sizeof record);
}

static void relay_want_write(void *ctx, int fd, uint32_t viewer, int on) {
  struct relay_ctx *c = ctx;
  if (on < 0) {
    epoll_ctl(c->r->epfd, EPOLL_CTL_DEL, fd, NULL);
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u), .data.u64 = c->id | VIEWER_TAG | ((uint64_t)viewer << VIEWER_SHIFT)};
  epoll_ctl(c->r->epfd, EPOLL_CTL_MOD, fd, &ev);
}

/*
 * One packet of a socket, parsed once: an RTP packet goes to the relay (if any), and to
 * JavaScript in a run unless the relay serves alone; anything else (RTCP, not RTP) as it came.
 * Over UDP the relay takes one sender only: the first one's address is kept as the socket's
 * peer, which replayed runs name. 0 when the packet had to be dropped.
 */
static int take_packet(rtp_socket *s, const uint8_t *data, size_t len, const struct sockaddr_storage *from) {
  size_t offset = 0, payload_len = 0;
  int rtp = rtp_payload(data, len, &offset, &payload_len);
  if (s->relay != NULL && relay_state(s->relay) != RELAY_BAILED) {
    if (s->kind == KIND_UDP) {
      if (!s->peer_known) {
        s->peer = *from;
        s->peer_known = 1;
      }
      if (!same_source(from, &s->peer)) relay_bail(s->relay, "a second sender");
    }
    if (rtp) relay_packet(s->relay, data + offset, payload_len, get32(data + 4), get32(data + 8), data[1] & 0x7f, data[1] >> 7, (uint16_t)(data[2] << 8 | data[3]));
  }
  if (s->unfed) return 1;
  return rtp ? append_rtp(s, data, len, offset, payload_len, from) : append(s, data, len, from);
}

/*
 * Whether an RFC 4571 frame at p plainly starts a packet of the connection, by the rules of
 * JavaScript's framer (src/media/rtp/tcp-framer.ts checkHeader): 1 yes, 0 no, -1 not enough bytes.
 */
static int frame_header(const rtp_socket *s, const uint8_t *in, size_t in_len, size_t p) {
  size_t avail = in_len - p;
  if (avail < 4) return -1;
  size_t length = (size_t)(in[p] << 8 | in[p + 1]);
  uint8_t b0 = in[p + 2], b1 = in[p + 3];
  if (length < 8 || b0 >> 6 != 2) return 0;
  if (b1 >= 192 && b1 <= 223) {
    if (avail < 6) return -1;
    return ((size_t)(in[p + 4] << 8 | in[p + 5]) + 1) * 4 <= length ? 1 : 0;
  }
  if (length < 12) return 0;
  if (avail < 14) return -1;
  if (s->ssrc_known && get32(in + p + 10) != s->conn_ssrc) return 0;
  return 1;
}

/* Cuts the complete frames read so far into runs and RTCP datagrams; at anything else, raw mode. */
static void frame_connection(rtp_socket *s) {
  size_t p = 0;
  while (!s->raw) {
    int head = frame_header(s, s->in, s->in_len, p);
    if (head < 0) break;
    size_t end = p + 2 + (size_t)(s->in[p] << 8 | s->in[p + 1]);
    if (head == 0 || (end <= s->in_len && frame_header(s, s->in, s->in_len, end) == 0)) {
      /* Not plain: JavaScript's framer takes over at this packet (it resyncs, or finds a packet cut short). */
      if (s->relay != NULL) relay_bail(s->relay, "the RTP framing was handed to JavaScript");
      s->raw = 1;
      append_event(s, RECORD_RAW, NULL);
      break;
    }
    if (end > s->in_len) break;
    const uint8_t *packet = s->in + p + 2;
    size_t len = end - p - 2;
    uint8_t b1 = packet[1];
    if (!(b1 >= 192 && b1 <= 223) && !s->ssrc_known) {
      s->conn_ssrc = get32(packet + 8);
      s->ssrc_known = 1;
    }
    if (take_packet(s, packet, len, &s->peer)) s->datagrams++;
    else s->dropped++;
    p = end;
  }
  if (s->raw) {
    append_data(s, s->in + p, s->in_len - p);
    s->in_len = 0;
    return;
  }
  memmove(s->in, s->in + p, s->in_len - p);
  s->in_len -= p;
}

static void end_connection(int epfd, rtp_socket *s) {
  if (s->relay != NULL) relay_connection_reset(s->relay);
  epoll_ctl(epfd, EPOLL_CTL_DEL, s->conn_fd, NULL);
  close(s->conn_fd);
  s->conn_fd = -1;
  s->paused = 0;
  s->in_len = 0; /* a packet cut by the close is lost, as with Node's socket */
}

/* Reads the live connection until it has given what it holds, the batch is full (then pauses it) or it ends. */
static void read_connection(int epfd, rtp_socket *s) {
  for (;;) {
    if (s->pending_len >= MAX_PENDING_BYTES) {
      /* Backpressure instead of loss: the camera's TCP waits until JavaScript has taken the batch. */
      struct epoll_event ev = {.events = 0, .data.u64 = s->id | CONNECTION_TAG};
      epoll_ctl(epfd, EPOLL_CTL_MOD, s->conn_fd, &ev);
      s->paused = 1;
      return;
    }
    if (s->in_cap - s->in_len < READ_CHUNK) {
      size_t cap = s->in_len + READ_CHUNK;
      uint8_t *grown = realloc(s->in, cap);
      if (grown == NULL) return;
      s->in = grown;
      s->in_cap = cap;
    }
    ssize_t n = read(s->conn_fd, s->in + s->in_len, READ_CHUNK);
    if (n > 0) {
      s->in_len += (size_t)n;
      s->bytes += (uint64_t)n;
      s->last_packet_ms = relay_now_ms();
      frame_connection(s);
      if (n < READ_CHUNK) return; /* drained: epoll says when there is more */
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    end_connection(epfd, s); /* orderly end (0) or a reset */
    append_event(s, RECORD_CLOSED, NULL);
    return;
  }
}

/* Takes the connections waiting on the listener: the first while none is live, the others refused. */
static void accept_connections(int epfd, rtp_socket *s) {
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    int fd = accept4(s->fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    if (s->conn_fd >= 0) {
      close(fd);
      s->refused++;
      append_event(s, RECORD_REFUSED, &peer);
      continue;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s->id | CONNECTION_TAG};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    s->conn_fd = fd;
    s->peer = peer;
    s->raw = 0;
    s->ssrc_known = 0;
    s->in_len = 0;
    s->connections++;
    append_event(s, RECORD_ACCEPTED, &peer);
  }
}

/* Reads what the socket holds (the caller holds the lock). */
static void drain(rtp_socket *s, uint8_t *buffers, struct mmsghdr *msgs, struct iovec *iov, struct sockaddr_storage *addrs) {
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = buffers + (size_t)i * SLOT;
      iov[i].iov_len = SLOT;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    }
    int n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return; /* EAGAIN, or an error the next round sees again (ICMP errors are read off here) */
    s->last_packet_ms = relay_now_ms();
    for (int i = 0; i < n; i++) {
      if (msgs[i].msg_hdr.msg_namelen == 0) continue;
      size_t len = msgs[i].msg_len;
      if (take_packet(s, iov[i].iov_base, len, &addrs[i])) {
        s->datagrams++;
        s->bytes += len;
      } else {
        s->dropped++;
      }
    }
    if (n < BATCH) return; /* drained: the next recvmmsg would only say EAGAIN */
  }
}

static void *receive_loop(void *arg) {
  reader *r = arg;
  uint8_t *buffers = malloc((size_t)BATCH * SLOT);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  struct epoll_event events[256];
  if (buffers == NULL) return NULL;
  uint64_t next_tick = relay_now_ms() + TICK_MS;
  while (__atomic_load_n(&r->running, __ATOMIC_ACQUIRE)) {
    int n = epoll_wait(r->epfd, events, 256, TICK_MS);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int got = 0, wake = 0, read_any = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == STOP_TAG) continue;
      rtp_socket *s = lookup(r, (uint32_t)events[i].data.u64);
      if (s == NULL) continue; /* closed since epoll_wait returned */
      if (events[i].data.u64 & VIEWER_TAG) {
        uint32_t e = events[i].events;
        if (s->relay != NULL) relay_viewer_ready(s->relay, (uint32_t)(events[i].data.u64 >> VIEWER_SHIFT), (e & EPOLLOUT) != 0, (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
        continue;
      }
      read_any = 1;
      if (s->kind == KIND_UDP) drain(s, buffers, msgs, iov, addrs);
      else if (events[i].data.u64 & CONNECTION_TAG) {
        if (s->conn_fd >= 0 && !s->paused) read_connection(r->epfd, s);
      } else {
        accept_connections(r->epfd, s);
      }
      if (s->pending_len > 0) got = 1;
    }
    uint64_t now = relay_now_ms();
    if (now >= next_tick) {
      next_tick = now + TICK_MS;
      for (uint32_t i = 0; i < r->slot_count; i++) {
        rtp_socket *s = &r->slots[i];
        if (s->id == 0 || s->relay == NULL) continue;
        relay_tick(s->relay, now);
        if (s->pending_len > 0) got = 1;
      }
    }
    if (got && !r->scheduled) {
      r->scheduled = 1;
      wake = 1;
    }
    pthread_mutex_unlock(&r->lock);
    if (wake) uv_async_send(r->wake);
    if (got || read_any) {
      /*
       * Let the next packets gather in the kernel buffers; a stop request cuts the pause short.
       * Also after a round that only fed relays: without the pause a relay-only UDP stream is
       * read a few datagrams at a time: 0.146% of a core per stream instead of 0.08-0.1% (ADR 0024).
       */
      struct pollfd stop = {.fd = r->evfd, .events = POLLIN};
      poll(&stop, 1, (int)r->interval_ms);
    }
  }
  free(buffers);
  return NULL;
}

static void finalize_batch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* A socket keeps its batch buffer between deliveries, unless a stall made it larger than this. */
#define KEPT_PENDING_CAP (256u * 1024u)

/*
 * Copies every socket's batch into one buffer (the caller holds the lock): u32 id, u32 length
 * and the socket's records, per socket with something pending. Each socket's buffer is kept for
 * its next batch. Returns NULL when there is nothing, or when memory ran out (the batches are
 * then dropped and counted, as a closed socket's would be).
 */
static uint8_t *take_batches(reader *r, size_t *length) {
  size_t total = 0;
  for (uint32_t i = 0; i < r->slot_count; i++) {
    rtp_socket *s = &r->slots[i];
    if (s->id == 0 || s->pending_len == 0) continue;
    close_run(s);
    total += 8 + s->pending_len;
  }
  *length = total;
  if (total == 0) return NULL;
  uint8_t *out = malloc(total);
  size_t at = 0;
  for (uint32_t i = 0; i < r->slot_count; i++) {
    rtp_socket *s = &r->slots[i];
    if (s->id == 0 || s->pending_len == 0) continue;
    if (s->paused && s->conn_fd >= 0) {
      struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s->id | CONNECTION_TAG};
      epoll_ctl(r->epfd, EPOLL_CTL_MOD, s->conn_fd, &ev);
      s->paused = 0;
    }
    if (out != NULL) {
      put32(out + at, s->id);
      put32(out + at + 4, (uint32_t)s->pending_len);
      memcpy(out + at + 8, s->pending, s->pending_len);
      at += 8 + s->pending_len;
    } else {
      s->dropped++;
    }
    s->pending_len = 0;
    if (s->pending_cap > KEPT_PENDING_CAP) {
      free(s->pending);
      s->pending = NULL;
      s->pending_cap = 0;
    }
  }
  return out;
}

/*
 * On the JavaScript thread: hands every socket's batch to the callback in one Buffer. One Buffer
 * per round rather than one per socket: creating an external Buffer (and later finalizing it)
 * cost more than copying the bytes once (docs/BENCHMARKS.md).
 */
static void deliver(uv_async_t *handle) {
  reader *r = handle->data;
  if (r == NULL || r->stopped) return;
  napi_env env = r->env;
  pthread_mutex_lock(&r->lock);
  r->scheduled = 0;
  size_t length;
  uint8_t *batches = take_batches(r, &length);
  pthread_mutex_unlock(&r->lock);
  if (batches == NULL) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    free(batches);
    return;
  }
  napi_value buffer;
  if (napi_create_external_buffer(env, length, batches, finalize_batch, NULL, &buffer) != napi_ok) {
    free(batches);
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  } else {
    napi_value callback, receiver;
    napi_get_reference_value(env, r->on_batches, &callback);
    napi_get_global(env, &receiver);
    if (napi_make_callback(env, r->async_context, receiver, callback, 1, &buffer, NULL) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

static void free_reader(reader *r) {
  pthread_mutex_destroy(&r->lock);
  free(r->slots);
  free(r);
}

static void close_slot(reader *r, rtp_socket *s) {
  if (s->relay != NULL) {
    relay *gone = s->relay;
    s->relay = NULL;
    relay_free(gone); /* its viewers' end records go with the socket: JavaScript closed it */
    free(s->relay_ctx);
    s->relay_ctx = NULL;
  }
  if (s->conn_fd >= 0) end_connection(r->epfd, s);
  free(s->in);
  s->in = NULL;
  s->in_len = s->in_cap = 0;
  if (s->fd >= 0) {
    epoll_ctl(r->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
  }
  free(s->pending);
  s->pending = NULL;
  s->pending_len = s->pending_cap = 0;
  s->run_at = NO_RUN;
  s->id = 0;
  s->fd = -1;
  r->open_count--;
}

/* Stops the thread and closes every socket; 0 when that had been done before. */
static int stop_thread(reader *r) {
  if (r->stopped) return 0;
  r->stopped = 1;
  __atomic_store_n(&r->running, 0, __ATOMIC_RELEASE);
  uint64_t one = 1;
  if (write(r->evfd, &one, sizeof one) < 0) { /* the thread then ends at its next epoll_wait */ }
  pthread_join(r->thread, NULL);
  pthread_mutex_lock(&r->lock);
  for (uint32_t i = 0; i < r->slot_count; i++) {
    if (r->slots[i].id != 0) close_slot(r, &r->slots[i]);
  }
  pthread_mutex_unlock(&r->lock);
  close(r->epfd);
  close(r->evfd);
  return 1;
}

/*
 * The wake handle closed at teardown (or after the reader was collected). Node unloads a
 * worker's addons once its environment is gone, so this callback, code of this library, must run
 * before that: the async cleanup hook holds the teardown until it is removed here. Whichever of
 * this and the finalizer runs second frees the reader.
 */
static void closed_at_teardown(uv_handle_t *handle) {
  reader *r = handle->data;
  free(handle);
  if (r->cleanup_hook != NULL) napi_remove_async_cleanup_hook(r->cleanup_hook);
  r->cleanup_hook = NULL;
  if (r->finalized) free_reader(r);
}

/* closeReader(): stops everything while the environment lives; its references are released. */
static void stop(reader *r) {
  if (!stop_thread(r)) return;
  if (r->cleanup_hook != NULL) napi_remove_async_cleanup_hook(r->cleanup_hook);
  r->cleanup_hook = NULL;
  r->wake->data = NULL;
  uv_close((uv_handle_t *)r->wake, free_handle);
  r->wake = NULL;
  napi_delete_reference(r->env, r->on_batches);
  napi_async_destroy(r->env, r->async_context);
}

/*
 * Teardown, or collection: the thread stops and the wake handle closes; the references go with
 * the environment (releasing them now would call into a dying V8).
 */
static void stop_for_teardown(reader *r) {
  if (!stop_thread(r)) return;
  uv_close((uv_handle_t *)r->wake, closed_at_teardown);
  r->wake = NULL;
}

/* The environment is going away (a worker ends): the thread must not outlive its event loop. */
static void async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  reader *r = arg;
  r->cleanup_hook = handle;
  stop_for_teardown(r); /* when it was stopped already, its pending close removes the hook */
}

static void finalize_reader(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  reader *r = data;
  r->finalized = 1;
  if (!r->stopped) stop_for_teardown(r); /* the close callback frees it */
  else if (r->cleanup_hook == NULL && r->wake == NULL) free_reader(r);
  /* else a teardown close is pending, and its callback frees it */
}

static reader *reader_arg(napi_env env, napi_callback_info info, size_t expected, napi_value *argv, int stopped_ok) {
  size_t argc = expected;
  napi_value args[8];
  if (expected > 8 || napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < expected) {
    napi_throw_type_error(env, NULL, "rtp-recv: wrong arguments");
    return NULL;
  }
  void *r = NULL;
  if (napi_get_value_external(env, args[0], &r) != napi_ok || r == NULL) {
    napi_throw_type_error(env, NULL, "rtp-recv: not a reader");
    return NULL;
  }
  for (size_t i = 0; i < expected; i++) argv[i] = args[i];
  if (((reader *)r)->stopped) {
    if (stopped_ok) return NULL;
    napi_throw_error(env, "ERR_CLOSED", "rtp-recv: the reader is closed");
    return NULL;
  }
  return r;
}

/* createReader(onBatches, intervalMs) -> reader */
static napi_value js_create_reader(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t interval_ms = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_uint32(env, argv[1], &interval_ms) != napi_ok) {
    napi_throw_type_error(env, NULL, "rtp-recv: createReader(onBatches, intervalMs)");
    return NULL;
  }
  reader *r = calloc(1, sizeof(reader));
  if (r == NULL) {
    throw_errno(env, ENOMEM, "createReader");
    return NULL;
  }
  r->interval_ms = interval_ms > 1000 ? 1000 : interval_ms;
  r->env = env;
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  r->wake = malloc(sizeof(uv_async_t));
  uv_loop_t *loop = NULL;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STOP_TAG};
  int ready = r->epfd >= 0 && r->evfd >= 0 && r->wake != NULL && epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ev) == 0 &&
              napi_get_uv_event_loop(env, &loop) == napi_ok && uv_async_init(loop, r->wake, deliver) == 0;
  if (!ready) {
    int err = errno;
    if (r->epfd >= 0) close(r->epfd);
    if (r->evfd >= 0) close(r->evfd);
    free(r->wake);
    free(r);
    throw_errno(env, err ? err : EIO, "createReader");
    return NULL;
  }
  r->wake->data = r;
  uv_unref((uv_handle_t *)r->wake); /* no socket open: the reader keeps nothing alive */
  pthread_mutex_init(&r->lock, NULL);
  napi_value name, resource;
  napi_create_string_utf8(env, "rtp-recv batch", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  napi_create_reference(env, argv[0], 1, &r->on_batches);
  napi_async_init(env, resource, name, &r->async_context);
  r->running = 1;
  if (pthread_create(&r->thread, NULL, receive_loop, r) != 0) {
    r->running = 0;
    r->stopped = 1;
    close(r->epfd);
    close(r->evfd);
    uv_close((uv_handle_t *)r->wake, free_handle);
    napi_delete_reference(env, r->on_batches);
    napi_async_destroy(env, r->async_context);
    pthread_mutex_destroy(&r->lock);
    free(r);
    throw_errno(env, EIO, "cannot start the receive thread");
    return NULL;
  }
  napi_add_async_cleanup_hook(env, async_cleanup, r, &r->cleanup_hook);
  napi_value external;
  if (napi_create_external(env, r, finalize_reader, NULL, &external) != napi_ok) return NULL;
  return external;
}

static int socket_address(int ipv6, const char *address, uint16_t port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (!ipv6) {
    struct sockaddr_in *in = (struct sockaddr_in *)out;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    *len = sizeof *in;
    return inet_pton(AF_INET, address, &in->sin_addr) == 1 ? 0 : EINVAL;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  *len = sizeof *in6;
  return inet_pton(AF_INET6, address, &in6->sin6_addr) == 1 ? 0 : EINVAL;
}

static void set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

static napi_value socket_info(napi_env env, rtp_socket *s) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  int rcvbuf = 0;
  socklen_t optlen = sizeof rcvbuf;
  getsockname(s->fd, (struct sockaddr *)&addr, &len);
  getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen);
  uint16_t port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port : ((struct sockaddr_in6 *)&addr)->sin6_port);
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "id", s->id);
  set_number(env, result, "port", port);
  set_number(env, result, "receiveBufferBytes", rcvbuf / 2); /* Linux reports twice what it granted for data */
  return result;
}

/* A free slot with a new id, cleared (the caller holds the lock); NULL when out of memory. */
static rtp_socket *new_slot(reader *r) {
  uint32_t index = 0;
  while (index < r->slot_count && r->slots[index].id != 0) index++;
  if (index == r->slot_count && r->slot_count == r->slot_cap) {
    uint32_t cap = r->slot_cap == 0 ? 64 : r->slot_cap * 2;
    rtp_socket *grown = cap > INDEX_MASK ? NULL : realloc(r->slots, cap * sizeof(rtp_socket));
    if (grown == NULL) return NULL;
    r->slots = grown;
    r->slot_cap = cap;
  }
  if (index == r->slot_count) r->slot_count++;
  r->generation = (r->generation + 1) & ((1u << (32 - INDEX_BITS)) - 1u);
  if (r->generation == 0) r->generation = 1;
  rtp_socket *s = &r->slots[index];
  memset(s, 0, sizeof *s);
  s->id = (r->generation << INDEX_BITS) | index;
  s->fd = -1;
  s->conn_fd = -1;
  s->run_at = NO_RUN;
  return s;
}

/*
 * Gives `fd` a new slot and the thread's attention: as the socket itself (UDP, TCP listener) or,
 * with CONNECTION_TAG, as an adopted connection. Called with the lock held; when it fails it
 * closes `fd`, releases the lock, throws and returns NULL.
 */
static rtp_socket *add_socket(napi_env env, reader *r, int fd, int kind, uint64_t tag) {
  rtp_socket *s = new_slot(r);
  int err = ENOMEM;
  const char *what = "too many sockets";
  if (s != NULL) {
    s->kind = kind;
    if (tag & CONNECTION_TAG) s->conn_fd = fd;
    else s->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s->id | tag};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
      if (r->open_count++ == 0) uv_ref((uv_handle_t *)r->wake);
      return s;
    }
    err = errno;
    what = "epoll_ctl";
    s->id = 0;
    s->fd = s->conn_fd = -1;
  }
  pthread_mutex_unlock(&r->lock);
  close(fd);
  throw_errno(env, err, what);
  return NULL;
}

/*
 * open(reader, host, port, ipv6, receiveBufferBytes, tcp) -> { id, port, receiveBufferBytes }:
 * a UDP socket, or (tcp) a TCP listener for one connection at a time.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  reader *r = reader_arg(env, info, 6, argv, 0);
  if (r == NULL) return NULL;
  char host[64];
  size_t host_len;
  uint32_t port, rcvbuf;
  bool ipv6, tcp;
  if (napi_get_value_string_latin1(env, argv[1], host, sizeof host, &host_len) != napi_ok || host_len >= sizeof host - 1 ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok || port > 65535 || napi_get_value_bool(env, argv[3], &ipv6) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &rcvbuf) != napi_ok || napi_get_value_bool(env, argv[5], &tcp) != napi_ok) {
    napi_throw_type_error(env, NULL, "rtp-recv: open(reader, host, port, ipv6, receiveBufferBytes, tcp)");
    return NULL;
  }
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (socket_address(ipv6, host, (uint16_t)port, &addr, &addr_len) != 0) {
    throw_errno(env, EINVAL, ipv6 ? "not an IPv6 address" : "not an IPv4 address");
    return NULL;
  }
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  if (ipv6) {
    int off = 0; /* dual stack, as Node's IPv6 sockets */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (tcp) {
    int on = 1; /* as libuv: a port in TIME_WAIT can be listened on again */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0 || (tcp && listen(fd, 16) != 0)) {
    int err = errno;
    close(fd);
    throw_errno(env, err, tcp ? "listen" : "bind");
    return NULL;
  }
  if (rcvbuf > 0) {
    int size = rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = add_socket(env, r, fd, tcp ? KIND_TCP : KIND_UDP, 0);
  if (s == NULL) return NULL;
  napi_value result = socket_info(env, s);
  pthread_mutex_unlock(&r->lock);
  return result;
}

/*
 * adopt(reader, fd) -> { id }: reads a TCP connection JavaScript made (TCP active) as a passive
 * one's. The thread reads a duplicate, so Node.js may close its own descriptor at once; it must
 * not have read from the connection (it would hold bytes the framing never sees).
 */
static napi_value js_adopt(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  reader *r = reader_arg(env, info, 2, argv, 0);
  if (r == NULL) return NULL;
  int32_t given;
  if (napi_get_value_int32(env, argv[1], &given) != napi_ok || given < 0) {
    napi_throw_type_error(env, NULL, "rtp-recv: adopt(reader, fd)");
    return NULL;
  }
  int fd = fcntl(given, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "dup");
    return NULL;
  }
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof peer;
  int type = 0;
  socklen_t type_len = sizeof type;
  int flags = fcntl(fd, F_GETFL);
  int err = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0) err = errno;
  else if (type != SOCK_STREAM) err = EINVAL;
  else if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0) err = errno;
  else if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) err = errno;
  if (err != 0) {
    close(fd);
    throw_errno(env, err, "not a connected TCP socket");
    return NULL;
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = add_socket(env, r, fd, KIND_TCP, CONNECTION_TAG);
  if (s == NULL) return NULL;
  s->peer = peer;
  s->connections = 1;
  uint32_t id = s->id;
  pthread_mutex_unlock(&r->lock);
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "id", id);
  return result;
}

/* The (reader, id) arguments of close() and stats(); NULL (nothing thrown) once the reader is closed. */
static reader *reader_and_id(napi_env env, napi_callback_info info, uint32_t *id) {
  napi_value argv[2];
  reader *r = reader_arg(env, info, 2, argv, 1);
  if (r == NULL) return NULL;
  if (napi_get_value_uint32(env, argv[1], id) != napi_ok) {
    napi_throw_type_error(env, NULL, "rtp-recv: a socket id is a number");
    return NULL;
  }
  return r;
}

/* close(reader, id): datagrams not yet delivered are dropped. Closing twice does nothing. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  uint32_t id;
  reader *r = reader_and_id(env, info, &id);
  if (r == NULL) return NULL;
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, id);
  if (s != NULL) {
    close_slot(r, s);
    if (r->open_count == 0) uv_unref((uv_handle_t *)r->wake);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

/* stats(reader, id) -> { datagrams, bytes, dropped } or undefined once closed */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  uint32_t id;
  reader *r = reader_and_id(env, info, &id);
  if (r == NULL) return NULL;
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, id);
  double datagrams = s ? (double)s->datagrams : 0, bytes = s ? (double)s->bytes : 0, dropped = s ? (double)s->dropped : 0;
  double idle = s && s->last_packet_ms != 0 ? (double)(relay_now_ms() - s->last_packet_ms) : -1;
  pthread_mutex_unlock(&r->lock);
  napi_value result;
  if (s == NULL) {
    napi_get_undefined(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  set_number(env, result, "datagrams", datagrams);
  set_number(env, result, "bytes", bytes);
  set_number(env, result, "dropped", dropped);
  set_number(env, result, "msSincePacket", idle);
  return result;
}

/* Records the relay appended outside the thread's rounds (a JavaScript call) reach JavaScript too. */
static void deliver_soon(reader *r, rtp_socket *s) {
  if (s->pending_len == 0 || r->scheduled) return;
  r->scheduled = 1;
  uv_async_send(r->wake);
}

static int get_uint32s(napi_env env, napi_value *argv, size_t n, uint32_t *out) {
  for (size_t i = 0; i < n; i++) {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok || !(d >= 0) || d > 4294967295.0) return 0;
    out[i] = (uint32_t)d;
  }
  return 1;
}

/*
 * relay(reader, id, gopMaxFrames, gopMaxBytes, slowSkipBytes, slowDropBytes, stallMs): the
 * socket's stream goes through an FLV relay from now on; before its first byte, so that the
 * relay sees the stream from its start. JavaScript stays fed until it says otherwise (feed).
 */
static napi_value js_relay(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  reader *r = reader_arg(env, info, 7, argv, 0);
  if (r == NULL) return NULL;
  uint32_t v[6];
  if (!get_uint32s(env, argv + 1, 6, v)) {
    napi_throw_type_error(env, NULL, "rtp-recv: relay(reader, id, gopMaxFrames, gopMaxBytes, slowSkipBytes, slowDropBytes, stallMs)");
    return NULL;
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, v[0]);
  const char *error = s == NULL ? "no such socket" : s->relay != NULL ? "the socket has a relay" : NULL;
  if (error == NULL) {
    struct relay_ctx *c = malloc(sizeof *c);
    relay_host host = {.ctx = c, .state = relay_state_changed, .params = relay_params, .viewer_end = relay_viewer_end, .want_write = relay_want_write};
    relay_limits limits = {.gop_max_frames = v[1], .gop_max_bytes = v[2], .slow_skip_bytes = v[3], .slow_drop_bytes = v[4], .stall_ms = v[5]};
    if (c != NULL) {
      c->r = r;
      c->id = s->id;
      s->relay = relay_new(&host, &limits);
    }
    if (s->relay == NULL) {
      free(c);
      error = "out of memory";
    } else {
      s->relay_ctx = c;
    }
  }
  pthread_mutex_unlock(&r->lock);
  if (error != NULL) napi_throw_error(env, "ERR_RELAY", error);
  return NULL;
}

/*
 * One frame (or the start of one) the relay kept, as RUN records of at most MAX_RUN packets: what
 * the socket would have handed over had JavaScript been fed. Whole datagrams are counted with a
 * 12-byte header each (the relay keeps only payloads).
 */
static void replay_run(void *ctx, uint32_t ts, uint32_t ssrc, uint8_t pt, uint16_t first_seq, uint32_t count, const uint16_t *lengths, const uint8_t *payloads,
                       int complete) {
  rtp_socket *s = ctx;
  size_t at = 0;
  for (uint32_t done = 0; done < count;) {
    uint32_t n = count - done > MAX_RUN ? MAX_RUN : count - done;
    size_t payload = 0;
    for (uint32_t i = 0; i < n; i++) payload += lengths[done + i];
    uint8_t header[1 + RECORD_HEADER_MAX + RUN_HEADER];
    header[0] = RECORD_RUN;
    size_t header_len = 1 + write_source(header + 1, &s->peer);
    if (!reserve(s, header_len + RUN_HEADER + payload + 2u * n)) return;
    uint8_t *h = header + header_len;
    put16(h, (uint16_t)n);
    put16(h + 2, (uint16_t)(first_seq + done));
    put32(h + 4, ts);
    put32(h + 8, ssrc);
    h[12] = pt;
    h[13] = (uint8_t)(complete && done + n == count);
    put32(h + 14, (uint32_t)(payload + 12u * n));
    put32(h + 18, (uint32_t)payload);
    uint8_t *p = s->pending + s->pending_len;
    memcpy(p, header, header_len + RUN_HEADER);
    p += header_len + RUN_HEADER;
    memcpy(p, payloads + at, payload);
    p += payload;
    for (uint32_t i = 0; i < n; i++) put16(p + 2u * i, lengths[done + i]);
    s->pending_len += header_len + RUN_HEADER + payload + 2u * n;
    at += payload;
    done += n;
  }
}

/* feed(reader, id, on): whether JavaScript gets the stream's packets besides the relay. */
static napi_value js_feed(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  reader *r = reader_arg(env, info, 3, argv, 0);
  if (r == NULL) return NULL;
  uint32_t id;
  bool on;
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok || napi_get_value_bool(env, argv[2], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "rtp-recv: feed(reader, id, on)");
    return NULL;
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, id);
  /* Only a relay that serves can stand in for JavaScript; a raw connection always goes to it. */
  int was_unfed = s != NULL && s->unfed;
  if (s != NULL) s->unfed = !on && s->relay != NULL && relay_state(s->relay) == RELAY_NATIVE && !s->raw;
  int unfed = s != NULL && s->unfed;
  if (was_unfed && !unfed) {
    /* Fed again: first what it missed since the last key frame, so that its GOP cache is whole at once. */
    close_run(s);
    relay_replay(s->relay, replay_run, s);
    deliver_soon(r, s);
  }
  pthread_mutex_unlock(&r->lock);
  napi_value result;
  napi_get_boolean(env, !unfed, &result);
  return result;
}

/*
 * relayViewer(reader, id, fd, viewerId): the relay writes the stream as FLV to a duplicate of
 * `fd` (an HTTP-FLV viewer's socket, its response headers already sent); Node.js then closes its
 * own. Throws ERR_RELAY_BAILED when the relay no longer serves.
 */
static napi_value js_relay_viewer(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  reader *r = reader_arg(env, info, 4, argv, 0);
  if (r == NULL) return NULL;
  uint32_t v[3];
  if (!get_uint32s(env, argv + 1, 3, v) || v[2] > MAX_VIEWER_ID || v[1] > INT32_MAX) {
    napi_throw_type_error(env, NULL, "rtp-recv: relayViewer(reader, id, fd, viewerId)");
    return NULL;
  }
  int fd = fcntl((int)v[1], F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "dup");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "fcntl");
    return NULL;
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, v[0]);
  const char *error = NULL, *code = "ERR_RELAY";
  if (s == NULL || s->relay == NULL) {
    error = "no relay on that socket";
  } else {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = s->id | VIEWER_TAG | ((uint64_t)v[2] << VIEWER_SHIFT)};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      error = "epoll_ctl";
    } else if (relay_add_viewer(s->relay, fd, v[2]) != 0) {
      epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
      error = "the relay does not serve this stream";
      code = "ERR_RELAY_BAILED";
    } else {
      fd = -1; /* the relay's now */
      deliver_soon(r, s);
    }
  }
  pthread_mutex_unlock(&r->lock);
  if (fd >= 0) close(fd);
  if (error != NULL) napi_throw_error(env, code, error);
  return NULL;
}

/* relayEndViewer(reader, id, viewerId): ends a viewer (its VIEWER_END record follows). */
static napi_value js_relay_end_viewer(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  reader *r = reader_arg(env, info, 3, argv, 1);
  if (r == NULL) return NULL;
  uint32_t v[2];
  if (!get_uint32s(env, argv + 1, 2, v)) {
    napi_throw_type_error(env, NULL, "rtp-recv: relayEndViewer(reader, id, viewerId)");
    return NULL;
  }
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, v[0]);
  if (s != NULL && s->relay != NULL) {
    relay_end_viewer(s->relay, v[1], VIEWER_STREAM_ENDED);
    deliver_soon(r, s);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

static const char *state_name(int state) { return state == RELAY_NATIVE ? "native" : state == RELAY_BAILED ? "bailed" : "pending"; }

static void set_string(napi_env env, napi_value object, const char *name, const char *text) {
  napi_value value;
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, name, value);
}

/* relayStats(reader, id) -> { state, reason, videoFrames, ..., msSinceFrame } or undefined */
static napi_value js_relay_stats(napi_env env, napi_callback_info info) {
  uint32_t id;
  reader *r = reader_and_id(env, info, &id);
  if (r == NULL) return NULL;
  relay_counters c;
  char reason[128];
  int state = 0, found = 0;
  pthread_mutex_lock(&r->lock);
  rtp_socket *s = lookup(r, id);
  if (s != NULL && s->relay != NULL) {
    found = 1;
    relay_counts(s->relay, &c);
    state = relay_state(s->relay);
    snprintf(reason, sizeof reason, "%s", relay_reason(s->relay));
  }
  pthread_mutex_unlock(&r->lock);
  napi_value result;
  if (!found) {
    napi_get_undefined(env, &result);
    return result;
  }
  uint64_t now = relay_now_ms();
  napi_create_object(env, &result);
  set_string(env, result, "state", state_name(state));
  set_string(env, result, "reason", reason);
  set_number(env, result, "videoFrames", (double)c.video_frames);
  set_number(env, result, "audioFrames", (double)c.audio_frames);
  set_number(env, result, "keyframes", (double)c.keyframes);
  set_number(env, result, "bytes", (double)c.bytes);
  set_number(env, result, "msSinceFrame", c.last_frame_ms == 0 ? -1 : (double)(now - c.last_frame_ms));
  set_number(env, result, "viewers", c.viewers);
  set_number(env, result, "viewerBytes", (double)c.viewer_bytes);
  set_number(env, result, "slowSkips", (double)c.slow_skips);
  set_number(env, result, "slowDrops", (double)c.slow_drops);
  return result;
}

/* ---- relayDemuxForTest: one relay driven synchronously, its viewers kept in memory ---- */

typedef struct {
  uint8_t *live;
  size_t live_len;
  int live_ended;
} test_host;

static void test_state(void *ctx, int state, const char *reason) { (void)ctx, (void)state, (void)reason; }
static void test_params(void *ctx, const uint8_t *a, size_t al, const uint8_t *b, size_t bl) { (void)ctx, (void)a, (void)al, (void)b, (void)bl; }
static void test_want(void *ctx, int fd, uint32_t viewer, int on) { (void)ctx, (void)fd, (void)viewer, (void)on; }

static void test_viewer_end(void *ctx, uint32_t viewer, int reason, uint64_t bytes, const uint8_t *memory, size_t memory_len) {
  (void)reason;
  (void)bytes;
  test_host *t = ctx;
  if (viewer != 1 || t->live_ended) return;
  t->live_ended = 1;
  t->live = malloc(memory_len > 0 ? memory_len : 1);
  if (t->live != NULL && memory_len > 0) memcpy(t->live, memory, memory_len);
  t->live_len = t->live != NULL ? memory_len : 0;
}

static napi_value buffer_of(napi_env env, const uint8_t *data, size_t len) {
  napi_value buffer;
  void *copy;
  napi_create_buffer_copy(env, len, len > 0 ? data : (const uint8_t *)"", &copy, &buffer);
  return buffer;
}

/*
 * relayDemuxForTest(packets) -> { state, reason, live, late, frames, decidedAt }: the FLV a viewer
 * that asked before the first packet got, handed over after the packet that made the relay serve
 * (decidedAt, -1 if none), and one attached after the last (late); test only.
 */
static napi_value js_relay_demux_for_test(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value packets;
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, &packets, NULL, NULL) != napi_ok || argc < 1 || napi_get_array_length(env, packets, &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "rtp-recv: relayDemuxForTest(packets)");
    return NULL;
  }
  test_host t = {0};
  relay_host host = {.ctx = &t, .state = test_state, .params = test_params, .viewer_end = test_viewer_end, .want_write = test_want};
  relay_limits limits = {.gop_max_frames = 600, .gop_max_bytes = 16u << 20, .slow_skip_bytes = 2u << 20, .slow_drop_bytes = 8u << 20, .stall_ms = 0};
  relay *r = relay_new(&host, &limits);
  if (r == NULL) {
    throw_errno(env, ENOMEM, "relayDemuxForTest");
    return NULL;
  }
  /* The live viewer asked before the first packet: it is handed over once the relay serves, as FlvViewers does. */
  int live_attached = 0;
  double decided_at = -1;
  const char *bad = NULL;
  for (uint32_t i = 0; i < count && bad == NULL; i++) {
    napi_value packet, payload, field;
    void *data;
    size_t len;
    double ts, ssrc, pt;
    bool marker;
    if (napi_get_element(env, packets, i, &packet) != napi_ok || napi_get_named_property(env, packet, "payload", &payload) != napi_ok ||
        napi_get_buffer_info(env, payload, &data, &len) != napi_ok) {
      bad = "a packet without a payload Buffer";
      break;
    }
    if (napi_get_named_property(env, packet, "timestamp", &field) != napi_ok || napi_get_value_double(env, field, &ts) != napi_ok ||
        napi_get_named_property(env, packet, "ssrc", &field) != napi_ok || napi_get_value_double(env, field, &ssrc) != napi_ok ||
        napi_get_named_property(env, packet, "payloadType", &field) != napi_ok || napi_get_value_double(env, field, &pt) != napi_ok ||
        napi_get_named_property(env, packet, "marker", &field) != napi_ok || napi_get_value_bool(env, field, &marker) != napi_ok) {
      bad = "a packet without timestamp, ssrc, payloadType and marker";
      break;
    }
    relay_packet(r, data, len, (uint32_t)(int64_t)ts, (uint32_t)(int64_t)ssrc, (uint8_t)pt, marker, (uint16_t)i);
    if (!live_attached && relay_state(r) == RELAY_NATIVE) {
      live_attached = relay_add_viewer(r, -1, 1) == 0;
      decided_at = i;
    }
  }
  if (bad != NULL) {
    relay_free(r);
    free(t.live);
    napi_throw_type_error(env, NULL, bad);
    return NULL;
  }
  napi_value result;
  napi_create_object(env, &result);
  size_t len;
  const uint8_t *live = t.live_ended ? t.live : relay_viewer_memory(r, 1, &len);
  if (t.live_ended) len = t.live_len;
  napi_set_named_property(env, result, "live", buffer_of(env, live, len));
  set_string(env, result, "state", state_name(relay_state(r)));
  set_string(env, result, "reason", relay_reason(r));
  relay_counters c;
  relay_counts(r, &c);
  set_number(env, result, "frames", (double)(c.video_frames + c.audio_frames));
  set_number(env, result, "decidedAt", decided_at);
  const uint8_t *late = NULL;
  size_t late_len = 0;
  if (relay_add_viewer(r, -1, 2) == 0) late = relay_viewer_memory(r, 2, &late_len);
  napi_set_named_property(env, result, "late", buffer_of(env, late, late_len));
  relay_free(r);
  free(t.live);
  return result;
}

/* closeReader(reader): stops the thread and closes every socket. */
static napi_value js_close_reader(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  reader *r = reader_arg(env, info, 1, argv, 1);
  if (r == NULL) return NULL;
  stop(r);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"createReader", js_create_reader}, {"open", js_open}, {"adopt", js_adopt}, {"close", js_close}, {"stats", js_stats}, {"closeReader", js_close_reader},
      {"relay", js_relay}, {"feed", js_feed}, {"relayViewer", js_relay_viewer}, {"relayEndViewer", js_relay_end_viewer}, {"relayStats", js_relay_stats},
      {"relayDemuxForTest", js_relay_demux_for_test},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
