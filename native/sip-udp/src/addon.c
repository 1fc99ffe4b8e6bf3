/*
 * The SIP UDP socket, read by a thread of its own. Plain keepalives from admitted devices are
 * answered on that thread (src/keepalive.c); every other datagram is queued and handed to
 * JavaScript on the main thread, each as its own callback (as Node's dgram delivers them). At
 * 30,000 devices a node receives 500 keepalives a second, each alone: in JavaScript every one
 * costs a wake of the event loop and a call into V8, about six times what this thread pays
 * (docs/decisions/0021-native-keepalive-lane.md).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "device-table.h"
#include "keepalive.h"

#define BATCH 16
#define SLOT 65536
/* Datagrams waiting for JavaScript, in bytes; beyond it they are dropped (and counted) as a full kernel buffer would. */
#define MAX_QUEUED_BYTES (32u * 1024u * 1024u)

typedef struct {
  size_t len;
  uint16_t port;
  char address[INET6_ADDRSTRLEN];
  uint8_t data[];
} datagram;

typedef struct {
  int fd;
  int ipv6;
  int open;
  pthread_t thread;
  pthread_mutex_t lock;
  /* Guarded by lock. */
  datagram **queue;
  size_t queue_len, queue_cap, queue_bytes;
  device_table table;
  /* Counters: written by the thread, read by JavaScript. */
  uint64_t answered, forwarded, dropped;
  /* The reader wakes the main thread with this (uv_async_send coalesces wakes); closed by stop(). */
  uv_async_t *wake;
  napi_env env;
  napi_ref on_datagram;
  /* Each datagram is its own top-level callback, as with Node's dgram: ticks and promise jobs run between two. */
  napi_async_context async_context;
  ka_config config;
  char *user_agent;
} endpoint;

#define CHECK(env, call)                                                  \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), NULL, "sip-udp: N-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
}

static const char *errno_code(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EAGAIN: return "EAGAIN";
    case ENOBUFS: return "ENOBUFS";
    case ENETUNREACH: return "ENETUNREACH";
    case EMSGSIZE: return "EMSGSIZE";
    default: return "EIO";
  }
}

/* The address as the JS stack names peers: IPv4-mapped IPv6 as plain IPv4. */
static size_t format_address(const struct sockaddr_storage *sa, char *out, uint16_t *port) {
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    *port = ntohs(in->sin_port);
    inet_ntop(AF_INET, &in->sin_addr, out, INET6_ADDRSTRLEN);
  } else {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    *port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out, INET6_ADDRSTRLEN);
    else inet_ntop(AF_INET6, &in6->sin6_addr, out, INET6_ADDRSTRLEN);
  }
  return strlen(out);
}

static int only_line_breaks(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != '\r' && p[i] != '\n') return 0;
  }
  return 1;
}

static void forward(endpoint *ep, const uint8_t *data, size_t len, const char *address, uint16_t port) {
  datagram *d = malloc(sizeof(datagram) + len);
  if (d == NULL) {
    __atomic_add_fetch(&ep->dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  d->len = len;
  d->port = port;
  strcpy(d->address, address);
  memcpy(d->data, data, len);
  int wake = 0;
  pthread_mutex_lock(&ep->lock);
  if (ep->queue_bytes + len > MAX_QUEUED_BYTES) {
    pthread_mutex_unlock(&ep->lock);
    free(d);
    __atomic_add_fetch(&ep->dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  if (ep->queue_len == ep->queue_cap) {
    size_t cap = ep->queue_cap == 0 ? 64 : ep->queue_cap * 2;
    datagram **grown = realloc(ep->queue, cap * sizeof(datagram *));
    if (grown == NULL) {
      pthread_mutex_unlock(&ep->lock);
      free(d);
      __atomic_add_fetch(&ep->dropped, 1, __ATOMIC_RELAXED);
      return;
    }
    ep->queue = grown;
    ep->queue_cap = cap;
  }
  ep->queue[ep->queue_len++] = d;
  ep->queue_bytes += len;
  wake = ep->queue_len == 1; /* else a delivery is already on its way and takes this one too */
  pthread_mutex_unlock(&ep->lock);
  __atomic_add_fetch(&ep->forwarded, 1, __ATOMIC_RELAXED);
  if (wake) uv_async_send(ep->wake);
}

static void handle(endpoint *ep, const uint8_t *data, size_t len, const struct sockaddr_storage *from, socklen_t from_len,
                   uint8_t *answer, size_t answer_cap) {
  if (len == 0 || only_line_breaks(data, len)) return; /* CRLF keep-alive (RFC 5626) */
  char address[INET6_ADDRSTRLEN];
  uint16_t port = 0;
  size_t address_len = format_address(from, address, &port);
  ka_request req;
#ifdef GBVMS_EXACT_DATAGRAMS
  /* Sanitizer builds: the parser reads a copy of exactly the datagram, so that reading past its end is caught. */
  uint8_t *exact = malloc(len);
  if (exact == NULL) return;
  memcpy(exact, data, len);
  data = exact;
#endif
  if (ka_recognize(data, len, &req)) {
    ka_peer peer = {address, address_len, port};
    size_t n = ka_write_answer(&req, &peer, &ep->config, answer, answer_cap);
    if (n > 0) {
      pthread_mutex_lock(&ep->lock);
      int admitted = table_note_keepalive(&ep->table, req.device_id, address, address_len, port, now_ms());
      pthread_mutex_unlock(&ep->lock);
      if (admitted) {
        sendto(ep->fd, answer, n, MSG_DONTWAIT, (const struct sockaddr *)from, from_len);
        __atomic_add_fetch(&ep->answered, 1, __ATOMIC_RELAXED);
        len = 0;
      }
    }
  }
  if (len > 0) forward(ep, data, len, address, port);
#ifdef GBVMS_EXACT_DATAGRAMS
  free(exact);
#endif
}

static void *receive_loop(void *arg) {
  endpoint *ep = arg;
  uint8_t *buffers = malloc((size_t)BATCH * SLOT);
  uint8_t answer[8192];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  if (buffers == NULL) return NULL;
  /* Blocks in recvmmsg (one syscall per wake besides the answers); close() wakes it with shutdown(). */
  while (__atomic_load_n(&ep->open, __ATOMIC_ACQUIRE)) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = buffers + (size_t)i * SLOT;
      iov[i].iov_len = SLOT;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    }
    int n = recvmmsg(ep->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOMEM || errno == ENOBUFS || errno == ECONNREFUSED) continue;
      break;
    }
    for (int i = 0; i < n; i++) {
      /* After shutdown() reads return empty datagrams from nowhere: the loop condition ends it. */
      if (msgs[i].msg_hdr.msg_namelen == 0) continue;
      handle(ep, iov[i].iov_base, msgs[i].msg_len, &addrs[i], msgs[i].msg_hdr.msg_namelen, answer, sizeof answer);
    }
  }
  free(buffers);
  return NULL;
}

/* On the main thread: hands every queued datagram to the JavaScript callback. */
static void deliver(uv_async_t *handle) {
  endpoint *ep = handle->data;
  if (ep == NULL || !ep->open) return;
  napi_env env = ep->env;
  pthread_mutex_lock(&ep->lock);
  datagram **items = ep->queue;
  size_t count = ep->queue_len;
  ep->queue = NULL;
  ep->queue_len = ep->queue_cap = ep->queue_bytes = 0;
  pthread_mutex_unlock(&ep->lock);
  for (size_t i = 0; i < count; i++) {
    datagram *d = items[i];
    /* The callback may close the endpoint: what is left is dropped, as a closed socket would. */
    if (ep->open) {
      napi_handle_scope scope;
      napi_open_handle_scope(env, &scope);
      napi_value argv[3], callback, receiver;
      void *copy;
      napi_get_reference_value(env, ep->on_datagram, &callback);
      napi_get_global(env, &receiver); /* MakeCallback needs an object as `this` */
      napi_create_buffer_copy(env, d->len, d->data, &copy, &argv[0]);
      napi_create_string_latin1(env, d->address, NAPI_AUTO_LENGTH, &argv[1]);
      napi_create_uint32(env, d->port, &argv[2]);
      if (napi_make_callback(env, ep->async_context, receiver, callback, 3, argv, NULL) == napi_pending_exception) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
      }
      napi_close_handle_scope(env, scope);
    }
    free(d);
  }
  free(items);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

static void stop(napi_env env, endpoint *ep) {
  if (!ep->open) return;
  __atomic_store_n(&ep->open, 0, __ATOMIC_RELEASE);
  /* Linux wakes a reader blocked on a UDP socket on shutdown() (it answers ENOTCONN, and still wakes). */
  shutdown(ep->fd, SHUT_RDWR);
  pthread_join(ep->thread, NULL);
  close(ep->fd);
  ep->wake->data = NULL;
  uv_close((uv_handle_t *)ep->wake, free_handle);
  ep->wake = NULL;
  napi_delete_reference(env, ep->on_datagram);
  napi_async_destroy(env, ep->async_context);
  pthread_mutex_lock(&ep->lock);
  for (size_t i = 0; i < ep->queue_len; i++) free(ep->queue[i]);
  free(ep->queue);
  ep->queue = NULL;
  ep->queue_len = ep->queue_cap = ep->queue_bytes = 0;
  table_free(&ep->table);
  pthread_mutex_unlock(&ep->lock);
}

static void finalize_endpoint(napi_env env, void *data, void *hint) {
  (void)hint;
  endpoint *ep = data;
  stop(env, ep);
  pthread_mutex_destroy(&ep->lock);
  free(ep->user_agent);
  free(ep);
}

static endpoint *endpoint_arg(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  napi_value args[8];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < expected || expected > 8) {
    napi_throw_type_error(env, NULL, "sip-udp: wrong arguments");
    return NULL;
  }
  void *ep = NULL;
  if (napi_get_value_external(env, args[0], &ep) != napi_ok || ep == NULL) {
    napi_throw_type_error(env, NULL, "sip-udp: not an endpoint");
    return NULL;
  }
  for (size_t i = 0; i < expected; i++) argv[i] = args[i];
  return ep;
}

static int string_arg(napi_env env, napi_value value, char *out, size_t cap, size_t *len) {
  if (napi_get_value_string_latin1(env, value, out, cap, len) != napi_ok || *len >= cap - 1) {
    napi_throw_type_error(env, NULL, "sip-udp: bad string argument");
    return -1;
  }
  return 0;
}

static void throw_errno(napi_env env, int err, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, errno_code(err), message);
}

/*
 * The socket address of `address` (an IPv4 or IPv6 literal) and port for a socket of the given
 * family: an IPv4 address on an IPv6 socket in its mapped form. 0, or EINVAL when it cannot be.
 */
static int socket_address(int ipv6_socket, const char *address, uint16_t port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  struct in_addr v4;
  if (inet_pton(AF_INET, address, &v4) == 1) {
    if (!ipv6_socket) {
      struct sockaddr_in *in = (struct sockaddr_in *)out;
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      in->sin_addr = v4;
      *len = sizeof *in;
      return 0;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&in6->sin6_addr.s6_addr[12], &v4, 4);
    *len = sizeof *in6;
    return 0;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  *len = sizeof *in6;
  return ipv6_socket && inet_pton(AF_INET6, address, &in6->sin6_addr) == 1 ? 0 : EINVAL;
}

/* An endpoint that failed to open: releases what open() had set up, throws, and returns NULL. */
static napi_value discard(napi_env env, endpoint *ep, const char *code, const char *message) {
  close(ep->fd);
  table_free(&ep->table);
  pthread_mutex_destroy(&ep->lock);
  free(ep->user_agent);
  free(ep);
  napi_throw_error(env, code, message);
  return NULL;
}

/* open(host, port, ipv6, receiveBufferBytes, userAgent, onDatagram) -> endpoint */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "sip-udp: open needs 6 arguments");
    return NULL;
  }
  char host[64];
  size_t host_len;
  if (string_arg(env, argv[0], host, sizeof host, &host_len) != 0) return NULL;
  uint32_t port, rcvbuf;
  bool ipv6;
  size_t ua_len;
  CHECK(env, napi_get_value_uint32(env, argv[1], &port));
  CHECK(env, napi_get_value_bool(env, argv[2], &ipv6));
  CHECK(env, napi_get_value_uint32(env, argv[3], &rcvbuf));
  CHECK(env, napi_get_value_string_latin1(env, argv[4], NULL, 0, &ua_len));

  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (socket_address(ipv6, host, (uint16_t)port, &addr, &addr_len) != 0 || (addr.ss_family == AF_INET6) != ipv6) {
    throw_errno(env, EINVAL, ipv6 ? "sip-udp: not an IPv6 address" : "sip-udp: not an IPv4 address");
    return NULL;
  }
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "sip-udp: socket");
    return NULL;
  }
  if (ipv6) {
    int off = 0; /* dual stack, as Node's udp6 sockets */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "sip-udp: bind");
    return NULL;
  }
  int size = (int)rcvbuf;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  endpoint *ep = calloc(1, sizeof(endpoint));
  if (ep == NULL) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "sip-udp: out of memory");
    return NULL;
  }
  ep->fd = fd;
  ep->ipv6 = ipv6;
  pthread_mutex_init(&ep->lock, NULL);
  ep->user_agent = malloc(ua_len + 1);
  if (ep->user_agent == NULL || table_init(&ep->table) != 0) return discard(env, ep, "ENOMEM", "sip-udp: out of memory");
  napi_get_value_string_latin1(env, argv[4], ep->user_agent, ua_len + 1, &ua_len);
  ep->config.user_agent = ep->user_agent;
  ep->config.user_agent_len = ua_len;
  uint64_t seed = 0;
  getentropy(&seed, sizeof seed);
  ep->config.tag_seed = seed;
  napi_value name, resource;
  uv_loop_t *loop = NULL;
  napi_create_string_utf8(env, "sip-udp datagram", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  ep->env = env;
  ep->wake = malloc(sizeof(uv_async_t));
  int ready = ep->wake != NULL && napi_get_uv_event_loop(env, &loop) == napi_ok && uv_async_init(loop, ep->wake, deliver) == 0;
  if (!ready) {
    free(ep->wake);
    return discard(env, ep, "EIO", "sip-udp: cannot set up the delivery to JavaScript");
  }
  ep->wake->data = ep;
  napi_create_reference(env, argv[5], 1, &ep->on_datagram);
  napi_async_init(env, resource, name, &ep->async_context);
  ep->open = 1;
  if (pthread_create(&ep->thread, NULL, receive_loop, ep) != 0) {
    ep->open = 0;
    uv_close((uv_handle_t *)ep->wake, free_handle);
    napi_delete_reference(env, ep->on_datagram);
    napi_async_destroy(env, ep->async_context);
    return discard(env, ep, "EIO", "sip-udp: cannot start the receive thread");
  }
  napi_value external;
  CHECK(env, napi_create_external(env, ep, finalize_endpoint, NULL, &external));
  return external;
}

/* port(ep) -> the bound port; receiveBufferBytes(ep) -> what the kernel granted */
static napi_value js_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  endpoint *ep = endpoint_arg(env, info, 1, argv);
  if (ep == NULL) return NULL;
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  int rcvbuf = 0;
  socklen_t optlen = sizeof rcvbuf;
  if (ep->open) {
    getsockname(ep->fd, (struct sockaddr *)&addr, &len);
    port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port : ((struct sockaddr_in6 *)&addr)->sin6_port);
    getsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen);
  }
  napi_value result, value;
  CHECK(env, napi_create_object(env, &result));
  napi_create_uint32(env, port, &value);
  napi_set_named_property(env, result, "port", value);
  napi_create_uint32(env, (uint32_t)(rcvbuf / 2), &value); /* Linux reports twice what it granted for data */
  napi_set_named_property(env, result, "receiveBufferBytes", value);
  napi_create_double(env, (double)__atomic_load_n(&ep->answered, __ATOMIC_RELAXED), &value);
  napi_set_named_property(env, result, "answered", value);
  napi_create_double(env, (double)__atomic_load_n(&ep->forwarded, __ATOMIC_RELAXED), &value);
  napi_set_named_property(env, result, "forwarded", value);
  napi_create_double(env, (double)__atomic_load_n(&ep->dropped, __ATOMIC_RELAXED), &value);
  napi_set_named_property(env, result, "dropped", value);
  pthread_mutex_lock(&ep->lock);
  napi_create_uint32(env, (uint32_t)ep->table.live, &value);
  pthread_mutex_unlock(&ep->lock);
  napi_set_named_property(env, result, "admitted", value);
  return result;
}

/* send(ep, buffer, address, port) -> 0, or an errno code name */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  endpoint *ep = endpoint_arg(env, info, 4, argv);
  if (ep == NULL) return NULL;
  void *data;
  size_t len;
  char address[INET6_ADDRSTRLEN + 8];
  size_t address_len;
  uint32_t port;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  if (string_arg(env, argv[2], address, sizeof address, &address_len) != 0) return NULL;
  CHECK(env, napi_get_value_uint32(env, argv[3], &port));
  struct sockaddr_storage to;
  socklen_t to_len = 0;
  int err = ep->open ? socket_address(ep->ipv6, address, (uint16_t)port, &to, &to_len) : EBADF;
  if (err == 0 && sendto(ep->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, to_len) < 0) err = errno;
  napi_value result;
  if (err == 0) napi_create_uint32(env, 0, &result);
  else napi_create_string_utf8(env, err == EBADF ? "EBADF" : errno_code(err), NAPI_AUTO_LENGTH, &result);
  return result;
}

static int device_id_arg(napi_env env, napi_value value, char *id) {
  char text[KA_ID_LEN + 2];
  size_t len;
  if (napi_get_value_string_latin1(env, value, text, sizeof text, &len) != napi_ok || len != KA_ID_LEN) {
    napi_throw_type_error(env, NULL, "sip-udp: a device ID has 20 characters");
    return -1;
  }
  memcpy(id, text, KA_ID_LEN);
  return 0;
}

/* admit(ep, deviceId, address, port, expiresAt) */
static napi_value js_admit(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  endpoint *ep = endpoint_arg(env, info, 5, argv);
  if (ep == NULL) return NULL;
  char id[KA_ID_LEN];
  char address[INET6_ADDRSTRLEN + 8];
  size_t address_len;
  uint32_t port;
  double expires_at;
  if (device_id_arg(env, argv[1], id) != 0) return NULL;
  if (string_arg(env, argv[2], address, sizeof address, &address_len) != 0) return NULL;
  CHECK(env, napi_get_value_uint32(env, argv[3], &port));
  CHECK(env, napi_get_value_double(env, argv[4], &expires_at));
  pthread_mutex_lock(&ep->lock);
  int rc = ep->open ? table_admit(&ep->table, id, address, address_len, (uint16_t)port, expires_at) : 0;
  pthread_mutex_unlock(&ep->lock);
  if (rc != 0) napi_throw_error(env, "ENOMEM", "sip-udp: device table full");
  return NULL;
}

/* revoke(ep, deviceId) */
static napi_value js_revoke(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  endpoint *ep = endpoint_arg(env, info, 2, argv);
  if (ep == NULL) return NULL;
  char id[KA_ID_LEN];
  if (device_id_arg(env, argv[1], id) != 0) return NULL;
  pthread_mutex_lock(&ep->lock);
  if (ep->open) table_revoke(&ep->table, id);
  pthread_mutex_unlock(&ep->lock);
  return NULL;
}

/* takeSeen(ep) -> [deviceId, at, deviceId, at, ...]: keepalives answered here since the last call */
static napi_value js_take_seen(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  endpoint *ep = endpoint_arg(env, info, 1, argv);
  if (ep == NULL) return NULL;
  seen_record *seen = NULL;
  size_t count = 0;
  pthread_mutex_lock(&ep->lock);
  if (ep->open) count = table_take_seen(&ep->table, &seen);
  pthread_mutex_unlock(&ep->lock);
  napi_value result;
  if (napi_create_array_with_length(env, count * 2, &result) != napi_ok) {
    free(seen);
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    napi_value id, at;
    napi_create_string_latin1(env, seen[i].id, KA_ID_LEN, &id);
    napi_create_double(env, seen[i].at, &at);
    napi_set_element(env, result, (uint32_t)(i * 2), id);
    napi_set_element(env, result, (uint32_t)(i * 2 + 1), at);
  }
  free(seen);
  return result;
}

/* close(ep): stops the thread and closes the socket; datagrams not yet delivered are dropped. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  endpoint *ep = endpoint_arg(env, info, 1, argv);
  if (ep == NULL) return NULL;
  stop(env, ep);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"open", js_open},     {"info", js_info},         {"send", js_send},   {"admit", js_admit},
      {"revoke", js_revoke}, {"takeSeen", js_take_seen}, {"close", js_close},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
