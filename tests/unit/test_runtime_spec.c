/* Unit tests of the runtime's config.json parser and mount options. */
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

/* Parse text as config.json; on failure *err names the field. */
static int parse_text(const char *text, struct rt_spec *s, struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;

	memset(s, 0, sizeof(*s));
	if (json_parse("config.json", text, strlen(text), &doc, err) < 0)
		return -1;
	return spec_parse(doc, s, err);
}

/* A minimal valid document with extra members spliced in. */
static char *doc_with(const char *extra)
{
	return xasprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
			 "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}%s%s}",
			 *extra ? ", " : "", extra);
}

static void expect_error(int *hk_failed, const char *extra, const char *want)
{
	_cleanup_free_ char *text = doc_with(extra);
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_spec s;
	int r = parse_text(text, &s, &err);

	spec_free(&s);
	if (r == 0 || !strstr(hk_error_msg(err), want)) {
		fprintf(stderr, "  for %s: got \"%s\", want \"%s\"\n", extra,
			r == 0 ? "success" : hk_error_msg(err), want);
		(*hk_failed)++;
	}
}

TEST(spec_default_spec_parses)
{
	_cleanup_json_ json_object *doc = runtime_default_spec(false);
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_spec s;

	REQUIRE(spec_parse(doc, &s, &err) == 0);
	CHECK_STR(s.process.args[0], "sh");
	CHECK(s.process.terminal);
	CHECK(s.root_readonly);
	CHECK_STR(s.root_path, "rootfs");
	CHECK(s.nmounts == 7);
	CHECK(spec_find_ns(&s, CLONE_NEWPID) != NULL);
	CHECK(spec_find_ns(&s, CLONE_NEWNET) != NULL);
	CHECK(spec_find_ns(&s, CLONE_NEWUSER) == NULL);
	CHECK(s.process.has_caps);
	CHECK(s.process.caps.bounding == ((1ULL << 29) | (1ULL << 5) | (1ULL << 10)));
	CHECK(s.process.nnp);
	CHECK(s.process.nrlimits == 1 && s.process.rlimits[0].resource == RLIMIT_NOFILE);
	CHECK(s.masked && s.readonly);
	spec_free(&s);
}

TEST(spec_rootless_default_has_user_namespace)
{
	_cleanup_json_ json_object *doc = runtime_default_spec(true);
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_spec s;

	REQUIRE(spec_parse(doc, &s, &err) == 0);
	CHECK(spec_find_ns(&s, CLONE_NEWUSER) != NULL);
	CHECK(s.nuidmaps == 1 && s.uidmaps[0].container_id == 0 && s.uidmaps[0].size == 1);
	spec_free(&s);
}

TEST(spec_full_document)
{
	_cleanup_free_ char *text = doc_with(
		"\"hostname\": \"h\", \"mounts\": [{\"destination\": \"/data\", \"type\": "
		"\"bind\", "
		"\"source\": \"/srv\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"rslave\"]}], "
		"\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"mount\"}, "
		"{\"type\": \"network\", \"path\": \"/var/run/netns/x\"}], "
		"\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}, "
		"\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
		"\"minor\": 229}], "
		"\"rootfsPropagation\": \"rprivate\", "
		"\"timeOffsets\": {\"boottime\": {\"secs\": 5}}}, "
		"\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"timeout\": 3}]}");
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_spec s;

	/* timeOffsets without a time namespace is refused */
	REQUIRE(parse_text(text, &s, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "linux.timeOffsets") != NULL);
	spec_free(&s);
	hk_error_free(&err);
	free(text);
	text = doc_with(
		"\"hostname\": \"h\", \"mounts\": [{\"destination\": \"/data\", \"type\": "
		"\"bind\", "
		"\"source\": \"/srv\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"rslave\"]}], "
		"\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"mount\"}, "
		"{\"type\": \"time\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}], "
		"\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}, "
		"\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
		"\"minor\": 229}], "
		"\"rootfsPropagation\": \"rprivate\", "
		"\"timeOffsets\": {\"boottime\": {\"secs\": 5}}}, "
		"\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"timeout\": 3}]}");
	REQUIRE(parse_text(text, &s, &err) == 0);
	CHECK_STR(s.hostname, "h");
	REQUIRE(s.nmounts == 1);
	CHECK(s.mounts[0].o.bind && s.mounts[0].o.recursive);
	CHECK(s.mounts[0].o.flags == (MS_RDONLY | MS_NOSUID));
	CHECK(s.mounts[0].o.propagation == (MS_SLAVE | MS_REC));
	CHECK_STR(spec_find_ns(&s, CLONE_NEWNET)->path, "/var/run/netns/x");
	CHECK(s.nsysctl == 1);
	CHECK(s.ndevices == 1 && s.devices[0].type == 'c' && s.devices[0].mode == 0666);
	CHECK(s.rootfs_propagation == (MS_PRIVATE | MS_REC));
	CHECK(s.has_time_offsets && s.time_offsets[1][0] == 5);
	CHECK(s.hooks[RT_HOOK_PRESTART].n == 1 && s.hooks[RT_HOOK_PRESTART].v[0].timeout == 3);
	spec_free(&s);
}

TEST(spec_errors_name_the_field)
{
	expect_error(hk_failed, "\"linux\": {\"namespaces\": [{\"type\": \"bogus\"}]}",
		     "linux.namespaces[0].type: unknown namespace \"bogus\"");
	expect_error(hk_failed, "\"mounts\": [{\"type\": \"tmpfs\"}]",
		     "mounts[0].destination: missing");
	expect_error(hk_failed, "\"mounts\": [{\"destination\": \"rel\", \"type\": \"tmpfs\"}]",
		     "mounts[0].destination: \"rel\" is not an absolute path");
	expect_error(hk_failed, "\"mounts\": {}", "mounts: expected an array");
	expect_error(hk_failed,
		     "\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": "
		     "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]}",
		     "linux.uidMappings[0].size: must not be 0");
	expect_error(hk_failed,
		     "\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"gidMappings\": "
		     "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}",
		     "linux.gidMappings: given without linux.uidMappings");
	expect_error(hk_failed, "\"hooks\": {\"poststop\": [{\"path\": \"rel\"}]}",
		     "hooks.poststop[0].path: missing or not absolute");
	expect_error(hk_failed, "\"linux\": {\"rootfsPropagation\": \"sideways\"}",
		     "linux.rootfsPropagation: unknown propagation \"sideways\"");
	expect_error(hk_failed, "\"hostname\": \"h\"", "hostname: set without a uts namespace");
	expect_error(hk_failed,
		     "\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"q\"}]}",
		     "linux.devices[0].type: expected c, b, u or p");
}

TEST(spec_process_errors)
{
	static const struct {
		const char *process, *want;
	} cases[] = {
		{"{\"args\": \"sh\"}", "process.args: expected an array"},
		{"{\"args\": []}", "process.args: must name a program"},
		{"{\"args\": [\"sh\", 3]}", "process.args[1]: expected a string"},
		{"{\"args\": [\"sh\"], \"cwd\": \"tmp\"}",
		 "process.cwd: \"tmp\" is not an absolute"},
		{"{\"args\": [\"sh\"], \"env\": [\"NOVALUE\"]}", "process.env[0]"},
		{"{\"args\": [\"sh\"], \"user\": {\"uid\": -1}}", "process.user.uid: must not be"},
		{"{\"args\": [\"sh\"], \"user\": {\"umask\": 4095}}", "process.user.umask"},
		{"{\"args\": [\"sh\"], \"oomScoreAdj\": 5000}", "process.oomScoreAdj"},
		{"{\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, "
		 "\"hard\": 5}]}",
		 "process.rlimits[0]: soft limit 10 is above the hard limit 5"},
		{"{\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_X\"}]}",
		 "process.rlimits[0].type: unknown rlimit \"RLIMIT_X\""},
		{"{\"args\": [\"sh\"], \"capabilities\": {\"bounding\": [\"CAP_NOPE\"]}}",
		 "CAP_NOPE"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_object *p = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		struct rt_process proc;
		REQUIRE(json_parse("t", cases[i].process, strlen(cases[i].process), &p, &err) == 0);
		int r = spec_parse_process(p, "process", &proc, &err);
		spec_process_free(&proc);
		if (r == 0 || !strstr(hk_error_msg(err), cases[i].want)) {
			fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i,
				r == 0 ? "success" : hk_error_msg(err), cases[i].want);
			(*hk_failed)++;
		}
	}
}

TEST(spec_process_user)
{
	const char *text = "{\"args\": [\"id\"], \"user\": {\"uid\": 1000, \"gid\": 100, "
			   "\"additionalGids\": [5, 6], \"umask\": 18}, \"env\": [\"A=b\"], "
			   "\"noNewPrivileges\": true, \"oomScoreAdj\": -10}";
	_cleanup_json_ json_object *p = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_process proc;

	REQUIRE(json_parse("t", text, strlen(text), &p, &err) == 0);
	REQUIRE(spec_parse_process(p, "process", &proc, &err) == 0);
	CHECK(proc.uid == 1000 && proc.gid == 100);
	CHECK(proc.ngids == 2 && proc.gids[0] == 5 && proc.gids[1] == 6);
	CHECK(proc.has_umask && proc.umask == 022);
	CHECK_STR(proc.cwd, "/");
	CHECK(proc.nnp);
	CHECK(proc.has_oom && proc.oom_score_adj == -10);
	CHECK(!proc.has_caps);
	spec_process_free(&proc);
}

static int mount_opts(const char *const *v, bool bind, struct rt_mount_opts *o,
		      struct hk_error **err)
{
	return spec_parse_mount_options((char *const *)v, bind, "mounts[0].options", o, err);
}

TEST(mount_options_flags_and_data)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_mount_opts o;
	const char *v1[] = {"nosuid",	"noexec",      "nodev", "strictatime",
			    "mode=755", "size=65536k", NULL};
	const char *v2[] = {"ro", "rw", "suid", "nosuid", NULL};
	const char *v3[] = {"rbind", "rro", "rnoexec", "private", NULL};
	const char *v4[] = {"defaults", "relatime", "rshared", NULL};

	REQUIRE(mount_opts(v1, false, &o, &err) == 0);
	CHECK(o.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_STRICTATIME));
	CHECK_STR(o.data, "mode=755,size=65536k");
	CHECK(!o.bind);
	free(o.data);

	REQUIRE(mount_opts(v2, false, &o, &err) == 0);
	CHECK(o.flags == MS_NOSUID); /* rw cleared ro; the last word wins */
	CHECK(o.clear & MS_RDONLY);
	CHECK(o.data == NULL);

	REQUIRE(mount_opts(v3, false, &o, &err) == 0);
	CHECK(o.bind && o.recursive);
	CHECK(o.attr_set == (0x1 | 0x8)); /* MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC */
	CHECK(o.propagation == MS_PRIVATE);

	REQUIRE(mount_opts(v4, false, &o, &err) == 0);
	CHECK(o.flags == MS_RELATIME);
	CHECK(o.propagation == (MS_SHARED | MS_REC));
}

TEST(mount_options_unknown_on_bind_is_an_error)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct rt_mount_opts o;
	const char *v1[] = {"rbind", "bogus", NULL};
	const char *v2[] = {"bogus", "bind", NULL};
	const char *v3[] = {"bogus", NULL};

	CHECK(mount_opts(v1, false, &o, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "mounts[0].options[1]: unknown mount option \"bogus\""));
	hk_error_free(&err);
	/* the word comes before "bind": still refused */
	CHECK(mount_opts(v2, false, &o, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "\"bogus\""));
	hk_error_free(&err);
	/* type "bind" without a bind option */
	CHECK(mount_opts(v3, true, &o, &err) < 0);
	hk_error_free(&err);
	/* on a filesystem it is data for the kernel to judge */
	REQUIRE(mount_opts(v3, false, &o, &err) == 0);
	CHECK_STR(o.data, "bogus");
	free(o.data);
}

TEST(spec_names)
{
	CHECK(spec_ns_from_name("network") == CLONE_NEWNET);
	CHECK_STR(spec_ns_proc_name(CLONE_NEWNET), "net");
	CHECK_STR(spec_ns_name(CLONE_NEWNS), "mount");
	CHECK(spec_ns_from_name("nope") == -1);
	CHECK(spec_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
	CHECK(spec_rlimit_from_name("NOFILE") == -1);
}

TEST(runtime_features_document)
{
	_cleanup_json_ json_object *f = runtime_features();
	json_object *v;

	CHECK(json_object_object_get_ex(f, "ociVersionMax", &v));
	CHECK(json_object_object_get_ex(f, "hooks", &v) && json_object_array_length(v) == 6);
	CHECK(json_object_object_get_ex(f, "mountOptions", &v) && json_object_array_length(v) > 30);
	/* every option announced is one the parser takes, even on a bind */
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		char *opt[2] = {(char *)json_object_get_string(json_object_array_get_idx(v, i)),
				NULL};
		struct rt_mount_opts o;
		_cleanup_error_ struct hk_error *e = NULL;
		CHECK(spec_parse_mount_options(opt, true, "t", &o, &e) == 0);
		free(o.idmap);
		free(o.data);
	}
	CHECK(json_object_object_get_ex(f, "linux", &v) &&
	      json_object_object_get_ex(v, "mountExtensions", &v));
}

TEST(mount_options_crun_extensions)
{
	char *a[] = {"rbind",	     "ridmap=uids=0-1000-10;gids=0-2000-10",
		     "src-nofollow", "dest-nofollow",
		     "rnoatime",     NULL};
	char *b[] = {"tmpcopyup", "copy-symlink", "size=1m", NULL};
	struct rt_mount_opts o;
	_cleanup_error_ struct hk_error *e = NULL;

	REQUIRE(spec_parse_mount_options(a, true, "m", &o, &e) == 0);
	CHECK(o.bind && o.recursive);
	CHECK(o.extra ==
	      (RT_MNT_IDMAP | RT_MNT_IDMAP_REC | RT_MNT_SRC_NOFOLLOW | RT_MNT_DEST_NOFOLLOW));
	CHECK_STR(o.idmap, "uids=0-1000-10;gids=0-2000-10");
	/* an atime attribute replaces the whole atime field (mount_setattr) */
	CHECK(o.attr_set == MOUNT_ATTR_NOATIME && o.attr_clr == MOUNT_ATTR__ATIME);
	free(o.idmap);
	free(o.data);
	REQUIRE(spec_parse_mount_options(b, false, "m", &o, &e) == 0);
	CHECK(o.extra == (RT_MNT_TMPCOPYUP | RT_MNT_COPY_SYMLINK));
	CHECK_STR(o.data, "size=1m");
	free(o.idmap);
	free(o.data);
}
