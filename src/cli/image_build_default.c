/* hako image build-default: the busybox image, made offline from the host's
 * static busybox (Debian's busybox-static): one uncompressed layer with
 * /bin/busybox, its applet links and a minimal /etc, every mtime set to the
 * binary's, so the same binary always gives the same image id. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/image_common.h"
#include "image/image.h"
#include "util/json.h"
#include "util/util.h"

#define DEFAULT_REF	 "docker.io/library/busybox:latest"
#define DEFAULT_BUSYBOX	 "/bin/busybox"
#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct tarw {
	struct archive *a;
	time_t mtime;
};

static int tar_add(struct tarw *t, const char *path, mode_t type, mode_t perm, const char *link,
		   const void *data, size_t len, struct hk_error **err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, t->mtime, 0);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(t->a, data, len) != (la_ssize_t)len))
		r = hk_error_set(err, 0, "tar %s: %s", path, archive_error_string(t->a));
	archive_entry_free(e);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "usr/bin/awk" and so on, sorted for a stable tar. */
static int applet_list(const char *busybox, char ***out, struct hk_error **err)
{
	_cleanup_free_ char *cmd = xasprintf("'%s' --list-full", busybox);
	_cleanup_strv_ char **v = xzalloc(sizeof(char *));
	char line[512];
	FILE *p;
	int st;

	if (strchr(busybox, '\''))
		return hk_error_set(err, EINVAL, "bad busybox path %s", busybox);
	p = popen(cmd, "re");
	if (!p)
		return hk_error_errno(err, "run %s", busybox);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || strstr(line, "..") || line[0] == '/' ||
		    str_has_suffix(line, "/busybox"))
			continue;
		strv_push(&v, line);
	}
	st = pclose(p);
	if (st != 0 || strv_len(v) == 0)
		return hk_error_set(err, 0, "%s --list-full failed: is it busybox?", busybox);
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	*out = steal_ptr(&v);
	return 0;
}

/* The layer as an uncompressed tar in a memfd. */
static int build_layer(const char *busybox, time_t mtime, int *out, struct hk_error **err)
{
	static const struct {
		const char *path;
		mode_t perm;
	} dirs[] = {{"bin", 0755},	{"dev", 0755},	{"etc", 0755},	     {"home", 0755},
		    {"proc", 0555},	{"root", 0700}, {"run", 0755},	     {"sbin", 0755},
		    {"sys", 0555},	{"tmp", 01777}, {"usr", 0755},	     {"usr/bin", 0755},
		    {"usr/sbin", 0755}, {"var", 0755},	{"var/spool", 0755}, {"var/tmp", 01777},
		    {"var/www", 0755}};
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
				     "bin:x:2:2:bin:/bin:/bin/false\n"
				     "sys:x:3:3:sys:/dev:/bin/false\n"
				     "www-data:x:33:33:www-data:/var/www:/bin/false\n"
				     "nobody:x:65534:65534:nobody:/home:/bin/false\n";
	static const char group[] = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\n"
				    "tty:x:5:\nwww-data:x:33:\nusers:x:100:\nnogroup:x:65534:\n";
	static const char hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n";
	_cleanup_strv_ char **applets = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_close_ int fd = -1;
	struct tarw t = {.mtime = mtime};
	size_t len;
	int r = -1;

	if (applet_list(busybox, &applets, err) < 0)
		return -1;
	if (read_file_at(AT_FDCWD, busybox, 64 << 20, &bin, &len, err) < 0)
		return -1;
	fd = memfd_create("hako-busybox-layer", MFD_CLOEXEC);
	if (fd < 0)
		return hk_error_errno(err, "memfd_create");
	t.a = archive_write_new();
	archive_write_set_format_pax_restricted(t.a);
	archive_write_add_filter_none(t.a);
	archive_write_set_bytes_in_last_block(t.a, 1);
	if (archive_write_open_fd(t.a, fd) != ARCHIVE_OK) {
		hk_error_set(err, 0, "tar: %s", archive_error_string(t.a));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (tar_add(&t, dirs[i].path, AE_IFDIR, dirs[i].perm, NULL, NULL, 0, err) < 0)
			goto out;
	if (tar_add(&t, "bin/busybox", AE_IFREG, 0755, NULL, bin, len, err) < 0 ||
	    tar_add(&t, "etc/passwd", AE_IFREG, 0644, NULL, passwd, strlen(passwd), err) < 0 ||
	    tar_add(&t, "etc/group", AE_IFREG, 0644, NULL, group, strlen(group), err) < 0 ||
	    tar_add(&t, "etc/hosts", AE_IFREG, 0644, NULL, hosts, strlen(hosts), err) < 0 ||
	    tar_add(&t, "etc/hostname", AE_IFREG, 0644, NULL, "busybox\n", 8, err) < 0)
		goto out;
	for (char **a = applets; *a; a++) {
		/* Every applet is a link to the one binary; it reads argv[0]. */
		if (tar_add(&t, *a, AE_IFLNK, 0777, "/bin/busybox", NULL, 0, err) < 0)
			goto out;
	}
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		hk_error_set(err, 0, "tar: %s", archive_error_string(t.a));
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		hk_error_errno(err, "lseek");
		goto out;
	}
	*out = steal_fd(&fd);
	r = 0;
out:
	archive_write_free(t.a);
	return r;
}

static char *make_config(const char *diff_id, time_t mtime, const char *busybox)
{
	_cleanup_json_ json_object *c = json_object_new_object();
	json_object *cfg = json_object_new_object(), *env = json_object_new_array(),
		    *cmd = json_object_new_array(), *rootfs = json_object_new_object(),
		    *ids = json_object_new_array(), *hist = json_object_new_array(),
		    *h = json_object_new_object();
	char created[32];
	struct tm tm;
	_cleanup_free_ char *by = xasprintf("hako image build-default (from %s)", busybox);

	gmtime_r(&mtime, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(c, "created", json_object_new_string(created));
	image_config_set_platform(c);
	json_object_array_add(env, json_object_new_string(DEFAULT_PATH_ENV));
	json_object_object_add(cfg, "Env", env);
	json_object_array_add(cmd, json_object_new_string("sh"));
	json_object_object_add(cfg, "Cmd", cmd);
	json_object_object_add(c, "config", cfg);
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_array_add(ids, json_object_new_string(diff_id));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(c, "rootfs", rootfs);
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "created_by", json_object_new_string(by));
	json_object_array_add(hist, h);
	json_object_object_add(c, "history", hist);
	return json_to_string(c, false);
}

static int build_default_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"busybox", required_argument, NULL, 'b'},
					     {"tag", required_argument, NULL, 't'},
					     {"quiet", no_argument, NULL, 'q'},
					     {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *config = NULL;
	const char *busybox = getenv("HAKO_BUSYBOX") ? getenv("HAKO_BUSYBOX") : DEFAULT_BUSYBOX;
	const char *tag = DEFAULT_REF;
	char blob[DIGEST_BUF], id[DIGEST_BUF];
	bool quiet = false;
	struct stat st;
	int c;

	while ((c = getopt_long(argc, argv, "+b:t:q", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			busybox = optarg;
			break;
		case 't':
			tag = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return 125;
		}
	}
	if (optind != argc)
		return hk_error_set(err, EINVAL, "build-default takes no arguments");
	if (stat(busybox, &st) < 0)
		return hk_error_errno(err, "%s (install Debian's busybox-static)", busybox);
	if (cli_image_store(&s, err) < 0)
		return -1;
	if (build_layer(busybox, st.st_mtime, &fd, err) < 0)
		return hk_error_wrap(err, "build the busybox layer");
	/* Uncompressed: the blob digest is the diff ID. */
	if (store_blob_put_fd(s, fd, NULL, -1, blob, NULL, err) < 0)
		return -1;
	config = make_config(blob, st.st_mtime, busybox);
	{
		const char *tags[] = {tag, NULL};
		struct image_commit_layer layer = {
			.blob_digest = blob, .blob_size = -1, .media_type = IMAGE_MEDIA_LAYER_TAR};
		struct image_commit ci = {.config_json = config,
					  .config_len = strlen(config),
					  .layers = &layer,
					  .n_layers = 1,
					  .tags = tags};
		if (image_commit(s, &ci, id, err) < 0)
			return -1;
	}
	if (quiet)
		printf("%s\n", id);
	else
		printf("%s: %s\n", tag, id);
	return 0;
}

static const struct hk_command cmd_build_default = {
	.name = "image build-default",
	.usage = "image build-default [--busybox PATH] [-t REF] [-q]",
	.summary = "Build the busybox image from the host's static busybox",
	.help = "  -b, --busybox PATH  the static busybox to use (default /bin/busybox,\n"
		"                      or $HAKO_BUSYBOX)\n"
		"  -t, --tag REF       the name to give it (default busybox:latest)\n"
		"  -q, --quiet         print only the image id\n",
	.run = build_default_run,
};
HK_COMMAND(hako, cmd_build_default);
