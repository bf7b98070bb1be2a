/* hako runtime: parse config.json into struct rt_spec. */
#include "runtime/spec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY      0x00000001
#define MOUNT_ATTR_NOSUID      0x00000002
#define MOUNT_ATTR_NODEV       0x00000004
#define MOUNT_ATTR_NOEXEC      0x00000008
#define MOUNT_ATTR__ATIME      0x00000070
#define MOUNT_ATTR_RELATIME    0x00000000
#define MOUNT_ATTR_NOATIME     0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME  0x00000080
#endif

static const struct {
	const char *name;
	int type;
	const char *proc;
} namespaces[] = {
	{"pid", CLONE_NEWPID, "pid"},	       {"network", CLONE_NEWNET, "net"},
	{"mount", CLONE_NEWNS, "mnt"},	       {"ipc", CLONE_NEWIPC, "ipc"},
	{"uts", CLONE_NEWUTS, "uts"},	       {"user", CLONE_NEWUSER, "user"},
	{"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", CLONE_NEWTIME, "time"},
};

int spec_ns_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (!strcmp(namespaces[i].name, name))
			return namespaces[i].type;
	return -1;
}

const char *spec_ns_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (namespaces[i].type == type)
			return namespaces[i].name;
	return NULL;
}

const char *spec_ns_proc_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (namespaces[i].type == type)
			return namespaces[i].proc;
	return NULL;
}

const struct rt_ns *spec_find_ns(const struct rt_spec *s, int type)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == type)
			return &s->ns[i];
	return NULL;
}

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},
	{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},
	{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", RLIMIT_STACK},
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (!strcmp(rlimit_names[i].name, name))
			return rlimit_names[i].res;
	return -1;
}

/* ---- mount options ---- */

enum opt_kind {
	OPT_SET,
	OPT_CLEAR,
	OPT_PROP,
	OPT_ATTR_SET,
	OPT_ATTR_CLR,
	OPT_BIND,
	OPT_EXTRA,
	OPT_IGNORE
};

static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
} mount_opts[] = {
	{"defaults", OPT_IGNORE, 0},
	{"ro", OPT_SET, MS_RDONLY},
	{"rw", OPT_CLEAR, MS_RDONLY},
	{"nosuid", OPT_SET, MS_NOSUID},
	{"suid", OPT_CLEAR, MS_NOSUID},
	{"nodev", OPT_SET, MS_NODEV},
	{"dev", OPT_CLEAR, MS_NODEV},
	{"noexec", OPT_SET, MS_NOEXEC},
	{"exec", OPT_CLEAR, MS_NOEXEC},
	{"sync", OPT_SET, MS_SYNCHRONOUS},
	{"async", OPT_CLEAR, MS_SYNCHRONOUS},
	{"dirsync", OPT_SET, MS_DIRSYNC},
	{"remount", OPT_SET, MS_REMOUNT},
	{"mand", OPT_SET, MS_MANDLOCK},
	{"nomand", OPT_CLEAR, MS_MANDLOCK},
	{"atime", OPT_CLEAR, MS_NOATIME},
	{"noatime", OPT_SET, MS_NOATIME},
	{"diratime", OPT_CLEAR, MS_NODIRATIME},
	{"nodiratime", OPT_SET, MS_NODIRATIME},
	{"relatime", OPT_SET, MS_RELATIME},
	{"norelatime", OPT_CLEAR, MS_RELATIME},
	{"strictatime", OPT_SET, MS_STRICTATIME},
	{"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
	{"lazytime", OPT_SET, MS_LAZYTIME},
	{"nolazytime", OPT_CLEAR, MS_LAZYTIME},
	{"silent", OPT_SET, MS_SILENT},
	{"loud", OPT_CLEAR, MS_SILENT},
	{"bind", OPT_BIND, 0},
	{"rbind", OPT_BIND, MS_REC},
	{"private", OPT_PROP, MS_PRIVATE},
	{"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
	{"shared", OPT_PROP, MS_SHARED},
	{"rshared", OPT_PROP, MS_SHARED | MS_REC},
	{"slave", OPT_PROP, MS_SLAVE},
	{"rslave", OPT_PROP, MS_SLAVE | MS_REC},
	{"unbindable", OPT_PROP, MS_UNBINDABLE},
	{"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
	{"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
	{"rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY},
	{"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
	{"rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID},
	{"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
	{"rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV},
	{"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
	{"rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC},
	{"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
	{"rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME},
	{"rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME},
	{"rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME},
	{"rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME},
	/* crun's extensions */
	{"tmpcopyup", OPT_EXTRA, RT_MNT_TMPCOPYUP},
	{"copy-symlink", OPT_EXTRA, RT_MNT_COPY_SYMLINK},
	{"src-nofollow", OPT_EXTRA, RT_MNT_SRC_NOFOLLOW},
	{"dest-nofollow", OPT_EXTRA, RT_MNT_DEST_NOFOLLOW},
	{"idmap", OPT_EXTRA, RT_MNT_IDMAP},
	{"ridmap", OPT_EXTRA, RT_MNT_IDMAP | RT_MNT_IDMAP_REC},
	{"nocopyup", OPT_IGNORE, 0},
	{"notmpcopyup", OPT_IGNORE, 0},
};

int spec_parse_mount_options(char *const *opts, bool bind_type, const char *ctx,
			     struct rt_mount_opts *out, struct hk_error **err)
{
	_cleanup_free_ char *data = NULL;

	memset(out, 0, sizeof(*out));
	out->bind = bind_type;
	for (size_t i = 0; opts && opts[i]; i++) {
		const char *o = opts[i];
		size_t k;

		if (!*o)
			continue;
		if (str_has_prefix(o, "idmap=") || str_has_prefix(o, "ridmap=")) {
			/* idmap=uids=0-1000-10;gids=0-1000-10: the mount's own maps */
			out->extra |= RT_MNT_IDMAP | (o[0] == 'r' ? RT_MNT_IDMAP_REC : 0);
			free(out->idmap);
			out->idmap = xstrdup(strchr(o, '=') + 1);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(mount_opts); k++)
			if (!strcmp(mount_opts[k].name, o))
				break;
		if (k == ARRAY_SIZE(mount_opts)) {
			/* Filesystem data ("mode=755", "newinstance").  A bind
			 * mount has none: an unknown word there is a typo. */
			if (out->bind || bind_type)
				return hk_error_set(err, 0, "%s[%zu]: unknown mount option \"%s\"",
						    ctx, i, o);
			if (strlen(o) > 4096)
				return hk_error_set(err, 0, "%s[%zu]: option too long", ctx, i);
			char *d = data ? xasprintf("%s,%s", data, o) : xstrdup(o);
			free(data);
			data = d;
			continue;
		}
		switch (mount_opts[k].kind) {
		case OPT_SET:
			out->flags |= mount_opts[k].flag;
			out->clear &= ~mount_opts[k].flag;
			break;
		case OPT_CLEAR:
			out->flags &= ~mount_opts[k].flag;
			out->clear |= mount_opts[k].flag;
			break;
		case OPT_PROP:
			out->propagation = mount_opts[k].flag;
			break;
		case OPT_ATTR_SET:
			/* the atime values are an enum in a field: mount_setattr
			 * wants the whole field cleared (a part is EINVAL) */
			if (mount_opts[k].flag == MOUNT_ATTR_NOATIME ||
			    mount_opts[k].flag == MOUNT_ATTR_STRICTATIME ||
			    mount_opts[k].flag == MOUNT_ATTR_RELATIME) {
				out->attr_clr |= MOUNT_ATTR__ATIME;
				out->attr_set = (out->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) |
						mount_opts[k].flag;
				break;
			}
			out->attr_set |= mount_opts[k].flag;
			out->attr_clr &= ~mount_opts[k].flag;
			break;
		case OPT_ATTR_CLR:
			out->attr_clr |= mount_opts[k].flag;
			out->attr_set &= ~mount_opts[k].flag;
			break;
		case OPT_BIND:
			if (data)
				return hk_error_set(
					err, 0, "%s: filesystem options (\"%s\") given with \"%s\"",
					ctx, data, o);
			out->bind = true;
			out->recursive = !!mount_opts[k].flag;
			break;
		case OPT_EXTRA:
			out->extra |= (unsigned)mount_opts[k].flag;
			break;
		case OPT_IGNORE:
			break;
		}
	}
	if (out->bind && data)
		return hk_error_set(err, 0, "%s: unknown mount option \"%s\" for a bind mount", ctx,
				    data);
	out->data = steal_ptr(&data);
	return 0;
}

/* ---- small typed helpers with field names ---- */

static int get_u32(json_object *o, const char *ctx, const char *key, uint32_t *out,
		   struct hk_error **err)
{
	uint64_t v;
	int r = json_get_uint64(o, ctx, key, &v, err);
	if (r <= 0)
		return r;
	if (v > UINT32_MAX)
		return hk_error_set(err, 0, "%s.%s: %llu is out of range", ctx, key,
				    (unsigned long long)v);
	*out = (uint32_t)v;
	return 1;
}

static int get_strdup(json_object *o, const char *ctx, const char *key, char **out,
		      struct hk_error **err)
{
	const char *s = NULL;
	int r = json_get_string(o, ctx, key, &s, err);
	if (r > 0) {
		free(*out);
		*out = xstrdup(s);
	}
	return r;
}

static int expect_object(json_object *o, const char *ctx, struct hk_error **err)
{
	if (!json_object_is_type(o, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);
	return 0;
}

/* ---- process ---- */

static int parse_rlimits(json_object *p, const char *ctx, struct rt_process *out,
			 struct hk_error **err)
{
	json_object *arr = NULL;
	int r = json_get_array(p, ctx, "rlimits", &arr, err);
	size_t n;

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	out->rlimits = xzalloc((n + 1) * sizeof(*out->rlimits));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *c = xasprintf("%s.rlimits[%zu]", ctx, i);
		struct rt_rlimit *rl = &out->rlimits[out->nrlimits];
		const char *type = NULL;

		if (expect_object(e, c, err) < 0)
			return -1;
		if (json_get_string(e, c, "type", &type, err) < 0)
			return -1;
		if (!type)
			return hk_error_set(err, 0, "%s.type: missing", c);
		rl->resource = spec_rlimit_from_name(type);
		if (rl->resource < 0)
			return hk_error_set(err, 0, "%s.type: unknown rlimit \"%s\"", c, type);
		if (json_get_uint64(e, c, "soft", &rl->soft, err) < 0 ||
		    json_get_uint64(e, c, "hard", &rl->hard, err) < 0)
			return -1;
		if (rl->soft > rl->hard)
			return hk_error_set(
				err, 0, "%s: soft limit %llu is above the hard limit %llu", c,
				(unsigned long long)rl->soft, (unsigned long long)rl->hard);
		rl->name = xstrdup(type);
		out->nrlimits++;
	}
	return 0;
}

static int parse_user(json_object *p, const char *ctx, struct rt_process *out,
		      struct hk_error **err)
{
	_cleanup_free_ char *c = xasprintf("%s.user", ctx);
	json_object *u = NULL, *gids = NULL;
	uint32_t v = 0;
	int r;

	r = json_get_object(p, ctx, "user", &u, err);
	if (r <= 0)
		return r;
	if (get_u32(u, c, "uid", &v, err) < 0)
		return -1;
	out->uid = v;
	v = 0;
	if (get_u32(u, c, "gid", &v, err) < 0)
		return -1;
	out->gid = v;
	r = get_u32(u, c, "umask", &v, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		if (v > 0777)
			return hk_error_set(err, 0, "%s.umask: %u is not a file mode mask", c, v);
		out->has_umask = true;
		out->umask = v;
	}
	if (json_get_array(u, c, "additionalGids", &gids, err) < 0)
		return -1;
	if (gids) {
		size_t n = json_object_array_length(gids);
		out->gids = xzalloc((n + 1) * sizeof(gid_t));
		for (size_t i = 0; i < n; i++) {
			json_object *g = json_object_array_get_idx(gids, i);
			if (!json_object_is_type(g, json_type_int) ||
			    json_object_get_int64(g) < 0 || json_object_get_int64(g) > UINT32_MAX)
				return hk_error_set(err, 0,
						    "%s.additionalGids[%zu]: expected a group id",
						    c, i);
			out->gids[out->ngids++] = (gid_t)json_object_get_int64(g);
		}
	}
	if (json_object_object_get_ex(u, "username", NULL))
		log_debug("%s.username is ignored (Windows only)", c);
	return 0;
}

int spec_parse_process(json_object *p, const char *ctx, struct rt_process *out,
		       struct hk_error **err)
{
	_cleanup_free_ char *cs_ctx = xasprintf("%s.consoleSize", ctx);
	json_object *caps = NULL, *cs = NULL;
	int64_t oom;
	int r;

	memset(out, 0, sizeof(*out));
	if (expect_object(p, ctx, err) < 0)
		return -1;
	if (json_get_bool(p, ctx, "terminal", &out->terminal, err) < 0)
		return -1;
	if (json_get_object(p, ctx, "consoleSize", &cs, err) < 0)
		return -1;
	if (cs && (get_u32(cs, cs_ctx, "height", &out->console_rows, err) < 0 ||
		   get_u32(cs, cs_ctx, "width", &out->console_cols, err) < 0))
		return -1;
	if (parse_user(p, ctx, out, err) < 0)
		return -1;
	r = json_get_strv(p, ctx, "args", &out->args, err);
	if (r < 0)
		return -1;
	if (!out->args || !out->args[0])
		return hk_error_set(err, 0, "%s.args: must name a program", ctx);
	if (!out->args[0][0])
		return hk_error_set(err, 0, "%s.args[0]: empty program name", ctx);
	if (json_get_strv(p, ctx, "env", &out->env, err) < 0)
		return -1;
	for (size_t i = 0; out->env && out->env[i]; i++)
		if (!strchr(out->env[i], '='))
			return hk_error_set(err, 0, "%s.env[%zu]: \"%s\" is not NAME=VALUE", ctx, i,
					    out->env[i]);
	if (get_strdup(p, ctx, "cwd", &out->cwd, err) < 0)
		return -1;
	if (!out->cwd)
		out->cwd = xstrdup("/");
	if (out->cwd[0] != '/')
		return hk_error_set(err, 0, "%s.cwd: \"%s\" is not an absolute path", ctx,
				    out->cwd);
	if (json_get_object(p, ctx, "capabilities", &caps, err) < 0)
		return -1;
	if (caps) {
		if (caps_parse(caps, &out->caps, err) < 0)
			return hk_error_wrap(err, "%s", ctx);
		out->has_caps = true;
	}
	if (json_get_bool(p, ctx, "noNewPrivileges", &out->nnp, err) < 0)
		return -1;
	if (parse_rlimits(p, ctx, out, err) < 0)
		return -1;
	r = json_get_int64(p, ctx, "oomScoreAdj", &oom, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		if (oom < -1000 || oom > 1000)
			return hk_error_set(err, 0, "%s.oomScoreAdj: %lld is not in [-1000, 1000]",
					    ctx, (long long)oom);
		out->has_oom = true;
		out->oom_score_adj = (int)oom;
	}
	if (get_strdup(p, ctx, "apparmorProfile", &out->apparmor, err) < 0 ||
	    get_strdup(p, ctx, "selinuxLabel", &out->selinux, err) < 0)
		return -1;
	return 0;
}

void spec_process_free(struct rt_process *p)
{
	free(p->gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	for (size_t i = 0; i < p->nrlimits; i++)
		free(p->rlimits[i].name);
	free(p->rlimits);
	free(p->apparmor);
	free(p->selinux);
	memset(p, 0, sizeof(*p));
}

/* ---- mounts ---- */

/* mounts[].uidMappings/gidMappings (runtime-spec 1.1, idmapped mounts) in
 * the form of crun's idmap= option: "uids=C-H-S#...;gids=C-H-S#...". */
static int parse_mount_idmaps(json_object *e, const char *ctx, struct rt_mount_opts *o,
			      struct hk_error **err)
{
	static const char *const keys[2] = {"uidMappings", "gidMappings"};
	_cleanup_free_ char *txt = xstrdup("");
	bool any = false;

	for (int k = 0; k < 2; k++) {
		json_object *arr = NULL;
		int r = json_get_array(e, ctx, keys[k], &arr, err);
		if (r < 0)
			return -1;
		char *n = xasprintf("%s%s%s=", txt, k ? ";" : "", k ? "gids" : "uids");
		free(txt);
		txt = n;
		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			json_object *m = json_object_array_get_idx(arr, i);
			_cleanup_free_ char *mc = xasprintf("%s.%s[%zu]", ctx, keys[k], i);
			uint32_t c = 0, h = 0, sz = 0;
			if (expect_object(m, mc, err) < 0 ||
			    get_u32(m, mc, "containerID", &c, err) < 0 ||
			    get_u32(m, mc, "hostID", &h, err) < 0 ||
			    get_u32(m, mc, "size", &sz, err) < 0)
				return -1;
			if (!sz)
				return hk_error_set(err, 0, "%s.size: must not be 0", mc);
			n = xasprintf("%s%s%u-%u-%u", txt, i ? "#" : "", c, h, sz);
			free(txt);
			txt = n;
			any = true;
		}
	}
	if (!any)
		return 0;
	if (!(o->extra & RT_MNT_IDMAP))
		o->extra |= RT_MNT_IDMAP;
	free(o->idmap);
	o->idmap = steal_ptr(&txt);
	return 0;
}

static int parse_mounts(json_object *doc, struct rt_spec *s, struct hk_error **err)
{
	json_object *arr = NULL;
	size_t n;
	int r = json_get_array(doc, NULL, "mounts", &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	s->mounts = xzalloc((n + 1) * sizeof(*s->mounts));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *c = xasprintf("mounts[%zu]", i);
		_cleanup_free_ char *oc = xasprintf("mounts[%zu].options", i);
		_cleanup_strv_ char **opts = NULL;
		struct rt_mount *m = &s->mounts[i];
		bool bind;

		s->nmounts = i + 1;
		if (expect_object(e, c, err) < 0)
			return -1;
		if (get_strdup(e, c, "destination", &m->destination, err) < 0 ||
		    get_strdup(e, c, "source", &m->source, err) < 0 ||
		    get_strdup(e, c, "type", &m->type, err) < 0 ||
		    json_get_strv(e, c, "options", &opts, err) < 0)
			return -1;
		if (!m->destination || m->destination[0] != '/')
			return hk_error_set(err, 0, "%s.destination: %s%s%s", c,
					    m->destination ? "\"" : "missing",
					    m->destination ? m->destination : "",
					    m->destination ? "\" is not an absolute path" : "");
		bind = str_eq(m->type, "bind");
		if (spec_parse_mount_options(opts, bind, oc, &m->o, err) < 0)
			return -1;
		if (parse_mount_idmaps(e, c, &m->o, err) < 0)
			return -1;
		if (!m->type && !m->o.bind)
			return hk_error_set(err, 0, "%s.type: missing (and no bind option)", c);
		if (m->o.bind && !m->source)
			return hk_error_set(err, 0, "%s.source: a bind mount needs a source", c);
		if (!m->source)
			m->source = xstrdup(m->type);
	}
	return 0;
}

static int parse_idmaps(json_object *lnx, const char *key, struct rt_idmap **out, size_t *nout,
			struct hk_error **err)
{
	json_object *arr = NULL;
	size_t n;
	int r = json_get_array(lnx, "linux", key, &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	*out = xzalloc((n + 1) * sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *c = xasprintf("linux.%s[%zu]", key, i);
		struct rt_idmap *m = &(*out)[i];
		if (expect_object(e, c, err) < 0 ||
		    get_u32(e, c, "containerID", &m->container_id, err) < 0 ||
		    get_u32(e, c, "hostID", &m->host_id, err) < 0 ||
		    get_u32(e, c, "size", &m->size, err) < 0)
			return -1;
		if (!m->size)
			return hk_error_set(err, 0, "%s.size: must not be 0", c);
		*nout = i + 1;
	}
	return 0;
}

static int parse_namespaces(json_object *lnx, struct rt_spec *s, struct hk_error **err)
{
	json_object *arr = NULL;
	size_t n;
	int r = json_get_array(lnx, "linux", "namespaces", &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	s->ns = xzalloc((n + 1) * sizeof(*s->ns));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *c = xasprintf("linux.namespaces[%zu]", i);
		const char *type = NULL;
		int t;

		if (expect_object(e, c, err) < 0 || json_get_string(e, c, "type", &type, err) < 0)
			return -1;
		if (!type)
			return hk_error_set(err, 0, "%s.type: missing", c);
		t = spec_ns_from_name(type);
		if (t < 0)
			return hk_error_set(err, 0, "%s.type: unknown namespace \"%s\"", c, type);
		if (spec_find_ns(s, t))
			return hk_error_set(err, 0, "%s.type: namespace \"%s\" listed twice", c,
					    type);
		s->ns[s->nns].type = t;
		if (get_strdup(e, c, "path", &s->ns[s->nns].path, err) < 0)
			return -1;
		s->nns++;
		if (s->ns[s->nns - 1].path && s->ns[s->nns - 1].path[0] != '/')
			return hk_error_set(err, 0, "%s.path: not an absolute path", c);
	}
	return 0;
}

static int parse_devices(json_object *lnx, struct rt_spec *s, struct hk_error **err)
{
	json_object *arr = NULL;
	size_t n;
	int r = json_get_array(lnx, "linux", "devices", &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	s->devices = xzalloc((n + 1) * sizeof(*s->devices));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *c = xasprintf("linux.devices[%zu]", i);
		struct rt_device *d = &s->devices[i];
		const char *type = NULL;
		uint32_t v = 0;

		s->ndevices = i + 1;
		if (expect_object(e, c, err) < 0 || get_strdup(e, c, "path", &d->path, err) < 0 ||
		    json_get_string(e, c, "type", &type, err) < 0 ||
		    json_get_int64(e, c, "major", &d->major, err) < 0 ||
		    json_get_int64(e, c, "minor", &d->minor, err) < 0)
			return -1;
		if (!d->path || d->path[0] != '/')
			return hk_error_set(err, 0, "%s.path: missing or not absolute", c);
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			return hk_error_set(err, 0, "%s.type: expected c, b, u or p", c);
		d->type = type[0];
		d->mode = 0666;
		if (get_u32(e, c, "fileMode", &v, err) < 0)
			return -1;
		else if (json_object_object_get_ex(e, "fileMode", NULL))
			d->mode = v & 07777;
		v = 0;
		if (get_u32(e, c, "uid", &v, err) < 0)
			return -1;
		d->uid = v;
		v = 0;
		if (get_u32(e, c, "gid", &v, err) < 0)
			return -1;
		d->gid = v;
	}
	return 0;
}

static int parse_sysctl(json_object *lnx, struct rt_spec *s, struct hk_error **err)
{
	json_object *o = NULL;
	int r = json_get_object(lnx, "linux", "sysctl", &o, err);

	if (r <= 0)
		return r;
	s->sysctl = xzalloc((size_t)(json_object_object_length(o) + 1) * sizeof(*s->sysctl));
	json_object_object_foreach(o, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return hk_error_set(err, 0, "linux.sysctl.%s: expected a string", key);
		if (!*key || strstr(key, "..") || strchr(key, '/') == key)
			return hk_error_set(err, 0, "linux.sysctl: bad key \"%s\"", key);
		s->sysctl[s->nsysctl].key = xstrdup(key);
		s->sysctl[s->nsysctl].value = xstrdup(json_object_get_string(val));
		s->nsysctl++;
	}
	return 0;
}

/* A sysctl is written in /proc/sys of the container: only the namespaced
 * ones may be set, and only in a namespace of the container's own, else the
 * write changes the host (runc's and crun's rule). */
static int check_sysctls(const struct rt_spec *s, struct hk_error **err)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",	    "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni",
	};
	for (size_t i = 0; i < s->nsysctl; i++) {
		const char *k = s->sysctl[i].key;
		int ns = 0;
		if (str_has_prefix(k, "net."))
			ns = CLONE_NEWNET;
		else if (str_has_prefix(k, "fs.mqueue."))
			ns = CLONE_NEWIPC;
		else if (str_has_prefix(k, "user."))
			ns = CLONE_NEWUSER;
		else if (!strcmp(k, "kernel.domainname"))
			ns = CLONE_NEWUTS;
		else if (!strcmp(k, "kernel.ns_last_pid"))
			ns = CLONE_NEWPID;
		for (size_t j = 0; !ns && j < ARRAY_SIZE(ipc_keys); j++)
			if (!strcmp(k, ipc_keys[j]))
				ns = CLONE_NEWIPC;
		if (!strcmp(k, "kernel.hostname"))
			return hk_error_set(err, 0,
					    "linux.sysctl.%s: not allowed, it conflicts with the "
					    "hostname field",
					    k);
		if (!ns)
			return hk_error_set(err, 0,
					    "linux.sysctl.%s: not in a separate kernel namespace "
					    "(setting it would change the host)",
					    k);
		if (!spec_find_ns(s, ns))
			return hk_error_set(err, 0,
					    "linux.sysctl.%s: needs a %s namespace of the "
					    "container's own",
					    k, spec_ns_name(ns));
		if (ns == CLONE_NEWUTS && s->domainname &&
		    strcmp(s->domainname, s->sysctl[i].value))
			return hk_error_set(err, 0,
					    "linux.sysctl.%s: \"%s\" conflicts with domainname "
					    "\"%s\"",
					    k, s->sysctl[i].value, s->domainname);
	}
	return 0;
}

static int parse_time_offsets(json_object *lnx, struct rt_spec *s, struct hk_error **err)
{
	static const char *const clocks[] = {"monotonic", "boottime"};
	json_object *o = NULL;
	int r = json_get_object(lnx, "linux", "timeOffsets", &o, err);

	if (r <= 0)
		return r;
	for (int i = 0; i < 2; i++) {
		json_object *c = NULL;
		_cleanup_free_ char *ctx = xasprintf("linux.timeOffsets.%s", clocks[i]);
		if (json_get_object(o, "linux.timeOffsets", clocks[i], &c, err) < 0)
			return -1;
		if (!c)
			continue;
		if (json_get_int64(c, ctx, "secs", &s->time_offsets[i][0], err) < 0)
			return -1;
		int64_t ns = 0;
		if (json_get_int64(c, ctx, "nanosecs", &ns, err) < 0)
			return -1;
		if (ns < 0 || ns >= 1000000000)
			return hk_error_set(err, 0, "%s.nanosecs: out of range", ctx);
		s->time_offsets[i][1] = ns;
		s->has_time_offsets = true;
	}
	return 0;
}

static int parse_propagation(const char *p, unsigned long *out, struct hk_error **err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
		{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
		{"shared", MS_SHARED},	       {"rshared", MS_SHARED | MS_REC},
		{"slave", MS_SLAVE},	       {"rslave", MS_SLAVE | MS_REC},
		{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		if (!strcmp(props[i].name, p)) {
			*out = props[i].flags;
			return 0;
		}
	}
	return hk_error_set(err, 0, "linux.rootfsPropagation: unknown propagation \"%s\"", p);
}

static int parse_linux(json_object *doc, struct rt_spec *s, struct hk_error **err)
{
	json_object *lnx = NULL;
	const char *prop = NULL;
	int r = json_get_object(doc, NULL, "linux", &lnx, err);

	if (r <= 0)
		return r;
	if (parse_namespaces(lnx, s, err) < 0 ||
	    parse_idmaps(lnx, "uidMappings", &s->uidmaps, &s->nuidmaps, err) < 0 ||
	    parse_idmaps(lnx, "gidMappings", &s->gidmaps, &s->ngidmaps, err) < 0 ||
	    parse_devices(lnx, s, err) < 0 || parse_sysctl(lnx, s, err) < 0 ||
	    parse_time_offsets(lnx, s, err) < 0)
		return -1;
	if (json_get_strv(lnx, "linux", "maskedPaths", &s->masked, err) < 0 ||
	    json_get_strv(lnx, "linux", "readonlyPaths", &s->readonly, err) < 0)
		return -1;
	if (json_get_string(lnx, "linux", "rootfsPropagation", &prop, err) < 0)
		return -1;
	if (prop && parse_propagation(prop, &s->rootfs_propagation, err) < 0)
		return -1;
	if (json_get_object(lnx, "linux", "seccomp", &s->seccomp, err) < 0 ||
	    json_get_object(lnx, "linux", "resources", &s->resources, err) < 0 ||
	    get_strdup(lnx, "linux", "cgroupsPath", &s->cgroups_path, err) < 0 ||
	    get_strdup(lnx, "linux", "mountLabel", &s->mount_label, err) < 0)
		return -1;
	if ((s->nuidmaps || s->ngidmaps) && !spec_find_ns(s, CLONE_NEWUSER))
		return hk_error_set(err, 0, "linux.uidMappings: given without a user namespace");
	if (s->has_time_offsets && !spec_find_ns(s, CLONE_NEWTIME))
		return hk_error_set(err, 0, "linux.timeOffsets: given without a time namespace");
	/* A new user namespace without uidMappings/gidMappings is accepted, as
	 * crun does: the process's uid and gid are mapped to the runtime's,
	 * one id each (create.c).  One map without the other is a mistake. */
	if (!s->nuidmaps != !s->ngidmaps)
		return hk_error_set(err, 0, "linux.%s: given without linux.%s",
				    s->nuidmaps ? "uidMappings" : "gidMappings",
				    s->nuidmaps ? "gidMappings" : "uidMappings");
	return 0;
}

static int parse_hooks(json_object *doc, struct rt_spec *s, struct hk_error **err)
{
	static const char *const names[RT_HOOK_MAX] = {
		"prestart",	  "createRuntime", "createContainer",
		"startContainer", "poststart",	   "poststop",
	};
	json_object *hooks = NULL;
	int r = json_get_object(doc, NULL, "hooks", &hooks, err);

	if (r <= 0)
		return r;
	for (int k = 0; k < RT_HOOK_MAX; k++) {
		_cleanup_free_ char *kc = xasprintf("hooks");
		json_object *arr = NULL;
		size_t n;
		if (json_get_array(hooks, kc, names[k], &arr, err) < 0)
			return -1;
		if (!arr)
			continue;
		n = json_object_array_length(arr);
		s->hooks[k].v = xzalloc((n + 1) * sizeof(struct rt_hook));
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(arr, i);
			_cleanup_free_ char *c = xasprintf("hooks.%s[%zu]", names[k], i);
			struct rt_hook *h = &s->hooks[k].v[i];
			int64_t t = 0;
			s->hooks[k].n = i + 1;
			if (expect_object(e, c, err) < 0 ||
			    get_strdup(e, c, "path", &h->path, err) < 0 ||
			    json_get_strv(e, c, "args", &h->args, err) < 0 ||
			    json_get_strv(e, c, "env", &h->env, err) < 0 ||
			    json_get_int64(e, c, "timeout", &t, err) < 0)
				return -1;
			if (!h->path || h->path[0] != '/')
				return hk_error_set(err, 0, "%s.path: missing or not absolute", c);
			if (t < 0 || t > INT32_MAX)
				return hk_error_set(err, 0, "%s.timeout: must be positive", c);
			h->timeout = (int)t;
		}
	}
	return 0;
}

int spec_parse(json_object *doc, struct rt_spec *s, struct hk_error **err)
{
	json_object *root = NULL, *proc = NULL;

	memset(s, 0, sizeof(*s));
	s->json = json_object_get(doc);
	if (expect_object(doc, "config", err) < 0)
		return -1;
	if (get_strdup(doc, NULL, "ociVersion", &s->oci_version, err) < 0)
		return -1;
	if (!s->oci_version)
		return hk_error_set(err, 0, "ociVersion: missing");
	if (json_get_object(doc, NULL, "root", &root, err) < 0)
		return -1;
	if (!root)
		return hk_error_set(err, 0, "root: missing");
	if (get_strdup(root, "root", "path", &s->root_path, err) < 0 ||
	    json_get_bool(root, "root", "readonly", &s->root_readonly, err) < 0)
		return -1;
	if (!s->root_path || !*s->root_path)
		return hk_error_set(err, 0, "root.path: missing");
	if (json_get_object(doc, NULL, "process", &proc, err) < 0)
		return -1;
	if (proc) {
		if (spec_parse_process(proc, "process", &s->process, err) < 0)
			return -1;
		s->has_process = true;
	}
	if (get_strdup(doc, NULL, "hostname", &s->hostname, err) < 0 ||
	    get_strdup(doc, NULL, "domainname", &s->domainname, err) < 0)
		return -1;
	if (parse_mounts(doc, s, err) < 0 || parse_linux(doc, s, err) < 0 ||
	    parse_hooks(doc, s, err) < 0)
		return -1;
	if (json_get_object(doc, NULL, "annotations", &s->annotations, err) < 0)
		return -1;
	/* crun's annotation: an unknown syscall in the profile is an error;
	 * marked in the profile itself, so exec (and the compiled-filter
	 * cache's key) see it too */
	if (s->seccomp && s->annotations &&
	    json_object_object_get_ex(s->annotations, "run.oci.seccomp_fail_unknown_syscall", NULL))
		json_object_object_add(s->seccomp, SECCOMP_FAIL_UNKNOWN_KEY,
				       json_object_new_boolean(1));
	if ((s->hostname || s->domainname) && !spec_find_ns(s, CLONE_NEWUTS))
		return hk_error_set(err, 0, "%s: set without a uts namespace",
				    s->hostname ? "hostname" : "domainname");
	return check_sysctls(s, err);
}

int spec_load(const char *path, struct rt_spec *out, struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (read_file_at(AT_FDCWD, path, 4 << 20, &text, &len, err) < 0)
		return hk_error_wrap(err, "config.json");
	if (json_parse("config.json", text, len, &doc, err) < 0)
		return -1;
	if (spec_parse(doc, out, err) < 0) {
		spec_free(out);
		return hk_error_wrap(err, "config.json");
	}
	return 0;
}

void spec_free(struct rt_spec *s)
{
	if (s->json)
		json_object_put(s->json);
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].source);
		free(s->mounts[i].type);
		free(s->mounts[i].o.data);
		free(s->mounts[i].o.idmap);
		if (s->mounts[i].o.has_tree)
			close(s->mounts[i].o.tree_fd);
	}
	free(s->mounts);
	spec_process_free(&s->process);
	for (int k = 0; k < RT_HOOK_MAX; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].v[i].path);
			strv_free(s->hooks[k].v[i].args);
			strv_free(s->hooks[k].v[i].env);
		}
		free(s->hooks[k].v);
	}
	for (size_t i = 0; i < s->nns; i++)
		free(s->ns[i].path);
	free(s->ns);
	free(s->uidmaps);
	free(s->gidmaps);
	for (size_t i = 0; i < s->ndevices; i++)
		free(s->devices[i].path);
	free(s->devices);
	strv_free(s->masked);
	strv_free(s->readonly);
	for (size_t i = 0; i < s->nsysctl; i++) {
		free(s->sysctl[i].key);
		free(s->sysctl[i].value);
	}
	free(s->sysctl);
	free(s->cgroups_path);
	free(s->mount_label);
	free(s->personality_domain);
	memset(s, 0, sizeof(*s));
}
