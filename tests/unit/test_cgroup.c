/* cgroup tests: pure logic (paths, layout parsing, conversions, the v1 and
 * v2 resource writers against fake directories), then the real thing on
 * this host (hybrid here), plus pure v2 and pure v1 in private mount
 * namespaces where only that kind of hierarchy is visible. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"
#include "test.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

static json_object *parse(const char *text)
{
	json_object *o = NULL;
	struct hk_error *err = NULL;
	if (json_parse("test", text, strlen(text), &o, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		hk_error_free(&err);
		return NULL;
	}
	return o;
}

static char *resolve(const char *path, const char *id)
{
	char *out = NULL;
	struct hk_error *err = NULL;
	if (cg_resolve_path(path, id, RUNTIME_CGROUP_CGROUPFS, &out, &err) < 0) {
		char *m = xasprintf("ERR %s", hk_error_msg(err));
		hk_error_free(&err);
		return m;
	}
	return out;
}

TEST(cgroup_paths)
{
	static const char *const cases[][3] = {
		{NULL, "abc", "/hako/abc"},
		{"", "abc", "/hako/abc"},
		{"/x/y", "abc", "/x/y"},
		{"rel/dir", "abc", "/rel/dir"},
		{"/a/../../b", "abc", "/b"},
		{"system.slice:docker:abc", "abc", "/system.slice/docker-abc.scope"},
		{"machine-libpod.slice:libpod:abc", "abc",
		 "/machine.slice/machine-libpod.slice/libpod-abc.scope"},
		{":hako:abc", "abc", "/system.slice/hako-abc.scope"},
		{"user.slice::abc", "abc", "/user.slice/abc.scope"},
		{"-.slice:p:abc", "abc", "/p-abc.scope"},
		{"/", "abc", "ERR linux.cgroupsPath: / names the root cgroup"},
		{"/a/..", "abc", "ERR linux.cgroupsPath: /a/.. names the root cgroup"},
		{NULL, "../x", "ERR cgroup: invalid container id ../x"},
		{"bad-.slice:p:n", "abc", "ERR linux.cgroupsPath: invalid slice name bad-.slice"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *p = resolve(cases[i][0], cases[i][1]);
		CHECK_STR(p, cases[i][2]);
	}
}

static const char hybrid_mi[] =
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(cgroup_layout_detection)
{
	struct cg_layout l = {0};
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *shadowed = NULL;

	REQUIRE(cg_layout_parse(hybrid_mi, &l, &err) == 0);
	CHECK(l.mode == CG_MODE_HYBRID);
	REQUIRE(l.n == 4);
	CHECK_STR(l.h[0].controllers, "cpu,cpuacct");
	CHECK_STR(l.h[0].mnt, "/sys/fs/cgroup/cpu,cpuacct");
	CHECK_STR(l.h[2].controllers, "name=systemd");
	CHECK(l.h[3].v2);
	cg_layout_clear(&l);

	/* A test's `mount -t cgroup2 none /sys/fs/cgroup` hides the rest. */
	shadowed =
		xasprintf("%s%s", hybrid_mi, "90 30 0:37 / /sys/fs/cgroup rw - cgroup2 none rw\n");
	REQUIRE(cg_layout_parse(shadowed, &l, &err) == 0);
	CHECK(l.mode == CG_MODE_V2);
	REQUIRE(l.n == 1);
	CHECK_STR(l.h[0].mnt, "/sys/fs/cgroup");
	cg_layout_clear(&l);

	REQUIRE(cg_layout_parse("1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &l, &err) ==
		0);
	CHECK(l.mode == CG_MODE_V2 && l.n == 1);
	cg_layout_clear(&l);

	REQUIRE(cg_layout_parse("34 30 0:31 / /c/mem\\040ory rw - cgroup cgroup rw,memory\n", &l,
				&err) == 0);
	CHECK(l.mode == CG_MODE_V1);
	CHECK_STR(l.h[0].mnt, "/c/mem ory");
	cg_layout_clear(&l);

	CHECK(cg_layout_parse("1 0 0:1 / / rw - ext4 /dev/sda rw\n", &l, &err) < 0);
}

TEST(cgroup_conversions)
{
	_cleanup_error_ struct hk_error *err = NULL;
	int64_t v = 0;

	CHECK(cg_shares_to_weight(2) == 1);
	CHECK(cg_shares_to_weight(1024) == 39);
	CHECK(cg_shares_to_weight(262144) == 10000);
	CHECK(cg_blkio_to_io_weight(10) == 1);
	CHECK(cg_blkio_to_io_weight(1000) == 10000);
	CHECK(cg_swap_to_v2(-1, 100, &v, &err) == 0 && v == -1);
	CHECK(cg_swap_to_v2(300, 100, &v, &err) == 0 && v == 200);
	CHECK(cg_swap_to_v2(100, 100, &v, &err) == 0 && v == 0);
	CHECK(cg_swap_to_v2(50, 100, &v, &err) < 0);
	hk_error_free(&err);
	CHECK(cg_swap_to_v2(50, CG_UNSET, &v, &err) < 0);
}

TEST(cgroup_resources_errors_name_the_field)
{
	static const char *const cases[][2] = {
		{"{\"memory\":{\"limit\":\"1G\"}}",
		 "linux.resources.memory.limit: expected an integer"},
		{"{\"cpu\":{\"cpus\":\"0-1;rm\"}}",
		 "linux.resources.cpu.cpus: bad CPU list \"0-1;rm\""},
		{"{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
		 "linux.resources.devices[0].type: x is not a, c or b"},
		{"{\"unified\":{\"../memory.max\":\"1\"}}",
		 "linux.resources.unified: invalid key \"../memory.max\""},
		{"{\"unified\":{\"a/b.max\":\"1\"}}",
		 "linux.resources.unified: invalid key \"a/b.max\""},
		{"{\"memory\":{\"limit\":200,\"swap\":100}}",
		 "linux.resources.memory.swap: 100 is below the limit 200 (swap counts memory plus "
		 "swap)"},
		{"{\"pids\":{\"limit\":\"x\"}}", "linux.resources.pids.limit: expected an integer"},
		{"{\"hugepageLimits\":[{\"pageSize\":\"2MB/../x\",\"limit\":1}]}",
		 "linux.resources.hugepageLimits[0].pageSize: invalid \"2MB/../x\""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_object *o = parse(cases[i][0]);
		_cleanup_error_ struct hk_error *err = NULL;
		struct cg_resources r;
		REQUIRE(o);
		CHECK(cg_resources_parse(o, &r, &err) < 0);
		CHECK_STR(hk_error_msg(err), cases[i][1]);
	}
}

/* A fake cgroup directory: empty files named like the kernel's. */
static void fake_files(const char *dir, const char *const *files)
{
	mkdir(dir, 0755);
	for (size_t i = 0; files[i]; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
}

static char *slurp(const char *dir, const char *file)
{
	char p[512];
	char *out = NULL;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (read_file_at(AT_FDCWD, p, 4096, &out, NULL, NULL) < 0)
		return xstrdup("(missing)");
	return out;
}

static const char full_resources[] =
	"{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":209715200},"
	"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0\",\"mems\":\"0\"},"
	"\"pids\":{\"limit\":42},"
	"\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
	"\"rate\":1048576}]},"
	"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
	"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
	"\"major\":1,\"minor\":3,\"access\":\"rw\"}]}";

TEST(cgroup_v2_writes_the_right_files)
{
	static const char *const files[] = {"memory.max",  "memory.low",      "memory.swap.max",
					    "cpu.weight",  "cpu.max",	      "cpuset.cpus",
					    "cpuset.mems", "pids.max",	      "io.weight",
					    "io.max",	   "hugetlb.2MB.max", "memory.high",
					    NULL};
	_cleanup_free_ char *dir = xasprintf("%s/v2", test_tmpdir());
	_cleanup_json_ json_object *o = parse(full_resources);
	_cleanup_error_ struct hk_error *err = NULL;
	struct cg_resources r;
	struct cg_dir d = {0};
	struct cgroup cg = {.ops = &cg_v2_ops, .mode = CG_MODE_V2, .dirs = &d, .ndirs = 1};

	fake_files(dir, files);
	d.path = dir;
	d.v2 = true;
	d.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(o && d.fd >= 0);
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	r.devices_given = false; /* a fake directory takes no eBPF program */
	CHECK(cg_v2_ops.set(&cg, &r, &err) == 0);
	cg_resources_free(&r);

	static const char *const want[][2] = {
		{"memory.max", "104857600"},
		{"memory.low", "52428800"},
		{"memory.swap.max", "104857600"},
		{"cpu.weight", "39"},
		{"cpu.max", "50000 100000"},
		{"cpuset.cpus", "0"},
		{"pids.max", "42"},
		{"io.weight", "default 4950"},
		{"io.max", "8:0 rbps=1048576"},
		{"hugetlb.2MB.max", "4194304"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		_cleanup_free_ char *v = slurp(dir, want[i][0]);
		CHECK_STR(v, want[i][1]);
	}

	/* unified: written as files; a missing file is an error. */
	json_object_put(o);
	o = parse("{\"unified\":{\"memory.high\":\"1000000\"}}");
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	CHECK(cg_v2_ops.set(&cg, &r, &err) == 0);
	cg_resources_free(&r);
	_cleanup_free_ char *high = slurp(dir, "memory.high");
	CHECK_STR(high, "1000000");
	json_object_put(o);
	o = parse("{\"unified\":{\"memory.nope\":\"1\"}}");
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	CHECK(cg_v2_ops.set(&cg, &r, &err) < 0);
	CHECK_STR(hk_error_msg(err), "linux.resources.unified: memory.nope: no such key");
	cg_resources_free(&r);
	hk_error_free(&err);
	/* a key of a controller the cgroup does not have names it */
	{
		_cleanup_free_ char *p = xasprintf("%s/cgroup.controllers", dir);
		FILE *f = fopen(p, "w");
		REQUIRE(f != NULL);
		fputs("memory pids\n", f);
		fclose(f);
	}
	json_object_put(o);
	o = parse("{\"unified\":{\"foo.max\":\"1\"}}");
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	CHECK(cg_v2_ops.set(&cg, &r, &err) < 0);
	CHECK_STR(
		hk_error_msg(err),
		"linux.resources.unified: foo.max: the cgroup controller \"foo\" is not available");
	cg_resources_free(&r);

	/* A limit whose controller is missing is an error, not silence. */
	hk_error_free(&err);
	REQUIRE(unlinkat(d.fd, "pids.max", 0) == 0);
	json_object_put(o);
	o = parse("{\"pids\":{\"limit\":5}}");
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	CHECK(cg_v2_ops.set(&cg, &r, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "pids controller is not available") != NULL);
	cg_resources_free(&r);
	close(d.fd);
}

static void put_file(const char *dir, const char *file, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* State.OOMKilled comes from these counters: v2's memory.events and v1's
 * memory.oom_control (whose "oom_kill_disable" must not be taken for
 * "oom_kill"; kernels before 4.13 have no counter at all). */
TEST(cgroup_stats_count_oom_kills)
{
	_cleanup_free_ char *d2 = xasprintf("%s/oom-v2", test_tmpdir());
	_cleanup_free_ char *d1 = xasprintf("%s/oom-v1", test_tmpdir());
	_cleanup_error_ struct hk_error *err = NULL;
	struct cgroup_stats st;
	struct cg_dir v2d = {.v2 = true}, v1d = {.controllers = (char *)"memory"};
	struct cgroup v2 = {.ops = &cg_v2_ops, .mode = CG_MODE_V2, .dirs = &v2d, .ndirs = 1};
	struct cgroup v1 = {.ops = &cg_v1_ops, .mode = CG_MODE_V1, .dirs = &v1d, .ndirs = 1};

	mkdir(d2, 0755);
	mkdir(d1, 0755);
	put_file(d2, "memory.events",
		 "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n"
		 "oom_group_kill 0\n");
	put_file(d1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	v2d.path = d2;
	v2d.fd = open(d2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	v1d.path = d1;
	v1d.fd = open(d1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(v2d.fd >= 0 && v1d.fd >= 0);
	CHECK(cgroup_stats(&v2, &st, &err) == 0);
	CHECK(st.oom_kills == 1);
	CHECK(cgroup_stats(&v1, &st, &err) == 0);
	CHECK(st.oom_kills == 3);
	put_file(d1, "memory.oom_control", "oom_kill_disable 1\nunder_oom 0\n");
	CHECK(cgroup_stats(&v1, &st, &err) == 0);
	CHECK(st.oom_kills == 0);
	close(v2d.fd);
	close(v1d.fd);
}

TEST(cgroup_v1_writes_the_right_files)
{
	static const char *const mem[] = {"memory.limit_in_bytes", "memory.soft_limit_in_bytes",
					  "memory.memsw.limit_in_bytes", NULL};
	static const char *const cpu[] = {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
					  NULL};
	static const char *const cpuset[] = {"cpuset.cpus", "cpuset.mems", NULL};
	static const char *const pids[] = {"pids.max", NULL};
	static const char *const blkio[] = {"blkio.weight", "blkio.throttle.read_bps_device", NULL};
	static const char *const devices[] = {"devices.allow", "devices.deny", NULL};
	static const char *const huge[] = {"hugetlb.2MB.limit_in_bytes", NULL};
	static const char *const ctl[] = {"memory", "cpu,cpuacct", "cpuset", "pids",
					  "blkio",  "devices",	   "hugetlb"};
	const char *const *files[] = {mem, cpu, cpuset, pids, blkio, devices, huge};
	struct cg_dir d[7] = {0};
	struct cgroup cg = {.ops = &cg_v1_ops, .mode = CG_MODE_V1, .dirs = d, .ndirs = 7};
	_cleanup_json_ json_object *o = parse(full_resources);
	_cleanup_error_ struct hk_error *err = NULL;
	struct cg_resources r;
	char *dirs[7];

	for (int i = 0; i < 7; i++) {
		dirs[i] = xasprintf("%s/%s", test_tmpdir(), ctl[i]);
		fake_files(dirs[i], files[i]);
		d[i].path = dirs[i];
		d[i].controllers = (char *)ctl[i];
		d[i].fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	REQUIRE(o);
	REQUIRE(cg_resources_parse(o, &r, &err) == 0);
	CHECK(cg_v1_ops.set(&cg, &r, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", hk_error_msg(err));
	cg_resources_free(&r);
	static const char *const want[][3] = {
		{"memory", "memory.limit_in_bytes", "104857600"},
		{"memory", "memory.memsw.limit_in_bytes", "209715200"},
		{"memory", "memory.soft_limit_in_bytes", "52428800"},
		{"cpu,cpuacct", "cpu.shares", "1024"},
		{"cpu,cpuacct", "cpu.cfs_quota_us", "50000"},
		{"cpu,cpuacct", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"pids", "pids.max", "42"},
		{"blkio", "blkio.weight", "500"},
		{"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
		/* a plain file keeps the last write: the last default rule */
		{"devices", "devices.allow", "c 10:200 rwm"},
		{"devices", "devices.deny", "a"},
		{"hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		_cleanup_free_ char *dir = xasprintf("%s/%s", test_tmpdir(), want[i][0]);
		_cleanup_free_ char *v = slurp(dir, want[i][1]);
		CHECK_STR(v, want[i][2]);
	}
	for (int i = 0; i < 7; i++) {
		close(d[i].fd);
		free(dirs[i]);
	}
}

/* ---- real cgroups ---- */

static bool can_cgroup(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "  skipped: needs root\n");
		return false;
	}
	return true;
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static bool dir_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_pid(struct cgroup *cg, pid_t pid)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (cgroup_pids(cg, &pids, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static char *dir_file(struct cgroup *cg, const char *ctl, const char *file)
{
	struct cg_dir *d = cg_find_dir(cg, ctl);
	char *v = NULL;
	if (!d || cg_read(d, file, &v, NULL) < 0)
		return xstrdup("(none)");
	v[strcspn(v, "\n")] = '\0';
	return v;
}

/* The whole life of a cgroup with a real process in it.  limits: check the
 * files of the v1 controllers (the hybrid and v1 layouts). */
static void lifecycle(int *hk_failed, const char *resources, bool limits)
{
	_cleanup_free_ char *id = xasprintf("unit-%d", (int)getpid());
	_cleanup_json_ json_object *res = resources ? parse(resources) : NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	struct cgroup *cg = NULL, *cg2 = NULL;
	struct cgroup_stats st;
	char **paths = NULL;
	bool frozen = true;
	pid_t pid;
	int status;

	if (cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, res, &cg, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		CHECK(0);
		return;
	}
	for (size_t i = 0; i < cg->ndirs; i++) {
		CHECK(dir_exists(cg->dirs[i].path));
		strv_push(&paths, cg->dirs[i].path);
	}
	{
		_cleanup_free_ char *want = xasprintf("/hako/%s", id);
		CHECK_STR(cgroup_path(cg), want);
	}
	if (limits) {
		_cleanup_free_ char *mem = dir_file(cg, "memory", "memory.limit_in_bytes");
		_cleanup_free_ char *pids = dir_file(cg, "pids", "pids.max");
		_cleanup_free_ char *quota = dir_file(cg, "cpu", "cpu.cfs_quota_us");
		_cleanup_free_ char *cpus = dir_file(cg, "cpuset", "cpuset.cpus");
		CHECK_STR(mem, "104857600");
		CHECK_STR(pids, "42");
		CHECK_STR(quota, "50000");
		CHECK_STR(cpus, "0");
		if (cg_v2_dir(cg) && !cg_find_dir(cg, "hugetlb")) {
			char *v = NULL;
			CHECK(cg_read(cg_v2_dir(cg), "hugetlb.2MB.max", &v, NULL) == 0);
			CHECK(v && strcmp(v, "2097152\n") == 0);
			free(v);
		}
	}

	pid = spawn_sleeper();
	REQUIRE(pid > 0);
	CHECK(cgroup_enter(cg, pid, &err) == 0);
	CHECK(has_pid(cg, pid));

	CHECK(cgroup_freeze(cg, true, &err) == 0);
	CHECK(cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
	CHECK(cgroup_freeze(cg, false, &err) == 0);
	CHECK(cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);

	CHECK(cgroup_stats(cg, &st, &err) == 0);
	CHECK(st.pids_current >= 1);
	if (limits) {
		CHECK(st.memory_limit == 104857600);
		CHECK(st.pids_limit == 42);
	}

	/* The handle survives a trip through state.json. */
	{
		_cleanup_json_ json_object *j = cgroup_to_json(cg);
		CHECK(cgroup_from_json(j, &cg2, &err) == 0);
		REQUIRE(cg2);
		CHECK(has_pid(cg2, pid));
		CHECK_STR(cgroup_path(cg2), cgroup_path(cg));
	}

	/* kill with a signal of our choice reaches the process */
	CHECK(cgroup_kill(cg2, SIGTERM, &err) == 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	/* destroy kills a frozen process too, and leaves no directory */
	pid = spawn_sleeper();
	REQUIRE(pid > 0);
	CHECK(cgroup_enter(cg2, pid, &err) == 0);
	CHECK(cgroup_freeze(cg2, true, &err) == 0);
	CHECK(cgroup_destroy(cg2, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", hk_error_msg(err));
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (size_t i = 0; paths && paths[i]; i++)
		CHECK(!dir_exists(paths[i]));
	CHECK(cgroup_destroy(cg, &err) == 0); /* twice: nothing left to do */
	cgroup_free(cg);
	cgroup_free(cg2);
	strv_free(paths);
}

static const char host_limits[] = "{\"memory\":{\"limit\":104857600},\"pids\":{\"limit\":42},"
				  "\"cpu\":{\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
				  "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}";
/* Pure v1 here has no hugetlb hierarchy (hugetlb is on the v2 side). */
static const char v1_limits[] = "{\"memory\":{\"limit\":104857600},\"pids\":{\"limit\":42},"
				"\"cpu\":{\"quota\":50000,\"period\":100000,\"cpus\":\"0\"}}";

TEST(cgroup_real_lifecycle_on_this_host)
{
	const struct cg_layout *l;
	_cleanup_error_ struct hk_error *err = NULL;

	if (!can_cgroup())
		return;
	REQUIRE(cg_layout_get(&l, &err) == 0);
	lifecycle(hk_failed, l->mode == CG_MODE_V2 ? NULL : host_limits, l->mode != CG_MODE_V2);
}

TEST(cgroup_create_failure_leaves_nothing)
{
	_cleanup_free_ char *id = xasprintf("unit-fail-%d", (int)getpid());
	_cleanup_json_ json_object *res = parse("{\"cpu\":{\"cpus\":\"4095\"}}");
	_cleanup_error_ struct hk_error *err = NULL;
	const struct cg_layout *l;
	struct cgroup *cg = NULL;

	if (!can_cgroup())
		return;
	REQUIRE(cg_layout_get(&l, &err) == 0);
	CHECK(cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, res, &cg, &err) < 0);
	CHECK(cg == NULL);
	CHECK(strstr(hk_error_msg(err), "cpuset.cpus") != NULL);
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/hako/%s", l->h[i].mnt, id);
		CHECK(!dir_exists(p));
	}
	/* disabled: nothing is made, every call succeeds */
	hk_error_free(&err);
	CHECK(cgroup_create(NULL, id, RUNTIME_CGROUP_DISABLED, NULL, &cg, &err) == 0);
	REQUIRE(cg);
	CHECK(cgroup_v2_dirfd(cg) == -1);
	CHECK(cgroup_enter(cg, getpid(), &err) == 0);
	CHECK(cgroup_destroy(cg, &err) == 0);
	cgroup_free(cg);
}

/* Run the lifecycle in a child with its own mount namespace, where setup
 * leaves only one kind of hierarchy visible. */
static int in_mount_ns(int (*setup)(void), const char *resources, bool limits, enum cg_mode want)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int failed = 0;
		const struct cg_layout *l;
		struct hk_error *err = NULL;

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(100);
		if (setup() < 0)
			_exit(101);
		if (getenv("HK_TEST_DEBUG"))
			log_set_level(HK_LOG_DEBUG);
		cg_layout_reset();
		if (cg_layout_get(&l, &err) < 0 || l->mode != want)
			_exit(102);
		lifecycle(&failed, resources, limits);
		_exit(failed ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

static int setup_v2(void)
{
	return mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
}

static int setup_v1(void)
{
	/* Hybrid hosts: hide the v2 mount; pure v2 hosts cannot do this. */
	return umount2("/sys/fs/cgroup/unified", MNT_DETACH);
}

TEST(cgroup_pure_v2_in_private_mount_ns)
{
	if (!can_cgroup())
		return;
	/* This host's v2 hierarchy has no controllers (they are bound to v1),
	 * so no limits; create/enter/freeze/kill/destroy all run on v2. */
	CHECK(in_mount_ns(setup_v2, NULL, false, CG_MODE_V2) == 0);
}

TEST(cgroup_pure_v1_in_private_mount_ns)
{
	const struct cg_layout *l;
	_cleanup_error_ struct hk_error *err = NULL;

	if (!can_cgroup())
		return;
	REQUIRE(cg_layout_get(&l, &err) == 0);
	if (l->mode != CG_MODE_HYBRID) {
		fprintf(stderr, "  skipped: needs a hybrid host\n");
		return;
	}
	CHECK(in_mount_ns(setup_v1, v1_limits, true, CG_MODE_V1) == 0);
}

/* Device rules are enforced: v1 devices controller on hybrid/v1 hosts, the
 * eBPF program on v2.  /dev/kmsg (c 1:11) is not a default device. */
static int open_errno(const char *p, int flags)
{
	int fd = open(p, flags | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void devices_enforced(int *hk_failed)
{
	_cleanup_free_ char *id = xasprintf("unit-dev-%d", (int)getpid());
	_cleanup_json_ json_object *res =
		parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,"
		      "\"type\":\"c\",\"major\":1,\"minor\":11,\"access\":\"r\"}]}");
	_cleanup_error_ struct hk_error *err = NULL;
	struct cgroup *cg = NULL;
	int p[2], status;
	pid_t pid;

	REQUIRE(res);
	if (cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, res, &cg, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		CHECK(0);
		return;
	}
	REQUIRE(pipe(p) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(9);
		if (open_errno("/dev/null", O_RDWR) != 0)
			_exit(1);
		if (open_errno("/dev/kmsg", O_RDONLY) != 0)
			_exit(2);
		if (open_errno("/dev/kmsg", O_WRONLY) != EPERM)
			_exit(3);
		if (open_errno("/dev/loop-control", O_RDONLY) != EPERM)
			_exit(4);
		_exit(0);
	}
	close(p[0]);
	CHECK(cgroup_enter(cg, pid, &err) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	close(p[1]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "  device check %d failed\n", WEXITSTATUS(status));
	CHECK(cgroup_destroy(cg, &err) == 0);
	cgroup_free(cg);
}

TEST(cgroup_devices_enforced_on_this_host)
{
	if (!can_cgroup())
		return;
	devices_enforced(hk_failed);
}

static int devices_v2_child(void)
{
	int failed = 0;
	devices_enforced(&failed);
	return failed;
}

TEST(cgroup_devices_enforced_by_ebpf_on_v2)
{
	pid_t pid;
	int status;

	if (!can_cgroup())
		return;
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || setup_v2() < 0)
			_exit(100);
		cg_layout_reset();
		_exit(devices_v2_child() ? 1 : 0);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Two containers must never share a cgroup: one's delete would kill the
 * other.  A populated existing cgroup is refused and left alone. */
TEST(cgroup_in_use_is_refused)
{
	_cleanup_free_ char *id = xasprintf("unit-busy-%d", (int)getpid());
	_cleanup_error_ struct hk_error *err = NULL;
	struct cgroup *a = NULL, *b = NULL;
	pid_t pid;
	int status;

	if (!can_cgroup())
		return;
	REQUIRE(cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, NULL, &a, &err) == 0);
	pid = spawn_sleeper();
	REQUIRE(pid > 0);
	CHECK(cgroup_enter(a, pid, &err) == 0);
	CHECK(cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, NULL, &b, &err) == -EBUSY);
	CHECK(b == NULL);
	CHECK(strstr(hk_error_msg(err), "in use") != NULL);
	CHECK(has_pid(a, pid));
	for (size_t i = 0; i < a->ndirs; i++)
		CHECK(dir_exists(a->dirs[i].path));
	CHECK(cgroup_destroy(a, &err) == 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	/* empty again: a new container may take the name */
	hk_error_free(&err);
	CHECK(cgroup_create(NULL, id, RUNTIME_CGROUP_CGROUPFS, NULL, &b, &err) == 0);
	if (b)
		CHECK(cgroup_destroy(b, &err) == 0);
	cgroup_free(a);
	cgroup_free(b);
}
