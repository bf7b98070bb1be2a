/* hako: hako load: docker-archive and OCI layouts (tar or directory).
 *
 * A tar is read once, as a stream (stdin works): its regular files are
 * staged under blobs/tmp/load-XXXXXX (inside the store's shared operation
 * lock, so repair leaves them alone; a crash leaves them to the next
 * repair), then the images are registered from the staged files.  A
 * directory is read in place, every path resolved inside it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "image/archive.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#define JSON_MAX      (4u << 20)
#define ENTRIES_MAX   100000
#define LINK_DEPTH    8
#define IMAGES_MAX    1000
#define READ_BUF_SIZE (256u << 10)

struct staged {
	char *name;   /* the entry name, cleaned ("blobs/sha256/ab..") */
	char *target; /* a link: the cleaned name it points to */
	char *file;   /* a regular file: its staged file name */
};

struct arc {
	int dirfd; /* the layout directory, or the staging directory */
	bool tar;
	struct staged *e;
	size_t n;
};

static void arc_free(struct arc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->e[i].name);
		free(a->e[i].target);
		free(a->e[i].file);
	}
	free(a->e);
	if (a->dirfd >= 0)
		close(a->dirfd);
}

/* A relative member name, resolved lexically: "." dropped, ".." pops a
 * component.  NULL for absolute names and names that climb above the
 * archive's top. */
static char *clean_name(const char *name)
{
	char *out = xzalloc(strlen(name) + 1);
	size_t len = 0;

	if (!name[0] || name[0] == '/')
		goto bad;
	for (const char *s = name; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && !strncmp(s, "..", 2)) {
			if (!len)
				goto bad;
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--; /* the slash before it */
		} else if (n && !(n == 1 && s[0] == '.')) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	out[len] = '\0';
	if (!len)
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

static const struct staged *arc_find(struct arc *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->e[i].name, name))
			return &a->e[i];
	return NULL;
}

/* Open an archive member for reading. */
static int arc_open(struct arc *a, const char *name, struct hk_error **err)
{
	_cleanup_free_ char *c = clean_name(name);
	const struct staged *s;
	int fd;

	if (!c)
		return hk_error_set(err, 0, "archive: invalid member name '%.100s'", name);
	if (!a->tar) {
		/* RESOLVE_IN_ROOT: a symlink in the layout cannot leave it;
		 * a FIFO or device node there is refused, never opened */
		_cleanup_close_ int pfd = path_open_in_root(a->dirfd, c, O_PATH, 0, err);
		struct stat st;
		if (pfd < 0)
			return hk_error_wrap(err, "archive member %s", c);
		fd = path_reopen_regular(pfd, O_RDONLY, &st, err);
		if (fd < 0)
			return hk_error_wrap(err, "archive member %s", c);
		return fd;
	}
	for (int depth = 0; depth < LINK_DEPTH; depth++) {
		s = arc_find(a, c);
		if (!s)
			return hk_error_set(err, ENOENT, "archive: no member %s", c);
		if (s->file) {
			fd = openat(a->dirfd, s->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				return hk_error_errno(err, "open staged %s", c);
			return fd;
		}
		free(c);
		c = xstrdup(s->target);
	}
	return hk_error_set(err, ELOOP, "archive: too many links at %s", name);
}

static bool arc_has(struct arc *a, const char *name)
{
	_cleanup_error_ struct hk_error *e = NULL;
	int fd = arc_open(a, name, &e);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int arc_read(struct arc *a, const char *name, size_t max, char **out, size_t *len,
		    struct hk_error **err)
{
	_cleanup_close_ int fd = arc_open(a, name, err);
	char p[32];

	if (fd < 0)
		return -1;
	if (read_file_at(AT_FDCWD, path_fd(fd, p, sizeof(p)), max, out, len, err) < 0)
		return hk_error_wrap(err, "archive member %s", name);
	return 0;
}

static int arc_json(struct arc *a, const char *name, json_object **out, struct hk_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (arc_read(a, name, JSON_MAX, &text, &len, err) < 0)
		return hk_error_wrap(err, "archive member %s", name);
	return json_parse(name, text, len, out, err);
}

/* ---- staging a tar ---- */

static int stage_entry(struct arc *a, struct archive *ar, struct archive_entry *e,
		       struct hk_error **err)
{
	_cleanup_free_ char *name = clean_name(archive_entry_pathname(e));
	_cleanup_free_ char *buf = NULL, *file = NULL;
	_cleanup_close_ int fd = -1;
	const char *link;
	struct staged *s;
	mode_t type = archive_entry_filetype(e);

	if (!name) {
		const char *raw = archive_entry_pathname(e);
		if (raw && (!strcmp(raw, ".") || !strcmp(raw, "./")))
			return 0;
		return hk_error_set(err, 0,
				    "archive: refusing member '%.100s' (absolute or "
				    "outside the archive)",
				    raw ? raw : "");
	}
	if (type == AE_IFDIR)
		return 0;
	if (a->n >= ENTRIES_MAX)
		return hk_error_set(err, 0, "archive: more than %d members", ENTRIES_MAX);
	link = archive_entry_hardlink(e);
	if (!link && type == AE_IFLNK)
		link = archive_entry_symlink(e);
	if (link) {
		_cleanup_free_ char *joined = NULL;
		char *slash;
		if (archive_entry_hardlink(e)) {
			joined = xstrdup(link); /* hard links name a member */
		} else if (link[0] == '/') {
			return hk_error_set(err, 0, "archive: %s: absolute link target '%.100s'",
					    name, link);
		} else {
			joined = xstrdup(name);
			slash = strrchr(joined, '/');
			if (slash) {
				slash[1] = '\0';
				char *j = xasprintf("%s%s", joined, link);
				free(joined);
				joined = j;
			} else {
				free(joined);
				joined = xstrdup(link);
			}
		}
		_cleanup_free_ char *target = clean_name(joined);
		if (!target)
			return hk_error_set(err, 0,
					    "archive: %s: link target '%.100s' leaves "
					    "the archive",
					    name, link);
		a->e = xrealloc(a->e, (a->n + 1) * sizeof(*a->e));
		a->e[a->n++] =
			(struct staged){.name = steal_ptr(&name), .target = steal_ptr(&target)};
		return 0;
	}
	if (type != AE_IFREG)
		return 0; /* devices, fifos: not part of any image format */
	file = xasprintf("%zu", a->n);
	fd = openat(a->dirfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hk_error_errno(err, "stage %s", name);
	buf = xmalloc(READ_BUF_SIZE);
	for (;;) {
		la_ssize_t n = archive_read_data(ar, buf, READ_BUF_SIZE);
		if (n == 0)
			break;
		if (n < 0)
			return hk_error_set(err, 0, "archive: %s: %s", name,
					    archive_error_string(ar));
		if (write_all(fd, buf, (size_t)n) < 0)
			return hk_error_errno(err, "stage %s", name);
	}
	/* a later member of the same name replaces the earlier, as tar does */
	for (size_t i = 0; i < a->n; i++) {
		if (!strcmp(a->e[i].name, name)) {
			s = &a->e[i];
			free(s->target);
			free(s->file);
			s->target = NULL;
			s->file = steal_ptr(&file);
			return 0;
		}
	}
	a->e = xrealloc(a->e, (a->n + 1) * sizeof(*a->e));
	a->e[a->n++] = (struct staged){.name = steal_ptr(&name), .file = steal_ptr(&file)};
	return 0;
}

static int stage_tar(struct arc *a, int in, struct hk_error **err)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int r, rc = 0;

	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_gnutar(ar);
	if (archive_read_open_fd(ar, in, READ_BUF_SIZE) != ARCHIVE_OK) {
		rc = hk_error_set(err, 0, "archive: %s", archive_error_string(ar));
		goto out;
	}
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (stage_entry(a, ar, e, err) < 0) {
			rc = -1;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = hk_error_set(err, 0, "archive: %s", archive_error_string(ar));
	else if (a->n == 0)
		rc = hk_error_set(err, 0, "archive: empty or not a tar");
out:
	archive_read_free(ar);
	return rc;
}

/* ---- registering images ---- */

static void add_loaded(struct archive_loaded **out, size_t *n, const char *id, char **tags)
{
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	snprintf((*out)[*n].id, DIGEST_BUF, "%s", id);
	(*out)[*n].tags = tags ? tags : xzalloc(sizeof(char *));
	(*n)++;
}

void archive_loaded_free(struct archive_loaded *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strv_free(l[i].tags);
	free(l);
}

/* Put member name into the store, verified against expected (may be NULL). */
static int put_member(struct image_store *store, struct arc *a, const char *name,
		      const char *expected, int64_t size, char out[DIGEST_BUF],
		      struct hk_error **err)
{
	_cleanup_close_ int fd = arc_open(a, name, err);

	if (fd < 0)
		return -1;
	if (store_blob_put_fd(store, fd, expected, size, out, NULL, err) < 0)
		return hk_error_wrap(err, "archive member %s", name);
	return 0;
}

static int blob_member(const char *digest, char **name, struct hk_error **err)
{
	if (!digest_valid(digest))
		return hk_error_set(err, 0, "invalid digest '%.80s'", digest ? digest : "");
	*name = xasprintf("blobs/sha256/%s", digest + DIGEST_HEX_START);
	return 0;
}

static int load_oci_manifest(struct image_store *store, struct arc *a, const char *mdigest,
			     int64_t msize, char **tags, struct archive_loaded **out, size_t *n,
			     int depth, struct hk_error **err);

/* From a nested index, the manifest of this host's platform
 * (image_host_platform(): linux/arm64 on aarch64), else the only manifest. */
static int load_oci_index(struct image_store *store, struct arc *a, json_object *doc, char **tags,
			  struct archive_loaded **out, size_t *n, int depth, struct hk_error **err)
{
	json_object *mans = NULL;
	const char *want_os, *want, *want_variant;
	int pick = -1;
	size_t cnt;

	image_host_platform(&want_os, &want, &want_variant);
	if (json_get_array(doc, "index", "manifests", &mans, err) < 0)
		return -1;
	cnt = mans ? json_object_array_length(mans) : 0;
	for (size_t i = 0; i < cnt && pick < 0; i++) {
		json_object *m = json_object_array_get_idx(mans, i), *p = NULL;
		const char *os = NULL, *arch = NULL, *variant = NULL;
		if (json_get_object(m, "index", "platform", &p, err) < 0 ||
		    json_get_string(p, "platform", "os", &os, err) < 0 ||
		    json_get_string(p, "platform", "architecture", &arch, err) < 0 ||
		    json_get_string(p, "platform", "variant", &variant, err) < 0)
			return -1;
		if (os && arch && !strcmp(os, want_os) && !strcmp(arch, want) &&
		    (!variant || !want_variant || !strcmp(variant, want_variant)))
			pick = (int)i;
	}
	if (pick < 0 && cnt == 1)
		pick = 0;
	if (pick < 0)
		return hk_error_set(err, 0, "index: no manifest for %s/%s", want_os, want);
	json_object *m = json_object_array_get_idx(mans, (size_t)pick);
	const char *d = NULL;
	int64_t size = -1;
	if (json_get_string(m, "index", "digest", &d, err) < 0 ||
	    json_get_int64(m, "index", "size", &size, err) < 0)
		return -1;
	return load_oci_manifest(store, a, d, size, tags, out, n, depth + 1, err);
}

static int load_oci_manifest(struct image_store *store, struct arc *a, const char *mdigest,
			     int64_t msize, char **tags, struct archive_loaded **out, size_t *n,
			     int depth, struct hk_error **err)
{
	_cleanup_free_ char *mname = NULL, *body = NULL, *cname = NULL, *config = NULL;
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ struct image_commit_layer *cl = NULL;
	_cleanup_free_ char *layer_digests = NULL;
	json_object *cfg = NULL, *layers = NULL;
	const char *mt = NULL, *cdigest = NULL;
	char got[DIGEST_BUF], id[DIGEST_BUF];
	struct image_commit c = {0};
	size_t len, clen, nl;

	if (depth > 2)
		return hk_error_set(err, 0, "index: nested too deep");
	if (blob_member(mdigest, &mname, err) < 0)
		return -1;
	if (arc_read(a, mname, JSON_MAX, &body, &len, err) < 0)
		return -1;
	digest_buffer(body, len, got);
	if (strcmp(got, mdigest))
		return hk_error_set(err, 0, "manifest %s: digest mismatch (got %s)", mdigest, got);
	if (msize >= 0 && (size_t)msize != len)
		return hk_error_set(err, 0, "manifest %s: size %zu, index says %lld", mdigest, len,
				    (long long)msize);
	if (json_parse(mname, body, len, &doc, err) < 0 ||
	    json_get_string(doc, "manifest", "mediaType", &mt, err) < 0)
		return -1;
	if (mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
		   !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json")))
		return load_oci_index(store, a, doc, tags, out, n, depth, err);
	if (json_get_object(doc, "manifest", "config", &cfg, err) < 0 ||
	    json_get_array(doc, "manifest", "layers", &layers, err) < 0 ||
	    json_get_string(cfg, "manifest.config", "digest", &cdigest, err) < 0)
		return -1;
	if (!cfg || !layers)
		return hk_error_set(err, 0, "manifest %s: no config or layers", mdigest);
	if (blob_member(cdigest, &cname, err) < 0 ||
	    arc_read(a, cname, JSON_MAX, &config, &clen, err) < 0)
		return hk_error_wrap(err, "manifest %s: config", mdigest);
	digest_buffer(config, clen, got);
	if (strcmp(got, cdigest))
		return hk_error_set(err, 0, "config %s: digest mismatch (got %s)", cdigest, got);
	nl = json_object_array_length(layers);
	if (nl > 1024)
		return hk_error_set(err, 0, "manifest %s: too many layers", mdigest);
	cl = xzalloc(sizeof(*cl) * (nl + 1));
	layer_digests = xzalloc(nl * DIGEST_BUF + 1);
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		_cleanup_free_ char *lname = NULL;
		const char *ld = NULL, *lmt = NULL;
		int64_t lsize = -1;
		char ctx[40];

		snprintf(ctx, sizeof(ctx), "manifest.layers[%zu]", i);
		if (json_get_string(l, ctx, "digest", &ld, err) < 0 ||
		    json_get_string(l, ctx, "mediaType", &lmt, err) < 0 ||
		    json_get_int64(l, ctx, "size", &lsize, err) < 0 ||
		    blob_member(ld, &lname, err) < 0)
			return -1;
		if (put_member(store, a, lname, ld, lsize, got, err) < 0)
			return -1;
		memcpy(layer_digests + i * DIGEST_BUF, ld, DIGEST_BUF - 1);
		cl[i] = (struct image_commit_layer){.blob_digest = layer_digests + i * DIGEST_BUF,
						    .blob_size = lsize,
						    .media_type = lmt};
	}
	c = (struct image_commit){.config_json = config,
				  .config_len = clen,
				  .manifest_json = body,
				  .manifest_len = len,
				  .layers = cl,
				  .n_layers = nl,
				  .tags = (const char *const *)tags};
	if (image_commit(store, &c, id, err) < 0)
		return hk_error_wrap(err, "image %s", mdigest);
	add_loaded(out, n, id, strv_dup(tags));
	return 0;
}

/* The name of an index entry: org.opencontainers.image.ref.name when it is
 * a full reference (has '/' or ':'), else io.containerd.image.name; a bare
 * tag ("latest", as skopeo writes for oci:DIR:latest) names nothing. */
static char **entry_tags(json_object *m, struct hk_error **err)
{
	json_object *ann = NULL;
	const char *rn = NULL, *cn = NULL;
	char **tags = NULL;

	if (json_get_object(m, "index", "annotations", &ann, err) < 0 ||
	    json_get_string(ann, "annotations", "org.opencontainers.image.ref.name", &rn, err) <
		    0 ||
	    json_get_string(ann, "annotations", "io.containerd.image.name", &cn, err) < 0)
		return NULL;
	if (rn && strpbrk(rn, "/:"))
		strv_push(&tags, rn);
	else if (cn)
		strv_push(&tags, cn);
	return tags;
}

static int load_oci(struct image_store *store, struct arc *a, struct archive_loaded **out,
		    size_t *n, struct hk_error **err)
{
	_cleanup_json_ json_object *index = NULL;
	json_object *mans = NULL;
	size_t cnt;

	if (arc_json(a, "index.json", &index, err) < 0 ||
	    json_get_array(index, "index.json", "manifests", &mans, err) < 0)
		return -1;
	cnt = mans ? json_object_array_length(mans) : 0;
	if (!cnt)
		return hk_error_set(err, 0, "index.json: no manifests");
	if (cnt > IMAGES_MAX)
		return hk_error_set(err, 0, "index.json: too many manifests");
	for (size_t i = 0; i < cnt; i++) {
		json_object *m = json_object_array_get_idx(mans, i);
		_cleanup_strv_ char **tags = NULL;
		const char *d = NULL;
		int64_t size = -1;
		char ctx[40];

		snprintf(ctx, sizeof(ctx), "index.json: manifests[%zu]", i);
		if (json_get_string(m, ctx, "digest", &d, err) < 0 ||
		    json_get_int64(m, ctx, "size", &size, err) < 0)
			return -1;
		tags = entry_tags(m, err);
		if (*err)
			return -1;
		if (load_oci_manifest(store, a, d, size, tags, out, n, 0, err) < 0)
			return hk_error_wrap(err, "%s", ctx);
	}
	return 0;
}

static int load_docker(struct image_store *store, struct arc *a, struct archive_loaded **out,
		       size_t *n, struct hk_error **err)
{
	_cleanup_json_ json_object *man = NULL;
	size_t cnt;

	if (arc_json(a, "manifest.json", &man, err) < 0)
		return -1;
	if (!json_object_is_type(man, json_type_array))
		return hk_error_set(err, 0, "manifest.json: expected an array");
	cnt = json_object_array_length(man);
	if (!cnt || cnt > IMAGES_MAX)
		return hk_error_set(err, 0, "manifest.json: %zu images", cnt);
	for (size_t i = 0; i < cnt; i++) {
		json_object *ent = json_object_array_get_idx(man, i), *layers = NULL;
		_cleanup_strv_ char **tags = NULL;
		_cleanup_free_ char *config = NULL, *digests = NULL;
		_cleanup_free_ struct image_commit_layer *cl = NULL;
		const char *cfgname = NULL;
		struct image_commit c = {0};
		char ctx[48], id[DIGEST_BUF];
		size_t clen, nl;

		snprintf(ctx, sizeof(ctx), "manifest.json[%zu]", i);
		if (json_get_string(ent, ctx, "Config", &cfgname, err) < 0 ||
		    json_get_strv(ent, ctx, "RepoTags", &tags, err) < 0 ||
		    json_get_array(ent, ctx, "Layers", &layers, err) < 0)
			return -1;
		if (!cfgname || !layers)
			return hk_error_set(err, 0, "%s: no Config or Layers", ctx);
		if (arc_read(a, cfgname, JSON_MAX, &config, &clen, err) < 0)
			return hk_error_wrap(err, "%s: Config", ctx);
		nl = json_object_array_length(layers);
		if (nl > 1024)
			return hk_error_set(err, 0, "%s: too many layers", ctx);
		cl = xzalloc(sizeof(*cl) * (nl + 1));
		digests = xzalloc(nl * DIGEST_BUF + 1);
		for (size_t l = 0; l < nl; l++) {
			json_object *lo = json_object_array_get_idx(layers, l);
			if (!json_object_is_type(lo, json_type_string))
				return hk_error_set(err, 0, "%s.Layers[%zu]: expected a string",
						    ctx, l);
			/* the layer's digest is what we compute: docker-archive
			 * names layers by path; image_commit checks the diff IDs
			 * against the config */
			if (put_member(store, a, json_object_get_string(lo), NULL, -1,
				       digests + l * DIGEST_BUF, err) < 0)
				return -1;
			cl[l] = (struct image_commit_layer){.blob_digest = digests + l * DIGEST_BUF,
							    .blob_size = -1};
		}
		c = (struct image_commit){.config_json = config,
					  .config_len = clen,
					  .layers = cl,
					  .n_layers = nl,
					  .tags = (const char *const *)tags};
		if (image_commit(store, &c, id, err) < 0)
			return hk_error_wrap(err, "%s", ctx);
		add_loaded(out, n, id, steal_ptr(&tags));
	}
	return 0;
}

int archive_load(struct image_store *store, const char *path, struct archive_loaded **out,
		 size_t *n, struct hk_error **err)
{
	struct arc a = {.dirfd = -1};
	_cleanup_free_ char *stage = NULL;
	_cleanup_close_ int in = -1;
	struct stat st;
	bool op = false;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (path && strcmp(path, "-")) {
		in = open(path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return hk_error_errno(err, "open %s", path);
	} else {
		in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (in < 0)
			return hk_error_errno(err, "stdin");
	}
	if (fstat(in, &st) < 0)
		return hk_error_errno(err, "stat %s", path);
	if (image_store_op_begin(store, err) < 0)
		return -1;
	op = true;
	if (S_ISDIR(st.st_mode)) {
		a.dirfd = steal_fd(&in);
	} else {
		stage = xasprintf("%s/blobs/tmp/load-XXXXXX", store->root);
		if (!mkdtemp(stage)) {
			hk_error_errno(err, "create %s", stage);
			free(stage);
			stage = NULL;
			goto out;
		}
		a.tar = true;
		a.dirfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (a.dirfd < 0) {
			hk_error_errno(err, "open %s", stage);
			goto out;
		}
		if (stage_tar(&a, in, err) < 0)
			goto out;
	}
	if (arc_has(&a, "index.json") && arc_has(&a, "oci-layout"))
		rc = load_oci(store, &a, out, n, err);
	else if (arc_has(&a, "manifest.json"))
		rc = load_docker(store, &a, out, n, err);
	else
		rc = hk_error_set(err, 0,
				  "neither an OCI layout (index.json, oci-layout) nor a "
				  "docker archive (manifest.json)");
out:
	arc_free(&a);
	if (stage) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		rm_rf(stage, &e2);
	}
	if (op)
		image_store_op_end(store);
	if (rc < 0) {
		archive_loaded_free(*out, *n);
		*out = NULL;
		*n = 0;
		hk_error_wrap(err, "load %s", path && strcmp(path, "-") ? path : "from stdin");
	}
	return rc;
}
