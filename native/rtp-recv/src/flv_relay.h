/*
 * The native FLV relay of one camera stream (docs/decisions/0024-native-flv-relay.md): plain
 * MPEG-PS (H.264, G.711 in the PS) demultiplexed on the receive thread, with its GOP cache and
 * the HTTP-FLV viewers handed over to it, so that a watched stream never wakes JavaScript. The
 * first thing that is not plain makes it bail for good; the TypeScript pipeline then serves the
 * stream, as it serves every stream the relay does not take.
 */
#ifndef GBVMS_FLV_RELAY_H
#define GBVMS_FLV_RELAY_H

#include <stddef.h>
#include <stdint.h>

enum { RELAY_PENDING = 0, RELAY_NATIVE = 1, RELAY_BAILED = 2 };
/* Why a viewer ended; the numbers are the VIEWER_END record's reason byte. */
enum { VIEWER_CLOSED = 0, VIEWER_TOO_SLOW = 1, VIEWER_STREAM_ENDED = 2, VIEWER_WRITE_ERROR = 3 };

typedef struct relay relay;

/* What the relay tells its owner (the reader, under its lock; the test entry point directly). */
typedef struct {
  void *ctx;
  void (*state)(void *ctx, int state, const char *reason);
  /* The parameter sets a viewer's sequence header now carries. */
  void (*params)(void *ctx, const uint8_t *sps, size_t sps_len, const uint8_t *pps, size_t pps_len);
  /* A viewer ended; a memory viewer's bytes (fd -1) come with it, valid during the call. */
  void (*viewer_end)(void *ctx, uint32_t viewer, int reason, uint64_t bytes, const uint8_t *memory, size_t memory_len);
  /* Write readiness wanted (1, a backlog) or not (0) for a viewer's socket; -1: it is closing. */
  void (*want_write)(void *ctx, int fd, uint32_t viewer, int on);
} relay_host;

typedef struct {
  uint32_t gop_max_frames;
  size_t gop_max_bytes;
  size_t slow_skip_bytes;
  size_t slow_drop_bytes;
  uint32_t stall_ms;
} relay_limits;

typedef struct {
  uint64_t video_frames, audio_frames, keyframes, bytes;
  uint64_t last_frame_ms;
  uint32_t viewers;
  uint64_t viewer_bytes;
  uint64_t slow_skips, slow_drops;
} relay_counters;

relay *relay_new(const relay_host *host, const relay_limits *limits);
/* Ends every viewer (VIEWER_STREAM_ENDED) and frees the relay. */
void relay_free(relay *r);
int relay_state(const relay *r);
const char *relay_reason(const relay *r);
void relay_counts(const relay *r, relay_counters *out);

/* One RTP packet of the connection, in order (TCP), `payload` its PS bytes. */
void relay_packet(relay *r, const uint8_t *payload, size_t len, uint32_t ts, uint32_t ssrc, uint8_t pt, int marker, uint16_t seq);
/* Something the relay cannot follow (framing handed to JavaScript, a reader limit): it bails. */
void relay_bail(relay *r, const char *reason);
/* The camera's connection ended or was replaced: a frame in progress is cut. */
void relay_connection_reset(relay *r);

/*
 * A viewer's connected socket (non-blocking, owned by the relay from now on), or fd -1: the
 * bytes are kept in memory (the test entry point). Returns 0, or -1 when the relay has bailed.
 */
int relay_add_viewer(relay *r, int fd, uint32_t id);
/* The socket of a viewer is writable / has input or hung up. */
void relay_viewer_ready(relay *r, uint32_t id, int writable, int readable_or_hup);
/*
 * The packets of the stream since its last key frame's (and of the frame in progress), frame by
 * frame in order: `count` payloads back to back in `payloads`, their lengths in `lengths`,
 * sequence numbers from `first_seq`; `complete` when the frame's last packet is among them.
 */
typedef void (*relay_replay_fn)(void *ctx, uint32_t ts, uint32_t ssrc, uint8_t pt, uint16_t first_seq, uint32_t count, const uint16_t *lengths,
                                const uint8_t *payloads, int complete);
/* Calls `emit` for what JavaScript needs to rebuild its GOP cache when it is fed again (nothing unless serving). */
void relay_replay(relay *r, relay_replay_fn emit, void *ctx);
/* Once in a while: drops viewers whose backlog has not shrunk for stall_ms. */
void relay_tick(relay *r, uint64_t now_ms);
/* Ends one viewer (JavaScript asked); returns 0, -1 when there is none by that id. */
int relay_end_viewer(relay *r, uint32_t id, int reason);
/* A memory viewer's bytes so far (fd -1): valid until the next call into the relay. */
const uint8_t *relay_viewer_memory(relay *r, uint32_t id, size_t *len);

uint64_t relay_now_ms(void);

#endif
