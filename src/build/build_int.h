/* hako build: declarations shared by the files of src/build/ (private). */
#ifndef HAKO_BUILD_BUILD_INT_H
#define HAKO_BUILD_BUILD_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "build/build.h"

struct digester;

/* ---- cache.c: the build_cache table ---- */
/* Migrate the "build" module's tables. */
int cache_migrate(sqlite3 *db, struct hk_error **err);
/* The image id recorded for key, or 0 with out[0] == '\0' on a miss. */
int cache_get(sqlite3 *db, const char *key, char out[72], struct hk_error **err);
int cache_put(sqlite3 *db, const char *key, const char *image_id, struct hk_error **err);

/* ---- copy.c: sources of COPY/ADD and writing them into a rootfs ---- */
struct copy_source {
	int rootfd;		       /* the context dir, or a source rootfs */
	const struct build_ignore *ig; /* the context's .dockerignore, or NULL */
};

/* Expand the source pattern src (relative to the root; "/" = the root;
 * globs * ? [ ] in any component) into clean relative paths ("." for the
 * root).  A path that leaves the root ("../x") is refused; no match is
 * ENOENT. */
int copy_glob(const struct copy_source *cs, const char *src, char ***out, struct hk_error **err);

/* Hash the tree at rel: names, types, modes, owners, sizes, link targets and
 * file contents (not times), in name order, leaving ignored paths out. */
int copy_digest(const struct copy_source *cs, const char *rel, struct digester *dg,
		struct hk_error **err);

struct copy_dest {
	int rootfd; /* the rootfs being built */
	uid_t uid;  /* owner of what is copied (--chown; default 0) */
	gid_t gid;
	int mode;	 /* --chmod, or -1: the source's */
	bool keep_owner; /* COPY --from: keep the source's owner without --chown */
};

/* Copy rel (file, symlink or directory contents) to dst, a clean absolute
 * path in the destination root: into_dir says dst is a directory (a trailing
 * slash, several sources, or an existing directory). */
int copy_into(const struct copy_source *cs, const char *rel, const struct copy_dest *cd,
	      const char *dst, bool into_dir, struct hk_error **err);

/* Write content as the file dst (mode 0644, or cd->mode) in the root. */
int copy_write_file(const struct copy_dest *cd, const char *dst, const char *content,
		    struct hk_error **err);

/* Is dst a directory in the root (symlinks followed inside it)? */
bool copy_is_dir(int rootfd, const char *dst);

/* USER[:GROUP] (names or numbers) resolved with the root's /etc/passwd and
 * /etc/group. */
int copy_resolve_owner(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct hk_error **err);

/* ---- fetch.c: ADD <url> ---- */
/* The file name ADD gives a download: the URL path's last component, else
 * "index.html".  Caller frees. */
char *fetch_url_name(const char *url);
/* Download url (http or https, redirects followed) into dirfd/name (0600);
 * digest of the body, *mtime from Last-Modified (0 when none). */
int fetch_url(const char *url, int dirfd, const char *name, char digest[72], int64_t *mtime,
	      struct hk_error **err);

#endif
