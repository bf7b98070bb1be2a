#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test.h"
#include "util/json.h"
#include "util/path.h"
#include "util/sock.h"
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

/* A rootfs whose /etc files are hostile: path_read_in_root() must refuse
 * each one with a reason, never block on a FIFO or read a device, and never
 * leave the root. */
static void check_read_in_root(int *hk_failed, bool walk)
{
	const char *root = test_tmpdir();
	_cleanup_close_ int rootfd = -1;
	char p[512], host[512];
	struct {
		const char *path;
		int errnum;	  /* expected, -1: success */
		const char *text; /* in the message, or the content */
	} cases[] = {
		{"/etc/passwd", -1, "root:x:0:0::/:/bin/sh\n"},
		{"/etc/link", -1, "root:x:0:0::/:/bin/sh\n"},
		{"/etc/fifo", 0, "a FIFO, not a regular file"},
		{"/etc/null", 0, "a character device, not a regular file"},
		{"/etc/big", EFBIG, "larger than 64 bytes"},
		{"/etc/hostlink", ENOENT, "/etc/hostlink"},
		{"/etc/proclink", ENOENT, "/etc/proclink"},
		{"/etc", 0, "a directory, not a regular file"},
		{"/etc/missing", ENOENT, "/etc/missing"},
	};
	FILE *f;

	path_force_walk(walk);
	snprintf(p, sizeof(p), "%s/etc", root);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	REQUIRE((f = fopen(p, "w")));
	fputs("root:x:0:0::/:/bin/sh\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/etc/big", root);
	REQUIRE((f = fopen(p, "w")));
	for (int i = 0; i < 100; i++)
		fputc('x', f);
	fclose(f);
	/* a file of the host the link names: it must not be read */
	snprintf(host, sizeof(host), "%s/host-secret", root);
	REQUIRE(write_file_at(AT_FDCWD, host, "secret\n", 7, 0600, NULL) == 0);
	snprintf(p, sizeof(p), "%s/etc/hostlink", root);
	REQUIRE(symlink(host, p) == 0);
	snprintf(p, sizeof(p), "%s/etc/proclink", root);
	REQUIRE(symlink("/proc/self/environ", p) == 0);
	snprintf(p, sizeof(p), "%s/etc/link", root);
	REQUIRE(symlink("../../../etc/passwd", p) == 0);
	snprintf(p, sizeof(p), "%s/etc/fifo", root);
	REQUIRE(mkfifo(p, 0644) == 0);
	snprintf(p, sizeof(p), "%s/etc/null", root);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0)
		cases[3].path = NULL; /* no CAP_MKNOD: that case is left out */
	rootfd = open(root, O_PATH | O_DIRECTORY);
	REQUIRE(rootfd >= 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_error_ struct hk_error *err = NULL;
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		int r;

		if (!cases[i].path)
			continue;
		r = path_read_in_root(rootfd, cases[i].path, 64, &text, &len, &err);
		if (cases[i].errnum < 0) {
			if (r < 0)
				fprintf(stderr, "  %s: %s\n", cases[i].path, hk_error_msg(err));
			CHECK(r == 0);
			CHECK_STR(text, cases[i].text);
			CHECK(text && len == strlen(text));
			continue;
		}
		CHECK(r < 0);
		CHECK(err && err->errnum == cases[i].errnum);
		CHECK(err && strstr(err->msg, cases[i].text));
		if (err && (err->errnum != cases[i].errnum || !strstr(err->msg, cases[i].text)))
			fprintf(stderr, "  %s: %d %s\n", cases[i].path, err->errnum, err->msg);
	}
	path_force_walk(false);
}

TEST(path_read_in_root_refuses_hostile_files_openat2)
{
	check_read_in_root(hk_failed, false);
}

TEST(path_read_in_root_refuses_hostile_files_walk)
{
	check_read_in_root(hk_failed, true);
}

TEST(path_reopen_regular_opens_the_checked_inode)
{
	const char *root = test_tmpdir();
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_close_ int pfd = -1, fd = -1, ffd = -1;
	char p[512], q[512], buf[8] = {0};
	struct stat st;

	snprintf(p, sizeof(p), "%s/f", root);
	snprintf(q, sizeof(q), "%s/fifo", root);
	REQUIRE(write_file_at(AT_FDCWD, p, "one", 3, 0600, NULL) == 0);
	REQUIRE(mkfifo(q, 0600) == 0);
	pfd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	REQUIRE(pfd >= 0);
	/* the name now names a FIFO: the fd still reads the file it held */
	REQUIRE(rename(q, p) == 0);
	fd = path_reopen_regular(pfd, O_RDONLY, &st, &err);
	REQUIRE(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf) - 1) == 3);
	CHECK_STR(buf, "one");
	CHECK(st.st_size == 3);
	ffd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	REQUIRE(ffd >= 0);
	CHECK(path_reopen_regular(ffd, O_WRONLY, &st, &err) < 0);
	CHECK_STR(hk_error_msg(err), "a FIFO, not a regular file");
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

/* A tree deeper than the fd limit, wide at the top: removed whole, with at
 * most two directory fds open whatever the depth. */
TEST(rm_rf_removes_a_tree_deeper_than_the_fd_limit)
{
	const char *root = test_tmpdir();
	_cleanup_error_ struct hk_error *err = NULL;
	struct rlimit rl = {64, 64};
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/tree", root);
	REQUIRE(mkdir(p, 0755) == 0);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	REQUIRE(fd >= 0);
	for (int i = 0; i < 50; i++) {
		char name[16];
		snprintf(name, sizeof(name), "w%d", i);
		CHECK(mkdirat(fd, name, 0755) == 0);
		snprintf(name, sizeof(name), "f%d", i);
		close(openat(fd, name, O_CREAT | O_WRONLY, 0644));
		snprintf(name, sizeof(name), "l%d", i);
		CHECK(symlinkat("/etc", fd, name) == 0);
	}
	for (int i = 0; i < 3000; i++) {
		int next;
		REQUIRE(mkdirat(fd, "d", 0755) == 0);
		close(openat(fd, "file", O_CREAT | O_WRONLY, 0644));
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		REQUIRE(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rm_rf(p, &err) < 0)
		fprintf(stderr, "  %.300s\n", hk_error_msg(err));
	CHECK(access(p, F_OK) < 0 && errno == ENOENT);
	CHECK(access("/etc/passwd", F_OK) == 0);
}

/* Unix sockets by paths longer than sun_path (108 bytes): a deep --runroot. */
TEST(sock_unix_long_path)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *dir = xasprintf("%s/%0100d/%0100d", test_tmpdir(), 1, 2);
	_cleanup_free_ char *path = path_join(dir, "s.sock");
	_cleanup_close_ int l = -1, c = -1, a = -1;

	REQUIRE(mkdir_p(dir, 0700, &err) == 0);
	REQUIRE(strlen(path) > 108);
	l = sock_unix_listen(path, 0, 1, &err);
	REQUIRE(l >= 0);
	c = sock_unix_connect(path, 0, &err);
	REQUIRE(c >= 0);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0 && write(c, "x", 1) == 1);
	/* a second listen replaces the stale socket file */
	close(l);
	l = sock_unix_listen(path, 0, 1, &err);
	CHECK(l >= 0);
	CHECK(sock_unix_connect("/nonexistent/s.sock", 0, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "connect to /nonexistent/s.sock"));
}

TEST(json_str_and_strv)
{
	_cleanup_json_ json_object *o = json_tokener_parse("{\"a\":\"x\",\"n\":3,\"z\":null}");
	_cleanup_json_ json_object *a = NULL;
	char *v[] = {"p", "q", NULL};

	CHECK_STR(json_str(o, "a"), "x");
	CHECK_STR(json_str(o, "n"), "3");
	CHECK(!json_str(o, "z") && !json_str(o, "missing") && !json_str(NULL, "a"));
	a = json_strv_new(v);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN), "[\"p\",\"q\"]");
	json_object_put(a);
	a = json_strv_new(NULL);
	CHECK(json_object_array_length(a) == 0);
}
