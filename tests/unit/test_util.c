#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

TEST(error_wrap_adds_context)
{
	_cleanup_error_ struct hk_error *err = NULL;
	int r;

	errno = ENOENT;
	r = hk_error_errno(&err, "open %s", "config.json");
	CHECK(r == -ENOENT);
	hk_error_wrap(&err, "create");
	CHECK_STR(hk_error_msg(err), "create: open config.json: No such file or directory");
}

TEST(error_send_recv_roundtrip)
{
	_cleanup_error_ struct hk_error *in = NULL, *out = NULL;
	int p[2];

	REQUIRE(pipe(p) == 0);
	hk_error_set(&in, EPERM, "mount /proc");
	REQUIRE(hk_error_send(p[1], in) == 0);
	close(p[1]);
	CHECK(hk_error_recv(p[0], &out) == -EPERM);
	CHECK_STR(hk_error_msg(out), "mount /proc: Operation not permitted");
	close(p[0]);
}

TEST(path_clean_never_climbs)
{
	const char *cases[][2] = {
		{"/a/b/../c", "/a/c"},
		{"/../../etc", "/etc"},
		{"a//b/./c/", "a/b/c"},
		{"..", "."},
		{"/", "/"},
		{"/a/..", "/"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *c = path_clean(cases[i][0]);
		CHECK_STR(c, cases[i][1]);
	}
}

/* A rootfs with links that try to leave it: every open must stay inside. */
static void make_hostile_root(const char *root)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/abs", root);
	symlink("/etc", p);
	snprintf(p, sizeof(p), "%s/up", root);
	symlink("../../../../../../etc", p);
	snprintf(p, sizeof(p), "%s/etc/rel", root);
	symlink("../etc/passwd", p);
}

static void check_in_root(int *hk_failed, bool walk)
{
	const char *root = test_tmpdir();
	_cleanup_close_ int rootfd = -1;
	struct stat inside, got;
	char p[512];

	make_hostile_root(root);
	path_force_walk(walk);
	rootfd = open(root, O_PATH | O_DIRECTORY);
	REQUIRE(rootfd >= 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	REQUIRE(stat(p, &inside) == 0);
	const char *paths[] = {"/abs/passwd", "up/passwd", "/etc/rel", "../../etc/passwd"};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		_cleanup_error_ struct hk_error *err = NULL;
		_cleanup_close_ int fd = path_open_in_root(rootfd, paths[i], O_RDONLY, 0, &err);
		if (fd < 0)
			fprintf(stderr, "  %s: %s\n", paths[i], hk_error_msg(err));
		CHECK(fd >= 0);
		if (fd >= 0) {
			CHECK(fstat(fd, &got) == 0);
			CHECK(got.st_ino == inside.st_ino && got.st_dev == inside.st_dev);
		}
	}
	path_force_walk(false);
}

TEST(path_open_in_root_openat2)
{
	check_in_root(hk_failed, false);
}

TEST(path_open_in_root_walk)
{
	check_in_root(hk_failed, true);
}

TEST(path_mkdir_in_root_through_symlink)
{
	const char *root = test_tmpdir();
	_cleanup_close_ int rootfd = -1, fd = -1;
	_cleanup_error_ struct hk_error *err = NULL;
	char p[512];
	struct stat st;

	make_hostile_root(root);
	rootfd = open(root, O_PATH | O_DIRECTORY);
	fd = path_mkdir_in_root(rootfd, "/abs/new/dir", 0755, &err);
	REQUIRE(fd >= 0);
	snprintf(p, sizeof(p), "%s/etc/new/dir", root);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
}

TEST(json_field_errors_name_the_field)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	const char *s = NULL;
	const char *text = "{\"process\": {\"cwd\": 5}}";
	json_object *proc;

	REQUIRE(json_parse("config.json", text, strlen(text), &o, &err) == 0);
	REQUIRE(json_get_object(o, NULL, "process", &proc, &err) == 1);
	CHECK(json_get_string(proc, "process", "cwd", &s, &err) < 0);
	CHECK_STR(hk_error_msg(err), "process.cwd: expected a string");
	CHECK(json_get_string(proc, "process", "missing", &s, &err) == 0);
}

TEST(json_parse_reports_position)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_error_ struct hk_error *err = NULL;

	CHECK(json_parse("x.json", "{\"a\": }", 7, &o, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "x.json: invalid JSON at byte") != NULL);
}

TEST(file_rewrite_in_place_keeps_the_inode)
{
	_cleanup_free_ char *p = path_join(test_tmpdir(), "hosts");
	_cleanup_free_ char *gone = path_join(test_tmpdir(), "gone");
	_cleanup_free_ char *text = NULL;
	struct stat a, b;
	size_t len = 0;

	REQUIRE(write_file_at(AT_FDCWD, p, "a long first content\n", 21, 0644, NULL) == 0);
	REQUIRE(stat(p, &a) == 0);
	REQUIRE(file_rewrite_in_place(p, "short\n", 6, NULL) == 0);
	REQUIRE(read_file_at(AT_FDCWD, p, 1024, &text, &len, NULL) == 0);
	CHECK(len == 6 && !strcmp(text, "short\n"));
	REQUIRE(stat(p, &b) == 0);
	CHECK(a.st_ino == b.st_ino);
	CHECK((b.st_mode & 07777) == 0644);
	/* a missing file stays missing */
	CHECK(file_rewrite_in_place(gone, "x", 1, NULL) == 0);
	CHECK(access(gone, F_OK) < 0 && errno == ENOENT);
	/* never through a symlink */
	REQUIRE(symlink(p, gone) == 0);
	CHECK(file_rewrite_in_place(gone, "evil", 4, NULL) < 0);
}
