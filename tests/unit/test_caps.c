#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

static json_object *parse(const char *text)
{
	json_object *o = NULL;
	struct hk_error *err = NULL;
	if (json_parse("test", text, strlen(text), &o, &err) < 0) {
		hk_error_free(&err);
		return NULL;
	}
	return o;
}

/* One hex mask from /proc/self/status ("CapEff:\t0000..."). */
static unsigned long long status_mask(const char *key)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), " %llx", &v);
	fclose(f);
	return v;
}

TEST(caps_names_any_case_and_prefix)
{
	CHECK(caps_from_name("CAP_NET_ADMIN") == 12);
	CHECK(caps_from_name("net_admin") == 12);
	CHECK(caps_from_name("cap_chown") == 0);
	CHECK(caps_from_name("Sys_Admin") == 21);
	CHECK(caps_from_name("CAP_FOO") < 0);
	CHECK(caps_from_name("") < 0);
	CHECK(caps_from_name("CAP_") < 0);
	CHECK_STR(caps_name(40), "CAP_CHECKPOINT_RESTORE");
	CHECK(caps_name(64) == NULL);
	size_t n = 0;
	for (const char *const *p = caps_docker_default(); *p; p++, n++)
		CHECK(caps_from_name(*p) >= 0);
	CHECK(n == 14);
}

TEST(caps_parse_unknown_name_is_an_error)
{
	_cleanup_json_ json_object *o =
		parse("{\"bounding\":[\"CAP_CHOWN\"],\"effective\":[\"CAP_BOGUS\"]}");
	_cleanup_error_ struct hk_error *err = NULL;
	struct caps c;

	REQUIRE(o);
	CHECK(caps_parse(o, &c, &err) < 0);
	CHECK_STR(hk_error_msg(err), "capabilities.effective: unknown capability CAP_BOGUS");
}

TEST(caps_parse_sets)
{
	_cleanup_json_ json_object *o = parse("{\"bounding\":[\"CAP_CHOWN\",\"kill\"],"
					      "\"permitted\":[\"CAP_KILL\"],\"ambient\":[]}");
	_cleanup_error_ struct hk_error *err = NULL;
	struct caps c;

	REQUIRE(o);
	REQUIRE(caps_parse(o, &c, &err) == 0);
	CHECK(c.bounding == ((1ULL << 0) | (1ULL << 5)));
	CHECK(c.permitted == (1ULL << 5));
	CHECK(c.effective == 0 && c.ambient == 0 && c.inheritable == 0);
	CHECK(caps_parse(NULL, &c, &err) == 0 && c.bounding == 0);
}

/* Apply in a child (the change is irreversible) and read the result back
 * from /proc/self/status. */
TEST(caps_apply_in_child)
{
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fprintf(stderr, "  skipped: needs root\n");
		return;
	}
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct hk_error *err = NULL;
		struct caps c = {0};
		unsigned long long want = (1ULL << 0) | (1ULL << 5) | (1ULL << 10);
		c.bounding = c.permitted = c.effective = c.inheritable = want;
		c.ambient = 1ULL << 10; /* NET_BIND_SERVICE */
		if (caps_drop_bounding(&c, &err) < 0 || caps_apply(&c, &err) < 0) {
			fprintf(stderr, "  %s\n", hk_error_msg(err));
			_exit(1);
		}
		if (status_mask("CapBnd:") != want || status_mask("CapEff:") != want ||
		    status_mask("CapPrm:") != want || status_mask("CapInh:") != want ||
		    status_mask("CapAmb:") != (1ULL << 10))
			_exit(2);
		if (prctl(PR_GET_KEEPCAPS) != 0)
			_exit(3);
		/* A dropped capability is really gone. */
		if (prctl(PR_CAPBSET_READ, 21) != 0)
			_exit(4);
		_exit(0);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* An ambient cap that is not inheritable cannot be raised; as runc does,
 * it is skipped (`runc spec` 1.1 writes such configs). */
TEST(caps_ambient_not_inheritable_is_skipped)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return;
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct hk_error *err = NULL;
		struct caps c = {0};
		c.bounding = c.permitted = c.effective = (1ULL << 0) | (1ULL << 5);
		c.inheritable = 1ULL << 5;
		c.ambient = (1ULL << 0) | (1ULL << 5); /* CHOWN is not inheritable */
		if (caps_apply(&c, &err) < 0)
			_exit(1);
		_exit(status_mask("CapAmb:") == (1ULL << 5) ? 0 : 2);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
