/* Unit tests of the engine's pure parts: durations and STATUS words, sizes,
 * signals, names, detach keys, the log writer with rotation, the attach
 * framing, and the Docker config built from image + options. */
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "engine/spec.h"
#include "test.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

int engine_parse_detach_keys(const char *spec, char *out, size_t cap, size_t *n);

#define SEC 1000000000LL

TEST(engine_human_duration_words)
{
	struct {
		int64_t ns;
		const char *want;
	} cases[] = {
		{SEC / 2, "Less than a second"}, {1 * SEC, "1 second"},
		{5 * SEC, "5 seconds"},		 {59 * SEC, "59 seconds"},
		{60 * SEC, "About a minute"},	 {119 * SEC, "About a minute"},
		{3 * 60 * SEC, "3 minutes"},	 {59 * 60 * SEC, "59 minutes"},
		{3600 * SEC, "About an hour"},	 {5 * 3600 * SEC, "5 hours"},
		{3 * 86400 * SEC, "3 days"},	 {15 * 86400 * SEC, "2 weeks"},
		{90 * 86400 * SEC, "3 months"},	 {800LL * 86400 * SEC, "2 years"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *s = engine_human_duration(cases[i].ns);
		CHECK_STR(s, cases[i].want);
	}
}

TEST(engine_status_strings)
{
	struct engine_container c = {0};
	int64_t now = 1000 * SEC;
	char *s;

	c.state = ENGINE_CREATED;
	s = engine_status_string(&c, now);
	CHECK_STR(s, "Created");
	free(s);
	c.state = ENGINE_RUNNING;
	c.started_at = now - 180 * SEC;
	s = engine_status_string(&c, now);
	CHECK_STR(s, "Up 3 minutes");
	free(s);
	c.state = ENGINE_PAUSED;
	c.started_at = now - 5 * SEC;
	s = engine_status_string(&c, now);
	CHECK_STR(s, "Up 5 seconds (Paused)");
	free(s);
	c.state = ENGINE_EXITED;
	c.exit_code = 137;
	c.finished_at = now - 2 * SEC;
	s = engine_status_string(&c, now);
	CHECK_STR(s, "Exited (137) 2 seconds ago");
	free(s);
	/* exited but never run (a failed start) reads as Created */
	c.finished_at = 0;
	s = engine_status_string(&c, now);
	CHECK_STR(s, "Created");
	free(s);
}

TEST(engine_parse_size_units)
{
	int64_t v;

	CHECK(engine_parse_size("1024", &v) == 0 && v == 1024);
	CHECK(engine_parse_size("512m", &v) == 0 && v == 512LL << 20);
	CHECK(engine_parse_size("1g", &v) == 0 && v == 1LL << 30);
	CHECK(engine_parse_size("1.5k", &v) == 0 && v == 1536);
	CHECK(engine_parse_size("10MB", &v) == 0 && v == 10LL << 20);
	CHECK(engine_parse_size("2GiB", &v) == 0 && v == 2LL << 30);
	CHECK(engine_parse_size("", &v) < 0);
	CHECK(engine_parse_size("lots", &v) < 0);
	CHECK(engine_parse_size("12x", &v) < 0);
	CHECK(engine_parse_size("-5m", &v) < 0);
	CHECK(engine_parse_size("1mm", &v) < 0);
	CHECK(engine_parse_size("99999999999t", &v) < 0);
}

TEST(engine_parse_signal_names)
{
	CHECK(engine_parse_signal("SIGTERM") == SIGTERM);
	CHECK(engine_parse_signal("term") == SIGTERM);
	CHECK(engine_parse_signal("KILL") == SIGKILL);
	CHECK(engine_parse_signal("9") == 9);
	CHECK(engine_parse_signal("SIGUSR1") == SIGUSR1);
	CHECK(engine_parse_signal("RTMIN+2") == SIGRTMIN + 2);
	CHECK(engine_parse_signal("SIGNOPE") < 0);
	CHECK(engine_parse_signal("0") < 0);
	CHECK(engine_parse_signal("65") < 0);
}

TEST(engine_names_and_ids)
{
	regex_t re;

	REQUIRE(regcomp(&re, "^[a-z]+_[a-z]+$", REG_EXTENDED | REG_NOSUB) == 0);
	for (int i = 0; i < 50; i++) {
		_cleanup_free_ char *n = engine_random_name();
		CHECK(regexec(&re, n, 0, NULL, 0) == 0);
		CHECK(engine_valid_name(n));
	}
	regfree(&re);
	_cleanup_free_ char *id = engine_new_id();
	CHECK(strlen(id) == 64);
	CHECK(strspn(id, "0123456789abcdef") == 64);
	CHECK(engine_valid_name("web-1.a_b"));
	CHECK(!engine_valid_name("x"));
	CHECK(!engine_valid_name("-bad"));
	CHECK(!engine_valid_name("a/b"));
	CHECK(!engine_valid_name("a b"));
	CHECK(!engine_valid_name(""));
}

TEST(engine_time_roundtrip)
{
	int64_t t = 1700000000LL * SEC + 123456789;
	_cleanup_free_ char *s = engine_format_time(t);

	CHECK_STR(s, "2023-11-14T22:13:20.123456789Z");
	CHECK(engine_parse_time(s) == t);
	CHECK(engine_parse_time("2023-11-14T22:13:20Z") == 1700000000LL * SEC);
	CHECK(engine_parse_time("yesterday") < 0);
}

TEST(engine_detach_keys)
{
	char k[8];
	size_t n;

	CHECK(engine_parse_detach_keys("ctrl-p,ctrl-q", k, sizeof(k), &n) == 0 && n == 2 &&
	      k[0] == 0x10 && k[1] == 0x11);
	CHECK(engine_parse_detach_keys("ctrl-a,x", k, sizeof(k), &n) == 0 && n == 2 && k[0] == 1 &&
	      k[1] == 'x');
	CHECK(engine_parse_detach_keys("ctrl-", k, sizeof(k), &n) < 0);
	CHECK(engine_parse_detach_keys("shift-a", k, sizeof(k), &n) < 0);
	CHECK(engine_parse_detach_keys("", k, sizeof(k), &n) < 0);
}

static int count_lines(const char *path)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int n = 0;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, NULL) < 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

TEST(engine_logfile_json_and_rotation)
{
	const char *dir = test_tmpdir();
	_cleanup_json_ json_object *cfg = NULL;
	struct hk_error *err = NULL;
	struct mon_log *l = NULL;

	REQUIRE(json_parse("cfg",
			   "{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"200\",\"max-file\":"
			   "\"3\"}}",
			   strlen("{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"200\",\"max-"
				  "file\":"
				  "\"3\"}}"),
			   &cfg, &err) == 0);
	REQUIRE(logfile_open(dir, cfg, &l, &err) == 0);
	for (int i = 0; i < 40; i++)
		mon_log_write(l, i % 2 ? "stderr" : "stdout", "a line with \"quotes\"\n", 21,
			      false);
	logfile_close(l);
	_cleanup_free_ char *p0 = path_join(dir, "ctr.log");
	_cleanup_free_ char *p1 = xasprintf("%s.1", p0);
	_cleanup_free_ char *p2 = xasprintf("%s.2", p0);
	_cleanup_free_ char *p3 = xasprintf("%s.3", p0);
	CHECK(count_lines(p0) > 0);
	CHECK(count_lines(p1) > 0);
	CHECK(count_lines(p2) > 0);
	CHECK(access(p3, F_OK) < 0); /* max-file 3: ctr.log + 2 rotated */
	/* every line is one JSON object with log, stream, time */
	_cleanup_free_ char *data = NULL;
	size_t len;
	REQUIRE(read_file_at(AT_FDCWD, p0, 1 << 20, &data, &len, NULL) == 0);
	char *nl = strchr(data, '\n');
	REQUIRE(nl);
	*nl = '\0';
	_cleanup_json_ json_object *o = json_tokener_parse(data);
	json_object *v;
	REQUIRE(o);
	CHECK(json_object_object_get_ex(o, "log", &v) &&
	      !strcmp(json_object_get_string(v), "a line with \"quotes\"\n"));
	CHECK(json_object_object_get_ex(o, "stream", &v));
	CHECK(json_object_object_get_ex(o, "time", &v) &&
	      engine_parse_time(json_object_get_string(v)) > 0);
}

/* the monitor's own JSON and time writer (no json-c in hako-monitor): what
 * json-c reads back is what was logged, the time is what engine_parse_time
 * reads; k8s-file lines end in one newline */
TEST(engine_logfile_escapes_and_k8s)
{
	char dir[4096];
	struct mon_log l;
	static const char odd[] = "tab\there \"q\" back\\slash \x01\x1f caf\xc3\xa9\n";
	_cleanup_free_ char *p = NULL, *data = NULL;
	size_t len;

	snprintf(dir, sizeof(dir), "%s/esc", test_tmpdir());
	REQUIRE(mkdir(dir, 0700) == 0);
	p = path_join(dir, "ctr.log");
	REQUIRE(mon_log_open(&l, p, -1, MON_LOG_JSON, 0, 1) == 0);
	mon_log_write(&l, "stdout", odd, sizeof(odd) - 1, false);
	mon_log_close(&l);
	REQUIRE(read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, NULL) == 0);
	_cleanup_json_ json_object *o = json_tokener_parse(data);
	json_object *v;
	REQUIRE(o);
	CHECK(json_object_object_get_ex(o, "log", &v) && !strcmp(json_object_get_string(v), odd));
	CHECK(json_object_object_get_ex(o, "time", &v));
	int64_t t = engine_parse_time(json_object_get_string(v));
	CHECK(t > 0 && llabs(t - engine_now()) < 60LL * 1000000000LL);
	free(data);
	data = NULL;
	unlink(p);
	REQUIRE(mon_log_open(&l, p, -1, MON_LOG_K8S, 0, 1) == 0);
	mon_log_write(&l, "stderr", "full\n", 5, false);
	mon_log_write(&l, "stdout", "part", 4, true);
	mon_log_close(&l);
	REQUIRE(read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, NULL) == 0);
	char *sp = strchr(data, ' ');
	REQUIRE(sp);
	CHECK(!strncmp(sp, " stderr F full\n", 15));
	CHECK(strstr(data, " stdout P part\n") != NULL);
}

TEST(engine_logfile_rejects_bad_options)
{
	struct hk_error *err = NULL;
	struct mon_log *l = NULL;
	const char *bad[] = {"{\"Type\":\"syslog\"}", "{\"Config\":{\"max-size\":\"big\"}}",
			     "{\"Config\":{\"max-file\":\"0\"}}",
			     "{\"Config\":{\"color\":\"red\"}}"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_json_ json_object *cfg = NULL;
		REQUIRE(json_parse("cfg", bad[i], strlen(bad[i]), &cfg, &err) == 0);
		CHECK(logfile_open(test_tmpdir(), cfg, &l, &err) < 0);
		CHECK(err && err->msg);
		hk_error_free(&err);
	}
}

TEST(engine_attach_frames_roundtrip)
{
	int sv[2];
	char buf[ATTACH_MAX_FRAME];
	enum attach_frame type;
	uint32_t len;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(attach_send(sv[0], ATTACH_STDERR, "oops", 4) == 0);
	CHECK(attach_send(sv[0], ATTACH_EXIT, "\0\0\0\x03", 4) == 0);
	CHECK(attach_recv(sv[1], &type, buf, &len) == 1 && type == ATTACH_STDERR && len == 4 &&
	      !memcmp(buf, "oops", 4));
	CHECK(attach_recv(sv[1], &type, buf, &len) == 1 && type == ATTACH_EXIT && buf[3] == 3);
	/* an absurd length is refused, not trusted */
	CHECK(write(sv[0], "\x01\xff\xff\xff\xff", 5) == 5);
	CHECK(attach_recv(sv[1], &type, buf, &len) < 0);
	close(sv[0]);
	CHECK(attach_recv(sv[1], &type, buf, &len) <= 0);
	close(sv[1]);
}

static json_object *cfg_of(json_object *all, const char *part)
{
	json_object *o = NULL;
	json_object_object_get_ex(all, part, &o);
	return o;
}

TEST(engine_config_merges_image_and_flags)
{
	struct engine e = {.root = (char *)test_tmpdir(), .runroot = (char *)test_tmpdir()};
	struct engine_create_opts o;
	char *img_env[] = {"PATH=/bin", "A=image", NULL};
	char *img_cmd[] = {"sh", NULL};
	char *img_ep[] = {"/entry", NULL};
	struct image_config ic = {.env = img_env, .cmd = img_cmd, .entrypoint = img_ep};
	char *env[] = {"A=flag", "B=2", NULL};
	char *cmd[] = {"echo", "hi", NULL};
	char *vols[] = {"/host:/data:ro", "named:/n", NULL};
	struct hk_error *err = NULL;
	json_object *all = NULL, *v;

	engine_create_opts_init(&o);
	o.image = "busybox";
	o.env = env;
	o.cmd = cmd;
	o.volumes = vols;
	o.tty = true;
	REQUIRE(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) == 0);
	json_object *cfg = cfg_of(all, "Config");
	_cleanup_free_ char *envs = NULL;
	REQUIRE(json_object_object_get_ex(cfg, "Env", &v));
	envs = json_to_string(v, false);
	CHECK(strstr(envs, "\"A=flag\"") && !strstr(envs, "A=image"));
	CHECK(strstr(envs, "HOSTNAME=0123456789ab"));
	CHECK(strstr(envs, "TERM=xterm"));
	/* the image entrypoint stays, the command replaces Cmd */
	_cleanup_free_ char *ep = NULL, *cm = NULL;
	json_object_object_get_ex(cfg, "Entrypoint", &v);
	ep = json_to_string(v, false);
	CHECK_STR(ep, "[\"/entry\"]");
	json_object_object_get_ex(cfg, "Cmd", &v);
	cm = json_to_string(v, false);
	CHECK_STR(cm, "[\"echo\",\"hi\"]");
	json_object *mounts = cfg_of(all, "Mounts");
	REQUIRE(mounts && json_object_array_length(mounts) == 2);
	json_object *m0 = json_object_array_get_idx(mounts, 0);
	CHECK(json_object_object_get_ex(m0, "RW", &v) && !json_object_get_boolean(v));
	json_object *m1 = json_object_array_get_idx(mounts, 1);
	CHECK(json_object_object_get_ex(m1, "Type", &v) &&
	      !strcmp(json_object_get_string(v), "volume"));
	json_object_put(all);

	/* --entrypoint drops the image's Cmd */
	engine_create_opts_init(&o);
	o.image = "busybox";
	o.entrypoint_set = true;
	char *ep2[] = {"/bin/true", NULL};
	o.entrypoint = ep2;
	REQUIRE(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) == 0);
	cfg = cfg_of(all, "Config");
	CHECK(json_object_object_get_ex(cfg, "Cmd", &v) && v == NULL);
	json_object_put(all);
}

TEST(engine_config_rejects_bad_flags)
{
	struct engine e = {.root = (char *)test_tmpdir(), .runroot = (char *)test_tmpdir()};
	char *img_cmd[] = {"sh", NULL};
	struct image_config ic = {.cmd = img_cmd};
	struct engine_create_opts o;
	struct hk_error *err = NULL;
	json_object *all = NULL;
	char *bad_vol[] = {"relative:dst", NULL};
	char *bad_vol2[] = {"/a:/b:bogus", NULL};
	char *bad_cap[] = {"CAP_FLY", NULL};
	char *bad_sec[] = {"magic=yes", NULL};
	char *pub80[] = {"80", NULL};

#define EXPECT_FAIL(setup)                                                                         \
	do {                                                                                       \
		engine_create_opts_init(&o);                                                       \
		o.image = "busybox";                                                               \
		setup;                                                                             \
		CHECK(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) < 0);         \
		CHECK(err != NULL);                                                                \
		hk_error_free(&err);                                                               \
	} while (0)
	EXPECT_FAIL(o.volumes = bad_vol);
	EXPECT_FAIL(o.volumes = bad_vol2);
	EXPECT_FAIL(o.cap_add = bad_cap);
	EXPECT_FAIL(o.security_opt = bad_sec);
	EXPECT_FAIL(o.restart = "sometimes");
	EXPECT_FAIL((o.restart = "always", o.auto_remove = true));
	EXPECT_FAIL((o.network = "none", o.publish = pub80)); /* ports need a bridge network */
	EXPECT_FAIL(o.network = "container:");
	EXPECT_FAIL(o.stop_signal = "SIGNOPE");
	EXPECT_FAIL(o.workdir = "relative");
	EXPECT_FAIL(o.log_driver = "syslog");
	/* no command at all */
	ic.cmd = NULL;
	EXPECT_FAIL((void)0);
}
