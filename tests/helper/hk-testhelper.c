/* hk-testhelper: a tiny static program placed in test rootfs images for the
 * checks busybox cannot make.  Each subcommand prints one fact. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/tcp.h>

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_STACK", RLIMIT_STACK},
	{"RLIMIT_AS", RLIMIT_AS},	  {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_CPU", RLIMIT_CPU},	  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
};

static int cmd_rlimit(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		struct rlimit rl;
		if (strcmp(rlimits[i].name, name))
			continue;
		getrlimit(rlimits[i].res, &rl);
		printf("%llu %llu\n", (unsigned long long)rl.rlim_cur,
		       (unsigned long long)rl.rlim_max);
		return 0;
	}
	fprintf(stderr, "unknown rlimit %s\n", name);
	return 2;
}

static int cmd_ids(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups);
	printf("uid=%d gid=%d euid=%d egid=%d groups=", (int)getuid(), (int)getgid(),
	       (int)geteuid(), (int)getegid());
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)groups[i]);
	printf("\n");
	return 0;
}

/* Try a syscall that seccomp tests block; print the errno name or "ok". */
static int cmd_syscall(const char *name)
{
	long r;
	if (!strcmp(name, "getcwd")) {
		char buf[256];
		r = syscall(SYS_getcwd, buf, sizeof(buf));
	} else if (!strcmp(name, "mkdir")) {
		r = syscall(SYS_mkdir, "/tmp/.hk-seccomp-probe", 0700);
		if (r == 0)
			rmdir("/tmp/.hk-seccomp-probe");
	} else if (!strcmp(name, "getpid")) {
		r = syscall(SYS_getpid);
	} else if (!strcmp(name, "uname")) {
		char buf[4096];
		r = syscall(SYS_uname, buf);
	} else if (!strcmp(name, "personality")) {
		r = syscall(SYS_personality, 0xffffffff);
	} else {
		fprintf(stderr, "unknown syscall %s\n", name);
		return 2;
	}
	if (r < 0)
		printf("errno %d %s\n", errno, strerror(errno));
	else
		printf("ok\n");
	return 0;
}

/* PID 1 behaviour: leave a zombie child behind for the runtime/init to reap. */
static int cmd_orphan(void)
{
	pid_t p = fork();
	if (p == 0) {
		if (fork() == 0)
			_exit(0);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}

/* The other end of --console-socket: accept one connection on a unix socket,
 * receive the pty master (SCM_RIGHTS), copy what it says to stdout until
 * the terminal closes. */
/* reaper CMD...: run CMD as a child subreaper that reaps every orphan the
 * moment it exits, as containerd's shim does for the containers it starts
 * (PID 1 of a test VM may leave them zombies, hiding reaping races).  Exits
 * with CMD's status once CMD and every orphan are gone. */
static int cmd_reaper(char **argv)
{
	int st, code = 125;
	pid_t child, p;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 125;
	}
	child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		execvp(argv[0], argv);
		perror("reaper: exec");
		_exit(127);
	}
	while ((p = waitpid(-1, &st, 0)) > 0 || (p < 0 && errno == EINTR))
		if (p == child)
			code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return code;
}

static int cmd_recvtty(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int ls = socket(AF_UNIX, SOCK_STREAM, 0), c, master;
	char byte, buf[4096];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.b,
			     .msg_controllen = sizeof(u.b)};
	struct cmsghdr *cm;
	ssize_t n;

	if (ls < 0 || strlen(path) >= sizeof(sa.sun_path))
		return 1;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("recvtty: bind");
		return 1;
	}
	c = accept(ls, NULL, NULL);
	if (c < 0 || recvmsg(c, &msg, 0) <= 0 || !(cm = CMSG_FIRSTHDR(&msg)) ||
	    cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "recvtty: no fd received\n");
		return 1;
	}
	memcpy(&master, CMSG_DATA(cm), sizeof(int));
	printf("recvtty: got fd\n");
	fflush(stdout);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return 0;
}

/* The fake upstream's answer to the query in b (n bytes, room for 16 more)
 * in place; its length, 0 to drop.  Every A query gets 198.51.100.7 (.8 over
 * TCP), a name starting with "nx" NXDOMAIN, "tcq" (UDP) a truncated answer
 * with TC set and the question, "tc0" (UDP) TC without the question,
 * anything else an empty NOERROR. */
static size_t fake_answer(unsigned char *b, size_t n, bool tcp)
{
	size_t off = 12;

	if (n < 17)
		return 0;
	while (off < n && b[off] && b[off] < 64)
		off += b[off] + 1u;
	if (off + 5 > n)
		return 0;
	off += 5;
	int qtype = (b[off - 4] << 8) | b[off - 3];
	b[2] = 0x81;
	b[3] = 0x80;
	b[6] = b[7] = b[8] = b[9] = b[10] = b[11] = 0;
	if (!tcp && b[12] >= 3 && !memcmp(b + 13, "tc", 2) && (b[15] == 'q' || b[15] == '0')) {
		b[2] |= 0x02;
		if (b[15] == '0') {
			b[4] = b[5] = 0;
			return 12;
		}
	} else if (b[12] >= 2 && b[13] == 'n' && b[14] == 'x') {
		b[3] |= 3;
	} else if (qtype == 1) {
		unsigned char rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7};
		rr[15] = tcp ? 8 : 7;
		memcpy(b + off, rr, sizeof(rr));
		off += sizeof(rr);
		b[7] = 1;
	}
	return off;
}

/* dns-upstream ADDR PORT [tcp]: a fake upstream resolver for the DNS tests
 * (so no query ever leaves the test's namespace), answers as fake_answer().
 * UDP, and TCP too when asked (otherwise a TCP connection is refused); runs
 * until killed. */
static int cmd_dns_upstream(const char *addr, const char *port, bool with_tcp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	unsigned char b[512];
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0), ls = -1;

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dns-upstream");
		return 1;
	}
	if (with_tcp) {
		ls = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(ls, 8) < 0) {
			perror("dns-upstream: tcp");
			return 1;
		}
	}
	printf("dns-upstream: ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = ls, .events = POLLIN}};
		if (poll(p, ls >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n =
				recvfrom(fd, b, sizeof(b) - 16, 0, (struct sockaddr *)&from, &fl);
			size_t out = n > 0 ? fake_answer(b, (size_t)n, false) : 0;
			if (out)
				sendto(fd, b, out, 0, (struct sockaddr *)&from, fl);
		}
		if (ls >= 0 && (p[1].revents & POLLIN)) {
			/* one query per connection is all the tests send */
			unsigned char h[2];
			int c = accept(ls, NULL, NULL);
			size_t len, out;
			if (c < 0)
				continue;
			if (read(c, h, 2) == 2 &&
			    (len = (size_t)((h[0] << 8) | h[1])) <= sizeof(b) - 16) {
				size_t got = 0;
				ssize_t r = 1;
				while (got < len && (r = read(c, b + got, len - got)) > 0)
					got += (size_t)r;
				if (got == len && (out = fake_answer(b, len, true))) {
					h[0] = (unsigned char)(out >> 8), h[1] = (unsigned char)out;
					if (write(c, h, 2) != 2 || write(c, b, out) != (ssize_t)out)
						perror("dns-upstream: write");
				}
			}
			close(c);
		}
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Read exactly len bytes (TCP). */
static int read_exact(int fd, unsigned char *b, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, b + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* dns-bench ADDR [tcp:]PORT NAME COUNT [TYPE]: COUNT queries (TYPE a, aaaa
 * or ptr; default a) for NAME, one after the other over UDP (or one TCP
 * connection), to an IPv4 or IPv6 ADDR; prints the round trip's mean, median
 * and 99th percentile in microseconds, how many got an answer with records,
 * how many had TC set, and the first answer's address (or name for PTR). */
static int cmd_dns_bench(const char *addr, const char *port, const char *name, int count,
			 const char *type)
{
	bool tcp = !strncmp(port, "tcp:", 4), v6 = strchr(addr, ':') != NULL;
	int qtype = !strcmp(type, "aaaa") ? 28 : !strcmp(type, "ptr") ? 12 : 1;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)atoi(tcp ? port + 4 : port))};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = sa.sin_port};
	unsigned char q[300], r[1500];
	long long *us = calloc((size_t)(count > 0 ? count : 1), sizeof(*us)), sum = 0;
	struct timeval tv = {.tv_sec = 2};
	size_t len = 14;
	int fd = socket(v6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0), answered = 0;
	int truncated = 0;
	char first[300] = "-";

	if (fd < 0 || !us || count <= 0 ||
	    (v6 ? inet_pton(AF_INET6, addr, &sa6.sin6_addr)
		: inet_pton(AF_INET, addr, &sa.sin_addr)) != 1 ||
	    (v6 ? connect(fd, (struct sockaddr *)&sa6, sizeof(sa6))
		: connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
		perror("dns-bench");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* q[0..1]: the TCP length prefix; the message starts at q + 2 */
	memset(q, 0, 14);
	q[4] = 1, q[7] = 1;
	for (const char *p = name; *p && len < 250;) {
		size_t l = strcspn(p, ".");
		q[len++] = (unsigned char)l;
		memcpy(q + len, p, l);
		len += l;
		p += l + (p[l] == '.');
	}
	q[len++] = 0;
	q[len++] = 0, q[len++] = (unsigned char)qtype, q[len++] = 0, q[len++] = 1;
	q[0] = (unsigned char)((len - 2) >> 8), q[1] = (unsigned char)(len - 2);
	for (int i = 0; i < count; i++) {
		struct timespec a, b;
		ssize_t n;
		q[2] = (unsigned char)(i >> 8), q[3] = (unsigned char)i;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (tcp) {
			if (write(fd, q, len) != (ssize_t)len || read_exact(fd, r, 2) < 0)
				return 1;
			n = (r[0] << 8) | r[1];
			if ((size_t)n > sizeof(r) || read_exact(fd, r, (size_t)n) < 0)
				return 1;
		} else {
			if (send(fd, q + 2, len - 2, 0) != (ssize_t)(len - 2))
				return 1;
			do
				n = recv(fd, r, sizeof(r), 0);
			while (n >= 2 && (r[0] != q[2] || r[1] != q[3]));
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
		sum += us[i];
		if (n >= 12 && (r[2] & 0x02))
			truncated++;
		if (n >= 12 && (r[6] || r[7])) {
			answered++;
			/* the answer after the echoed question: 12 + question + 12 */
			size_t off = 12 + (len - 14) + 12;
			if (i == 0 && qtype == 1 && (size_t)n >= off + 4)
				inet_ntop(AF_INET, r + off, first, sizeof(first));
			if (i == 0 && qtype == 28 && (size_t)n >= off + 16)
				inet_ntop(AF_INET6, r + off, first, sizeof(first));
			if (i == 0 && qtype == 12) {
				size_t t = 0;
				while (off < (size_t)n && r[off] && r[off] < 64 &&
				       t + r[off] + 2 < sizeof(first)) {
					memcpy(first + t, r + off + 1, r[off]);
					t += r[off];
					first[t++] = '.';
					off += r[off] + 1u;
				}
				first[t] = '\0';
			}
		}
	}
	qsort(us, (size_t)count, sizeof(*us), cmp_ll);
	printf("queries %d answered %d tc %d mean_us %lld p50_us %lld p99_us %lld first %s\n",
	       count, answered, truncated, sum / count, us[count / 2], us[(count * 99) / 100],
	       first);
	free(us);
	return 0;
}

/* ---- TCP throughput: a sink and a source fast enough to measure the
 * kernel's path (busybox nc copies 1 KiB at a time) ---- */

#define XFER_BUF (1 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, unsigned long long bytes, double secs)
{
	printf("%s %llu bytes in %.3f s: %.1f MB/s\n", what, bytes, secs,
	       secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	fflush(stdout);
}

/* tcp-sink PORT [CONNECTIONS]: accept connections one after the other, read
 * each to its end, print what arrived.  "listening" on stdout once ready. */
static int cmd_tcp_sink(const char *port, int count)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)atoi(port))};
	int one = 1, zero = 0, ls = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char *buf = malloc(XFER_BUF);

	if (ls < 0 || !buf)
		return perror("socket"), 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)); /* IPv4 too */
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 8) < 0)
		return perror("bind/listen"), 1;
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		unsigned long long total = 0;
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		double t0;
		ssize_t n;
		if (c < 0)
			return perror("accept"), 1;
		t0 = now_s();
		while ((n = read(c, buf, XFER_BUF)) > 0)
			total += (unsigned long long)n;
		report("received", total, now_s() - t0);
		close(c);
	}
	free(buf);
	return 0;
}

/* tcp-send ADDRESS PORT BYTES: send BYTES and wait until the peer has read
 * them all (it closes after EOF), print the rate.  A numeric address: no
 * resolver in a static program. */
static int cmd_tcp_send(const char *host, const char *port, const char *bytes)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = sa.sin_port};
	unsigned long long want = strtoull(bytes, NULL, 10), sent = 0;
	char *buf = calloc(1, XFER_BUF);
	bool v6 = strchr(host, ':') != NULL;
	double t0;
	int fd;

	if (!buf || (v6 ? inet_pton(AF_INET6, host, &sa6.sin6_addr)
			: inet_pton(AF_INET, host, &sa.sin_addr)) != 1)
		return fprintf(stderr, "tcp-send: %s is not a numeric address\n", host), 1;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (v6 ? connect(fd, (struct sockaddr *)&sa6, sizeof(sa6))
			  : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0)
		return perror("tcp-send: connect"), 1;
	t0 = now_s();
	while (sent < want) {
		size_t chunk = want - sent < XFER_BUF ? (size_t)(want - sent) : XFER_BUF;
		ssize_t n = write(fd, buf, chunk);
		if (n <= 0)
			return perror("tcp-send: write"), 1;
		sent += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, XFER_BUF) > 0)
		;
	report("sent", sent, now_s() - t0);
	close(fd);
	free(buf);
	return 0;
}

/* udp-echo PORT: answer every datagram with "echo:" + its text (busybox nc
 * has no UDP here).  udp-ask ADDRESS PORT TEXT: send TEXT, print the answer
 * (retrying every 200 ms, 5 s at most). */
static int cmd_udp_echo(const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char buf[1500], out[1510];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return perror("udp-echo: bind"), 1;
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return perror("udp-echo: recvfrom"), 1;
		buf[n] = '\0';
		n = snprintf(out, sizeof(out), "echo:%s", buf);
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int cmd_udp_ask(const char *host, const char *port, const char *text)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char buf[1600];

	if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return fprintf(stderr, "udp-ask: %s is not a numeric address\n", host), 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 25; i++) {
		ssize_t n;
		sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sa, sizeof(sa));
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			printf("%s\n", buf);
			return 0;
		}
	}
	fprintf(stderr, "udp-ask: no answer from %s:%s\n", host, port);
	return 1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "rlimit") && argc > 2)
		return cmd_rlimit(argv[2]);
	if (!strcmp(cmd, "ids"))
		return cmd_ids();
	if (!strcmp(cmd, "umask")) {
		mode_t m = umask(0);
		printf("%04o\n", (unsigned)m);
		return 0;
	}
	if (!strcmp(cmd, "nnp")) {
		printf("%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		return 0;
	}
	if (!strcmp(cmd, "syscall") && argc > 2)
		return cmd_syscall(argv[2]);
	if (!strcmp(cmd, "oom")) {
		FILE *f = fopen("/proc/self/oom_score_adj", "r");
		int v = 0;
		if (!f || fscanf(f, "%d", &v) != 1)
			return 1;
		printf("%d\n", v);
		return 0;
	}
	if (!strcmp(cmd, "orphan"))
		return cmd_orphan();
	if (!strcmp(cmd, "ignore-term")) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	if (!strcmp(cmd, "reaper") && argc > 2)
		return cmd_reaper(argv + 2);
	if (!strcmp(cmd, "recvtty") && argc > 2)
		return cmd_recvtty(argv[2]);
	if (!strcmp(cmd, "dns-upstream") && argc > 3)
		return cmd_dns_upstream(argv[2], argv[3], argc > 4 && !strcmp(argv[4], "tcp"));
	if (!strcmp(cmd, "dns-bench") && argc > 5)
		return cmd_dns_bench(argv[2], argv[3], argv[4], atoi(argv[5]),
				     argc > 6 ? argv[6] : "a");
	if (!strcmp(cmd, "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(cmd, "tcp-sink") && argc > 2)
		return cmd_tcp_sink(argv[2], argc > 3 ? atoi(argv[3]) : 1);
	if (!strcmp(cmd, "tcp-send") && argc > 4)
		return cmd_tcp_send(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "udp-echo") && argc > 2)
		return cmd_udp_echo(argv[2]);
	if (!strcmp(cmd, "udp-ask") && argc > 4)
		return cmd_udp_ask(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: hk-testhelper rlimit NAME | ids | umask | nnp | syscall NAME | "
			"oom | orphan | ignore-term | reaper CMD... | recvtty SOCKET | "
			"dns-upstream ADDR PORT [tcp] |\n"
			"  dns-bench ADDR [tcp:]PORT NAME N [a|aaaa|ptr] | exit N |\n"
			"  tcp-sink PORT [CONNECTIONS] | tcp-send ADDRESS PORT BYTES |\n"
			"  udp-echo PORT | udp-ask ADDRESS PORT TEXT\n");
	return 2;
}
