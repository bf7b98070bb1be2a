#include "util/trace.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

void hk_trace(const char *fmt, ...)
{
	static int state; /* 0: not looked, 1: off, 2: on */
	const char *path;
	char line[512], comm[17] = "";
	struct timespec ts;
	va_list ap;
	int n, fd;

	if (state == 1)
		return;
	path = getenv("HAKO_TRACE");
	if (!path || !*path) {
		state = 1;
		return;
	}
	state = 2;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	prctl(PR_GET_NAME, comm);
	n = snprintf(line, sizeof(line), "%lld.%03ld %d %s ",
		     (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, (ts.tv_nsec / 1000) % 1000,
		     (int)getpid(), comm);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* a trace is best effort */
	}
	close(fd);
}
