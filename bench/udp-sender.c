/*
 * A UDP syslog load generator for the benchmarks: sends the lines of MESSAGES_FILE (one
 * datagram each, cycling) to HOST:PORT at RATE datagrams/s (0 = as fast as it can) for
 * SECONDS, in batches of 64 with sendmmsg(2) so one core can offer well over 300k/s.
 * SIGTERM or SIGINT ends it early. Prints one JSON line: {"sent":N,"seconds":S,"rate":R}.
 * Build: cc -O2 -o udp-sender udp-sender.c   (bench/lib/compile.mjs does this)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static volatile sig_atomic_t stopping = 0;

static void stop(int sig) {
  (void)sig;
  stopping = 1;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s HOST PORT RATE SECONDS MESSAGES_FILE\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  double rate = atof(argv[3]);
  double seconds = atof(argv[4]);

  FILE *f = fopen(argv[5], "rb");
  if (!f) { perror(argv[5]); return 1; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc(size + 1);
  if (fread(text, 1, size, f) != (size_t)size) { perror("read"); return 1; }
  fclose(f);
  text[size] = '\n';

  size_t count = 0, cap = 1024;
  struct iovec *lines = malloc(cap * sizeof *lines);
  for (char *p = text, *end = text + size; p < end;) {
    char *nl = memchr(p, '\n', end - p + 1);
    if (nl > p) {
      if (count == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
      lines[count].iov_base = p;
      lines[count].iov_len = nl - p;
      count++;
    }
    p = nl + 1;
  }
  if (count == 0) { fprintf(stderr, "no messages\n"); return 1; }

  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof addr);
  socklen_t addrlen;
  int family;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = family = AF_INET; v4->sin_port = htons(port); addrlen = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = family = AF_INET6; v6->sin6_port = htons(port); addrlen = sizeof *v6;
  } else {
    fprintf(stderr, "not an address: %s\n", host);
    return 2;
  }
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addrlen) < 0) { perror("socket"); return 1; }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  signal(SIGTERM, stop);
  signal(SIGINT, stop);

  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  unsigned long long sent = 0;
  size_t next = 0;
  double start = now(), t = start;
  while (!stopping && (t = now()) - start < seconds) {
    if (rate > 0) {
      double due = (t - start) * rate;
      if ((double)sent >= due) {
        struct timespec pause = {0, 50000};
        nanosleep(&pause, NULL);
        continue;
      }
    }
    for (int i = 0; i < BATCH; i++) {
      msgs[i].msg_hdr.msg_iov = &lines[next];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (++next == count) next = 0;
    }
    int n = sendmmsg(fd, msgs, BATCH, 0);
    if (n > 0) sent += n;
    /* ECONNREFUSED from an earlier ICMP is harmless: the receiver may not be up yet. */
  }
  double elapsed = now() - start;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"rate\":%.0f}\n", sent, elapsed, sent / elapsed);
  return 0;
}
