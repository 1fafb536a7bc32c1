/*
 * An open-loop HTTP load generator for a fixed request rate (wrk has none): requests fall
 * due on a fixed schedule (RATE per second) and go out over CONNECTIONS keep-alive
 * connections. A request due while every connection is busy waits in a queue and its
 * latency runs from when it was due, so a stalled server is not hidden by a waiting client
 * (no coordinated omission); a request sent at once on an idle connection is timed from
 * when it was written, so the client's own wake-up delay is not charged to the server. With RATE 0 it is closed loop: each connection
 * sends its next request when the last one is answered.
 *
 * It sleeps between requests (a timerfd ticking at the request interval, epoll for the
 * answers), so on a 2-core machine it leaves the other core to the server; a client that
 * spins to keep its schedule takes a whole core and makes the server's latency its own.
 *
 *   http-load PORT RATE SECONDS CONNECTIONS ADDRESSES [BEARER_TOKEN [ROUTE]]
 *
 * Requests are GET /v1/mappings/172.(16 + i/65536).(i/256 % 256).(i % 256) for random
 * i < ADDRESSES (bench/lib/addresses.mjs); with ROUTE "auth", GET /v1/auth with that
 * address in X-Real-IP (as nginx auth_request sends it; the listener must trust 127.0.0.1).
 * An empty BEARER_TOKEN sends none. Prints one JSON line:
 * {"requests","seconds","p50","p90","p99","p999","max","errors","non2xx"} (latencies in microseconds).
 * Build: cc -O2 -o http-load http-load.c   (bench/lib/compile.mjs does this)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define BUFFER 16384

struct conn {
  int fd;
  int busy;
  int dead;
  int64_t due; /* ns: when the request in flight fell due */
  size_t fill;
  char buf[BUFFER];
};

static struct conn conns[MAX_CONNECTIONS];
static int nconns, alive, port, addresses;
static char auth[512];
static int auth_route; /* ROUTE "auth": GET /v1/auth with X-Real-IP */
static int64_t *latencies; /* ns */
static size_t nlat, caplat;
static int64_t *queue; /* due times waiting for a connection (FIFO; at most one slot per request of the run) */
static size_t qhead, qtail;
static int *idle;
static int nidle;
static unsigned long errors, non2xx;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void record(int64_t latency) {
  if (nlat == caplat) latencies = realloc(latencies, (caplat = caplat ? caplat * 2 : 65536) * sizeof *latencies);
  latencies[nlat++] = latency;
}

static void fail(struct conn *c) {
  if (c->dead) return;
  errors++;
  c->dead = 1;
  alive--;
  close(c->fd);
}

/* `due`: when the latency starts (see the top of the file). */
static void send_request(struct conn *c, int64_t due) {
  unsigned i = (unsigned)(next_random() % (uint64_t)addresses);
  char req[768];
  int n = auth_route
    ? snprintf(req, sizeof req, "GET /v1/auth HTTP/1.1\r\nhost: 127.0.0.1\r\nx-real-ip: 172.%u.%u.%u\r\n%s\r\n",
               16 + i / 65536, (i / 256) % 256, i % 256, auth)
    : snprintf(req, sizeof req, "GET /v1/mappings/172.%u.%u.%u HTTP/1.1\r\nhost: 127.0.0.1\r\n%s\r\n",
               16 + i / 65536, (i / 256) % 256, i % 256, auth);
  c->due = due;
  c->busy = 1;
  for (int off = 0; off < n;) {
    ssize_t w = write(c->fd, req + off, n - off);
    if (w < 0) { fail(c); return; } /* a short request on an idle keep-alive socket never blocks */
    off += (int)w;
  }
}

/* A connection became free: the oldest queued request, or in closed loop the next one. */
static void dispatch(struct conn *c, int open_loop, int64_t end) {
  if (qtail > qhead) send_request(c, queue[qhead++]);
  else if (!open_loop && now_ns() < end) send_request(c, now_ns());
  else idle[nidle++] = (int)(c - conns);
}

/* Length of the header block ending in CRLFCRLF, or 0 when it is not complete yet. */
static size_t header_end(const char *buf, size_t fill) {
  for (size_t i = 3; i < fill; i++) {
    if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return i + 1;
  }
  return 0;
}

static long content_length(const char *buf, size_t head) {
  static const char name[] = "\r\ncontent-length:";
  for (size_t i = 0; i + sizeof name - 1 < head; i++) {
    if (strncasecmp(buf + i, name, sizeof name - 1) == 0) return strtol(buf + i + sizeof name - 1, NULL, 10);
  }
  return 0;
}

static void readable(struct conn *c, int open_loop, int64_t end) {
  for (;;) {
    ssize_t r = read(c->fd, c->buf + c->fill, BUFFER - c->fill);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (r <= 0) { fail(c); return; }
    c->fill += (size_t)r;
    for (;;) {
      size_t head = header_end(c->buf, c->fill);
      if (head == 0) {
        if (c->fill == BUFFER) { fail(c); return; } /* a header block larger than the buffer */
        break;
      }
      size_t total = head + (size_t)content_length(c->buf, head);
      if (total > BUFFER) { fail(c); return; }
      if (c->fill < total) break;
      if (strncmp(c->buf, "HTTP/1.1 2", 10) != 0) non2xx++;
      record(now_ns() - c->due);
      memmove(c->buf, c->buf + total, c->fill - total);
      c->fill -= total;
      c->busy = 0;
      dispatch(c, open_loop, end);
    }
  }
}

static int compare(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static long percentile(double q) {
  if (nlat == 0) return -1;
  size_t i = (size_t)(q * nlat);
  return (long)(latencies[i < nlat ? i : nlat - 1] / 1000);
}

int main(int argc, char **argv) {
  if (argc < 6 || argc > 8) {
    fprintf(stderr, "usage: %s PORT RATE SECONDS CONNECTIONS ADDRESSES [BEARER_TOKEN [ROUTE]]\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  double rate = atof(argv[2]);
  double seconds = atof(argv[3]);
  nconns = atoi(argv[4]);
  addresses = atoi(argv[5]);
  if (nconns < 1 || nconns > MAX_CONNECTIONS || addresses < 1 || rate < 0 || seconds <= 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  if (argc == 8) auth_route = strcmp(argv[7], "auth") == 0;
  if (argc == 8 && !auth_route && strcmp(argv[7], "mappings") != 0) {
    fprintf(stderr, "ROUTE is mappings or auth\n");
    return 2;
  }
  if (argc >= 7 && argv[6][0]) snprintf(auth, sizeof auth, "authorization: Bearer %s\r\n", argv[6]);
  rng ^= (uint64_t)now_ns();

  int ep = epoll_create1(0);
  idle = malloc(nconns * sizeof *idle);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  for (int i = 0; i < nconns; i++) {
    struct conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); return 1; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) { perror("fcntl"); return 1; }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
  alive = nconns;

  const int64_t began = now_ns();
  const int64_t end = began + (int64_t)(seconds * 1e9);
  const int64_t interval = rate > 0 ? (int64_t)(1e9 / rate) : 0;
  int64_t next = began;
  int tfd = -1;
  if (rate > 0) {
    queue = malloc(((size_t)(rate * seconds) + 2) * sizeof *queue);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec spec = {.it_interval = {interval / 1000000000, interval % 1000000000}, .it_value = {0, 1}};
    timerfd_settime(tfd, 0, &spec, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    for (int i = 0; i < nconns; i++) idle[nidle++] = i;
  } else {
    for (int i = 0; i < nconns; i++) send_request(&conns[i], began);
  }

  /* Run the schedule, then let what is in flight finish (up to 5 s). */
  const int64_t deadline = end + 5000000000LL;
  struct epoll_event events[64];
  for (;;) {
    int64_t t = now_ns();
    int outstanding = qtail > qhead;
    for (int i = 0; i < nconns && !outstanding; i++) outstanding = conns[i].busy && !conns[i].dead;
    if (alive == 0 || t >= deadline || (t >= end && !outstanding)) break;
    int n = epoll_wait(ep, events, 64, 10);
    for (int k = 0; k < n; k++) {
      uint32_t id = events[k].data.u32;
      if (id == UINT32_MAX) {
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) < 0) continue;
        int64_t at = now_ns();
        while (next <= at && next < end) {
          while (nidle > 0 && conns[idle[nidle - 1]].dead) nidle--;
          if (nidle > 0) send_request(&conns[idle[--nidle]], now_ns());
          else queue[qtail++] = next;
          next += interval;
        }
        if (next >= end) {
          epoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL);
          close(tfd);
        }
      } else if (!conns[id].dead) {
        readable(&conns[id], rate > 0, end);
      }
    }
  }
  int64_t stopped = now_ns();
  for (int i = 0; i < nconns; i++) if (!conns[i].dead) close(conns[i].fd);
  qsort(latencies, nlat, sizeof *latencies, compare);
  double elapsed = ((stopped < end ? stopped : end) - began) / 1e9;
  printf("{\"requests\":%zu,\"seconds\":%.3f,\"p50\":%ld,\"p90\":%ld,\"p99\":%ld,\"p999\":%ld,\"max\":%ld,\"errors\":%lu,\"non2xx\":%lu}\n",
         nlat, elapsed, percentile(0.5), percentile(0.9), percentile(0.99), percentile(0.999), percentile(1), errors, non2xx);
  return 0;
}
