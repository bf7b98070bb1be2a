/* Runs every registered unit test, each in a fork so a crash fails only it.
 * Arguments select tests by substring.  Prints TAP-like lines and, last,
 * "N passed, N failed". */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/util.h"

extern const struct hk_test *const __start_hk_tests[];
extern const struct hk_test *const __stop_hk_tests[];

static char tmpdir[256];

const char *test_tmpdir(void)
{
	return tmpdir;
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, n = 0;

	for (const struct hk_test *const *t = __start_hk_tests; t < __stop_hk_tests; t++) {
		int status, nfail = 0;
		pid_t pid;

		if (!selected((*t)->name, argc, argv))
			continue;
		n++;
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/hako-unit-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			return 2;
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			(*t)->fn(&nfail);
			fflush(stderr);
			_exit(nfail ? 1 : 0);
		}
		waitpid(pid, &status, 0);
		rm_rf(tmpdir, NULL);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %d - %s\n", n, (*t)->name);
			passed++;
		} else {
			printf("not ok %d - %s%s\n", n, (*t)->name,
			       WIFSIGNALED(status) ? " (crashed)" : "");
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
