/* hako: build.  Dockerfiles into images (docs/build.md).
 *
 * Three parts:
 *   parse.c, expand.c   the Dockerfile language (dockerfile:1 frontend):
 *                       directives, continuations, heredocs, instructions,
 *                       variable substitution.  Pure functions, unit tested.
 *   ignore.c            .dockerignore patterns.
 *   builder.c, copy.c,  the executor: FROM, RUN as hako containers, COPY/ADD
 *   context.c, cache.c  into a snapshot of the previous step, metadata in the
 *                       image config; every step's result is an image in the
 *                       store, found again through the build cache (a table
 *                       of the state database keyed by the step's inputs).
 *
 * The Dockerfile is hostile input only in the sense that it must never crash
 * the parser; the build context is hostile: its symlinks are copied as
 * symlinks and never followed out of it.
 */
#ifndef HAKO_BUILD_BUILD_H
#define HAKO_BUILD_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ------------------------------------------------------------------ parser */

enum build_kind {
	BUILD_FROM,
	BUILD_RUN,
	BUILD_CMD,
	BUILD_LABEL,
	BUILD_MAINTAINER,
	BUILD_EXPOSE,
	BUILD_ENV,
	BUILD_ADD,
	BUILD_COPY,
	BUILD_ENTRYPOINT,
	BUILD_VOLUME,
	BUILD_USER,
	BUILD_WORKDIR,
	BUILD_ARG,
	BUILD_ONBUILD,
	BUILD_STOPSIGNAL,
	BUILD_HEALTHCHECK,
	BUILD_SHELL,
};

/* "FROM", "RUN", ... */
const char *build_kind_name(enum build_kind k);

/* A heredoc of RUN/COPY/ADD: <<EOF, <<-EOF (leading tabs stripped), <<"EOF"
 * or <<'EOF' (no expansion). */
struct build_heredoc {
	char *name;
	char *content; /* the lines between, each with its "\n" */
	bool expand;
};

struct build_instr {
	enum build_kind kind;
	int line, col; /* of the keyword, 1-based */
	int end_line;  /* the last physical line (continuations, heredocs) */
	char *text;    /* the logical line as written, continuations joined */
	char **flags;  /* "from=stage", "chown=1:2", "mount=type=cache,target=/x": the
			* --flags before the arguments, in order, without "--" */
	char *args;    /* the arguments after the keyword and the flags, trimmed */
	bool json;     /* exec (JSON array) form */
	char **argv;   /* the JSON array's strings when json */
	struct build_heredoc *heredocs;
	size_t n_heredocs;
	struct build_instr *sub; /* ONBUILD's instruction */
};

struct build_stage {
	char *name;		    /* "AS name" (lowercase) or NULL */
	char *base;		    /* FROM's image argument as written (before substitution) */
	char *platform;		    /* --platform, or NULL */
	size_t index;		    /* 0-based */
	struct build_instr *instrs; /* instrs[0] is the FROM */
	size_t n_instrs;
};

struct build_file {
	char *path;		       /* for messages: "Dockerfile" */
	char escape;		       /* '\\' or '`' */
	char *syntax;		       /* the # syntax= directive, or NULL */
	struct build_instr *meta_args; /* ARGs before the first FROM */
	size_t n_meta_args;
	struct build_stage *stages;
	size_t n_stages;
};

/* Parse a Dockerfile (text of len bytes; NULs refused).  path names it in
 * messages: "Dockerfile:3:1: unknown instruction: RUNN".  Every instruction
 * is checked for its syntax (flags it knows, argument counts, JSON form,
 * substitution syntax) before anything runs. */
int build_parse(const char *path, const char *text, size_t len, struct build_file **out,
		struct hk_error **err);
void build_file_free(struct build_file *f);
void build_file_freep(struct build_file **f);
#define _cleanup_build_file_ __attribute__((cleanup(build_file_freep)))

/* The value of --name in in->flags ("" for a bare --name), or NULL. */
const char *build_flag(const struct build_instr *in, const char *name);

/* Go's time.ParseDuration, as HEALTHCHECK's options use it ("30s", "1m30s",
 * "500ms"); 0 or -1. */
int build_parse_duration(const char *s, int64_t *ns);

/* ------------------------------------------------------------ substitution */

/* A variable's value, or NULL when unset. */
typedef const char *(*build_lookup_fn)(void *arg, const char *name);

/* Docker's shell-word processing of one word: quotes removed ('...' literal,
 * "..." with $ expansion), the escape character escapes the next one, $v,
 * ${v}, ${v:-w}, ${v-w}, ${v:+w}, ${v+w}, ${v:?msg} expanded through lookup.
 * used (may be NULL) collects the names looked up. */
int build_expand_word(const char *word, char escape, build_lookup_fn lookup, void *arg,
		      char ***used, char **out, struct hk_error **err);

/* Split text into words on unquoted whitespace, processing each as above. */
int build_expand_words(const char *text, char escape, build_lookup_fn lookup, void *arg,
		       char ***used, char ***out, struct hk_error **err);

/* Split text into raw words (quotes and escapes kept) on unquoted whitespace:
 * the first step of ENV/LABEL/ARG "k=v k2=v2" parsing. */
char **build_split_raw(const char *text, char escape);

/* ENV, LABEL and ARG arguments as "key=value" pairs, values expanded (keys
 * too for LABEL and ENV, as Docker).  ENV's legacy "KEY value with spaces"
 * form is accepted; ARG gives "name" (no '=') when there is no default. */
int build_key_values(const struct build_instr *in, char escape, build_lookup_fn lookup, void *arg,
		     char ***used, char ***out, struct hk_error **err);

/* ---------------------------------------------------------------- ignores */

struct build_ignore;
/* Parse .dockerignore text (comments, blank lines, "!" exceptions, "**"). */
struct build_ignore *build_ignore_parse(const char *text, size_t len);
void build_ignore_free(struct build_ignore *ig);
/* Is path (relative to the context, "/" separated) excluded?  A path is
 * excluded when the last pattern matching it or one of its parents is not an
 * exception. */
bool build_ignore_match(const struct build_ignore *ig, const char *path);
/* Can a directory that is excluded still hold an exception (a "!" pattern
 * below it)? Then the walk must enter it. */
bool build_ignore_has_exceptions(const struct build_ignore *ig);

/* ---------------------------------------------------------------- builder */

struct build_opts {
	const char *root, *runroot;
	const char *context;	/* a directory, a tar file, or "-" (stdin) */
	const char *dockerfile; /* NULL: CONTEXT/Dockerfile; "-": stdin */
	char **tags;		/* references to point at the result */
	char **build_args;	/* K=V or K (from the environment) */
	char **labels;		/* K=V, added to the final image */
	char **secrets;		/* id=ID,src=FILE */
	const char *target;	/* the stage to build, NULL: the last */
	const char *network;	/* for RUN: NULL (the default), none, host, bridge */
	const char *iidfile;
	bool no_cache, pull, quiet;
	int out_fd; /* progress and RUN output (stdout usually), ignored when quiet */
};

/* Build; out_id gets the image id ("sha256:..."). */
int build_image(const struct build_opts *o, char out_id[72], struct hk_error **err);

/* builder prune: drop cache records (all: every one; else those whose image
 * is neither tagged nor used by a container) and the intermediate images only
 * the cache kept.  *n_records and *reclaimed (bytes of layers) are counted. */
int build_cache_prune(const char *root, bool all, int64_t *n_records, int64_t *reclaimed,
		      struct hk_error **err);

/* system df: cache records, their total size (layer bytes of the intermediate
 * images only the cache keeps) and how much of it is reclaimable. */
int build_cache_usage(const char *root, int64_t *n_records, int64_t *size, int64_t *reclaimable,
		      struct hk_error **err);

/* image ls: is image_id a step result the build cache keeps (an
 * intermediate image, hidden without -a as Docker's classic builder did)?
 * db: the store's sqlite3 handle; false when the table does not exist. */
bool build_cache_has_image(void *db, const char *image_id);

#endif
