#include "keepalive.h"

#include <string.h>

/* JavaScript's \s over bytes read as latin1 (src/sip/manscdp/keepalive.ts reads them so). */
static int is_js_space(uint8_t c) {
  return c == 0x09 || c == 0x0a || c == 0x0b || c == 0x0c || c == 0x0d || c == 0x20 || c == 0xa0;
}

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

/* Case-insensitive match of the lower-case word at p (within end). */
static int match_ci(const uint8_t *p, const uint8_t *end, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 0; i < n; i++) {
    if (lower(p[i]) != (uint8_t)word[i]) return 0;
  }
  return 1;
}

static const uint8_t *skip_js_space(const uint8_t *p, const uint8_t *end) {
  while (p < end && is_js_space(*p)) p++;
  return p;
}

/* RFC 3261 token characters, lower-case letters only (so that a name echoes as the JS stack writes it). */
static int is_lower_token(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '!' || c == '%' ||
         c == '*' || c == '_' || c == '+' || c == '`' || c == '\'' || c == '~';
}

static int is_token(uint8_t c) { return is_lower_token(c) || (c >= 'A' && c <= 'Z'); }

static int is_host_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/*
 * The body test of isPlainKeepalive(): within the first 320 bytes, an optional BOM, an optional
 * XML declaration, then <Notify> whose first child is <CmdType>Keepalive</CmdType>; within the
 * last 32 bytes, </Notify> followed only by white space or NULs.
 */
static int is_plain_keepalive_body(const uint8_t *body, size_t len) {
  if (len < 40) return 0;
  const uint8_t *p = body;
  const uint8_t *end = body + (len < 320 ? len : 320);
  if (end - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) p += 3;
  p = skip_js_space(p, end);
  if (match_ci(p, end, "<?xml")) {
    /* [^<>]{0,200} then ?> : the first < or > after "<?xml" must be a > right after a ?. */
    const uint8_t *q = p + 5;
    while (q < end && *q != '<' && *q != '>') q++;
    if (q >= end || *q != '>' || q - 1 < p + 5 || q[-1] != '?') return 0;
    if ((q - 1) - (p + 5) > 200) return 0;
    p = skip_js_space(q + 1, end);
  }
  static const char *const steps[] = {"<notify", ">", "<cmdtype", ">", "keepalive", "</cmdtype", ">"};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    if (!match_ci(p, end, steps[i])) return 0;
    p = skip_js_space(p + strlen(steps[i]), end);
  }
  /* The tail, scanned backwards from the end. */
  const uint8_t *start = body + (len > 32 ? len - 32 : 0);
  const uint8_t *t = body + len;
  while (t > start && (is_js_space(t[-1]) || t[-1] == 0)) t--;
  if (t <= start || t[-1] != '>') return 0;
  t--;
  while (t > start && is_js_space(t[-1])) t--;
  if (t - start < 8) return 0;
  return match_ci(t - 8, t, "</notify");
}

/*
 * The Via subset answered here: "SIP/2.0/UDP host[:port]" then ;name[=value] parameters with
 * lower-case token names, token values, no duplicates and no received (the JS stack rewrites it
 * in place). Written that way, the JS stack's parse-and-format gives back the same bytes.
 */
static int read_via(ka_request *req) {
  const uint8_t *v = req->via;
  size_t n = req->via_len;
  static const char prefix[] = "SIP/2.0/UDP ";
  size_t i = sizeof prefix - 1;
  if (n <= i || memcmp(v, prefix, i) != 0) return 0;
  req->host_start = i;
  while (i < n && is_host_char(v[i])) i++;
  if (i == req->host_start) return 0;
  req->host_end = i;
  if (i < n && v[i] == ':') {
    size_t d = ++i;
    unsigned port = 0;
    while (i < n && is_digit(v[i]) && i - d < 5) port = port * 10 + (unsigned)(v[i++] - '0');
    if (i == d || v[d] == '0' || port > 65535) return 0;
  }
  req->rport_at = -1;
  const uint8_t *names[16];
  size_t name_lens[16];
  size_t count = 0;
  while (i < n) {
    if (v[i] != ';') return 0;
    size_t at = i++;
    size_t name = i;
    while (i < n && is_lower_token(v[i])) i++;
    if (i == name || count == 16) return 0;
    size_t name_len = i - name;
    for (size_t k = 0; k < count; k++) {
      if (name_lens[k] == name_len && memcmp(names[k], v + name, name_len) == 0) return 0;
    }
    names[count] = v + name;
    name_lens[count++] = name_len;
    if (i < n && v[i] == '=') {
      size_t value = ++i;
      while (i < n && is_token(v[i])) i++;
      if (i == value) return 0;
    }
    if (name_len == 8 && memcmp(v + name, "received", 8) == 0) return 0;
    if (name_len == 5 && memcmp(v + name, "rport", 5) == 0) {
      req->rport_at = (int)at;
      req->rport_end = (int)i;
    }
  }
  return 1;
}

/* The 20-digit user of "sip:<id>@host" in a From without display name quoting or URI oddities. */
static const uint8_t *read_from_user(const uint8_t *f, size_t n) {
  size_t i = 0;
  int bracketed = 0;
  if (memchr(f, '"', n) != NULL) return NULL;
  const uint8_t *lt = memchr(f, '<', n);
  if (lt != NULL) {
    i = (size_t)(lt - f) + 1;
    bracketed = 1;
  }
  if (n - i < 4 + KA_ID_LEN + 2 || !match_ci(f + i, f + n, "sip:")) return NULL;
  i += 4;
  const uint8_t *id = f + i;
  for (size_t k = 0; k < KA_ID_LEN; k++) {
    if (!is_digit(id[k])) return NULL;
  }
  i += KA_ID_LEN;
  if (f[i++] != '@') return NULL;
  size_t host = i;
  while (i < n && is_host_char(f[i])) i++;
  if (i == host) return NULL;
  if (i < n && f[i] == ':') {
    size_t d = ++i;
    while (i < n && is_digit(f[i])) i++;
    if (i == d || i - d > 5) return NULL;
  }
  if (bracketed) {
    if (i >= n || f[i] != '>') return NULL;
    i++;
  }
  /* Header parameters (the tag) may follow; nothing else. */
  if (i < n && f[i] != ';') return NULL;
  return id;
}

/* A To the JS stack would give a tag: "<sip:...>" (optionally after a plain name) with no parameters. */
static int to_is_plain(const uint8_t *t, size_t n) {
  if (n < 6 || t[n - 1] != '>' || memchr(t, '"', n) != NULL || memchr(t, ';', n) != NULL) return 0;
  const uint8_t *lt = memchr(t, '<', n);
  if (lt == NULL || memchr(lt + 1, '<', (size_t)(t + n - lt - 1)) != NULL) return 0;
  if (memchr(t, '>', n) != t + n - 1) return 0;
  return match_ci(lt + 1, t + n, "sip:");
}

/* "<digits> MESSAGE" with a sequence number below 2^32. */
static int cseq_is_message(const uint8_t *c, size_t n) {
  size_t i = 0;
  uint64_t seq = 0;
  while (i < n && is_digit(c[i]) && i < 10) seq = seq * 10 + (uint64_t)(c[i++] - '0');
  if (i == 0 || seq > 0xffffffffULL) return 0;
  return n - i == 8 && memcmp(c + i, " MESSAGE", 8) == 0;
}

enum { H_OTHER, H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_CONTENT_TYPE, H_CONTENT_LENGTH };

static int header_kind(const uint8_t *name, size_t n) {
  if (n == 1) {
    switch (lower(name[0])) {
      case 'v': return H_VIA;
      case 'f': return H_FROM;
      case 't': return H_TO;
      case 'i': return H_CALL_ID;
      case 'c': return H_CONTENT_TYPE;
      case 'l': return H_CONTENT_LENGTH;
      default: return H_OTHER;
    }
  }
  static const struct { const char *name; int kind; } known[] = {
      {"via", H_VIA},   {"from", H_FROM},  {"to", H_TO},   {"call-id", H_CALL_ID},
      {"cseq", H_CSEQ}, {"content-type", H_CONTENT_TYPE}, {"content-length", H_CONTENT_LENGTH},
  };
  for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
    if (strlen(known[k].name) == n && match_ci(name, name + n, known[k].name)) return known[k].kind;
  }
  return H_OTHER;
}

static int contains_manscdp(const uint8_t *v, size_t n) {
  for (size_t i = 0; i + 7 <= n; i++) {
    if (match_ci(v + i, v + n, "manscdp")) return 1;
  }
  return 0;
}

int ka_recognize(const uint8_t *msg, size_t len, ka_request *req) {
  const uint8_t *p = msg;
  const uint8_t *end = msg + len;
  if (len < 8 || memcmp(p, "MESSAGE ", 8) != 0) return 0;
  p += 8;
  const uint8_t *uri = p;
  while (p < end && *p > 0x20 && *p < 0x7f) p++;
  if (p - uri < 5 || !match_ci(uri, p, "sip:") || end - p < 10 || memcmp(p, " SIP/2.0\r\n", 10) != 0) return 0;
  p += 10;

  const uint8_t *values[8] = {0};
  size_t lengths[8] = {0};
  for (;;) {
    if (end - p < 2) return 0;
    if (p[0] == '\r' && p[1] == '\n') {
      p += 2;
      break;
    }
    /* One header line: printable ASCII and tabs only (the JS stack decodes other bytes, so it would not echo them as they are). */
    const uint8_t *line = p;
    while (p < end && ((*p >= 0x20 && *p < 0x7f) || *p == '\t')) p++;
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return 0;
    const uint8_t *line_end = p;
    p += 2;
    if (*line == ' ' || *line == '\t') return 0; /* folded */
    const uint8_t *name_end = line;
    while (name_end < line_end && is_token(*name_end)) name_end++;
    const uint8_t *colon = name_end;
    while (colon < line_end && (*colon == ' ' || *colon == '\t')) colon++;
    if (name_end == line || colon >= line_end || *colon != ':') return 0;
    int kind = header_kind(line, (size_t)(name_end - line));
    if (kind == H_OTHER) continue;
    if (values[kind] != NULL) return 0; /* repeated */
    const uint8_t *v = colon + 1;
    const uint8_t *v_end = line_end;
    while (v < v_end && (*v == ' ' || *v == '\t')) v++;
    while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) v_end--;
    if (v == v_end) return 0;
    values[kind] = v;
    lengths[kind] = (size_t)(v_end - v);
  }
  for (int k = H_VIA; k <= H_CONTENT_LENGTH; k++) {
    if (values[k] == NULL) return 0;
  }
  size_t body_len = (size_t)(end - p);
  size_t declared = 0;
  if (lengths[H_CONTENT_LENGTH] > 6) return 0;
  for (size_t i = 0; i < lengths[H_CONTENT_LENGTH]; i++) {
    uint8_t c = values[H_CONTENT_LENGTH][i];
    if (!is_digit(c)) return 0;
    declared = declared * 10 + (size_t)(c - '0');
  }
  if (declared != body_len) return 0;
  if (!contains_manscdp(values[H_CONTENT_TYPE], lengths[H_CONTENT_TYPE])) return 0;
  if (!cseq_is_message(values[H_CSEQ], lengths[H_CSEQ])) return 0;
  if (!to_is_plain(values[H_TO], lengths[H_TO])) return 0;
  const uint8_t *id = read_from_user(values[H_FROM], lengths[H_FROM]);
  if (id == NULL) return 0;
  req->via = values[H_VIA];
  req->via_len = lengths[H_VIA];
  if (!read_via(req)) return 0;
  if (!is_plain_keepalive_body(p, body_len)) return 0;
  req->device_id = id;
  req->from = values[H_FROM];
  req->from_len = lengths[H_FROM];
  req->to = values[H_TO];
  req->to_len = lengths[H_TO];
  req->call_id = values[H_CALL_ID];
  req->call_id_len = lengths[H_CALL_ID];
  req->cseq = values[H_CSEQ];
  req->cseq_len = lengths[H_CSEQ];
  return 1;
}

typedef struct {
  uint8_t *out;
  size_t len, cap;
  int overflow;
} writer;

static void put(writer *w, const void *data, size_t n) {
  if (w->overflow || w->cap - w->len < n) {
    w->overflow = 1;
    return;
  }
  memcpy(w->out + w->len, data, n);
  w->len += n;
}

static void put_str(writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_uint(writer *w, uint64_t v) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char text[24];
  for (size_t i = 0; i < n; i++) text[i] = digits[n - 1 - i];
  put(w, text, n);
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

size_t ka_write_answer(const ka_request *req, const ka_peer *peer, const ka_config *cfg, uint8_t *out, size_t cap) {
  writer w = {out, 0, cap, 0};
  put_str(&w, "SIP/2.0 200 OK\r\nVia: ");
  const uint8_t *v = req->via;
  size_t host_len = req->host_end - req->host_start;
  int add_received = host_len != peer->address_len || memcmp(v + req->host_start, peer->address, host_len) != 0;
  if (req->rport_at < 0) {
    put(&w, v, req->via_len);
  } else {
    /* rport gets the source port in place (RFC 3581), as the JS stack's parameter map does. */
    put(&w, v, (size_t)req->rport_at);
    put_str(&w, ";rport=");
    put_uint(&w, peer->port);
    put(&w, v + req->rport_end, req->via_len - (size_t)req->rport_end);
  }
  if (add_received) {
    put_str(&w, ";received=");
    put(&w, peer->address, peer->address_len);
  }
  put_str(&w, "\r\nFrom: ");
  put(&w, req->from, req->from_len);
  put_str(&w, "\r\nTo: ");
  put(&w, req->to, req->to_len);
  /* One tag per transaction, the same for a retransmission: derived from what names the transaction. */
  uint64_t h = fnv1a(0xcbf29ce484222325ULL ^ cfg->tag_seed, req->via, req->via_len);
  h = fnv1a(h, req->call_id, req->call_id_len);
  h = fnv1a(h, req->cseq, req->cseq_len);
  put_str(&w, ";tag=");
  put_uint(&w, (uint32_t)(h ^ (h >> 32)));
  put_str(&w, "\r\nCall-ID: ");
  put(&w, req->call_id, req->call_id_len);
  put_str(&w, "\r\nCSeq: ");
  put(&w, req->cseq, req->cseq_len);
  if (cfg->user_agent != NULL && cfg->user_agent_len > 0) {
    put_str(&w, "\r\nUser-Agent: ");
    put(&w, cfg->user_agent, cfg->user_agent_len);
  }
  put_str(&w, "\r\nContent-Length: 0\r\n\r\n");
  return w.overflow ? 0 : w.len;
}
