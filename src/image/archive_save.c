/* hako: hako save: docker-archive, OCI archive and OCI layout directory. */
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

#define COPY_BUF (256u << 10)

int archive_format_parse(const char *s, enum archive_format *out, struct hk_error **err)
{
	if (!strcmp(s, "docker-archive") || !strcmp(s, "docker"))
		*out = ARCHIVE_DOCKER;
	else if (!strcmp(s, "oci-archive") || !strcmp(s, "oci"))
		*out = ARCHIVE_OCI;
	else if (!strcmp(s, "oci-dir"))
		*out = ARCHIVE_OCI_DIR;
	else
		return hk_error_set(
			err, 0, "--format: '%s' is not docker-archive, oci-archive or oci-dir", s);
	return 0;
}

char *archive_image_manifest(const struct image *img)
{
	_cleanup_json_ json_object *m = NULL;
	json_object *cfg, *layers;

	if (img->manifest_json)
		return xstrdup(img->manifest_json);
	m = json_object_new_object();
	cfg = json_object_new_object();
	layers = json_object_new_array();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(IMAGE_MEDIA_MANIFEST_OCI));
	json_object_object_add(cfg, "mediaType", json_object_new_string(IMAGE_MEDIA_CONFIG_OCI));
	json_object_object_add(cfg, "digest", json_object_new_string(img->id));
	json_object_object_add(cfg, "size",
			       json_object_new_int64((int64_t)strlen(img->config_json)));
	json_object_object_add(m, "config", cfg);
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct image_layer *l = &img->layers[i];
		json_object *d = json_object_new_object();
		json_object_object_add(d, "mediaType",
				       json_object_new_string(l->media_type
								      ? l->media_type
								      : IMAGE_MEDIA_LAYER_TAR));
		json_object_object_add(d, "digest", json_object_new_string(l->blob_digest));
		json_object_object_add(d, "size", json_object_new_int64(l->blob_size));
		json_object_array_add(layers, d);
	}
	json_object_object_add(m, "layers", layers);
	return json_to_string(m, false);
}

/* ---- a tar being written ---- */

struct tarw {
	struct archive *a;
};

static int tar_err(struct tarw *t, struct hk_error **err, const char *what)
{
	return hk_error_set(err, archive_errno(t->a) > 0 ? archive_errno(t->a) : 0, "%s: %s", what,
			    archive_error_string(t->a) ? archive_error_string(t->a) : "error");
}

static int tar_header(struct tarw *t, const char *name, int64_t size, bool dir,
		      struct hk_error **err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return tar_err(t, err, name);
	return 0;
}

static int tar_add_buf(struct tarw *t, const char *name, const void *buf, size_t len,
		       struct hk_error **err)
{
	if (tar_header(t, name, (int64_t)len, false, err) < 0)
		return -1;
	if (len && archive_write_data(t->a, buf, len) != (la_ssize_t)len)
		return tar_err(t, err, name);
	return 0;
}

static int tar_add_fd(struct tarw *t, const char *name, int fd, struct hk_error **err)
{
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	struct stat st;
	int64_t left;

	if (fstat(fd, &st) < 0)
		return hk_error_errno(err, "stat %s", name);
	if (tar_header(t, name, st.st_size, false, err) < 0)
		return -1;
	for (left = st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < COPY_BUF ? (size_t)left : COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? hk_error_errno(err, "read %s", name)
				     : hk_error_set(err, EIO, "%s: file shrank", name);
		if (archive_write_data(t->a, buf, (size_t)n) != n)
			return tar_err(t, err, name);
		left -= n;
	}
	return 0;
}

/* ---- the output: a tar or a directory ---- */

struct out {
	enum archive_format fmt;
	struct tarw tar;
	int dirfd;	/* ARCHIVE_OCI_DIR */
	char **written; /* names already written (a blob shared by two images) */
};

static bool out_seen(struct out *o, const char *name)
{
	for (char **p = o->written; p && *p; p++)
		if (!strcmp(*p, name))
			return true;
	strv_push(&o->written, name);
	return false;
}

static int out_buf(struct out *o, const char *name, const void *buf, size_t len,
		   struct hk_error **err)
{
	if (o->fmt != ARCHIVE_OCI_DIR)
		return tar_add_buf(&o->tar, name, buf, len, err);
	if (write_file_at(o->dirfd, name, buf, len, 0644, err) < 0)
		return -1;
	return 0;
}

static int out_blob(struct out *o, struct image_store *store, const char *digest,
		    struct hk_error **err)
{
	_cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest + DIGEST_HEX_START);
	_cleanup_close_ int fd = -1, dst = -1;
	struct stat st;

	if (out_seen(o, name))
		return 0;
	fd = store_blob_open(store, digest, err);
	if (fd < 0)
		return -1;
	if (o->fmt != ARCHIVE_OCI_DIR)
		return tar_add_fd(&o->tar, name, fd, err);
	if (faccessat(o->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* content-addressed: what is there is the same */
	if (fstat(fd, &st) < 0)
		return hk_error_errno(err, "stat blob %s", digest);
	dst = openat(o->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (dst < 0)
		return hk_error_errno(err, "create %s", name);
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(fd, NULL, dst, NULL, (size_t)left, 0);
		if (n <= 0)
			return hk_error_errno(err, "copy blob %s", digest);
		left -= n;
	}
	return 0;
}

/* ---- the images to save ---- */

struct item {
	struct image *img;
	char **refs; /* full references to name it by */
};

static int collect(struct image_store *store, char *const *names, size_t n, struct item *items,
		   struct hk_error **err)
{
	for (size_t i = 0; i < n; i++) {
		struct image_ref ref;
		_cleanup_error_ struct hk_error *e2 = NULL;

		if (image_lookup(store, names[i], &items[i].img, err) < 0)
			return -1;
		/* a name that is a tag of the image names it in the archive; an id
		 * saves the image untagged, like docker */
		if (image_ref_parse(names[i], &ref, &e2) == 0) {
			_cleanup_free_ char *full = NULL, *nm = image_ref_name(&ref);
			if (ref.tag)
				full = xasprintf("%s:%s", nm, ref.tag);
			for (char **t = items[i].img->tags; full && t && *t; t++)
				if (!strcmp(*t, full))
					strv_push(&items[i].refs, full);
			image_ref_free(&ref);
		}
	}
	return 0;
}

/* ---- OCI layout ---- */

static int save_oci(struct out *o, struct image_store *store, struct item *items, size_t n,
		    struct hk_error **err)
{
	_cleanup_json_ json_object *index = json_object_new_object();
	json_object *mans = json_object_new_array();
	_cleanup_free_ char *idx = NULL;
	const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";

	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType",
			       json_object_new_string("application/vnd.oci.image.index.v1+json"));
	json_object_object_add(index, "manifests", mans);
	if (o->fmt == ARCHIVE_OCI_DIR) {
		if (mkdirat(o->dirfd, "blobs", 0755) < 0 && errno != EEXIST)
			return hk_error_errno(err, "mkdir blobs");
		if (mkdirat(o->dirfd, "blobs/sha256", 0755) < 0 && errno != EEXIST)
			return hk_error_errno(err, "mkdir blobs/sha256");
	} else if (tar_header(&o->tar, "blobs", 0, true, err) < 0 ||
		   tar_header(&o->tar, "blobs/sha256", 0, true, err) < 0) {
		return -1;
	}
	if (out_buf(o, "oci-layout", layout, strlen(layout), err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct image *img = items[i].img;
		_cleanup_free_ char *man = archive_image_manifest(img);
		char mdigest[DIGEST_BUF];
		_cleanup_json_ json_object *mdoc = NULL;
		const char *mt = IMAGE_MEDIA_MANIFEST_OCI;
		size_t nrefs = strv_len(items[i].refs);

		digest_buffer(man, strlen(man), mdigest);
		if (json_parse("manifest", man, strlen(man), &mdoc, err) < 0 ||
		    json_get_string(mdoc, "manifest", "mediaType", &mt, err) < 0)
			return -1;
		if (!mt)
			mt = IMAGE_MEDIA_MANIFEST_OCI;
		for (size_t l = 0; l < img->n_layers; l++)
			if (out_blob(o, store, img->layers[l].blob_digest, err) < 0)
				return -1;
		if (out_blob(o, store, img->id, err) < 0)
			return -1;
		if (!out_seen(o, mdigest)) {
			_cleanup_free_ char *name =
				xasprintf("blobs/sha256/%s", mdigest + DIGEST_HEX_START);
			if (out_buf(o, name, man, strlen(man), err) < 0)
				return -1;
		}
		/* one index entry per name (or one unnamed entry) */
		for (size_t r = 0; r < (nrefs ? nrefs : 1); r++) {
			json_object *d = json_object_new_object();
			json_object_object_add(d, "mediaType", json_object_new_string(mt));
			json_object_object_add(d, "digest", json_object_new_string(mdigest));
			json_object_object_add(d, "size",
					       json_object_new_int64((int64_t)strlen(man)));
			if (nrefs) {
				json_object *ann = json_object_new_object();
				json_object_object_add(ann, "org.opencontainers.image.ref.name",
						       json_object_new_string(items[i].refs[r]));
				json_object_object_add(ann, "io.containerd.image.name",
						       json_object_new_string(items[i].refs[r]));
				json_object_object_add(d, "annotations", ann);
			}
			json_object_array_add(mans, d);
		}
	}
	idx = json_to_string(index, false);
	return out_buf(o, "index.json", idx, strlen(idx), err);
}

/* ---- docker-archive ---- */

/* Decompress a layer blob (gzip, zstd or plain tar) into an unnamed temp
 * file: a tar header needs the size before the data. */
static int layer_tar_fd(struct image_store *store, const char *digest, int tmpdir,
			struct hk_error **err)
{
	_cleanup_close_ int in = -1, out = -1;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	struct archive *a;
	struct archive_entry *e;
	int rc = 0;

	in = store_blob_open(store, digest, err);
	if (in < 0)
		return -1;
	out = openat(tmpdir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0)
		return hk_error_errno(err, "temp file for layer %s", digest);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, in, COPY_BUF) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = hk_error_set(err, 0, "layer %s: %s", digest, archive_error_string(a));
		goto out;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
		if (n == 0)
			break;
		if (n < 0) {
			rc = hk_error_set(err, 0, "layer %s: %s", digest, archive_error_string(a));
			goto out;
		}
		if (write_all(out, buf, (size_t)n) < 0) {
			rc = hk_error_errno(err, "write layer %s", digest);
			goto out;
		}
	}
	if (lseek(out, 0, SEEK_SET) < 0)
		rc = hk_error_errno(err, "seek");
out:
	archive_read_free(a);
	return rc < 0 ? rc : steal_fd(&out);
}

static int save_docker(struct out *o, struct image_store *store, struct item *items, size_t n,
		       struct hk_error **err)
{
	_cleanup_json_ json_object *manifest = json_object_new_array();
	_cleanup_json_ json_object *repos = json_object_new_object();
	_cleanup_free_ char *tmp = path_join(store->root, "blobs/tmp");
	_cleanup_close_ int tmpdir = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *mtext = NULL, *rtext = NULL;

	if (tmpdir < 0)
		return hk_error_errno(err, "open %s", tmp);
	for (size_t i = 0; i < n; i++) {
		struct image *img = items[i].img;
		json_object *ent = json_object_new_object(), *tags = json_object_new_array();
		json_object *layers = json_object_new_array();
		_cleanup_free_ char *cfgname = xasprintf("%s.json", img->id + DIGEST_HEX_START);

		json_object_array_add(manifest, ent);
		if (!out_seen(o, cfgname) &&
		    out_buf(o, cfgname, img->config_json, strlen(img->config_json), err) < 0)
			return -1;
		for (size_t l = 0; l < img->n_layers; l++) {
			const char *hex = img->layers[l].diff_id + DIGEST_HEX_START;
			_cleanup_free_ char *name = xasprintf("%s/layer.tar", hex);
			json_object_array_add(layers, json_object_new_string(name));
			if (out_seen(o, name))
				continue;
			_cleanup_close_ int fd =
				layer_tar_fd(store, img->layers[l].blob_digest, tmpdir, err);
			if (fd < 0 || tar_header(&o->tar, hex, 0, true, err) < 0 ||
			    tar_add_fd(&o->tar, name, fd, err) < 0)
				return -1;
		}
		for (char **r = items[i].refs; r && *r; r++) {
			_cleanup_free_ char *fam = image_ref_familiar(*r);
			char *colon = strrchr(fam, ':');
			json_object *repo;
			json_object_array_add(tags, json_object_new_string(fam));
			if (!colon || !img->n_layers)
				continue;
			*colon = '\0';
			if (!json_object_object_get_ex(repos, fam, &repo)) {
				repo = json_object_new_object();
				json_object_object_add(repos, fam, repo);
			}
			json_object_object_add(
				repo, colon + 1,
				json_object_new_string(img->layers[img->n_layers - 1].diff_id +
						       DIGEST_HEX_START));
		}
		json_object_object_add(ent, "Config", json_object_new_string(cfgname));
		json_object_object_add(ent, "RepoTags", tags);
		json_object_object_add(ent, "Layers", layers);
	}
	mtext = json_to_string(manifest, false);
	rtext = json_to_string(repos, false);
	if (out_buf(o, "manifest.json", mtext, strlen(mtext), err) < 0 ||
	    out_buf(o, "repositories", rtext, strlen(rtext), err) < 0)
		return -1;
	return 0;
}

int archive_save(struct image_store *store, char *const *names, size_t n, enum archive_format fmt,
		 int out_fd, const char *out_dir, struct hk_error **err)
{
	struct item *items = xzalloc(sizeof(*items) * (n + 1));
	struct out o = {.fmt = fmt, .dirfd = -1};
	int rc = -1;

	if (collect(store, names, n, items, err) < 0)
		goto out;
	if (fmt == ARCHIVE_OCI_DIR) {
		if (mkdir_p(out_dir, 0755, err) < 0)
			goto out;
		o.dirfd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (o.dirfd < 0) {
			hk_error_errno(err, "open %s", out_dir);
			goto out;
		}
		rc = save_oci(&o, store, items, n, err);
		goto out;
	}
	o.tar.a = archive_write_new();
	archive_write_set_format_pax_restricted(o.tar.a);
	archive_write_set_bytes_in_last_block(o.tar.a, 1);
	if (archive_write_open_fd(o.tar.a, out_fd) != ARCHIVE_OK) {
		tar_err(&o.tar, err, "open output");
		goto out;
	}
	rc = fmt == ARCHIVE_DOCKER ? save_docker(&o, store, items, n, err)
				   : save_oci(&o, store, items, n, err);
	if (rc == 0 && archive_write_close(o.tar.a) != ARCHIVE_OK)
		rc = tar_err(&o.tar, err, "write archive");
out:
	if (o.tar.a)
		archive_write_free(o.tar.a);
	if (o.dirfd >= 0)
		close(o.dirfd);
	strv_free(o.written);
	for (size_t i = 0; i < n; i++) {
		image_free(items[i].img);
		strv_free(items[i].refs);
	}
	free(items);
	return rc;
}
