/* linux.seccomp -> libseccomp.  One walk over the object serves both
 * seccomp_validate() (ctx NULL: parse and check only) and seccomp_apply()
 * (build the filter, then load it), so the two can never disagree. */
#include "runtime/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

struct action_name {
	const char *name;
	uint32_t action; /* ERRNO/TRACE: the base, the errno is or'ed in */
	bool takes_ret;
};

static const struct action_name actions[] = {
	{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

/* Set by a walk: the profile has SCMP_ACT_NOTIFY somewhere; and whether a
 * syscall name libseccomp does not know is an error (crun's annotation
 * run.oci.seccomp_fail_unknown_syscall, marked in the object by spec.c). */
static bool uses_notify, fail_unknown;

struct op_name {
	const char *name;
	enum scmp_compare op;
};

static const struct op_name ops[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},
	{"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},
	{"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct flag_name {
	const char *name;
	enum scmp_filter_attr attr;
};

/* The kernel flags libseccomp 2.5 exposes as filter attributes. */
static const struct flag_name flags[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
	{"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
};

/* "SCMP_ACT_ERRNO" + errnoRet -> the libseccomp action.  ctx names the
 * field for errors ("linux.seccomp.syscalls[3]"). */
static int parse_action(json_object *obj, const char *ctx, const char *key, const char *ret_key,
			uint32_t *out, struct hk_error **err)
{
	const char *name = NULL;
	int64_t ret = EPERM;
	bool has_ret;

	if (json_get_string(obj, ctx, key, &name, err) < 0)
		return -1;
	if (!name)
		return hk_error_set(err, 0, "%s.%s: missing", ctx, key);
	has_ret = json_object_object_get_ex(obj, ret_key, NULL);
	if (json_get_int64(obj, ctx, ret_key, &ret, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, name) != 0)
			continue;
		if (actions[i].action == SCMP_ACT_NOTIFY && !strcmp(key, "defaultAction"))
			return hk_error_set(err, 0,
					    "%s.%s: %s is not supported as the default action "
					    "(every syscall would wait for the agent)",
					    ctx, key, name);
		if (actions[i].action == SCMP_ACT_NOTIFY)
			uses_notify = true;
		if (!actions[i].takes_ret) {
			*out = actions[i].action;
			return 0;
		}
		/* TRACE without a value: the tracer sees 0 (runc and crun
		 * use EPERM only for ERRNO). */
		if (actions[i].action == SCMP_ACT_TRACE(0) && !has_ret)
			ret = 0;
		if (ret < 0 || ret > 0xffff)
			return hk_error_set(err, 0, "%s.%s: %lld out of range", ctx, ret_key,
					    (long long)ret);
		*out = actions[i].action | (uint32_t)ret;
		return 0;
	}
	return hk_error_set(err, 0, "%s.%s: unknown action %s", ctx, key, name);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token ("x86_64"). */
static int parse_arch(const char *name, const char *ctx, uint32_t *token, struct hk_error **err)
{
	char lower[32];
	size_t i;

	if (!str_has_prefix(name, "SCMP_ARCH_") || strlen(name) - 10 >= sizeof(lower) || !name[10])
		return hk_error_set(err, 0, "%s: unknown architecture %s", ctx, name);
	for (i = 0; name[10 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	*token = seccomp_arch_resolve_name(lower);
	return 0;
}

static int parse_arg(json_object *a, const char *ctx, struct scmp_arg_cmp *out,
		     struct hk_error **err)
{
	uint64_t index = 0, value = 0, value2 = 0;
	const char *op = NULL;
	size_t i;

	if (!json_object_is_type(a, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);
	if (json_get_uint64(a, ctx, "index", &index, err) < 0 ||
	    json_get_uint64(a, ctx, "value", &value, err) < 0 ||
	    json_get_uint64(a, ctx, "valueTwo", &value2, err) < 0 ||
	    json_get_string(a, ctx, "op", &op, err) < 0)
		return -1;
	if (index > 5)
		return hk_error_set(err, 0, "%s.index: %llu out of range (0-5)", ctx,
				    (unsigned long long)index);
	if (!op)
		return hk_error_set(err, 0, "%s.op: missing", ctx);
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].name, op) == 0)
			break;
	if (i == ARRAY_SIZE(ops))
		return hk_error_set(err, 0, "%s.op: unknown operator %s", ctx, op);
	out->arg = (unsigned)index;
	out->op = ops[i].op;
	out->datum_a = value;
	out->datum_b = value2;
	return 0;
}

/* libseccomp refuses two comparisons of the same argument in one rule; as
 * runc does, such a list becomes one rule per comparison (any may match). */
static bool args_share_index(const struct scmp_arg_cmp *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (args[i].arg == args[j].arg)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
		    const struct scmp_arg_cmp *args, size_t nargs, const char *where,
		    struct hk_error **err)
{
	int r;

	if (nargs > 1 && args_share_index(args, nargs)) {
		for (size_t i = 0; i < nargs; i++) {
			r = seccomp_rule_add_array(ctx, action, nr, 1, &args[i]);
			if (r < 0) {
				errno = -r;
				return hk_error_errno(err, "%s: add rule for %s", where, name);
			}
		}
		return 0;
	}
	r = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, args);
	if (r < 0) {
		errno = -r;
		return hk_error_errno(err, "%s: add rule for %s", where, name);
	}
	return 0;
}

static int walk_syscall(scmp_filter_ctx ctx, json_object *sc, size_t idx, uint32_t def_action,
			struct hk_error **err)
{
	char where[64];
	struct scmp_arg_cmp args[6];
	json_object *names = NULL, *jargs = NULL;
	const char *name = NULL;
	uint32_t action;
	size_t nargs = 0, n;

	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", idx);
	if (!json_object_is_type(sc, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", where);
	if (parse_action(sc, where, "action", "errnoRet", &action, err) < 0)
		return -1;
	if (json_get_array(sc, where, "names", &names, err) < 0 ||
	    json_get_string(sc, where, "name", &name, err) < 0 ||
	    json_get_array(sc, where, "args", &jargs, err) < 0)
		return -1;
	if (!names && !name)
		return hk_error_set(err, 0, "%s.names: missing", where);
	if (jargs) {
		n = json_object_array_length(jargs);
		if (n > ARRAY_SIZE(args))
			return hk_error_set(err, 0, "%s.args: more than 6 arguments", where);
		for (size_t i = 0; i < n; i++) {
			char actx[96];
			snprintf(actx, sizeof(actx), "%s.args[%zu]", where, i);
			if (parse_arg(json_object_array_get_idx(jargs, i), actx, &args[nargs],
				      err) < 0)
				return -1;
			nargs++;
		}
	}
	n = names ? json_object_array_length(names) : 0;
	for (size_t i = 0; i < n + (name ? 1 : 0); i++) {
		const char *sys;
		int nr;

		if (i < n) {
			json_object *e = json_object_array_get_idx(names, i);
			if (!json_object_is_type(e, json_type_string))
				return hk_error_set(err, 0, "%s.names[%zu]: expected a string",
						    where, i);
			sys = json_object_get_string(e);
		} else {
			sys = name;
		}
		/* A rule with the default action is redundant, and libseccomp
		 * rejects it. */
		if (ctx && action == def_action)
			continue;
		if (!ctx && !fail_unknown)
			continue;
		nr = seccomp_syscall_resolve_name(sys);
		if (nr == __NR_SCMP_ERROR && fail_unknown)
			return hk_error_set(err, 0,
					    "%s: unknown syscall \"%s\" (annotation "
					    "run.oci.seccomp_fail_unknown_syscall)",
					    where, sys);
		if (!ctx)
			continue;
		if (nr == __NR_SCMP_ERROR) {
			log_debug("seccomp: unknown syscall %s skipped", sys);
			continue;
		}
		if (add_rule(ctx, action, nr, sys, args, nargs, where, err) < 0)
			return -1;
	}
	return 0;
}

/* The walk.  With ctx_out NULL only checks; else builds the filter. */
static int walk(json_object *sec, scmp_filter_ctx *ctx_out, struct hk_error **err)
{
	const char *ctx = "linux.seccomp", *listener = NULL;
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx_ = NULL;
	json_object *arr = NULL;
	uint32_t def_action;
	size_t i, n;

	if (!json_object_is_type(sec, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);
	uses_notify = false;
	fail_unknown = json_object_object_get_ex(sec, SECCOMP_FAIL_UNKNOWN_KEY, NULL);
	if (parse_action(sec, ctx, "defaultAction", "defaultErrnoRet", &def_action, err) < 0)
		return -1;
	if (json_get_string(sec, ctx, "listenerPath", &listener, err) < 0 ||
	    json_get_string(sec, ctx, "listenerMetadata", &listener, err) < 0)
		return -1;
	listener = NULL;
	if (json_get_string(sec, ctx, "listenerPath", &listener, err) < 0)
		return -1;
	if (listener && *listener && listener[0] != '/')
		return hk_error_set(err, 0, "%s.listenerPath: \"%s\" is not an absolute path", ctx,
				    listener);
	if (ctx_out) {
		ctx_ = seccomp_init(def_action);
		if (!ctx_)
			return hk_error_set(err, 0, "%s: seccomp_init failed", ctx);
		/* The runtime decides about no_new_privs (process.noNewPrivileges);
		 * libseccomp would otherwise set it on load. */
		if (seccomp_attr_set(ctx_, SCMP_FLTATR_CTL_NNP, 0) < 0)
			return hk_error_set(err, 0, "%s: clear the NNP attribute", ctx);
	}

	arr = NULL;
	if (json_get_array(sec, ctx, "architectures", &arr, err) < 0)
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		char where[64];
		uint32_t token = 0;
		int r;

		snprintf(where, sizeof(where), "%s.architectures[%zu]", ctx, i);
		if (!json_object_is_type(e, json_type_string))
			return hk_error_set(err, 0, "%s: expected a string", where);
		if (parse_arch(json_object_get_string(e), where, &token, err) < 0)
			return -1;
		if (!ctx_)
			continue;
		if (token == 0) {
			log_debug("seccomp: architecture %s unknown to libseccomp, skipped",
				  json_object_get_string(e));
			continue;
		}
		r = seccomp_arch_add(ctx_, token);
		if (r < 0 && r != -EEXIST) {
			errno = -r;
			return hk_error_errno(err, "%s: add architecture %s", where,
					      json_object_get_string(e));
		}
	}

	arr = NULL;
	if (json_get_array(sec, ctx, "flags", &arr, err) < 0)
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *f = json_object_get_string(e);
		size_t k;

		if (!json_object_is_type(e, json_type_string))
			return hk_error_set(err, 0, "%s.flags[%zu]: expected a string", ctx, i);
		for (k = 0; k < ARRAY_SIZE(flags); k++)
			if (strcmp(flags[k].name, f) == 0)
				break;
		if (k == ARRAY_SIZE(flags))
			return hk_error_set(err, 0, "%s.flags[%zu]: unsupported flag %s", ctx, i,
					    f);
		if (ctx_ && seccomp_attr_set(ctx_, flags[k].attr, 1) < 0)
			log_warn("seccomp: flag %s not supported by this kernel or libseccomp", f);
	}

	arr = NULL;
	if (json_get_array(sec, ctx, "syscalls", &arr, err) < 0)
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++)
		if (walk_syscall(ctx_, json_object_array_get_idx(arr, i), i, def_action, err) < 0)
			return -1;
	if (uses_notify && (!listener || !*listener))
		return hk_error_set(err, 0,
				    "%s: SCMP_ACT_NOTIFY needs a listenerPath to send the "
				    "listener to",
				    ctx);
	if (ctx_out)
		*ctx_out = steal_ptr(&ctx_);
	return 0;
}

int seccomp_validate(json_object *linux_seccomp, struct hk_error **err)
{
	if (!linux_seccomp)
		return 0;
	return walk(linux_seccomp, NULL, err);
}

static int load_prepared(struct hk_error **err);
static struct prepared_filter *prepared_for(json_object *sec);

/* ---- seccomp user notification (runtime-spec config-linux.md, Seccomp:
 * listenerPath, listenerMetadata; runtime.md, "containerProcessState") ----
 * The init connects to listenerPath before pivot_root, while the host's path
 * is still reachable; once the filter is loaded it sends the process state
 * with the listener fd (SCM_RIGHTS) in one message and closes the
 * connection, as the spec asks: one state per connection. */
static int listener_sock = -1;
static char *listener_state;

int seccomp_listener_connect(json_object *sec, const char *state, struct hk_error **err)
{
	const char *path = NULL;
	json_object *v = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (!sec || !json_object_object_get_ex(sec, "listenerPath", &v) ||
	    !(path = json_object_get_string(v)) || !*path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return hk_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath: %s: too long",
				    path);
	strcpy(sa.sun_path, path);
	listener_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener_sock < 0)
		return hk_error_errno(err, "linux.seccomp.listenerPath: socket");
	if (connect(listener_sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hk_error_errno(err, "linux.seccomp.listenerPath: connect %s", path);
		close(listener_sock);
		listener_sock = -1;
		return -1;
	}
	free(listener_state);
	listener_state = xstrdup(state ? state : "{}");
	return 0;
}

int seccomp_listener_fd(void)
{
	return listener_sock;
}

static int send_listener(json_object *sec, int fd, struct hk_error **err)
{
	_cleanup_json_ json_object *msg = json_object_new_object();
	_cleanup_json_ json_object *st = json_tokener_parse(listener_state ? listener_state : "{}");
	_cleanup_free_ char *text = NULL;
	json_object *v = NULL, *fds = json_object_new_array();
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return hk_error_set(err, 0, "linux.seccomp: the filter has no listener fd");
	if (listener_sock < 0) {
		/* (exec: no listener of its own; notified calls fail ENOSYS) */
		close(fd);
		return 0;
	}
	json_object_object_add(
		msg, "ociVersion",
		json_object_new_string(st && json_object_object_get_ex(st, "ociVersion", &v)
					       ? json_object_get_string(v)
					       : "1.2.0"));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(msg, "fds", fds);
	json_object_object_add(msg, "pid",
			       json_object_new_int(st && json_object_object_get_ex(st, "pid", &v)
							   ? json_object_get_int(v)
							   : (int)getpid()));
	if (json_object_object_get_ex(sec, "listenerMetadata", &v))
		json_object_object_add(msg, "metadata", json_object_get(v));
	if (st)
		json_object_object_add(msg, "state", json_object_get(st));
	text = json_to_string(msg, false);
	iov = (struct iovec){.iov_base = text, .iov_len = strlen(text)};
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(listener_sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = hk_error_errno(err, "linux.seccomp.listenerPath: send the listener");
	else if ((size_t)n < iov.iov_len &&
		 write_all(listener_sock, text + n, iov.iov_len - (size_t)n) < 0)
		r = hk_error_errno(err, "linux.seccomp.listenerPath: send the state");
	close(listener_sock);
	listener_sock = -1;
	close(fd);
	return r;
}

int seccomp_apply(json_object *linux_seccomp, struct hk_error **err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	int r;

	if (!linux_seccomp)
		return 0;
	if (prepared_for(linux_seccomp))
		return load_prepared(err);
	if (walk(linux_seccomp, &ctx, err) < 0)
		return -1;
	r = seccomp_load(ctx);
	if (r < 0) {
		errno = -r;
		return hk_error_errno(err, "load the seccomp filter");
	}
	if (uses_notify)
		return send_listener(linux_seccomp, seccomp_notify_fd(ctx), err);
	return 0;
}

/*
 * The compiled-filter cache.  Building Docker's profile with libseccomp
 * costs ~20 ms per container start (rule database + BPF generation), more
 * than the rest of the runtime.  seccomp_prepare() runs in the runtime's
 * parent before the clone: it reads the BPF from
 * <state_root>/.seccomp/<hash>.bpf when the stored profile text equals this
 * one exactly (the hash only picks the file; a collision is a miss), or
 * compiles and stores it.  The child then loads the raw program (memory is
 * copied by the clone), so no libseccomp work happens there.  Profiles with
 * "flags" keep the libseccomp path (the flags map to load-time attributes).
 * The state root lives on /run: emptied at boot, like the kernel it was
 * compiled for.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BPF_CACHE_MAGIC 0x3143534bu /* "KSC1" */

static struct prepared_filter {
	json_object *sec; /* the object the program was prepared for */
	struct sock_filter *insns;
	unsigned short len;
} prepared;

static struct prepared_filter *prepared_for(json_object *sec)
{
	return prepared.sec == sec && prepared.insns ? &prepared : NULL;
}

static uint64_t fnv1a64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The exact text a cached program stands for: the profile and the
 * libseccomp version that compiled it. */
static char *cache_key(json_object *sec)
{
	const struct scmp_version *v = seccomp_version();

	return xasprintf("%u.%u.%u\n%s", v->major, v->minor, v->micro,
			 json_object_to_json_string_ext(
				 sec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static bool cache_read(const char *path, const char *key, size_t keylen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	uint32_t hdr[3];
	size_t need;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return false;
	if (read_all(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) || hdr[0] != BPF_CACHE_MAGIC ||
	    hdr[1] != keylen || hdr[2] == 0 || hdr[2] > BPF_MAXINSNS)
		return false;
	need = keylen + (size_t)hdr[2] * sizeof(struct sock_filter);
	if ((size_t)st.st_size != sizeof(hdr) + need)
		return false;
	buf = xmalloc(need);
	if (read_all(fd, buf, need) != (ssize_t)need || memcmp(buf, key, keylen) != 0)
		return false;
	prepared.insns = xmalloc((size_t)hdr[2] * sizeof(struct sock_filter));
	memcpy(prepared.insns, buf + keylen, (size_t)hdr[2] * sizeof(struct sock_filter));
	prepared.len = (unsigned short)hdr[2];
	return true;
}

static void cache_write(const char *state_root, const char *dir, const char *path, const char *key,
			size_t keylen)
{
	_cleanup_free_ char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	_cleanup_close_ int fd = -1;
	uint32_t hdr[3] = {BPF_CACHE_MAGIC, (uint32_t)keylen, prepared.len};
	bool ok;

	/* the first container may come before the state root exists */
	if (mkdir_p(state_root, 0711, NULL) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	ok = write_all(fd, hdr, sizeof(hdr)) >= 0 && write_all(fd, key, keylen) >= 0 &&
	     write_all(fd, prepared.insns, prepared.len * sizeof(struct sock_filter)) >= 0;
	if (!ok || rename(tmp, path) < 0) {
		log_debug("seccomp: cannot store the compiled filter in %s", dir);
		unlink(tmp);
	}
}

/* Compile with libseccomp and export the program into memory. */
static int compile(json_object *sec, struct hk_error **err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (walk(sec, &ctx, err) < 0)
		return -1;
	fd = memfd_create("hako-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return hk_error_errno(err, "linux.seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		errno = -r;
		return hk_error_errno(err, "linux.seccomp: export the filter");
	}
	if (fstat(fd, &st) < 0)
		return hk_error_errno(err, "linux.seccomp: export the filter");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return hk_error_set(err, 0, "linux.seccomp: the filter has %lld bytes of BPF",
				    (long long)st.st_size);
	prepared.insns = xmalloc((size_t)st.st_size);
	if (pread(fd, prepared.insns, (size_t)st.st_size, 0) != st.st_size) {
		free(prepared.insns);
		prepared.insns = NULL;
		return hk_error_errno(err, "linux.seccomp: read the exported filter");
	}
	prepared.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
}

int seccomp_prepare(json_object *sec, const char *state_root, struct hk_error **err)
{
	json_object *fl = NULL;
	_cleanup_free_ char *key = NULL, *dir = NULL, *path = NULL;
	size_t keylen;

	free(prepared.insns);
	prepared.insns = NULL;
	prepared.sec = NULL;
	if (!sec || !json_object_is_type(sec, json_type_object))
		return 0;
	if (json_object_object_get_ex(sec, "flags", &fl) &&
	    json_object_is_type(fl, json_type_array) && json_object_array_length(fl) > 0)
		return 0;
	/* the listener fd comes from libseccomp's load (NEW_LISTENER) */
	if (json_object_object_get_ex(sec, "listenerPath", &fl))
		return 0;
	key = cache_key(sec);
	keylen = strlen(key);
	dir = xasprintf("%s/.seccomp", state_root);
	path = xasprintf("%s/%016llx.bpf", dir, (unsigned long long)fnv1a64(key, keylen));
	if (!cache_read(path, key, keylen)) {
		if (compile(sec, err) < 0)
			return -1;
		cache_write(state_root, dir, path, key, keylen);
	}
	prepared.sec = sec;
	return 0;
}

/* Load a prepared program as libseccomp would with no attributes set:
 * seccomp(2) without flags, prctl() where that syscall is missing. */
static int load_prepared(struct hk_error **err)
{
	struct sock_fprog prog = {.len = prepared.len, .filter = prepared.insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
		return 0;
	return hk_error_errno(err, "load the seccomp filter");
}
