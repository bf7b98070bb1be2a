/* hako engine: Docker's --mount, --volumes-from, --device and
 * --device-cgroup-rule.  --mount and --volumes-from become entries of the
 * container's Mounts, the list -v fills (so create, cp, df, rm and inspect
 * treat them alike); --mount is also kept in HostConfig.Mounts in Docker's
 * shape.  Devices are kept in HostConfig.Devices / DeviceCgroupRules and
 * become linux.devices and linux.resources.devices of the OCI spec at each
 * start.  Errors are Docker's, at create time, so nothing is left behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine/internal.h"
#include "engine/spec.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

static bool mount_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool valid_propagation(const char *p)
{
	static const char *const ok[] = {"private", "rprivate", "shared",
					 "rshared", "slave",	"rslave"};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(p, ok[i]))
			return true;
	return false;
}

struct mount_req {
	const char *type, *src, *dst, *propagation;
	bool ro, nocopy;
	int64_t tmpfs_size;
	long tmpfs_mode; /* -1: not given */
};

/* Docker's CLI part: the comma-separated KEY[=VALUE] list. */
static int mount_parse_fields(const char *spec, char *copy, struct mount_req *r,
			      struct hk_error **err)
{
	char *save = NULL;

	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		const char *val = NULL;
		if (eq) {
			*eq = '\0';
			val = eq + 1;
		}
		if (!strcmp(f, "type")) {
			r->type = val ? val : "";
		} else if (!strcmp(f, "source") || !strcmp(f, "src")) {
			r->src = val ? val : "";
		} else if (!strcmp(f, "target") || !strcmp(f, "destination") || !strcmp(f, "dst")) {
			r->dst = val ? val : "";
		} else if (!strcmp(f, "readonly") || !strcmp(f, "ro")) {
			if (!mount_bool(val, &r->ro))
				return hk_error_set(err, 0,
						    "invalid argument \"%s\" for \"--mount\" flag: "
						    "invalid value for %s: %s",
						    spec, f, val);
		} else if (!strcmp(f, "bind-propagation")) {
			if (!val || !valid_propagation(val))
				return hk_error_set(
					err, 0,
					"invalid argument \"%s\" for \"--mount\" flag: "
					"invalid bind-propagation '%s' (private, rprivate, "
					"shared, rshared, slave or rslave)",
					spec, val ? val : "");
			r->propagation = val;
		} else if (!strcmp(f, "volume-nocopy")) {
			if (!mount_bool(val, &r->nocopy))
				return hk_error_set(err, 0,
						    "invalid argument \"%s\" for \"--mount\" flag: "
						    "invalid value for volume-nocopy: %s",
						    spec, val);
		} else if (!strcmp(f, "volume-opt")) {
			return hk_error_set(err, 0,
					    "--mount %s: volume-opt is not supported: the local "
					    "driver's options (mounting a device or an NFS share "
					    "as the volume) are not implemented; mount it on the "
					    "host and bind it",
					    spec);
		} else if (!strcmp(f, "volume-driver")) {
			if (!val || strcmp(val, "local"))
				return hk_error_set(
					err, 0, "--mount %s: only the local volume driver exists",
					spec);
		} else if (!strcmp(f, "tmpfs-size")) {
			if (!val || engine_parse_size(val, &r->tmpfs_size) < 0 ||
			    r->tmpfs_size <= 0)
				return hk_error_set(err, 0,
						    "invalid argument \"%s\" for \"--mount\" flag: "
						    "invalid tmpfs-size '%s'",
						    spec, val ? val : "");
		} else if (!strcmp(f, "tmpfs-mode")) {
			char *end = NULL;
			errno = 0;
			r->tmpfs_mode = val ? strtol(val, &end, 8) : -1;
			if (!val || !*val || errno || *end || r->tmpfs_mode < 0 ||
			    r->tmpfs_mode > 07777)
				return hk_error_set(err, 0,
						    "invalid argument \"%s\" for \"--mount\" flag: "
						    "invalid tmpfs-mode '%s' (octal)",
						    spec, val ? val : "");
		} else if (!strcmp(f, "consistency")) {
			continue; /* macOS only: docker accepts and ignores it */
		} else {
			return hk_error_set(err, 0,
					    "invalid argument \"%s\" for \"--mount\" flag: "
					    "unexpected key '%s' in '%s%s%s'",
					    spec, f, f, val ? "=" : "", val ? val : "");
		}
	}
	return 0;
}

/* One --mount into a Mounts entry and a HostConfig.Mounts entry. */
static int parse_mount(struct engine *e, const char *spec, json_object *mounts,
		       json_object *hmounts, struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	struct mount_req r = {.type = "volume", .tmpfs_mode = -1};
	json_object *m, *h, *sub;
	bool bind, volume, tmpfs;

	if (mount_parse_fields(spec, copy, &r, err) < 0)
		return -1;
	bind = !strcmp(r.type, "bind");
	volume = !strcmp(r.type, "volume");
	tmpfs = !strcmp(r.type, "tmpfs");
	if (!bind && !volume && !tmpfs)
		return hk_error_set(err, 0,
				    "invalid argument \"%s\" for \"--mount\" flag: mount type "
				    "'%s' is not supported (bind, volume or tmpfs)",
				    spec, r.type);
#define BAD(fmt, ...)                                                                              \
	hk_error_set(err, 0, "invalid mount config for type \"%s\": " fmt, r.type, ##__VA_ARGS__)
	if (!r.dst || !*r.dst)
		return BAD("field Target must not be empty");
	if (r.dst[0] != '/')
		return BAD("invalid mount path: '%s' mount path must be absolute", r.dst);
	{
		_cleanup_free_ char *clean = path_clean(r.dst);
		if (!strcmp(clean, "/"))
			return BAD("invalid specification: destination can't be '/'");
	}
	if (r.propagation && !bind)
		return BAD("field BindOptions must not be specified");
	if (r.nocopy && !volume)
		return BAD("field VolumeOptions must not be specified");
	if ((r.tmpfs_size || r.tmpfs_mode >= 0) && !tmpfs)
		return BAD("field TmpfsOptions must not be specified");
	if (bind) {
		struct stat st;
		if (!r.src || !*r.src)
			return BAD("field Source must not be empty");
		if (r.src[0] != '/')
			return BAD("invalid mount path: '%s' mount path must be absolute", r.src);
		/* unlike -v, --mount does not create a missing host path */
		if (stat(r.src, &st) < 0)
			return BAD("bind source path does not exist: %s", r.src);
	}
	if (tmpfs && r.src && *r.src)
		return BAD("field Source must not be specified");
#undef BAD

	m = json_object_new_object();
	h = json_object_new_object();
	json_object_array_add(mounts, m);
	json_object_array_add(hmounts, h);
	json_object_object_add(m, "Type", json_object_new_string(r.type));
	json_object_object_add(h, "Type", json_object_new_string(r.type));
	if (bind) {
		json_object_object_add(m, "Source", json_object_new_string(r.src));
		json_object_object_add(h, "Source", json_object_new_string(r.src));
	} else if (volume) {
		_cleanup_free_ char *name = r.src && *r.src ? xstrdup(r.src) : engine_new_id();
		if (!engine_valid_name(name))
			return hk_error_set(err, 0, "--mount %s: '%s' is not a valid volume name",
					    spec, name);
		_cleanup_free_ char *vdir = engine_volume_dir(e, name);
		_cleanup_free_ char *data = path_join(vdir, "_data");
		json_object_object_add(m, "Name", json_object_new_string(name));
		json_object_object_add(m, "Source", json_object_new_string(data));
		json_object_object_add(m, "Driver", json_object_new_string("local"));
		json_object_object_add(m, "Anonymous", json_object_new_boolean(!r.src || !*r.src));
		if (r.nocopy)
			json_object_object_add(m, "NoCopy", json_object_new_boolean(true));
		if (r.src && *r.src)
			json_object_object_add(h, "Source", json_object_new_string(r.src));
	} else {
		json_object_object_add(m, "Source", json_object_new_string(""));
	}
	json_object_object_add(m, "Destination", json_object_new_string(r.dst));
	json_object_object_add(h, "Target", json_object_new_string(r.dst));
	json_object_object_add(m, "Mode", json_object_new_string(""));
	json_object_object_add(m, "RW", json_object_new_boolean(!r.ro));
	json_object_object_add(
		m, "Propagation",
		json_object_new_string(bind ? r.propagation ? r.propagation : "rprivate" : ""));
	if (r.ro)
		json_object_object_add(h, "ReadOnly", json_object_new_boolean(true));
	if (bind && r.propagation) {
		sub = json_object_new_object();
		json_object_object_add(sub, "Propagation", json_object_new_string(r.propagation));
		json_object_object_add(h, "BindOptions", sub);
	}
	if (volume && r.nocopy) {
		sub = json_object_new_object();
		json_object_object_add(sub, "NoCopy", json_object_new_boolean(true));
		json_object_object_add(h, "VolumeOptions", sub);
	}
	if (tmpfs && (r.tmpfs_size || r.tmpfs_mode >= 0)) {
		sub = json_object_new_object();
		if (r.tmpfs_size)
			json_object_object_add(sub, "SizeBytes",
					       json_object_new_int64(r.tmpfs_size));
		if (r.tmpfs_mode >= 0)
			json_object_object_add(sub, "Mode", json_object_new_int64(r.tmpfs_mode));
		json_object_object_add(h, "TmpfsOptions", sub);
		/* what the OCI mount gets; not shown by docker in .Mounts */
		json_object_object_add(m, "TmpfsSize", json_object_new_int64(r.tmpfs_size));
		json_object_object_add(m, "TmpfsMode", json_object_new_int64(r.tmpfs_mode));
	}
	return 0;
}

static bool mounts_have_dst(json_object *mounts, const char *dst)
{
	_cleanup_free_ char *want = path_clean(dst);

	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		_cleanup_free_ char *have =
			path_clean(json_str(json_object_array_get_idx(mounts, i), "Destination"));
		if (!strcmp(have, want))
			return true;
	}
	return false;
}

/* --volumes-from CTR[:ro|rw]: its binds and volumes (not its tmpfs), unless
 * this container mounts something at the same place itself. */
static int volumes_from(struct engine *e, const char *spec, json_object *mounts,
			struct hk_error **err)
{
	_cleanup_free_ char *ref = xstrdup(spec);
	_cleanup_container_ struct engine_container *src = NULL;
	char *colon = strrchr(ref, ':');
	int mode = -1; /* -1: as in the source container */
	json_object *theirs = NULL;

	if (colon) {
		if (!strcmp(colon + 1, "ro"))
			mode = 0;
		else if (!strcmp(colon + 1, "rw"))
			mode = 1;
		else
			return hk_error_set(err, 0,
					    "--volumes-from %s: invalid mode '%s' (ro or rw)", spec,
					    colon + 1);
		*colon = '\0';
	}
	if (engine_lookup(e, ref, &src, err) < 0)
		return hk_error_wrap(err, "--volumes-from");
	json_object_object_get_ex(src->config, "Mounts", &theirs);
	for (size_t i = 0; theirs && i < json_object_array_length(theirs); i++) {
		json_object *t = json_object_array_get_idx(theirs, i), *m;
		const char *type = json_str(t, "Type");
		if (!str_eq(type, "bind") && !str_eq(type, "volume"))
			continue;
		if (mounts_have_dst(mounts, json_str(t, "Destination")))
			continue;
		m = json_object_new_object();
		json_object_object_foreach(t, k, v)
		{
			if (!strcmp(k, "Anonymous") || !strcmp(k, "NoCopy"))
				continue;
			json_object_object_add(m, k, json_object_get(v));
		}
		if (mode >= 0)
			json_object_object_add(m, "RW", json_object_new_boolean(mode == 1));
		/* the volume has the files already: no copy from this image */
		if (str_eq(type, "volume"))
			json_object_object_add(m, "NoCopy", json_object_new_boolean(true));
		json_object_array_add(mounts, m);
	}
	return 0;
}

/* "HOST[:CONTAINER][:PERMS]" as docker splits it. */
static int parse_device(const char *spec, json_object *devs, struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *parts[3] = {NULL, NULL, NULL}, *save = NULL;
	const char *host, *ctr, *perms = "rwm";
	size_t n = 0;
	struct stat st;
	json_object *d;

	for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return hk_error_set(err, 0, "invalid device specification: %s", spec);
		parts[n++] = t;
	}
	if (n == 0)
		return hk_error_set(err, 0, "invalid device specification: %s", spec);
	host = ctr = parts[0];
	if (n == 2) {
		if (strspn(parts[1], "rwm") == strlen(parts[1]))
			perms = parts[1];
		else
			ctr = parts[1];
	} else if (n == 3) {
		ctr = parts[1];
		perms = parts[2];
	}
	if (!*perms || strspn(perms, "rwm") != strlen(perms))
		return hk_error_set(err, 0, "invalid device mode: %s", perms);
	if (host[0] != '/' || ctr[0] != '/')
		return hk_error_set(err, 0,
				    "invalid device specification: %s (paths must be "
				    "absolute)",
				    spec);
	if (stat(host, &st) < 0)
		return hk_error_errno(err,
				      "error gathering device information while adding custom "
				      "device \"%s\"",
				      host);
	if (S_ISDIR(st.st_mode))
		return hk_error_set(err, 0,
				    "--device %s: a directory of devices is not supported: "
				    "name each device",
				    host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return hk_error_set(err, 0,
				    "error gathering device information while adding custom "
				    "device \"%s\": not a device node",
				    host);
	d = json_object_new_object();
	json_object_object_add(d, "PathOnHost", json_object_new_string(host));
	json_object_object_add(d, "PathInContainer", json_object_new_string(ctr));
	json_object_object_add(d, "CgroupPermissions", json_object_new_string(perms));
	json_object_array_add(devs, d);
	return 0;
}

/* "TYPE MAJOR:MINOR ACCESS" (TYPE a, b or c; numbers or '*'; ACCESS of rwm). */
static int parse_cgroup_rule(const char *rule, char *type, long *major, long *minor, char access[4])
{
	char t, mj[16], mn[16], acc[8];
	char *end;

	if (sscanf(rule, " %c %15[0-9*]:%15[0-9*] %7s", &t, mj, mn, acc) != 4)
		return -1;
	if (!strchr("abc", t) || strspn(acc, "rwm") != strlen(acc) || !*acc || strlen(acc) > 3)
		return -1;
	if (!strcmp(mj, "*")) {
		*major = -1;
	} else {
		*major = strtol(mj, &end, 10);
		if (*end)
			return -1;
	}
	if (!strcmp(mn, "*")) {
		*minor = -1;
	} else {
		*minor = strtol(mn, &end, 10);
		if (*end)
			return -1;
	}
	*type = t;
	memcpy(access, acc, strlen(acc) + 1);
	return 0;
}

int spec_mounts_config(struct engine *e, const struct engine_create_opts *o, json_object *mounts,
		       json_object *hc, struct hk_error **err)
{
	json_object *hmounts = json_object_new_array(), *vf, *devs, *rules;

	size_t first = json_object_array_length(mounts);

	json_object_object_add(hc, "Mounts", hmounts);
	for (char **v = o->mounts; v && *v; v++) {
		if (parse_mount(e, *v, mounts, hmounts, err) < 0)
			return -1;
	}
	/* a --mount at the place of another mount; not among -v's, which the
	 * API's clients (docker-compose) send twice for one volume */
	for (size_t i = first; i < json_object_array_length(mounts); i++) {
		const char *d = json_str(json_object_array_get_idx(mounts, i), "Destination");
		_cleanup_free_ char *ci = path_clean(d);
		for (size_t j = 0; j < i; j++) {
			_cleanup_free_ char *cj = path_clean(
				json_str(json_object_array_get_idx(mounts, j), "Destination"));
			if (!strcmp(ci, cj))
				return hk_error_set(err, 0, "Duplicate mount point: %s", d);
		}
	}
	vf = json_object_new_array();
	json_object_object_add(hc, "VolumesFrom", vf);
	for (char **v = o->volumes_from; v && *v; v++) {
		if (volumes_from(e, *v, mounts, err) < 0)
			return -1;
		json_object_array_add(vf, json_object_new_string(*v));
	}
	devs = json_object_new_array();
	json_object_object_add(hc, "Devices", devs);
	for (char **v = o->devices; v && *v; v++)
		if (parse_device(*v, devs, err) < 0)
			return -1;
	rules = json_object_new_array();
	json_object_object_add(hc, "DeviceCgroupRules", rules);
	for (char **v = o->device_cgroup_rules; v && *v; v++) {
		char t, acc[4];
		long mj, mn;
		if (parse_cgroup_rule(*v, &t, &mj, &mn, acc) < 0)
			return hk_error_set(err, 0,
					    "invalid device cgroup rule '%s': expected 'TYPE "
					    "MAJOR:MINOR ACCESS' (e.g. 'c 1:3 rwm')",
					    *v);
		json_object_array_add(rules, json_object_new_string(*v));
	}
	return 0;
}

static json_object *dev_rule(char type, long major, long minor, const char *access)
{
	json_object *d = json_object_new_object();
	char t[2] = {type, '\0'};

	json_object_object_add(d, "allow", json_object_new_boolean(true));
	json_object_object_add(d, "type", json_object_new_string(t));
	if (major >= 0)
		json_object_object_add(d, "major", json_object_new_int64(major));
	if (minor >= 0)
		json_object_object_add(d, "minor", json_object_new_int64(minor));
	json_object_object_add(d, "access", json_object_new_string(access));
	return d;
}

int spec_mounts_oci(const struct engine_container *c, json_object *spec, struct hk_error **err)
{
	json_object *hc = NULL, *devs = NULL, *rules = NULL, *lnx = NULL, *res = NULL;
	json_object *allow = NULL, *nodes = NULL;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(hc, "Devices", &devs);
	json_object_object_get_ex(hc, "DeviceCgroupRules", &rules);
	if (!json_object_array_length(devs) && !json_object_array_length(rules))
		return 0;
	json_object_object_get_ex(spec, "linux", &lnx);
	json_object_object_get_ex(lnx, "resources", &res);
	if (!json_object_object_get_ex(res, "devices", &allow))
		return hk_error_set(err, 0, "spec: no linux.resources.devices");
	if (!json_object_object_get_ex(lnx, "devices", &nodes)) {
		nodes = json_object_new_array();
		json_object_object_add(lnx, "devices", nodes);
	}
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i), *n;
		const char *host = json_str(d, "PathOnHost");
		struct stat st;
		char type;
		/* numbers of now: a device may have been re-created since create */
		if (stat(host, &st) < 0)
			return hk_error_errno(err,
					      "error gathering device information while adding "
					      "custom device \"%s\"",
					      host);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return hk_error_set(err, 0, "--device %s: not a device node", host);
		type = S_ISCHR(st.st_mode) ? 'c' : 'b';
		n = json_object_new_object();
		json_object_object_add(n, "path",
				       json_object_new_string(json_str(d, "PathInContainer")));
		json_object_object_add(n, "type", json_object_new_string(type == 'c' ? "c" : "b"));
		json_object_object_add(n, "major", json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(n, "minor", json_object_new_int64(minor(st.st_rdev)));
		json_object_object_add(n, "fileMode", json_object_new_int64(st.st_mode & 07777));
		json_object_object_add(n, "uid", json_object_new_int64(st.st_uid));
		json_object_object_add(n, "gid", json_object_new_int64(st.st_gid));
		json_object_array_add(nodes, n);
		json_object_array_add(allow, dev_rule(type, (long)major(st.st_rdev),
						      (long)minor(st.st_rdev),
						      json_str(d, "CgroupPermissions")));
	}
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		char t, acc[4];
		long mj, mn;
		if (parse_cgroup_rule(json_object_get_string(json_object_array_get_idx(rules, i)),
				      &t, &mj, &mn, acc) < 0)
			continue; /* checked at create */
		json_object_array_add(allow, dev_rule(t, mj, mn, acc));
	}
	return 0;
}
