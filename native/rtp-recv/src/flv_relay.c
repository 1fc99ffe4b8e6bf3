/*
 * Native FLV relay (flv_relay.h). The rules of "plain" are those of the TypeScript demuxer
 * (src/media/ps/) on a well-behaved camera: packets come in sequence, none lost; every frame is
 * one run of them ending with a marked one, starts with a pack header, and holds whole packets
 * whose lengths are right; video is one H.264 picture whose first PES carries its PTS and starts
 * with a start code; audio is G.711 in PES packets with a PTS. On such input the TypeScript pipeline and this relay write the
 * same FLV tags (test/native/flv-relay-differential.test.ts); on anything else the relay bails
 * before it has written a tag the TypeScript pipeline would not have.
 */
#define _GNU_SOURCE
#include "flv_relay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME_BYTES (8u * 1024u * 1024u)
#define MAX_HEADER_PACKET 4096
#define LARGE_VIDEO_PES 65000
#define MAX_MISSED_KEYFRAMES 3
#define MAX_PARAM_SET 1024
#define TAG_AUDIO 8
#define TAG_VIDEO 9
#define RAW_BYTES 0 /* a frame written as it is: the FLV file header */
#define PTS_RANGE (1ll << 33)
#define HALF_PTS_RANGE (1ll << 32)
#define WRITE_IOV 48

typedef struct {
  uint32_t refs;
  uint8_t type; /* TAG_AUDIO, TAG_VIDEO or RAW_BYTES */
  uint8_t keyframe;
  int64_t pos; /* 90 kHz ticks on the stream's clock */
  uint32_t size;
  uint8_t body[];
} frame;

typedef struct {
  frame *f;
  uint8_t head[11];
  uint8_t tail[4];
  size_t sent; /* bytes of head + body + tail already written */
} queued;

/* A frame's packets as they came (its payloads back to back and their lengths), kept for JavaScript. */
typedef struct replay_frame {
  struct replay_frame *next;
  uint32_t ts;
  uint16_t first_seq;
  uint32_t count;
  uint8_t *bytes;
  size_t len;
  uint16_t *lengths;
} replay_frame;

typedef struct viewer {
  struct viewer *next;
  uint32_t id;
  int fd;
  int started, waiting_key, want_out;
  uint32_t missed_keyframes;
  int64_t base, last_pos;
  queued *q;
  size_t q_head, q_len, q_cap;
  size_t backlog; /* bytes queued and not yet written */
  size_t last_backlog;
  uint64_t progress_ms;
  uint64_t bytes;
  uint8_t *mem;
  size_t mem_len, mem_cap;
} viewer;

struct relay {
  relay_host host;
  relay_limits limits;
  int state;
  char reason[128];
  /* RTP */
  int have_rtp;
  uint8_t pt;
  uint32_t ssrc;
  int in_frame;
  uint32_t frame_ts;
  int have_marked;
  uint32_t marked_ts;
  uint8_t *buf;
  size_t buf_len, buf_cap;
  /* The frame in progress: its first sequence number and its packets' payload lengths. */
  uint16_t first_seq;
  uint16_t *lengths;
  uint32_t count, lengths_cap;
  int frame_was_key;
  /* The packets since the last key frame's, for JavaScript when it is fed again (replay_valid: complete). */
  replay_frame *replay_head, *replay_tail;
  size_t replay_frames, replay_bytes;
  int replay_valid;
  /* PS */
  int video_id, audio_id;
  int psm_video_type, psm_audio_type; /* -1: not declared */
  int psm_seen;
  int audio_seen;
  uint8_t audio_sound;
  /* Parameter sets changed and not yet published (one of the pair missing); tracks changed and not yet announced. */
  int sets_changed, announce_pending;
  /* A frame that began with a pack header has been read (before it, partial frames are skipped). */
  int synced;
  int seq_known;
  uint16_t next_seq;
  /* Video unit in progress */
  uint8_t *au;
  size_t au_len, au_cap;
  /* Parameter sets: the latest seen, and those of the current sequence header */
  uint8_t sps[MAX_PARAM_SET], pps[MAX_PARAM_SET], hdr_sps[MAX_PARAM_SET], hdr_pps[MAX_PARAM_SET];
  size_t sps_len, pps_len, hdr_sps_len, hdr_pps_len;
  frame *seq_header;
  /* Clock */
  int clock_started;
  int64_t clock_last, clock_pos;
  /* GOP cache */
  frame **gop;
  size_t gop_len, gop_cap, gop_bytes;
  int gop_overflow;
  viewer *viewers;
  relay_counters counts;
};

uint64_t relay_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static frame *frame_new(uint8_t type, int keyframe, int64_t pos, size_t size) {
  frame *f = malloc(sizeof(frame) + size);
  if (f == NULL) return NULL;
  f->refs = 1;
  f->type = type;
  f->keyframe = (uint8_t)keyframe;
  f->pos = pos;
  f->size = (uint32_t)size;
  return f;
}

static void frame_unref(frame *f) {
  if (f != NULL && --f->refs == 0) free(f);
}

static void put24(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static int grow(uint8_t **data, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  size_t c = *cap == 0 ? 65536 : *cap;
  while (c < need) c *= 2;
  uint8_t *g = realloc(*data, c);
  if (g == NULL) return 0;
  *data = g;
  *cap = c;
  return 1;
}

/* ---- viewers ---- */

static size_t queued_size(const queued *e) { return e->f->type == RAW_BYTES ? e->f->size : 11u + e->f->size + 4u; }

static viewer *find_viewer(relay *r, uint32_t id, viewer ***link) {
  for (viewer **l = &r->viewers; *l != NULL; l = &(*l)->next) {
    if ((*l)->id == id) {
      if (link) *link = l;
      return *l;
    }
  }
  return NULL;
}

static void end_viewer(relay *r, viewer **link, int reason) {
  viewer *v = *link;
  *link = v->next;
  for (size_t i = 0; i < v->q_len; i++) frame_unref(v->q[(v->q_head + i) % v->q_cap].f);
  free(v->q);
  if (v->fd >= 0) {
    /* Out of the poll set first: Node.js may still hold the socket it was duplicated from. */
    r->host.want_write(r->host.ctx, v->fd, v->id, -1);
    close(v->fd);
  }
  r->counts.viewers--;
  if (reason == VIEWER_TOO_SLOW) r->counts.slow_drops++;
  r->host.viewer_end(r->host.ctx, v->id, reason, v->bytes, v->mem, v->mem_len);
  free(v->mem);
  free(v);
}

/* Writes what the socket takes; 0 when the viewer has gone (the caller ends it). */
static int flush_viewer(relay *r, viewer *v, int *reason) {
  while (v->q_len > 0) {
    struct iovec iov[WRITE_IOV];
    int n = 0;
    for (size_t i = 0; i < v->q_len && n + 3 <= WRITE_IOV; i++) {
      queued *e = &v->q[(v->q_head + i) % v->q_cap];
      size_t skip = e->sent;
      if (e->f->type == RAW_BYTES) {
        iov[n].iov_base = e->f->body + skip;
        iov[n++].iov_len = e->f->size - skip;
        continue;
      }
      if (skip < 11) {
        iov[n].iov_base = e->head + skip;
        iov[n++].iov_len = 11 - skip;
        skip = 0;
      } else {
        skip -= 11;
      }
      if (skip < e->f->size) {
        iov[n].iov_base = e->f->body + skip;
        iov[n++].iov_len = e->f->size - skip;
        skip = 0;
      } else {
        skip -= e->f->size;
      }
      iov[n].iov_base = e->tail + skip;
      iov[n++].iov_len = 4 - skip;
    }
    ssize_t w;
    if (v->fd < 0) {
      size_t total = 0;
      for (int i = 0; i < n; i++) total += iov[i].iov_len;
      if (!grow(&v->mem, &v->mem_cap, v->mem_len + total)) {
        *reason = VIEWER_WRITE_ERROR;
        return 0;
      }
      for (int i = 0; i < n; i++) {
        memcpy(v->mem + v->mem_len, iov[i].iov_base, iov[i].iov_len);
        v->mem_len += iov[i].iov_len;
      }
      w = (ssize_t)total;
    } else {
      w = writev(v->fd, iov, n);
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      *reason = errno == EPIPE || errno == ECONNRESET ? VIEWER_CLOSED : VIEWER_WRITE_ERROR;
      return 0;
    }
    size_t left = (size_t)w;
    v->bytes += left;
    r->counts.viewer_bytes += left;
    v->backlog -= left;
    while (left > 0 && v->q_len > 0) {
      queued *e = &v->q[v->q_head];
      size_t rest = queued_size(e) - e->sent;
      if (left < rest) {
        e->sent += left;
        left = 0;
        break;
      }
      left -= rest;
      frame_unref(e->f);
      v->q_head = (v->q_head + 1) % v->q_cap;
      v->q_len--;
    }
  }
  int want = v->q_len > 0;
  if (v->fd >= 0 && want != v->want_out) {
    v->want_out = want;
    r->host.want_write(r->host.ctx, v->fd, v->id, want);
  }
  return 1;
}

/* Milliseconds of `pos` on the viewer's clock, which starts at 0 with its first frame (FlvClock). */
static uint32_t viewer_ms(const viewer *v, int64_t pos) {
  int64_t d = pos - v->base;
  if (d <= 0) return 0;
  return (uint32_t)((d + 45) / 90);
}

/* Queues a frame (its tag header stamped for this viewer); 0 when memory ran out. */
static int enqueue(viewer *v, frame *f, uint32_t ms) {
  if (v->q_len == v->q_cap) {
    size_t cap = v->q_cap == 0 ? 64 : v->q_cap * 2;
    queued *q = malloc(cap * sizeof *q);
    if (q == NULL) return 0;
    for (size_t i = 0; i < v->q_len; i++) q[i] = v->q[(v->q_head + i) % v->q_cap];
    free(v->q);
    v->q = q;
    v->q_head = 0;
    v->q_cap = cap;
  }
  queued *e = &v->q[(v->q_head + v->q_len) % v->q_cap];
  e->f = f;
  e->sent = 0;
  f->refs++;
  if (f->type != RAW_BYTES) {
    e->head[0] = f->type;
    put24(e->head + 1, f->size);
    put24(e->head + 4, ms & 0xffffff);
    e->head[7] = (uint8_t)(ms >> 24);
    put24(e->head + 8, 0);
    put32be(e->tail, 11u + f->size);
  }
  v->q_len++;
  v->backlog += queued_size(e);
  return 1;
}

static int enqueue_frame(viewer *v, frame *f) {
  v->last_pos = f->pos;
  return enqueue(v, f, viewer_ms(v, f->pos));
}

/* The FLV file header and the sequence header at 0, as FlvSink.start writes them (no onMetaData). */
static int start_viewer(relay *r, viewer *v, int64_t base) {
  frame *h = frame_new(RAW_BYTES, 0, 0, 13);
  if (h == NULL) return 0;
  static const uint8_t header[13] = {'F', 'L', 'V', 1, 0, 0, 0, 0, 9, 0, 0, 0, 0};
  memcpy(h->body, header, 13);
  h->body[4] = (uint8_t)(1 | (r->psm_audio_type >= 0 || r->audio_seen ? 4 : 0));
  v->started = 1;
  v->base = base;
  v->last_pos = base;
  int ok = enqueue(v, h, 0) && enqueue(v, r->seq_header, 0);
  frame_unref(h);
  return ok;
}

/* The MediaSource's fan-out rule for one viewer and one frame (src/media/source/media-source.ts). */
static void deliver(relay *r, viewer **link, frame *f, int announce) {
  viewer *v = *link;
  int starts_gop = f->type == TAG_VIDEO && f->keyframe;
  size_t pending = v->backlog;
  if (v->waiting_key && starts_gop && pending > r->limits.slow_skip_bytes) v->missed_keyframes++;
  if (pending > r->limits.slow_drop_bytes || v->missed_keyframes >= MAX_MISSED_KEYFRAMES) {
    end_viewer(r, link, VIEWER_TOO_SLOW);
    return;
  }
  if (!v->waiting_key && pending > r->limits.slow_skip_bytes) {
    v->waiting_key = 1;
    r->counts.slow_skips++;
  }
  if (v->waiting_key) {
    if (!starts_gop || pending > r->limits.slow_skip_bytes) return;
    v->waiting_key = 0;
    v->missed_keyframes = 0;
  }
  int ok;
  if (!v->started) {
    ok = start_viewer(r, v, f->pos);
  } else {
    ok = !announce || enqueue(v, r->seq_header, viewer_ms(v, v->last_pos));
  }
  ok = ok && enqueue_frame(v, f);
  int reason = VIEWER_WRITE_ERROR;
  if (!ok || !flush_viewer(r, v, &reason)) end_viewer(r, link, reason);
}

static void end_all_viewers(relay *r, int reason) {
  while (r->viewers != NULL) end_viewer(r, &r->viewers, reason);
}

/* ---- state ---- */

static void set_state(relay *r, int state, const char *reason) {
  if (r->state == state) return;
  r->state = state;
  snprintf(r->reason, sizeof r->reason, "%s", reason);
  r->host.state(r->host.ctx, state, r->reason);
}

static void clear_gop(relay *r) {
  for (size_t i = 0; i < r->gop_len; i++) frame_unref(r->gop[i]);
  r->gop_len = 0;
  r->gop_bytes = 0;
}

static void replay_clear(relay *r) {
  while (r->replay_head != NULL) {
    replay_frame *f = r->replay_head;
    r->replay_head = f->next;
    free(f->bytes);
    free(f->lengths);
    free(f);
  }
  r->replay_tail = NULL;
  r->replay_frames = r->replay_bytes = 0;
}

void relay_bail(relay *r, const char *reason) {
  if (r->state == RELAY_BAILED) return;
  set_state(r, RELAY_BAILED, reason);
  end_all_viewers(r, VIEWER_STREAM_ENDED);
  clear_gop(r);
  replay_clear(r);
  r->replay_valid = 0;
  free(r->buf);
  r->buf = NULL;
  r->buf_len = r->buf_cap = 0;
  free(r->au);
  r->au = NULL;
  r->au_len = r->au_cap = 0;
}

/* ---- clock ---- */

static int64_t wrap_delta(int64_t d) {
  int64_t m = ((d % PTS_RANGE) + PTS_RANGE) % PTS_RANGE;
  return m >= HALF_PTS_RANGE ? m - PTS_RANGE : m;
}

static int64_t clock_step(relay *r, int64_t ts) {
  if (!r->clock_started) {
    r->clock_started = 1;
    r->clock_last = ts;
    r->clock_pos = 0;
  }
  r->clock_pos += wrap_delta(ts - r->clock_last);
  r->clock_last = ts;
  return r->clock_pos;
}

/* ---- frames out ---- */

static void publish(relay *r, frame *f, int announce) {
  int starts_gop = f->type == TAG_VIDEO && f->keyframe;
  if (f->type == TAG_VIDEO) {
    r->counts.video_frames++;
    if (f->keyframe) r->counts.keyframes++;
  } else {
    r->counts.audio_frames++;
  }
  r->counts.last_frame_ms = relay_now_ms();
  if (starts_gop) {
    clear_gop(r);
    r->gop_overflow = 0;
  }
  if (!r->gop_overflow && (r->gop_len > 0 || starts_gop)) {
    if (r->gop_len >= r->limits.gop_max_frames || r->gop_bytes + f->size > r->limits.gop_max_bytes) {
      r->gop_overflow = 1;
      clear_gop(r);
    } else {
      if (r->gop_len == r->gop_cap) {
        size_t cap = r->gop_cap == 0 ? 128 : r->gop_cap * 2;
        frame **g = realloc(r->gop, cap * sizeof *g);
        if (g == NULL) {
          r->gop_overflow = 1;
          clear_gop(r);
          goto fan_out;
        }
        r->gop = g;
        r->gop_cap = cap;
      }
      f->refs++;
      r->gop[r->gop_len++] = f;
      r->gop_bytes += f->size;
    }
  }
fan_out:
  for (viewer **l = &r->viewers; *l != NULL;) {
    viewer *v = *l;
    deliver(r, l, f, announce);
    if (*l == v) l = &v->next; /* still there */
  }
}

/* ---- H.264 ---- */

typedef struct {
  size_t start, end;
} nal;

/* Adds the NAL unit [start, end) less its trailing zero bytes, if anything is left; 0 when `out` is full. */
static int push_nal(const uint8_t *b, size_t start, size_t end, nal *out, size_t max, size_t *count) {
  while (end > start && b[end - 1] == 0) end--;
  if (end <= start) return 1;
  if (*count == max) return 0;
  out[*count].start = start;
  out[(*count)++].end = end;
  return 1;
}

/* NAL units of an Annex B buffer, by the rules of findNalUnits (src/media/codec/annexb.ts). */
static size_t find_nals(const uint8_t *b, size_t len, nal *out, size_t max, int *overflow) {
  size_t count = 0;
  long current = -1;
  *overflow = 0;
  size_t i = 2;
  while (i < len) {
    const uint8_t *hit = memchr(b + i, 1, len - i);
    if (hit == NULL) break;
    i = (size_t)(hit - b);
    if (b[i - 1] == 0 && b[i - 2] == 0) {
      size_t code = i >= 3 && b[i - 3] == 0 ? i - 3 : i - 2;
      if (current >= 0 && !push_nal(b, (size_t)current, code, out, max, &count)) {
        *overflow = 1;
        return count;
      }
      current = (long)i + 1;
      i += 3;
    } else {
      i += 1;
    }
  }
  if (current >= 0 && !push_nal(b, (size_t)current, len, out, max, &count)) *overflow = 1;
  return count;
}

static int plausible_h264(uint8_t b0) {
  if (b0 & 0x80) return 0;
  int t = b0 & 0x1f, ref = (b0 >> 5) & 3;
  if (t == 1) return 1;
  if (t == 5 || t == 7 || t == 8) return ref != 0;
  return (t == 6 || t == 9 || t == 10 || t == 11 || t == 12) && ref == 0;
}

static int plausible_h265(uint8_t b0, uint8_t b1) {
  if ((b0 & 0x81) != 0 || (b1 & 0xf8) != 0 || (b1 & 7) == 0) return 0;
  int t = (b0 >> 1) & 0x3f;
  return t <= 9 || (t >= 16 && t <= 21) || (t >= 32 && t <= 40);
}

/* codecEvidence of src/media/codec/nal-unit.ts: > 0 H.265, < 0 H.264, 2/-2 strong. */
static int codec_evidence(uint8_t b0, uint8_t b1) {
  int h264 = plausible_h264(b0), h265 = plausible_h265(b0, b1);
  if (h264 == h265) return 0;
  if (h265) {
    int t = (b0 >> 1) & 0x3f;
    return (t >= 32 && t <= 34) || (t >= 16 && t <= 21) ? 2 : 1;
  }
  int t = b0 & 0x1f;
  return t == 7 || t == 8 || t == 5 ? -2 : -1;
}

/* slice_type of an H.264 slice (h264SliceType): emulation prevention removed over 15 bytes. */
static int slice_type(const uint8_t *b, size_t start, size_t end) {
  uint8_t rbsp[16];
  size_t n = 0, zeros = 0;
  size_t stop = end < start + 16 ? end : start + 16;
  for (size_t i = start + 1; i < stop; i++) {
    if (zeros >= 2 && b[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = b[i] == 0 ? zeros + 1 : 0;
    rbsp[n++] = b[i];
  }
  size_t bit = 0, total = n * 8;
  uint32_t values[2];
  for (int k = 0; k < 2; k++) {
    int lz = 0;
    while (bit < total && !((rbsp[bit / 8] >> (7 - bit % 8)) & 1)) {
      lz++;
      bit++;
    }
    if (bit >= total || lz > 31) return -1;
    bit++;
    uint64_t v = 0;
    for (int j = 0; j < lz; j++) {
      if (bit >= total) return -1;
      v = v << 1 | ((rbsp[bit / 8] >> (7 - bit % 8)) & 1);
      bit++;
    }
    values[k] = (uint32_t)(((uint64_t)1 << lz) - 1 + v);
  }
  return values[1] > 9 ? -1 : (int)values[1];
}

static int starts_access_unit(const uint8_t *b, size_t start, size_t end, int vcl_seen) {
  if (!vcl_seen || end - start < 2) return 0;
  int t = b[start] & 0x1f;
  if (t >= 1 && t <= 5) return (b[start + 1] & 0x80) != 0;
  return t == 6 || t == 7 || t == 8 || t == 9 || (t >= 14 && t <= 18);
}

static int js_round(double x) { return (int)floor(x + 0.5); }

static void write_si24(uint8_t *p, int v) {
  if (v < -0x800000) v = -0x800000;
  if (v > 0x7fffff) v = 0x7fffff;
  put24(p, (uint32_t)(v < 0 ? v + 0x1000000 : v));
}

static int make_seq_header(relay *r) {
  size_t size = 5 + 6 + 2 + r->hdr_sps_len + 1 + 2 + r->hdr_pps_len;
  frame *f = frame_new(TAG_VIDEO, 1, r->clock_pos, size);
  if (f == NULL) return 0;
  uint8_t *p = f->body;
  p[0] = (1 << 4) | 7;
  p[1] = 0;
  put24(p + 2, 0);
  p += 5;
  *p++ = 1;
  *p++ = r->hdr_sps[1];
  *p++ = r->hdr_sps[2];
  *p++ = r->hdr_sps[3];
  *p++ = 0xff;
  *p++ = 0xe1;
  *p++ = (uint8_t)(r->hdr_sps_len >> 8);
  *p++ = (uint8_t)r->hdr_sps_len;
  memcpy(p, r->hdr_sps, r->hdr_sps_len);
  p += r->hdr_sps_len;
  *p++ = 1;
  *p++ = (uint8_t)(r->hdr_pps_len >> 8);
  *p++ = (uint8_t)r->hdr_pps_len;
  memcpy(p, r->hdr_pps, r->hdr_pps_len);
  frame_unref(r->seq_header);
  r->seq_header = f;
  return 1;
}

#define MAX_NALS 512

/* The video unit of a frame: one H.264 picture, or the relay bails. */
static void video_unit(relay *r, int64_t pts, int64_t dts) {
  static __thread nal nals[MAX_NALS];
  int overflow;
  size_t count = find_nals(r->au, r->au_len, nals, MAX_NALS, &overflow);
  if (overflow) return relay_bail(r, "more NAL units in a frame than the relay reads");
  if (count == 0) return relay_bail(r, "a frame without NAL units");
  int h264 = 0, h265 = 0, strong265 = 0;
  for (size_t i = 0; i < count; i++) {
    size_t s = nals[i].start;
    int e = codec_evidence(r->au[s], s + 1 < r->au_len ? r->au[s + 1] : 0);
    if (e > 0) h265++;
    else if (e < 0) h264++;
    if (e == 2) strong265 = 1;
  }
  if (h265 > h264 || (strong265 && h264 == 0)) return relay_bail(r, "the NAL units look like H.265");
  int vcl = 0, idr = 0, has_sps = 0;
  long first_slice = -1;
  size_t body = 0;
  const uint8_t *sps = NULL, *pps = NULL;
  size_t sps_len = 0, pps_len = 0;
  for (size_t i = 0; i < count; i++) {
    size_t s = nals[i].start, e = nals[i].end;
    if (i > 0 && starts_access_unit(r->au, s, e, vcl)) return relay_bail(r, "several pictures in one frame");
    int t = r->au[s] & 0x1f;
    if (t >= 1 && t <= 5) {
      vcl = 1;
      if (first_slice < 0) first_slice = (long)i;
      if (t == 5) idr = 1;
    }
    if (t == 7) {
      has_sps = 1;
      sps = r->au + s;
      sps_len = e - s;
    } else if (t == 8) {
      pps = r->au + s;
      pps_len = e - s;
    }
    if (t != 7 && t != 8 && t != 9) body += 4 + (e - s);
  }
  if (!vcl) return relay_bail(r, "a frame without a picture");
  int keyframe = idr;
  if (!keyframe && has_sps && first_slice >= 0) {
    int st = slice_type(r->au, nals[first_slice].start, nals[first_slice].end);
    keyframe = st == 2 || st == 7 || st == 4 || st == 9;
  }
  /* ParameterSetCache: a set unlike the last one is news until both are known, then published. */
  if (sps != NULL) {
    if (sps_len > MAX_PARAM_SET || sps_len < 4) return relay_bail(r, "an SPS the relay does not take");
    if (sps_len != r->sps_len || memcmp(sps, r->sps, sps_len) != 0) {
      memcpy(r->sps, sps, sps_len);
      r->sps_len = sps_len;
      r->sets_changed = 1;
    }
  }
  if (pps != NULL) {
    if (pps_len > MAX_PARAM_SET) return relay_bail(r, "a PPS the relay does not take");
    if (pps_len != r->pps_len || memcmp(pps, r->pps, pps_len) != 0) {
      memcpy(r->pps, pps, pps_len);
      r->pps_len = pps_len;
      r->sets_changed = 1;
    }
  }
  if (r->sets_changed && r->sps_len > 0 && r->pps_len > 0) {
    /* The stream's tracks change now; viewers already watching hear of it at the next key frame. */
    r->sets_changed = 0;
    memcpy(r->hdr_sps, r->sps, r->sps_len);
    r->hdr_sps_len = r->sps_len;
    memcpy(r->hdr_pps, r->pps, r->pps_len);
    r->hdr_pps_len = r->pps_len;
    if (!make_seq_header(r)) return relay_bail(r, "out of memory");
    r->announce_pending = 1;
    r->host.params(r->host.ctx, r->hdr_sps, r->hdr_sps_len, r->hdr_pps, r->hdr_pps_len);
  }
  int announce = 0;
  if (r->state == RELAY_PENDING) {
    if (!keyframe) return; /* nothing can start before the first key frame */
    if (r->psm_video_type < 0) return relay_bail(r, "a key frame without a PSM");
    if (r->seq_header == NULL) return relay_bail(r, "a key frame before any SPS and PPS");
    set_state(r, RELAY_NATIVE, "");
    r->announce_pending = 0; /* MediaSource: becoming ready clears what was pending */
  } else if (keyframe) {
    /* MediaSource.push: any track change since the last key frame is announced with this one. */
    announce = r->announce_pending;
    r->announce_pending = 0;
  }
  r->counts.bytes += r->au_len;
  if (body == 0) return; /* parameter sets and delimiters only: no tag (FlvMuxer) */
  int64_t pos = clock_step(r, dts);
  frame *f = frame_new(TAG_VIDEO, keyframe, pos, 5 + body);
  if (f == NULL) return relay_bail(r, "out of memory");
  uint8_t *p = f->body;
  p[0] = (uint8_t)((keyframe ? 1 : 2) << 4 | 7);
  p[1] = 1;
  write_si24(p + 2, js_round((double)wrap_delta(pts - dts) / 90.0));
  p += 5;
  for (size_t i = 0; i < count; i++) {
    size_t s = nals[i].start, e = nals[i].end;
    int t = r->au[s] & 0x1f;
    if (t == 7 || t == 8 || t == 9) continue;
    put32be(p, (uint32_t)(e - s));
    memcpy(p + 4, r->au + s, e - s);
    p += 4 + (e - s);
  }
  if (keyframe) r->frame_was_key = 1;
  publish(r, f, announce);
  frame_unref(f);
}

/* ---- audio ---- */

static void audio_unit(relay *r, const uint8_t *data, size_t len, int64_t pts) {
  int type = r->psm_audio_type;
  uint8_t sound;
  if (type == 0x90 || type < 0) sound = (7 << 4) | 2;
  else if (type == 0x91) sound = (8 << 4) | 2;
  else return relay_bail(r, "audio other than G.711");
  if (len >= 2 && data[0] == 0xff && (data[1] & 0xf6) == 0xf0) return relay_bail(r, "audio that looks like AAC (ADTS)");
  /* The audio codec first seen or changed: the tracks change (AudioAccessUnitAssembler.publish). */
  if (!r->audio_seen || sound != r->audio_sound) r->announce_pending = 1;
  r->audio_seen = 1;
  r->audio_sound = sound;
  r->counts.bytes += len;
  if (r->state == RELAY_PENDING) return; /* the MediaSource is not ready before the first key frame */
  frame *f = frame_new(TAG_AUDIO, 0, clock_step(r, pts), 1 + len);
  if (f == NULL) return relay_bail(r, "out of memory");
  f->body[0] = sound;
  memcpy(f->body + 1, data, len);
  publish(r, f, 0);
  frame_unref(f);
}

/* ---- PS ---- */

static int64_t read_pts(const uint8_t *p) {
  return ((int64_t)(p[0] & 0x0e) << 29) | ((int64_t)p[1] << 22) | ((int64_t)(p[2] & 0xfe) << 14) | ((int64_t)p[3] << 7) | (p[4] >> 1);
}

/* findSystemStartCode: offset of 00 00 01 <min..max> wholly inside [from, to), or -1. */
static long find_start_code(const uint8_t *b, size_t from, size_t to, uint8_t min, uint8_t max) {
  size_t i = from + 2;
  while (i + 1 < to) {
    const uint8_t *hit = memchr(b + i, 1, to - 1 - i);
    if (hit == NULL) return -1;
    i = (size_t)(hit - b);
    if (b[i - 1] == 0 && b[i - 2] == 0 && b[i + 1] >= min && b[i + 1] <= max) return (long)(i - 2);
    i++;
  }
  return -1;
}

/* parseProgramStreamMap's entries: the video and audio stream types it declares. */
static void read_psm(relay *r, const uint8_t *b, size_t len) {
  if (len < 16) return;
  size_t total = 6u + (size_t)(b[4] << 8 | b[5]);
  if (total > len) total = len;
  if (total < 16) return;
  size_t info_end = 10u + (size_t)(b[8] << 8 | b[9]);
  size_t q = info_end + 2 <= total - 4 ? info_end : 10;
  q += 2;
  size_t end = total - 4;
  int video = -1, audio = -1, video_any = -1, audio_any = -1;
  while (q + 4 <= end) {
    int type = b[q], id = b[q + 1];
    int is_video = id >= 0xe0 && id <= 0xef, is_audio = id >= 0xc0 && id <= 0xdf;
    if (type == 0 || !(is_video || is_audio || id == 0xbd || id == 0xbf)) break;
    if (is_video && video_any < 0) video_any = type;
    if (is_audio && audio_any < 0) audio_any = type;
    if (id == r->video_id && video < 0) video = type;
    if (id == r->audio_id && audio < 0) audio = type;
    q += 4u + (size_t)(b[q + 2] << 8 | b[q + 3]);
  }
  r->psm_seen = 1;
  /* The entry of the stream in use, else the first of its kind (declareFromPsm); none: keep. */
  if (video >= 0 || video_any >= 0) r->psm_video_type = video >= 0 ? video : video_any;
  if (audio >= 0 || audio_any >= 0) r->psm_audio_type = audio >= 0 ? audio : audio_any;
}

/* Bails for a PSM video stream type other than H.264, naming it. */
static void bail_video_type(relay *r, int type) {
  char reason[64];
  const char *name = type == 0x24 ? "H.265" : type == 0x10 ? "MPEG-4" : type == 0x80 ? "SVAC" : "unknown";
  snprintf(reason, sizeof reason, "%s video (PSM stream type 0x%02x), not H.264", name, type & 0xff);
  relay_bail(r, reason);
}

/* One frame's PS bytes (a marked run of packets). */
static void read_frame(relay *r, const uint8_t *g, size_t len) {
  size_t p = 0;
  int large = 0; /* the last packet was a video PES this large: bytes that follow may continue it */
  int unit_open = 0;
  int64_t unit_pts = 0, unit_dts = 0;
  r->au_len = 0;
  while (p < len) {
    if (len - p < 4 || g[p] != 0 || g[p + 1] != 0 || g[p + 2] != 1 || g[p + 3] < 0xb9) {
      if (!large || !unit_open) return relay_bail(r, "bytes between packets");
      long next = find_start_code(g, p, len, 0xb9, 0xff);
      size_t end = next < 0 ? len : (size_t)next;
      if (!grow(&r->au, &r->au_cap, r->au_len + (end - p))) return relay_bail(r, "out of memory");
      memcpy(r->au + r->au_len, g + p, end - p);
      r->au_len += end - p;
      p = end;
      large = 0;
      continue;
    }
    large = 0;
    uint8_t id = g[p + 3];
    if (id == 0xba) {
      if (len - p < 5) return relay_bail(r, "a pack header cut short");
      size_t plen;
      if ((g[p + 4] & 0xc0) == 0x40) {
        if (len - p < 14) return relay_bail(r, "a pack header cut short");
        plen = 14u + (g[p + 13] & 7u);
      } else if ((g[p + 4] & 0xf0) == 0x20) {
        plen = 12;
      } else {
        return relay_bail(r, "a pack header of no known kind");
      }
      if (p + plen > len) return relay_bail(r, "a pack header cut short");
      p += plen;
      continue;
    }
    if (id == 0xb9) {
      p += 4;
      continue;
    }
    if (len - p < 6) return relay_bail(r, "a packet header cut short");
    size_t length = (size_t)(g[p + 4] << 8 | g[p + 5]);
    if (id == 0xbb || id == 0xbc) {
      if (length > MAX_HEADER_PACKET || p + 6 + length > len) return relay_bail(r, "a system header or PSM that does not fit");
      if (id == 0xbc) {
        read_psm(r, g + p, 6 + length);
        if (r->psm_video_type >= 0 && r->psm_video_type != 0x1b) return bail_video_type(r, r->psm_video_type);
      }
      p += 6 + length;
      continue;
    }
    if (id < 0xc0 || id > 0xef) {
      if (p + 6 + length > len) return relay_bail(r, "a skipped packet runs past the frame");
      p += 6 + length;
      continue;
    }
    /* A PES (parsePesHeader, MPEG-2 form only). */
    if (len - p < 9) return relay_bail(r, "a PES header cut short");
    if ((g[p + 6] & 0xc0) != 0x80) return relay_bail(r, "an MPEG-1 PES header");
    uint8_t flags = g[p + 7];
    size_t data_length = g[p + 8], header = 9 + data_length;
    if (length != 0 && length < 3 + data_length) return relay_bail(r, "a PES length shorter than its header");
    if (p + header > len) return relay_bail(r, "a PES header cut short");
    int pts_dts = flags >> 6;
    if (pts_dts == 1) return relay_bail(r, "a PES with DTS and no PTS");
    int64_t pts = -1, dts = -1;
    if (pts_dts >= 2) {
      if (data_length < 5) return relay_bail(r, "a PES header too short for its PTS");
      pts = read_pts(g + p + 9);
      if (pts_dts == 3 && data_length >= 10) dts = read_pts(g + p + 14);
    }
    int video = id >= 0xe0;
    size_t from = p + header, to;
    if (length == 0) {
      long next = find_start_code(g, from, len, 0xb9, 0xff);
      to = next < 0 ? len : (size_t)next;
    } else {
      to = p + 6 + length;
      if (to > len) return relay_bail(r, "a PES runs past the frame");
      if (find_start_code(g, from, to, video ? 0xb9 : 0xba, video ? 0xff : 0xba) >= 0) return relay_bail(r, "a PES length that lies");
    }
    p = to;
    if (video) {
      if (r->video_id < 0) r->video_id = id;
      if (id != r->video_id) continue;
      if (r->psm_video_type < 0) {
        /* A stream joined mid-GOP has its PSM with the next key frame: until then nothing is served anyway. */
        if (r->psm_seen || r->state != RELAY_PENDING) return relay_bail(r, r->psm_seen ? "a PSM without a video stream" : "video without a PSM");
      } else if (r->psm_video_type != 0x1b) {
        return bail_video_type(r, r->psm_video_type);
      }
      if (length != 0 && length - 3 - data_length >= LARGE_VIDEO_PES) large = 1;
      size_t n = to - from;
      if (n == 0) continue;
      const uint8_t *d = g + from;
      if (pts >= 0) {
        int64_t d_pts = pts;
        int64_t d_dts = pts;
        if (dts >= 0) {
          int64_t delta = pts - dts;
          if (delta > HALF_PTS_RANGE) delta -= PTS_RANGE;
          else if (delta < -HALF_PTS_RANGE) delta += PTS_RANGE;
          d_dts = pts - delta;
        }
        if (unit_open && (d_pts != unit_pts || d_dts != unit_dts)) return relay_bail(r, "two pictures in one frame");
        unit_pts = d_pts;
        unit_dts = d_dts;
      } else if (!unit_open) {
        return relay_bail(r, "a picture without a PTS");
      }
      if (!unit_open) {
        if (n < 4 || d[0] != 0 || d[1] != 0 || !(d[2] == 1 || (d[2] == 0 && d[3] == 1))) return relay_bail(r, "a picture that does not begin with a start code");
        unit_open = 1;
      }
      if (r->au_len + n > MAX_FRAME_BYTES || !grow(&r->au, &r->au_cap, r->au_len + n)) return relay_bail(r, "a picture too large");
      memcpy(r->au + r->au_len, d, n);
      r->au_len += n;
    } else {
      if (r->audio_id < 0) r->audio_id = id;
      if (id != r->audio_id) continue;
      if (to == from) continue;
      if (pts < 0) return relay_bail(r, "audio without a PTS");
      audio_unit(r, g + from, to - from, pts);
      if (r->state == RELAY_BAILED) return;
    }
  }
  if (unit_open) video_unit(r, unit_pts, unit_dts);
}

/*
 * Keeps the frame just read (a copy of its exact size) from a key frame on, within the GOP
 * cache's limits: what JavaScript is handed when it is fed again, so that its MediaSource has a
 * GOP at once, as it would have had it been fed all along.
 */
static void keep_for_replay(relay *r, uint32_t ts) {
  if (r->frame_was_key) {
    replay_clear(r);
    r->replay_valid = 1;
  }
  if (!r->replay_valid) return;
  if (r->replay_frames >= r->limits.gop_max_frames || r->replay_bytes + r->buf_len > r->limits.gop_max_bytes) {
    replay_clear(r);
    r->replay_valid = 0;
    return;
  }
  /* Copies of exactly the frame's size: the receive buffers grow by doubling and stay for the next frame. */
  replay_frame *f = malloc(sizeof *f);
  uint8_t *bytes = malloc(r->buf_len > 0 ? r->buf_len : 1);
  uint16_t *lengths = malloc(r->count * sizeof *lengths + 1);
  if (f == NULL || bytes == NULL || lengths == NULL) {
    free(f);
    free(bytes);
    free(lengths);
    replay_clear(r);
    r->replay_valid = 0;
    return;
  }
  memcpy(bytes, r->buf, r->buf_len);
  memcpy(lengths, r->lengths, r->count * sizeof *lengths);
  f->next = NULL;
  f->ts = ts;
  f->first_seq = r->first_seq;
  f->count = r->count;
  f->bytes = bytes;
  f->len = r->buf_len;
  f->lengths = lengths;
  if (r->replay_tail != NULL) r->replay_tail->next = f;
  else r->replay_head = f;
  r->replay_tail = f;
  r->replay_frames++;
  r->replay_bytes += f->len;
}

void relay_replay(relay *r, relay_replay_fn emit, void *ctx) {
  if (r->state != RELAY_NATIVE) return;
  if (r->replay_valid) {
    for (replay_frame *f = r->replay_head; f != NULL; f = f->next) emit(ctx, f->ts, r->ssrc, r->pt, f->first_seq, f->count, f->lengths, f->bytes, 1);
  }
  if (r->in_frame && r->count > 0) emit(ctx, r->frame_ts, r->ssrc, r->pt, r->first_seq, r->count, r->lengths, r->buf, 0);
}

void relay_packet(relay *r, const uint8_t *payload, size_t len, uint32_t ts, uint32_t ssrc, uint8_t pt, int marker, uint16_t seq) {
  if (r->state == RELAY_BAILED) return;
  if (!r->have_rtp) {
    r->have_rtp = 1;
    r->pt = pt;
    r->ssrc = ssrc;
  } else if (pt != r->pt) {
    return relay_bail(r, "a second RTP payload type");
  } else if (ssrc != r->ssrc) {
    return relay_bail(r, "a second SSRC");
  }
  /* In order and complete, or not plain: JavaScript's reorder buffer and loss policy take over. */
  if (r->seq_known && seq != r->next_seq) return relay_bail(r, "an RTP packet lost or out of order");
  r->seq_known = 1;
  r->next_seq = (uint16_t)(seq + 1);
  if (r->have_marked && ts == r->marked_ts) return relay_bail(r, "an RTP marker inside a frame");
  r->have_marked = 0;
  if (r->in_frame && ts != r->frame_ts) return relay_bail(r, "a frame without an RTP marker");
  if (!r->in_frame) {
    r->in_frame = 1;
    r->frame_ts = ts;
    r->buf_len = 0;
    r->count = 0;
    r->first_seq = seq;
  }
  if (r->buf_len + len > MAX_FRAME_BYTES || len > 0xffff) return relay_bail(r, "a frame too large");
  if (!grow(&r->buf, &r->buf_cap, r->buf_len + len)) return relay_bail(r, "out of memory");
  if (r->count == r->lengths_cap) {
    uint32_t cap = r->lengths_cap == 0 ? 64 : r->lengths_cap * 2;
    uint16_t *l = realloc(r->lengths, cap * sizeof *l);
    if (l == NULL) return relay_bail(r, "out of memory");
    r->lengths = l;
    r->lengths_cap = cap;
  }
  r->lengths[r->count++] = (uint16_t)len;
  memcpy(r->buf + r->buf_len, payload, len);
  r->buf_len += len;
  if (!marker) return;
  r->in_frame = 0;
  r->have_marked = 1;
  r->marked_ts = ts;
  const uint8_t *b = r->buf;
  int pack = r->buf_len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0xba;
  /*
   * The reader may take a TCP active connection a moment after its first bytes: until a frame
   * begins with a pack header, frames are the tail of one that began before (nothing is out yet).
   */
  if (pack) r->synced = 1;
  r->frame_was_key = 0;
  if (r->synced) read_frame(r, r->buf, r->buf_len);
  if (r->state == RELAY_NATIVE) keep_for_replay(r, ts);
  r->buf_len = 0;
  /* A large buffer from one huge key frame is not kept for every frame after it. */
  if (r->buf_cap > (1u << 20)) {
    free(r->buf);
    r->buf = NULL;
    r->buf_cap = 0;
  }
}

void relay_connection_reset(relay *r) {
  r->synced = 0;
  r->seq_known = 0;
  r->in_frame = 0;
  r->have_marked = 0;
  r->buf_len = 0;
}

/* ---- lifecycle and viewers ---- */

relay *relay_new(const relay_host *host, const relay_limits *limits) {
  relay *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->host = *host;
  r->limits = *limits;
  r->video_id = r->audio_id = -1;
  r->psm_video_type = r->psm_audio_type = -1;
  return r;
}

void relay_free(relay *r) {
  if (r == NULL) return;
  end_all_viewers(r, VIEWER_STREAM_ENDED);
  clear_gop(r);
  free(r->gop);
  frame_unref(r->seq_header);
  replay_clear(r);
  free(r->buf);
  free(r->lengths);
  free(r->au);
  free(r);
}

int relay_state(const relay *r) { return r->state; }

const char *relay_reason(const relay *r) { return r->reason; }

void relay_counts(const relay *r, relay_counters *out) { *out = r->counts; }

int relay_add_viewer(relay *r, int fd, uint32_t id) {
  if (r->state == RELAY_BAILED) return -1;
  viewer *v = calloc(1, sizeof *v);
  if (v == NULL) return -1;
  v->id = id;
  v->fd = fd;
  v->waiting_key = 1;
  v->progress_ms = relay_now_ms();
  v->next = r->viewers;
  r->viewers = v;
  r->counts.viewers++;
  /* MediaSource.attach: a ready stream with a cached GOP starts the viewer at once. */
  if (r->state == RELAY_NATIVE && !r->gop_overflow && r->gop_len > 0) {
    v->waiting_key = 0;
    int ok = start_viewer(r, v, r->gop[0]->pos);
    for (size_t i = 0; ok && i < r->gop_len; i++) ok = enqueue_frame(v, r->gop[i]);
    int reason = VIEWER_WRITE_ERROR;
    if (!ok || !flush_viewer(r, v, &reason)) end_viewer(r, &r->viewers, reason);
  }
  return 0;
}

void relay_viewer_ready(relay *r, uint32_t id, int writable, int readable_or_hup) {
  viewer **link;
  viewer *v = find_viewer(r, id, &link);
  if (v == NULL) return;
  if (readable_or_hup) {
    uint8_t sink[512];
    for (;;) {
      ssize_t n = recv(v->fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n > 0) continue; /* players send nothing that matters */
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return end_viewer(r, link, VIEWER_CLOSED);
    }
  }
  if (writable) {
    int reason = VIEWER_WRITE_ERROR;
    if (!flush_viewer(r, v, &reason)) end_viewer(r, link, reason);
  }
}

void relay_tick(relay *r, uint64_t now_ms) {
  for (viewer **l = &r->viewers; *l != NULL;) {
    viewer *v = *l;
    if (v->backlog == 0 || v->backlog < v->last_backlog) v->progress_ms = now_ms;
    v->last_backlog = v->backlog;
    if (r->limits.stall_ms > 0 && now_ms - v->progress_ms > r->limits.stall_ms) {
      end_viewer(r, l, VIEWER_TOO_SLOW);
      continue;
    }
    l = &v->next;
  }
}

int relay_end_viewer(relay *r, uint32_t id, int reason) {
  viewer **link;
  if (find_viewer(r, id, &link) == NULL) return -1;
  end_viewer(r, link, reason);
  return 0;
}

const uint8_t *relay_viewer_memory(relay *r, uint32_t id, size_t *len) {
  viewer *v = find_viewer(r, id, NULL);
  if (v == NULL) {
    *len = 0;
    return NULL;
  }
  *len = v->mem_len;
  return v->mem;
}
