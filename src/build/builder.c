/* hako build: the executor.
 *
 * Each stage starts from its base (an image of the store, pulled when
 * missing, another stage's result, or scratch) and runs its instructions in
 * order.  A step's result is an image of the store:
 *   RUN        a hako container on the previous image; its changes become
 *              one layer (engine_diff_layer, as commit makes it);
 *   COPY/ADD   the previous image's layers mounted as a private rootfs, the
 *              sources copied in, its changes one layer;
 *   the rest   a new config only (history entry with empty_layer).
 * Before a step runs, its cache key (parent image, instruction after
 * substitution, the build args it uses, the digest of COPY/ADD sources) is
 * looked up in the build cache; a hit gives the image directly.
 *
 * Failure leaves nothing: the step's container is removed (with its
 * rootfs, mounts and anonymous volumes), a private rootfs is removed, and
 * blobs no image refers to are dropped when the store closes.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build/build_int.h"
#include "db/db.h"
#include "engine/engine.h"
#include "image/image.h"
#include "monitor/mon.h"
#include "registry/registry.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#define QUIET_KEEP (256 * 1024)
#define COPY_CHUNK (128 * 1024)

struct blayer {
	char blob[DIGEST_BUF];
	char diff_id[DIGEST_BUF];
	char chain[DIGEST_BUF];
	int64_t size;
	char *media_type;
};

struct state {
	char id[DIGEST_BUF]; /* the current image; "" for scratch before its first step */
	json_object *img;    /* the whole image config */
	struct blayer *layers;
	size_t n_layers;
	char **args;  /* the stage's ARGs: "K=V", or "K" without a value */
	bool cmd_set; /* a CMD in this stage: ENTRYPOINT keeps it */
};

struct builder {
	const struct build_opts *o;
	struct build_file *df;
	struct engine e;
	bool e_open, op;
	bool trigger; /* running an ONBUILD trigger of the base image */
	struct image_store *store;
	struct storage *st;
	int ctx_fd;
	char *ctx_tmp; /* an unpacked tar context, removed at the end */
	char *dl_tmp;  /* ADD <url> downloads, removed at the end */
	int n_dl;
	struct build_ignore *ig;
	char **meta;	   /* ARGs before the first FROM: "K=V" / "K" */
	char **platform;   /* TARGETPLATFORM, ... */
	char **build_args; /* --build-arg, resolved to K=V */
	char **consumed;   /* build-arg names an ARG declared */
	struct state *stages;
	bool *needed;
	bool *deps;	/* deps[i * n_stages + j]: stage i needs stage j */
	size_t *offset; /* the number of steps before stage i */
	size_t step, n_steps;
	int out; /* -1: quiet */
	char *quiet_buf;
	size_t quiet_len;
	char arch[72];
};

/* ------------------------------------------------------------ interruption */

/* SIGINT/SIGTERM during a build: the step's container is removed and the
 * build ends (the container runs in its monitor's session, so the terminal's
 * ^C does not reach it).  The handler writes to a pipe the RUN output loop
 * polls; between steps the flag is checked. */
static volatile sig_atomic_t interrupted;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	interrupted = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* the flag is enough */
	}
	errno = saved;
}

struct sig_saved {
	struct sigaction intr, term;
};

static void signals_catch(struct sig_saved *old)
{
	struct sigaction sa = {.sa_handler = on_signal};

	interrupted = 0;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		sig_pipe[0] = sig_pipe[1] = -1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old->intr);
	sigaction(SIGTERM, &sa, &old->term);
}

static void signals_restore(struct sig_saved *old)
{
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
	for (int i = 0; i < 2; i++)
		if (sig_pipe[i] >= 0) {
			close(sig_pipe[i]);
			sig_pipe[i] = -1;
		}
}

/* ------------------------------------------------------------ helpers */

static void say(struct builder *b, const char *fmt, ...) HK_PRINTF(2, 3);
static void say(struct builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->out < 0)
		return;
	va_start(ap, fmt);
	vdprintf(b->out, fmt, ap);
	va_end(ap);
}

static const char *kv_get(char *const *v, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; v && v[i]; i++) {
		if (!strncmp(v[i], name, n) && (v[i][n] == '=' || !v[i][n]))
			return v[i][n] == '=' ? v[i] + n + 1 : NULL;
	}
	return NULL;
}

static bool kv_has(char *const *v, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; v && v[i]; i++)
		if (!strncmp(v[i], name, n) && (v[i][n] == '=' || !v[i][n]))
			return true;
	return false;
}

/* Set "K=V" (or "K") in *v, replacing an earlier K. */
static void kv_set(char ***v, const char *pair)
{
	size_t n = strcspn(pair, "=");

	for (size_t i = 0; *v && (*v)[i]; i++) {
		if (!strncmp((*v)[i], pair, n) && ((*v)[i][n] == '=' || !(*v)[i][n])) {
			free((*v)[i]);
			(*v)[i] = xstrdup(pair);
			return;
		}
	}
	strv_push(v, pair);
}

static void state_clear(struct state *s)
{
	json_object_put(s->img);
	for (size_t i = 0; i < s->n_layers; i++)
		free(s->layers[i].media_type);
	free(s->layers);
	strv_free(s->args);
	memset(s, 0, sizeof(*s));
}

static json_object *cfg_of(struct state *s)
{
	json_object *c = NULL;

	if (!json_object_object_get_ex(s->img, "config", &c) ||
	    !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(s->img, "config", c);
	}
	return c;
}

static const char *cfg_string(struct state *s, const char *key)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(cfg_of(s), key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static char **cfg_strv(struct state *s, const char *key)
{
	json_object *v = NULL;
	char **out = xzalloc(sizeof(char *));

	if (json_object_object_get_ex(cfg_of(s), key, &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *x = json_object_array_get_idx(v, i);
			if (json_object_is_type(x, json_type_string))
				strv_push(&out, json_object_get_string(x));
		}
	return out;
}

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static char **shell_of(struct state *s)
{
	char **sh = cfg_strv(s, "Shell");

	if (!sh[0]) {
		strv_push(&sh, "/bin/sh");
		strv_push(&sh, "-c");
	}
	return sh;
}

/* Load an image of the store into s (config and layers). */
static int state_load(struct builder *b, const char *id, struct state *s, struct hk_error **err)
{
	_cleanup_image_ struct image *img = NULL;

	if (image_lookup(b->store, id, &img, err) < 0)
		return -1;
	json_object_put(s->img);
	s->img = NULL;
	if (json_parse("image config", img->config_json, strlen(img->config_json), &s->img, err) <
		    0 ||
	    !json_object_is_type(s->img, json_type_object))
		return *err ? -1 : hk_error_set(err, 0, "image %s: config is not an object", id);
	for (size_t i = 0; i < s->n_layers; i++)
		free(s->layers[i].media_type);
	free(s->layers);
	s->layers = xzalloc((img->n_layers + 1) * sizeof(*s->layers));
	s->n_layers = img->n_layers;
	for (size_t i = 0; i < img->n_layers; i++) {
		snprintf(s->layers[i].blob, DIGEST_BUF, "%s", img->layers[i].blob_digest);
		snprintf(s->layers[i].diff_id, DIGEST_BUF, "%s", img->layers[i].diff_id);
		snprintf(s->layers[i].chain, DIGEST_BUF, "%s", img->layers[i].chain_id);
		s->layers[i].size = img->layers[i].blob_size;
		s->layers[i].media_type =
			xstrdup(img->layers[i].media_type ? img->layers[i].media_type
							  : IMAGE_MEDIA_LAYER_TAR);
	}
	snprintf(s->id, DIGEST_BUF, "%s", img->id);
	return 0;
}

static void state_scratch(struct builder *b, struct state *s)
{
	json_object *rootfs = json_object_new_object();

	s->img = json_object_new_object();
	json_object_object_add(s->img, "architecture", json_object_new_string(b->arch));
	json_object_object_add(s->img, "os", json_object_new_string("linux"));
	json_object_object_add(s->img, "config", json_object_new_object());
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", json_object_new_array());
	json_object_object_add(s->img, "rootfs", rootfs);
	json_object_object_add(s->img, "history", json_object_new_array());
	s->id[0] = '\0';
}

/* Register s->img (with one more layer when blob) as an image: s->id. */
static int state_commit(struct builder *b, struct state *s, const char *created_by,
			const char *blob, int64_t blob_size, struct hk_error **err)
{
	_cleanup_free_ char *now = engine_format_time(engine_now() / 1000000000 * 1000000000);
	_cleanup_free_ char *config = NULL;
	_cleanup_free_ struct image_commit_layer *L = NULL;
	json_object *h = json_object_new_object(), *hist = NULL, *rootfs = NULL, *ids = NULL;

	json_object_object_add(s->img, "created", json_object_new_string(now));
	json_object_object_del(s->img, "container");
	json_object_object_del(s->img, "container_config");
	if (!json_object_object_get_ex(s->img, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(s->img, "history", hist);
	}
	json_object_object_add(h, "created", json_object_new_string(now));
	json_object_object_add(h, "created_by", json_object_new_string(created_by));
	if (!blob)
		json_object_object_add(h, "empty_layer", json_object_new_boolean(true));
	json_object_array_add(hist, h);
	if (blob) {
		struct blayer *nl;
		if (!json_object_object_get_ex(s->img, "rootfs", &rootfs) ||
		    !json_object_is_type(rootfs, json_type_object)) {
			rootfs = json_object_new_object();
			json_object_object_add(rootfs, "type", json_object_new_string("layers"));
			json_object_object_add(s->img, "rootfs", rootfs);
		}
		if (!json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
		    !json_object_is_type(ids, json_type_array)) {
			ids = json_object_new_array();
			json_object_object_add(rootfs, "diff_ids", ids);
		}
		json_object_array_add(ids, json_object_new_string(blob));
		s->layers = xrealloc(s->layers, (s->n_layers + 1) * sizeof(*s->layers));
		nl = &s->layers[s->n_layers];
		memset(nl, 0, sizeof(*nl));
		snprintf(nl->blob, DIGEST_BUF, "%s", blob);
		snprintf(nl->diff_id, DIGEST_BUF, "%s", blob);
		digest_chain_id(s->n_layers ? s->layers[s->n_layers - 1].chain : NULL, blob,
				nl->chain);
		nl->size = blob_size;
		nl->media_type = xstrdup(IMAGE_MEDIA_LAYER_TAR);
		s->n_layers++;
	}
	config = json_to_string(s->img, false);
	L = xzalloc((s->n_layers + 1) * sizeof(*L));
	for (size_t i = 0; i < s->n_layers; i++) {
		L[i].blob_digest = s->layers[i].blob;
		L[i].blob_size = s->layers[i].size;
		L[i].media_type = s->layers[i].media_type;
	}
	struct image_commit c = {.config_json = config,
				 .config_len = strlen(config),
				 .layers = L,
				 .n_layers = s->n_layers};
	return image_commit(b->store, &c, s->id, err);
}

/* ------------------------------------------------------------ variables */

struct scope {
	struct builder *b;
	struct state *s; /* NULL: the global scope (FROM lines) */
	char **env;	 /* the image's Env while s is set */
};

static const char *scope_lookup(void *arg, const char *name)
{
	struct scope *sc = arg;

	if (!sc->s)
		return kv_get(sc->b->meta, name);
	/* ENV wins over ARG (Dockerfile reference, "Using ARG variables") */
	if (kv_has(sc->env, name))
		return kv_get(sc->env, name);
	return kv_get(sc->s->args, name);
}

static void scope_init(struct scope *sc, struct builder *b, struct state *s)
{
	sc->b = b;
	sc->s = s;
	sc->env = s ? cfg_strv(s, "Env") : NULL;
}

static void scope_done(struct scope *sc)
{
	strv_free(sc->env);
	sc->env = NULL;
}

/* The value an ARG declaration takes: the --build-arg, else its default,
 * else the global ARG of that name, else the platform's. */
static char *arg_value(struct builder *b, const char *decl, bool global)
{
	const char *eq = strchr(decl, '=');
	_cleanup_free_ char *name = eq ? xstrndup(decl, (size_t)(eq - decl)) : xstrdup(decl);

	if (kv_has(b->build_args, name)) {
		if (!strv_has(b->consumed, name))
			strv_push(&b->consumed, name);
		return xasprintf("%s=%s", name, kv_get(b->build_args, name));
	}
	if (eq)
		return xstrdup(decl);
	if (!global && kv_get(b->meta, name))
		return xasprintf("%s=%s", name, kv_get(b->meta, name));
	if (kv_get(b->platform, name))
		return xasprintf("%s=%s", name, kv_get(b->platform, name));
	return xstrdup(name);
}

/* ------------------------------------------------------------ steps */

struct step {
	struct builder *b;
	struct state *s;
	const struct build_instr *in;
	struct scope sc;
	char **used; /* variable names the substitution looked up */
	struct digester *key;
};

static void key_add(struct step *st, const char *s)
{
	digester_update(st->key, s, strlen(s) + 1);
}

/* The args a step used, "name=value" into the key. */
static void key_add_used(struct step *st)
{
	for (char **u = st->used; u && *u; u++) {
		const char *v = scope_lookup(&st->sc, *u);
		_cleanup_free_ char *pair = xasprintf("%s=%s", *u, v ? v : "\x01unset");
		key_add(st, pair);
	}
}

static int expand(struct step *st, const char *word, char **out, struct hk_error **err)
{
	return build_expand_word(word, st->b->df->escape, scope_lookup, &st->sc, &st->used, out,
				 err);
}

static int cache_lookup(struct step *st, const char *key, bool *hit, struct hk_error **err)
{
	char id[DIGEST_BUF];
	struct hk_error *e2 = NULL;

	*hit = false;
	if (st->b->o->no_cache)
		return 0;
	if (cache_get(st->b->store->db, key, id, err) < 0)
		return -1;
	if (!id[0])
		return 0;
	if (state_load(st->b, id, st->s, &e2) < 0) {
		/* the image was removed (rmi, prune): a miss */
		hk_error_free(&e2);
		return 0;
	}
	*hit = true;
	return 0;
}

static void print_step(struct step *st, bool cached)
{
	struct builder *b = st->b;
	const char *t = st->in->text;

	say(b, "STEP %zu/%zu: %s%s%s\n", b->step, b->n_steps, b->trigger ? "ONBUILD " : "", t,
	    cached ? " (CACHED)" : "");
}

/* Metadata: apply the instruction to the config; no layer. */
static int meta_apply(struct step *st, char **created_by, struct hk_error **err)
{
	const struct build_instr *in = st->in;
	json_object *cfg = cfg_of(st->s);
	char esc = st->b->df->escape;

	switch (in->kind) {
	case BUILD_CMD:
	case BUILD_ENTRYPOINT: {
		_cleanup_strv_ char **argv = NULL;
		const char *key = in->kind == BUILD_CMD ? "Cmd" : "Entrypoint";
		_cleanup_free_ char *js = NULL;
		if (in->json) {
			argv = strv_dup(in->argv);
		} else {
			argv = shell_of(st->s);
			strv_push(&argv, in->args);
		}
		json_object *a = strv_json(argv);
		json_object_object_add(cfg, key, a);
		if (in->kind == BUILD_CMD)
			st->s->cmd_set = true;
		else if (!st->s->cmd_set)
			json_object_object_add(cfg, "Cmd", NULL);
		js = json_to_string(a, false);
		*created_by = xasprintf("/bin/sh -c #(nop)  %s %s",
					in->kind == BUILD_CMD ? "CMD" : "ENTRYPOINT", js);
		return 0;
	}
	case BUILD_ENV:
	case BUILD_LABEL: {
		_cleanup_strv_ char **kv = NULL;
		_cleanup_strv_ char **env = cfg_strv(st->s, "Env");
		json_object *labels = NULL;
		_cleanup_free_ char *desc = xstrdup("");
		if (build_key_values(in, esc, scope_lookup, &st->sc, &st->used, &kv, err) < 0)
			return -1;
		if (in->kind == BUILD_LABEL &&
		    (!json_object_object_get_ex(cfg, "Labels", &labels) ||
		     !json_object_is_type(labels, json_type_object))) {
			labels = json_object_new_object();
			json_object_object_add(cfg, "Labels", labels);
		}
		for (char **p = kv; *p; p++) {
			char *eq = strchr(*p, '=');
			char *nd;
			if (in->kind == BUILD_ENV) {
				kv_set(&env, *p);
				/* a later ENV sees the earlier ones of the same line */
				kv_set(&st->sc.env, *p);
			} else {
				*eq = '\0';
				json_object_object_add(labels, *p, json_object_new_string(eq + 1));
				*eq = '=';
			}
			nd = xasprintf("%s %s", desc, *p);
			free(desc);
			desc = nd;
		}
		if (in->kind == BUILD_ENV)
			json_object_object_add(cfg, "Env", strv_json(env));
		*created_by = xasprintf("/bin/sh -c #(nop) %s%s", build_kind_name(in->kind), desc);
		return 0;
	}
	case BUILD_EXPOSE: {
		_cleanup_strv_ char **words = NULL;
		json_object *ports = NULL;
		_cleanup_free_ char *desc = xstrdup("");
		if (build_expand_words(in->args, esc, scope_lookup, &st->sc, &st->used, &words,
				       err) < 0)
			return -1;
		if (!json_object_object_get_ex(cfg, "ExposedPorts", &ports) ||
		    !json_object_is_type(ports, json_type_object)) {
			ports = json_object_new_object();
			json_object_object_add(cfg, "ExposedPorts", ports);
		}
		for (char **w = words; *w; w++) {
			char proto[8] = "tcp";
			char *slash = strchr(*w, '/');
			long long lo, hi;
			char *dash;
			if (slash) {
				*slash = '\0';
				snprintf(proto, sizeof(proto), "%s", slash + 1);
				for (char *c = proto; *c; c++)
					*c = (char)tolower((unsigned char)*c);
			}
			if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
				return hk_error_set(err, 0, "EXPOSE: invalid protocol '%s'", proto);
			dash = strchr(*w, '-');
			if (dash)
				*dash = '\0';
			if (parse_ll(*w, 1, 65535, &lo) < 0 ||
			    (dash ? parse_ll(dash + 1, 1, 65535, &hi) : (hi = lo, 0)) < 0 ||
			    hi < lo)
				return hk_error_set(err, 0, "EXPOSE: invalid port '%s'", *w);
			for (long long p = lo; p <= hi; p++) {
				_cleanup_free_ char *k = xasprintf("%lld/%s", p, proto);
				char *nd = xasprintf("%s %s", desc, k);
				json_object_object_add(ports, k, json_object_new_object());
				free(desc);
				desc = nd;
			}
		}
		*created_by = xasprintf("/bin/sh -c #(nop)  EXPOSE%s", desc);
		return 0;
	}
	case BUILD_VOLUME: {
		_cleanup_strv_ char **words = NULL;
		json_object *vols = NULL;
		_cleanup_free_ char *js = NULL;
		if (in->json)
			words = strv_dup(in->argv);
		else if (build_expand_words(in->args, esc, scope_lookup, &st->sc, &st->used, &words,
					    err) < 0)
			return -1;
		if (!json_object_object_get_ex(cfg, "Volumes", &vols) ||
		    !json_object_is_type(vols, json_type_object)) {
			vols = json_object_new_object();
			json_object_object_add(cfg, "Volumes", vols);
		}
		for (char **w = words; *w; w++) {
			if (!**w)
				return hk_error_set(err, 0,
						    "VOLUME specified can not be an empty string");
			json_object_object_add(vols, *w, json_object_new_object());
		}
		{
			json_object *a = strv_json(words);
			js = json_to_string(a, false);
			json_object_put(a);
		}
		*created_by = xasprintf("/bin/sh -c #(nop)  VOLUME %s", js);
		return 0;
	}
	case BUILD_USER:
	case BUILD_STOPSIGNAL:
	case BUILD_WORKDIR: {
		_cleanup_free_ char *v = NULL;
		const char *key = in->kind == BUILD_USER      ? "User"
				  : in->kind == BUILD_WORKDIR ? "WorkingDir"
							      : "StopSignal";
		if (expand(st, in->args, &v, err) < 0)
			return -1;
		if (in->kind == BUILD_STOPSIGNAL && engine_parse_signal(v) < 0)
			return hk_error_set(err, 0, "STOPSIGNAL: invalid signal '%s'", v);
		if (in->kind == BUILD_WORKDIR) {
			const char *cur = cfg_string(st->s, "WorkingDir");
			_cleanup_free_ char *j =
				v[0] == '/' ? xstrdup(v) : path_join(cur && *cur ? cur : "/", v);
			free(v);
			v = path_clean(j);
		}
		json_object_object_add(cfg, key, json_object_new_string(v));
		*created_by = xasprintf("/bin/sh -c #(nop)  %s %s", build_kind_name(in->kind), v);
		return 0;
	}
	case BUILD_SHELL:
		json_object_object_add(cfg, "Shell", strv_json(in->argv));
		*created_by = xasprintf("/bin/sh -c #(nop)  SHELL %s", in->args);
		return 0;
	case BUILD_MAINTAINER: {
		_cleanup_free_ char *v = NULL;
		if (expand(st, in->args, &v, err) < 0)
			return -1;
		json_object_object_add(st->s->img, "author", json_object_new_string(v));
		*created_by = xasprintf("/bin/sh -c #(nop)  MAINTAINER %s", v);
		return 0;
	}
	case BUILD_ONBUILD: {
		json_object *ob = NULL;
		const char *trigger = in->sub->text;
		if (!json_object_object_get_ex(cfg, "OnBuild", &ob) ||
		    !json_object_is_type(ob, json_type_array)) {
			ob = json_object_new_array();
			json_object_object_add(cfg, "OnBuild", ob);
		}
		json_object_array_add(ob, json_object_new_string(trigger));
		*created_by = xasprintf("/bin/sh -c #(nop)  ONBUILD %s", trigger);
		return 0;
	}
	case BUILD_HEALTHCHECK: {
		json_object *hc = json_object_new_object();
		_cleanup_strv_ char **raw = build_split_raw(in->args, esc);
		if (!strcasecmp(raw[0], "none")) {
			json_object *t = json_object_new_array();
			json_object_array_add(t, json_object_new_string("NONE"));
			json_object_object_add(hc, "Test", t);
		} else {
			/* the CMD after the type: JSON or shell form */
			const char *rest = in->args;
			_cleanup_strv_ char **argv = NULL;
			json_object *t;
			rest += strspn(rest, " \t");
			rest += 3;
			rest += strspn(rest, " \t");
			if (*rest == '[') {
				_cleanup_build_file_ struct build_file *tmp = NULL;
				_cleanup_free_ char *txt = xasprintf("FROM x\nCMD %s\n", rest);
				struct hk_error *e2 = NULL;
				if (build_parse("HEALTHCHECK", txt, strlen(txt), &tmp, &e2) == 0 &&
				    tmp->stages[0].instrs[1].json)
					argv = strv_dup(tmp->stages[0].instrs[1].argv);
				hk_error_free(&e2);
			}
			if (argv) {
				t = json_object_new_array();
				json_object_array_add(t, json_object_new_string("CMD"));
				for (char **a = argv; *a; a++)
					json_object_array_add(t, json_object_new_string(*a));
			} else {
				t = json_object_new_array();
				json_object_array_add(t, json_object_new_string("CMD-SHELL"));
				json_object_array_add(t, json_object_new_string(rest));
			}
			json_object_object_add(hc, "Test", t);
			for (char **f = in->flags; *f; f++) {
				static const struct {
					const char *flag, *key;
				} map[] = {{"interval=", "Interval"},
					   {"timeout=", "Timeout"},
					   {"start-period=", "StartPeriod"},
					   {"start-interval=", "StartInterval"}};
				for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
					int64_t ns;
					if (!str_has_prefix(*f, map[i].flag))
						continue;
					if (build_parse_duration(*f + strlen(map[i].flag), &ns) < 0)
						return hk_error_set(err, 0, "HEALTHCHECK --%s", *f);
					json_object_object_add(hc, map[i].key,
							       json_object_new_int64(ns));
				}
				if (str_has_prefix(*f, "retries=")) {
					long long r = 0;
					parse_ll(*f + 8, 0, 1000000, &r);
					json_object_object_add(hc, "Retries",
							       json_object_new_int64(r));
				}
			}
		}
		json_object_object_add(cfg, "Healthcheck", hc);
		*created_by = xasprintf("/bin/sh -c #(nop)  HEALTHCHECK %s", in->args);
		return 0;
	}
	default:
		return hk_error_set(err, 0, "%s: not a metadata instruction",
				    build_kind_name(in->kind));
	}
}

static int step_meta(struct step *st, struct hk_error **err)
{
	_cleanup_free_ char *created_by = NULL, *text = NULL;
	char key[DIGEST_BUF];
	bool hit = false;

	/* the key needs the values used: apply first to learn them, on a copy */
	{
		struct state trial = *st->s;
		json_object *copy = NULL;
		if (json_object_deep_copy(st->s->img, &copy, NULL) < 0)
			return hk_error_set(err, ENOMEM, "copy the image config");
		trial.img = copy;
		struct state *saved = st->s;
		st->s = &trial;
		int r = meta_apply(st, &created_by, err);
		st->s = saved;
		json_object_put(copy);
		if (r < 0)
			return -1;
	}
	key_add(st, created_by);
	/* HEALTHCHECK's options are not in its history text */
	for (char **f = st->in->flags; *f; f++)
		key_add(st, *f);
	key_add_used(st);
	digester_final(st->key, key);
	if (cache_lookup(st, key, &hit, err) < 0)
		return -1;
	print_step(st, hit);
	if (hit) {
		/* what meta_apply would have noted: ENTRYPOINT keeps this CMD */
		if (st->in->kind == BUILD_CMD)
			st->s->cmd_set = true;
		return 0;
	}
	free(created_by);
	created_by = NULL;
	if (meta_apply(st, &created_by, err) < 0 ||
	    state_commit(st->b, st->s, created_by, NULL, 0, err) < 0)
		return -1;
	return cache_put(st->b->store->db, key, st->s->id, err);
}

/* ------------------------------------------------------------ RUN */

static void quiet_keep(struct builder *b, const char *data, size_t len)
{
	if (b->quiet_len + len > QUIET_KEEP) {
		/* keep the tail: the end of the output says why it failed */
		size_t drop = b->quiet_len + len - QUIET_KEEP;
		if (drop >= b->quiet_len) {
			b->quiet_len = 0;
			if (len > QUIET_KEEP) {
				data += len - QUIET_KEEP;
				len = QUIET_KEEP;
			}
		} else {
			memmove(b->quiet_buf, b->quiet_buf + drop, b->quiet_len - drop);
			b->quiet_len -= drop;
		}
	}
	b->quiet_buf = xrealloc(b->quiet_buf, b->quiet_len + len + 1);
	memcpy(b->quiet_buf + b->quiet_len, data, len);
	b->quiet_len += len;
}

/* Copy the container's output as it comes; its exit code from the EXIT
 * frame.  Returns -1 when the build was interrupted. */
static int stream_output(struct builder *b, int fd, int *code)
{
	_cleanup_free_ char *buf = xmalloc(ATTACH_MAX_FRAME + 1);
	enum attach_frame type;
	uint32_t len;
	int r;

	*code = -1;
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = sig_pipe[0], .events = POLLIN}};
		if (interrupted)
			return -1;
		if (poll(p, sig_pipe[0] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (interrupted)
			return -1;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((r = attach_recv(fd, &type, buf, &len)) != 1)
			break;
		if (type == ATTACH_STDOUT || type == ATTACH_STDERR) {
			if (b->out >= 0)
				write_all(b->out, buf, len);
			else
				quiet_keep(b, buf, len);
		} else if (type == ATTACH_EXIT && len >= 4) {
			unsigned char *c = (unsigned char *)buf;
			*code = (int)((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
				      (uint32_t)c[2] << 8 | c[3]);
			break;
		}
	}
	return 0;
}

/* A cache mount: a directory under <root>/build-mounts kept between builds. */
static char *cache_mount_dir(struct builder *b, const char *id)
{
	char d[DIGEST_BUF];

	digest_buffer(id, strlen(id), d);
	return xasprintf("%s/build-mounts/%.16s", b->o->root, d + DIGEST_HEX_START);
}

/* --mount=type=cache|secret|bind|tmpfs as -v/--tmpfs specs of the container. */
static int run_mounts(struct step *st, char ***volumes, char ***tmpfs, char ***file_mounts,
		      struct hk_error **err)
{
	for (char **f = st->in->flags; *f; f++) {
		_cleanup_strv_ char **parts = NULL;
		const char *type = "bind", *target = NULL, *id = NULL, *src = NULL;
		bool ro = false;
		if (!str_has_prefix(*f, "mount="))
			continue;
		{
			_cleanup_free_ char *v = xstrdup(*f + 6);
			char *save = NULL;
			parts = xzalloc(sizeof(char *));
			for (char *p = strtok_r(v, ",", &save); p; p = strtok_r(NULL, ",", &save))
				strv_push(&parts, p);
		}
		for (char **p = parts; *p; p++) {
			char *eq = strchr(*p, '=');
			const char *val = eq ? eq + 1 : "";
			size_t kl = eq ? (size_t)(eq - *p) : strlen(*p);
#define KEY(k) (kl == strlen(k) && !strncmp(*p, k, kl))
			if (KEY("type"))
				type = val;
			else if (KEY("target") || KEY("dst") || KEY("destination"))
				target = val;
			else if (KEY("id"))
				id = val;
			else if (KEY("source") || KEY("src"))
				src = val;
			else if (KEY("ro") || KEY("readonly"))
				ro = !eq || !strcmp(val, "true");
#undef KEY
		}
		if (!strcmp(type, "cache")) {
			_cleanup_free_ char *dir = cache_mount_dir(st->b, id ? id : target);
			_cleanup_free_ char *spec = NULL;
			if (!target || *target != '/')
				return hk_error_set(err, 0,
						    "--mount=%s: an absolute target= is needed",
						    *f + 6);
			if (mkdir_p(dir, 0755, err) < 0)
				return -1;
			spec = xasprintf("%s:%s%s", dir, target, ro ? ":ro" : "");
			strv_push(volumes, spec);
			strv_push(file_mounts, target);
		} else if (!strcmp(type, "secret")) {
			_cleanup_free_ char *tgt = NULL, *spec = NULL;
			const char *file = NULL;
			if (!id && target)
				id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
			if (!id)
				return hk_error_set(err, 0,
						    "--mount=%s: a secret needs id=", *f + 6);
			for (char **s = st->b->o->secrets; s && *s; s++) {
				_cleanup_free_ char *want = xasprintf("id=%s,", id);
				const char *p = strstr(*s, "src=");
				if (!p)
					p = strstr(*s, "source=");
				if (str_has_prefix(*s, want) && p)
					file = strchr(p, '=') + 1;
			}
			if (!file) {
				bool required = false;
				for (char **p = parts; *p; p++)
					if (!strcmp(*p, "required") || !strcmp(*p, "required=true"))
						required = true;
				if (required)
					return hk_error_set(
						err, 0,
						"secret %s: not given (--secret id=%s,src=FILE)",
						id, id);
				continue;
			}
			tgt = target ? xstrdup(target) : xasprintf("/run/secrets/%s", id);
			spec = xasprintf("%s:%s:ro", file, tgt);
			strv_push(volumes, spec);
			/* its mount target stays out of the layer */
			strv_push(file_mounts, tgt);
		} else if (!strcmp(type, "tmpfs")) {
			if (!target)
				return hk_error_set(err, 0, "--mount=%s: target= is needed",
						    *f + 6);
			strv_push(tmpfs, target);
			strv_push(file_mounts, target);
		} else {
			(void)src;
			return hk_error_set(err, ENOTSUP,
					    "RUN --mount=type=%s is not supported (cache, secret, "
					    "tmpfs are)",
					    type);
		}
	}
	return 0;
}

static char *run_script(const struct build_instr *in)
{
	char *s;

	if (in->n_heredocs == 1) {
		/* "RUN <<EOF" alone: the heredoc is the script */
		_cleanup_free_ char *only = xasprintf("<<%s", in->heredocs[0].name);
		_cleanup_free_ char *only_q = xasprintf("<<\"%s\"", in->heredocs[0].name);
		_cleanup_free_ char *only_s = xasprintf("<<'%s'", in->heredocs[0].name);
		_cleanup_free_ char *only_d = xasprintf("<<-%s", in->heredocs[0].name);
		if (!strcmp(in->args, only) || !strcmp(in->args, only_q) ||
		    !strcmp(in->args, only_s) || !strcmp(in->args, only_d))
			return xstrdup(in->heredocs[0].content);
	}
	s = xstrdup(in->args);
	for (size_t i = 0; i < in->n_heredocs; i++) {
		char *n = xasprintf("%s\n%s%s", s, in->heredocs[i].content, in->heredocs[i].name);
		free(s);
		s = n;
	}
	return s;
}

static int step_run(struct step *st, struct hk_error **err)
{
	struct builder *b = st->b;
	const struct build_instr *in = st->in;
	struct engine_create_opts co;
	_cleanup_strv_ char **cmd = NULL, **env = xzalloc(sizeof(char *)), **volumes = NULL,
			    **tmpfs = NULL, **file_mounts = NULL;
	_cleanup_free_ char *script = NULL, *created_by = NULL, *id = NULL, *joined = NULL,
			    *ctr_name = NULL;
	const char *net = build_flag(in, "network");
	char key[DIGEST_BUF], blob[DIGEST_BUF];
	int64_t size = 0;
	int sv[2] = {-1, -1}, status = 0, code = -1, r = -1;
	bool hit = false;

	if (in->json) {
		cmd = strv_dup(in->argv);
	} else {
		script = run_script(in);
		cmd = shell_of(st->s);
		strv_push(&cmd, script);
	}
	joined = xstrdup("");
	for (char **c = cmd; *c; c++) {
		char *n = xasprintf("%s%s%s", joined, *joined ? " " : "", *c);
		free(joined);
		joined = n;
	}
	created_by = xasprintf("RUN %s", joined);
	/* the ARGs of the stage are the step's environment, so part of its key */
	for (char **a = st->s->args; a && *a; a++) {
		if (!strchr(*a, '=') || kv_has(st->sc.env, *a))
			continue;
		strv_push(&env, *a);
	}
	key_add(st, created_by);
	for (char **e = env; *e; e++)
		key_add(st, *e);
	for (char **f = in->flags; *f; f++)
		key_add(st, *f);
	digester_final(st->key, key);
	if (cache_lookup(st, key, &hit, err) < 0)
		return -1;
	print_step(st, hit);
	if (hit)
		return 0;
	if (!st->s->id[0])
		return hk_error_set(err, 0,
				    "RUN on an empty image (FROM scratch) has no shell to run");
	volumes = xzalloc(sizeof(char *));
	tmpfs = xzalloc(sizeof(char *));
	file_mounts = xzalloc(sizeof(char *));
	if (run_mounts(st, &volumes, &tmpfs, &file_mounts, err) < 0)
		return -1;
	engine_create_opts_init(&co);
	{
		/* named after this process: a later build removes the step
		 * containers of a build that was killed (remove_stale) */
		unsigned char rnd[4];
		if (getentropy(rnd, sizeof(rnd)) < 0)
			return hk_error_errno(err, "getentropy");
		ctr_name = xasprintf("hako-build-%d-%02x%02x%02x%02x", (int)getpid(), rnd[0],
				     rnd[1], rnd[2], rnd[3]);
	}
	co.name = ctr_name;
	co.image = st->s->id;
	co.cmd = cmd;
	co.entrypoint_set = true;
	co.entrypoint = NULL;
	co.env = env;
	co.volumes = volumes;
	co.tmpfs = tmpfs;
	co.attach_stdout = true;
	co.keep_mounted = true; /* started right away */
	co.log_driver = "none";
	if (net && !strcmp(net, "default"))
		net = NULL;
	co.network = net ? net : b->o->network;
	if (engine_create(&b->e, &co, &id, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		hk_error_errno(err, "socketpair");
		goto out;
	}
	if (engine_start(&b->e, id, sv[1], &status, err) < 0)
		goto out;
	close(sv[1]);
	sv[1] = -1;
	if (stream_output(b, sv[0], &code) < 0) {
		hk_error_set(err, 0, "interrupted (signal %d): the step's container is removed",
			     (int)interrupted);
		goto out;
	}
	close(sv[0]);
	sv[0] = -1;
	{
		/* the EXIT frame comes before the monitor records the exit: wait
		 * for the record, so that the removal finds a stopped container */
		int recorded = -1;
		if (engine_wait(&b->e, id, &recorded, err) < 0)
			goto out;
		if (code < 0)
			code = recorded;
	}
	if (code != 0) {
		hk_error_set(err, 0, "process \"%s\" did not complete successfully: exit code: %d",
			     joined, code);
		goto out;
	}
	if (engine_diff_layer(&b->e, id, b->store, (const char *const *)file_mounts, blob, &size,
			      err) < 0)
		goto out;
	{
		struct hk_error *e2 = NULL;
		if (engine_remove(&b->e, id, true, true, &e2) < 0)
			fprintf(stderr, "hako build: remove the step's container %.12s: %s\n", id,
				hk_error_msg(e2));
		hk_error_free(&e2);
		free(id);
		id = NULL;
	}
	if (state_commit(b, st->s, created_by, blob, size, err) < 0 ||
	    cache_put(b->store->db, key, st->s->id, err) < 0)
		goto out;
	r = 0;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (id) {
		struct hk_error *e2 = NULL;
		if (engine_remove(&b->e, id, true, true, &e2) < 0)
			fprintf(stderr, "hako build: remove the step's container %.12s: %s\n", id,
				hk_error_msg(e2));
		hk_error_free(&e2);
	}
	return r;
}

/* ------------------------------------------------------------ COPY/ADD */

/* A private rootfs of a state's layers: build-<pid>-<random>. */
static int mount_layers(struct builder *b, const struct state *s, char **rid, char **mnt,
			struct hk_error **err)
{
	_cleanup_free_ const char **chains = xzalloc((s->n_layers + 1) * sizeof(char *));
	unsigned char rnd[6];
	int r;

	for (size_t i = 0; i < s->n_layers; i++)
		chains[i] = s->layers[i].chain;
	if (getentropy(rnd, sizeof(rnd)) < 0)
		return hk_error_errno(err, "getentropy");
	*rid = xasprintf("build-%d-%02x%02x%02x%02x%02x%02x", (int)getpid(), rnd[0], rnd[1], rnd[2],
			 rnd[3], rnd[4], rnd[5]);
	r = storage_create_rootfs(b->st, chains, s->n_layers, *rid, mnt, err);
	if (r < 0) {
		free(*rid);
		*rid = NULL;
	}
	return r;
}

static void unmount_layers(struct builder *b, char **rid)
{
	struct hk_error *e2 = NULL;

	if (!*rid)
		return;
	storage_remove(b->st, *rid, &e2);
	hk_error_free(&e2);
	free(*rid);
	*rid = NULL;
}

static int blob_fn(void *arg, const void *buf, size_t len, struct hk_error **err)
{
	return store_blob_writer_write(arg, buf, len, err);
}

static int stage_by_name(struct builder *b, const char *name, size_t before)
{
	long long n;

	for (size_t i = 0; i < before && i < b->df->n_stages; i++)
		if (b->df->stages[i].name && !strcasecmp(b->df->stages[i].name, name))
			return (int)i;
	if (parse_ll(name, 0, (long long)before - 1, &n) == 0 && before > 0)
		return (int)n;
	return -1;
}

/* An image by reference, pulled when the store does not have it (or always
 * with --pull). */
static int find_image(struct builder *b, const char *ref, bool pull, char out[DIGEST_BUF],
		      struct hk_error **err)
{
	_cleanup_image_ struct image *img = NULL;
	struct hk_error *e2 = NULL;
	struct registry_xfer_opts xo = {.tls_verify = -1};

	if (!pull && image_lookup(b->store, ref, &img, &e2) == 0) {
		snprintf(out, DIGEST_BUF, "%s", img->id);
		return 0;
	}
	if (e2 && e2->errnum != ENOENT) {
		hk_error_free(err);
		*err = e2;
		return -1;
	}
	hk_error_free(&e2);
	if (str_has_prefix(ref, "sha256:"))
		return hk_error_set(err, ENOENT, "image '%s' not found", ref);
	say(b, "Pulling %s\n", ref);
	if (registry_pull(b->store, ref, &xo, out, err) < 0)
		return hk_error_wrap(err, "pull %s", ref);
	return 0;
}

static bool archive_magic(int rootfd, const char *rel)
{
	unsigned char m[512];
	struct hk_error *e2 = NULL;
	_cleanup_close_ int fd = path_open_in_root(rootfd, rel, O_RDONLY | O_NOFOLLOW, 0, &e2);
	ssize_t n;
	struct stat sb;

	hk_error_free(&e2);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return false;
	n = read_all(fd, m, sizeof(m));
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return true;
	if (n >= 6 && !memcmp(m,
			      "\xfd"
			      "7zXZ\0",
			      6))
		return true;
	if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return true;
	if (n >= 4 && !memcmp(m, "BZh", 3) && m[3] >= '1' && m[3] <= '9')
		return true;
	return n >= 262 && !memcmp(m + 257, "ustar", 5);
}

static int add_extract(struct copy_source *cs, const char *rel, int rootfd, const char *dst,
		       struct hk_error **err)
{
	_cleanup_close_ int in = path_open_in_root(cs->rootfd, rel, O_RDONLY | O_NOFOLLOW, 0, err);
	_cleanup_close_ int dfd = -1;
	struct layer_unpack_result res;

	if (in < 0)
		return -1;
	dfd = path_mkdir_in_root(rootfd, dst, 0755, err);
	if (dfd < 0)
		return -1;
	close(dfd);
	dfd = path_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY, 0, err);
	if (dfd < 0)
		return -1;
	/* the hostile-tar code of pulled layers: no entry leaves dst */
	if (storage_unpack_into(dfd, in, rel, &res, err) < 0)
		return hk_error_wrap(err, "ADD %s", rel);
	return 0;
}

/* Download url for ADD into <runroot>/build/dl-<pid>-.../<n>/<name>; *urls
 * gets "<dir>\n<name>", digest the body's. */
static int add_download(struct builder *b, const char *url, const char *checksum,
			char digest[DIGEST_BUF], char ***urls, struct hk_error **err)
{
	_cleanup_free_ char *name = fetch_url_name(url), *dir = NULL, *entry = NULL;
	_cleanup_close_ int dfd = -1;
	int64_t mtime = 0;

	if (!b->dl_tmp) {
		unsigned char rnd[4];
		if (getentropy(rnd, sizeof(rnd)) < 0)
			return hk_error_errno(err, "getentropy");
		b->dl_tmp = xasprintf("%s/build/dl-%d-%02x%02x%02x%02x", b->o->runroot,
				      (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
	}
	dir = xasprintf("%s/%d", b->dl_tmp, b->n_dl++);
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hk_error_errno(err, "open %s", dir);
	say(b, "Downloading %s\n", url);
	if (fetch_url(url, dfd, name, digest, &mtime, err) < 0)
		return -1;
	if (checksum && strcmp(checksum, digest))
		return hk_error_set(err, 0, "ADD %s: checksum %s, --checksum wants %s", url, digest,
				    checksum);
	if (mtime > 0) {
		struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
		utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	}
	entry = xasprintf("%s\n%s", dir, name);
	strv_push(urls, entry);
	return 0;
}

static int step_copy(struct step *st, struct hk_error **err)
{
	struct builder *b = st->b;
	const struct build_instr *in = st->in;
	bool add = in->kind == BUILD_ADD;
	_cleanup_strv_ char **words = NULL;
	_cleanup_free_ char *dest = NULL, *from = NULL, *chown = NULL, *chmod_s = NULL;
	_cleanup_free_ char *rid = NULL, *mnt = NULL, *src_rid = NULL, *src_mnt = NULL;
	_cleanup_free_ char *created_by = NULL, *desc = xstrdup("");
	_cleanup_close_ int src_fd = -1, dst_fd = -1;
	struct state src_state = {0};
	struct copy_source cs = {.rootfd = b->ctx_fd, .ig = b->ig};
	struct copy_dest cd = {.mode = -1};
	_cleanup_strv_ char **matches = NULL, **urls = xzalloc(sizeof(char *)),
			    **from_srcs = xzalloc(sizeof(char *));
	size_t n_src;
	bool into_dir, hit = false;
	char key[DIGEST_BUF], blob[DIGEST_BUF];
	int64_t size = 0;
	int r = -1;

	if (in->json)
		words = strv_dup(in->argv);
	else if (build_expand_words(in->args, b->df->escape, scope_lookup, &st->sc, &st->used,
				    &words, err) < 0)
		return -1;
	n_src = strv_len(words) - 1;
	{
		const char *raw_dest = words[n_src];
		const char *wd = cfg_string(st->s, "WorkingDir");
		_cleanup_free_ char *j = raw_dest[0] == '/'
						 ? xstrdup(raw_dest)
						 : path_join(wd && *wd ? wd : "/", raw_dest);
		dest = path_clean(j);
		into_dir = str_has_suffix(raw_dest, "/") || n_src > 1 || !strcmp(raw_dest, ".");
	}
	if (build_flag(in, "from") && expand(st, build_flag(in, "from"), &from, err) < 0)
		return -1;
	if (build_flag(in, "chown") && expand(st, build_flag(in, "chown"), &chown, err) < 0)
		return -1;
	if (build_flag(in, "chmod")) {
		long long m;
		if (expand(st, build_flag(in, "chmod"), &chmod_s, err) < 0)
			return -1;
		if (parse_ll(chmod_s, 0, 07777, &m) < 0 ||
		    strspn(chmod_s, "01234567") != strlen(chmod_s))
			return hk_error_set(err, 0, "--chmod=%s: an octal mode is expected",
					    chmod_s);
		cd.mode = (int)strtol(chmod_s, NULL, 8);
	}
	if (add && from)
		return hk_error_set(err, 0, "ADD does not take --from (COPY does)");
	/* the source root: the context, or another stage / an image */
	if (from) {
		int si = stage_by_name(b, from, (size_t)(st->s - b->stages));
		char iid[DIGEST_BUF];
		if (si >= 0) {
			if (!b->stages[si].id[0])
				state_scratch(b, &src_state);
			else if (state_load(b, b->stages[si].id, &src_state, err) < 0)
				goto out;
		} else {
			if (find_image(b, from, false, iid, err) < 0 ||
			    state_load(b, iid, &src_state, err) < 0) {
				hk_error_wrap(err, "--from=%s", from);
				goto out;
			}
		}
		/* the sources are mounted only on a miss: the source image's id
		 * fixes their content, so it and the patterns are the key */
		cs.rootfd = -1;
		cs.ig = NULL;
		cd.keep_owner = true;
	}
	/* the sources and their digest: the key */
	matches = xzalloc(sizeof(char *));
	{
		_cleanup_digester_ struct digester *dg = digester_new();
		char sd[DIGEST_BUF];
		for (size_t i = 0; i < n_src; i++) {
			const char *w = words[i];
			bool heredoc = false;
			for (size_t h = 0; h < in->n_heredocs; h++) {
				_cleanup_free_ char *m = xasprintf("<<%s", in->heredocs[h].name);
				_cleanup_free_ char *m2 = xasprintf("<<-%s", in->heredocs[h].name);
				/* quotes are gone after expansion: <<"EOF" is <<EOF */
				if (!strcmp(w, m) || !strcmp(w, m2)) {
					digester_update(dg, in->heredocs[h].content,
							strlen(in->heredocs[h].content));
					heredoc = true;
				}
			}
			if (heredoc)
				continue;
			if (add &&
			    (str_has_prefix(w, "http://") || str_has_prefix(w, "https://"))) {
				char ud[DIGEST_BUF];
				if (add_download(b, w, build_flag(in, "checksum"), ud, &urls, err) <
				    0)
					goto out;
				digester_update(dg, ud, strlen(ud));
				continue;
			}
			_cleanup_strv_ char **m = NULL;
			if (from) {
				digester_update(dg, w, strlen(w) + 1);
				strv_push(&from_srcs, w);
				continue;
			}
			if (copy_glob(&cs, w, &m, err) < 0)
				goto out;
			for (char **p = m; *p; p++) {
				if (copy_digest(&cs, *p, dg, err) < 0)
					goto out;
				strv_push(&matches, *p);
			}
		}
		digester_final(dg, sd);
		if (strv_len(matches) + strv_len(urls) + strv_len(from_srcs) > 1)
			into_dir = true;
		for (char **f = in->flags; *f; f++) {
			char *nd = xasprintf("%s --%s", desc, *f);
			free(desc);
			desc = nd;
		}
		created_by = xasprintf("/bin/sh -c #(nop) %s%s %s:%s in %s ", add ? "ADD" : "COPY",
				       desc, from ? "from" : "dir", sd + DIGEST_HEX_START, dest);
		key_add(st, add ? "ADD" : "COPY");
		key_add(st, from ? src_state.id : "context");
		key_add(st, sd);
		key_add(st, dest);
		key_add(st, into_dir ? "dir" : "file");
		for (char **f = in->flags; *f; f++)
			key_add(st, *f);
		key_add_used(st);
		digester_final(st->key, key);
	}
	if (cache_lookup(st, key, &hit, err) < 0)
		goto out;
	print_step(st, hit);
	if (hit) {
		r = 0;
		goto out;
	}
	if (from) {
		if (mount_layers(b, &src_state, &src_rid, &src_mnt, err) < 0)
			goto out;
		src_fd = open(src_mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (src_fd < 0) {
			hk_error_errno(err, "open %s", src_mnt);
			goto out;
		}
		cs.rootfd = src_fd;
		for (char **w = from_srcs; *w; w++) {
			_cleanup_strv_ char **m = NULL;
			if (copy_glob(&cs, *w, &m, err) < 0)
				goto out;
			for (char **p = m; *p; p++)
				strv_push(&matches, *p);
		}
		if (strv_len(matches) > 1)
			into_dir = true;
	}
	if (mount_layers(b, st->s, &rid, &mnt, err) < 0)
		goto out;
	dst_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst_fd < 0) {
		hk_error_errno(err, "open %s", mnt);
		goto out;
	}
	cd.rootfd = dst_fd;
	if (chown) {
		if (copy_resolve_owner(dst_fd, chown, &cd.uid, &cd.gid, err) < 0)
			goto out;
		cd.keep_owner = false;
	}
	if (!into_dir && copy_is_dir(dst_fd, dest))
		into_dir = true;
	for (size_t h = 0; h < in->n_heredocs; h++) {
		_cleanup_free_ char *content = NULL, *target = NULL;
		if (in->heredocs[h].expand) {
			if (expand(st, in->heredocs[h].content, &content, err) < 0)
				goto out;
		} else {
			content = xstrdup(in->heredocs[h].content);
		}
		target = into_dir ? path_join(dest, in->heredocs[h].name) : xstrdup(dest);
		if (copy_write_file(&cd, target, content, err) < 0)
			goto out;
	}
	for (char **u = urls; *u; u++) {
		/* "<dir>\n<name>": a download, copied as a file of mode 0600 */
		char *nl = strchr(*u, '\n');
		_cleanup_close_ int ufd = -1;
		struct copy_source us = {.rootfd = -1};
		struct copy_dest ucd = cd;
		*nl = '\0';
		ufd = open(*u, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*nl = '\n';
		if (ufd < 0) {
			hk_error_errno(err, "open a download");
			goto out;
		}
		us.rootfd = ufd;
		if (ucd.mode < 0)
			ucd.mode = 0600;
		if (copy_into(&us, nl + 1, &ucd, dest, into_dir, err) < 0)
			goto out;
	}
	for (char **m = matches; *m; m++) {
		int rr;
		if (add && archive_magic(cs.rootfd, *m))
			rr = add_extract(&cs, *m, dst_fd, dest, err);
		else
			rr = copy_into(&cs, *m, &cd, dest, into_dir, err);
		if (rr < 0)
			goto out;
	}
	{
		struct blob_writer *w = NULL;
		if (image_store_op_begin(b->store, err) < 0)
			goto out;
		if (store_blob_writer_open(b->store, NULL, -1, &w, err) < 0) {
			image_store_op_end(b->store);
			goto out;
		}
		if (storage_diff_tar(b->st, rid, NULL, blob_fn, w, err) < 0) {
			store_blob_writer_abort(w);
			image_store_op_end(b->store);
			goto out;
		}
		if (store_blob_writer_commit(w, blob, &size, err) < 0) {
			image_store_op_end(b->store);
			goto out;
		}
		image_store_op_end(b->store);
	}
	unmount_layers(b, &rid);
	if (state_commit(b, st->s, created_by, blob, size, err) < 0 ||
	    cache_put(b->store->db, key, st->s->id, err) < 0)
		goto out;
	r = 0;
out:
	if (dst_fd >= 0) {
		close(dst_fd);
		dst_fd = -1;
	}
	if (src_fd >= 0) {
		close(src_fd);
		src_fd = -1;
	}
	unmount_layers(b, &rid);
	unmount_layers(b, &src_rid);
	state_clear(&src_state);
	return r;
}

/* ------------------------------------------------------------ stages */

static int run_step(struct builder *b, struct state *s, const struct build_instr *in,
		    struct hk_error **err)
{
	struct step st = {.b = b, .s = s, .in = in};
	int r;

	if (interrupted)
		return hk_error_set(err, 0, "interrupted (signal %d)", (int)interrupted);
	scope_init(&st.sc, b, s);
	st.key = digester_new();
	st.used = xzalloc(sizeof(char *));
	key_add(&st, s->id[0] ? s->id : "scratch");
	switch (in->kind) {
	case BUILD_RUN:
		r = step_run(&st, err);
		break;
	case BUILD_COPY:
	case BUILD_ADD:
		r = step_copy(&st, err);
		break;
	case BUILD_ARG: {
		_cleanup_strv_ char **kv = NULL;
		r = build_key_values(in, b->df->escape, scope_lookup, &st.sc, &st.used, &kv, err);
		for (char **p = kv; r == 0 && *p; p++) {
			_cleanup_free_ char *v = arg_value(b, *p, false);
			kv_set(&s->args, v);
		}
		if (r == 0)
			print_step(&st, false);
		break;
	}
	default:
		r = step_meta(&st, err);
		break;
	}
	scope_done(&st.sc);
	digester_free(st.key);
	strv_free(st.used);
	if (r < 0) {
		/* where it failed, as Docker: the file and the line */
		int line = in->line;
		return hk_error_wrap(err, "%s:%d: %s", b->df->path, line,
				     build_kind_name(in->kind));
	}
	return 0;
}

static int host_platform_ok(struct builder *b, const char *plat)
{
	_cleanup_free_ char *want = xasprintf("linux/%s", b->arch);
	return !strcmp(plat, want) || !strncmp(plat, want, strlen(want));
}

static int run_onbuild(struct builder *b, struct state *s, struct hk_error **err)
{
	_cleanup_strv_ char **triggers = cfg_strv(s, "OnBuild");
	int r;

	if (!triggers[0])
		return 0;
	/* triggers run once, in the first child: they are not inherited */
	json_object_object_del(cfg_of(s), "OnBuild");
	for (char **t = triggers; *t; t++) {
		_cleanup_build_file_ struct build_file *tmp = NULL;
		_cleanup_free_ char *txt = xasprintf("FROM scratch\n%s\n", *t);
		if (build_parse("ONBUILD trigger", txt, strlen(txt), &tmp, err) < 0)
			return -1;
		if (tmp->stages[0].n_instrs != 2)
			return hk_error_set(err, 0, "ONBUILD trigger '%s': not one instruction",
					    *t);
		b->trigger = true;
		r = run_step(b, s, &tmp->stages[0].instrs[1], err);
		b->trigger = false;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int build_stage(struct builder *b, size_t idx, struct hk_error **err)
{
	struct build_stage *stage = &b->df->stages[idx];
	struct state *s = &b->stages[idx];
	const struct build_instr *from = &stage->instrs[0];
	_cleanup_free_ char *base = NULL;
	struct scope sc;
	int si;

	scope_init(&sc, b, NULL);
	if (build_expand_word(stage->base, b->df->escape, scope_lookup, &sc, NULL, &base, err) < 0)
		return hk_error_wrap(err, "%s:%d: FROM", b->df->path, from->line);
	if (stage->platform) {
		_cleanup_free_ char *p = NULL;
		if (build_expand_word(stage->platform, b->df->escape, scope_lookup, &sc, NULL, &p,
				      err) < 0)
			return -1;
		if (!host_platform_ok(b, p))
			return hk_error_set(err, ENOTSUP,
					    "%s:%d: FROM --platform=%s: only this host's platform "
					    "(linux/%s) can be built",
					    b->df->path, from->line, p, b->arch);
	}
	b->step = b->offset[idx] + 1;
	say(b, "STEP %zu/%zu: %s\n", b->step, b->n_steps, from->text);
	si = stage_by_name(b, base, idx);
	if (si >= 0 && b->df->stages[si].name && !strcasecmp(b->df->stages[si].name, base)) {
		if (!b->stages[si].img)
			return hk_error_set(err, 0, "%s:%d: FROM %s: the stage was not built",
					    b->df->path, from->line, base);
		if (b->stages[si].id[0]) {
			if (state_load(b, b->stages[si].id, s, err) < 0)
				return -1;
		} else {
			state_scratch(b, s);
		}
	} else if (!strcasecmp(base, "scratch")) {
		state_scratch(b, s);
	} else {
		char id[DIGEST_BUF];
		if (find_image(b, base, b->o->pull, id, err) < 0 || state_load(b, id, s, err) < 0)
			return hk_error_wrap(err, "%s:%d: FROM %s", b->df->path, from->line, base);
	}
	s->args = xzalloc(sizeof(char *));
	s->cmd_set = false;
	if (run_onbuild(b, s, err) < 0)
		return -1;
	for (size_t i = 1; i < stage->n_instrs; i++) {
		b->step++;
		if (run_step(b, s, &stage->instrs[i], err) < 0)
			return -1;
	}
	return 0;
}

/* Which stages the target needs: its base stages and COPY --from stages. */
static void mark_needed(struct builder *b, size_t idx)
{
	struct build_stage *stage = &b->df->stages[idx];
	struct scope sc;

	if (b->needed[idx])
		return;
	b->needed[idx] = true;
	scope_init(&sc, b, NULL);
	{
		_cleanup_free_ char *base = NULL;
		struct hk_error *e2 = NULL;
		if (build_expand_word(stage->base, b->df->escape, scope_lookup, &sc, NULL, &base,
				      &e2) == 0) {
			int si = stage_by_name(b, base, idx);
			if (si >= 0 && b->df->stages[si].name &&
			    !strcasecmp(b->df->stages[si].name, base)) {
				b->deps[idx * b->df->n_stages + (size_t)si] = true;
				mark_needed(b, (size_t)si);
			}
		}
		hk_error_free(&e2);
	}
	for (size_t i = 1; i < stage->n_instrs; i++) {
		const char *f = build_flag(&stage->instrs[i], "from");
		_cleanup_free_ char *v = NULL;
		struct hk_error *e2 = NULL;
		if (stage->instrs[i].kind != BUILD_COPY || !f)
			continue;
		if (build_expand_word(f, b->df->escape, scope_lookup, &sc, NULL, &v, &e2) == 0) {
			int si = stage_by_name(b, v, idx);
			if (si >= 0) {
				b->deps[idx * b->df->n_stages + (size_t)si] = true;
				mark_needed(b, (size_t)si);
			}
		}
		hk_error_free(&e2);
	}
}

/* ------------------------------------------------------------ scheduling */

#define MAX_PARALLEL 4

struct child {
	pid_t pid;
	size_t stage;
	int fd; /* the read end of its result pipe */
};

/* A stage built in a child process: handles of its own (the parent's SQLite
 * connections and store lock must not be used after fork()), the result, "0
 * <image id>" or "1 <message>", written to wfd. */
static void __attribute__((noreturn)) stage_child(struct builder *b, size_t idx, int wfd)
{
	struct hk_error *e2 = NULL;
	struct state *s = &b->stages[idx];
	int r;

	/* the parent's handles are left as they are: not closed, not used */
	b->e_open = false;
	b->store = NULL;
	b->st = NULL;
	b->op = false;
	r = engine_open(&b->e, b->o->root, b->o->runroot, &e2);
	if (r == 0) {
		b->e_open = true;
		r = image_store_open(b->o->root, &b->store, &e2);
	}
	if (r == 0)
		r = storage_open(b->o->root, NULL, &b->st, &e2);
	if (r == 0 && (r = image_store_op_begin(b->store, &e2)) == 0)
		b->op = true;
	if (r == 0)
		r = build_stage(b, idx, &e2);
	if (r == 0 && !s->id[0])
		r = state_commit(b, s, "/bin/sh -c #(nop) FROM scratch", NULL, 0, &e2);
	{
		_cleanup_free_ char *msg =
			r == 0 ? xasprintf("0 %s", s->id) : xasprintf("1 %s", hk_error_msg(e2));
		write_all(wfd, msg, strlen(msg));
	}
	if (r < 0 && b->out < 0 && b->quiet_len)
		write_all(2, b->quiet_buf, b->quiet_len);
	hk_error_free(&e2);
	if (b->op)
		image_store_op_end(b->store);
	if (b->st)
		storage_close(b->st);
	if (b->store)
		image_store_close(b->store); /* drops the blobs no image took */
	if (b->e_open)
		engine_close(&b->e);
	_exit(r == 0 ? 0 : 1);
}

static int stage_ready(struct builder *b, size_t i, const bool *done, const bool *running)
{
	size_t n = b->df->n_stages;

	if (!b->needed[i] || done[i] || running[i])
		return 0;
	for (size_t j = 0; j < n; j++)
		if (b->deps[i * n + j] && !done[j])
			return 0;
	return 1;
}

/* Wait for one child (its result pipe ends when it exits: no waitpid(-1),
 * which could take a process the engine waits for); its stage is done
 * (loaded into b->stages) or the build failed.  ^C is passed on. */
static int reap_child(struct builder *b, struct child *kids, size_t *n_kids, bool *done,
		      bool *running, struct hk_error **err)
{
	struct pollfd p[MAX_PARALLEL];
	char buf[4096];
	ssize_t len;
	size_t k;
	int status = 0;
	bool forwarded = false;

	for (;;) {
		for (k = 0; k < *n_kids; k++)
			p[k] = (struct pollfd){.fd = kids[k].fd, .events = POLLIN};
		if (interrupted && !forwarded) {
			for (k = 0; k < *n_kids; k++)
				kill(kids[k].pid, SIGTERM);
			forwarded = true;
		}
		if (poll(p, *n_kids, -1) < 0) {
			if (errno == EINTR)
				continue;
			return hk_error_errno(err, "wait for a stage");
		}
		for (k = 0; k < *n_kids; k++)
			if (p[k].revents)
				break;
		if (k < *n_kids)
			break;
	}
	len = read_all(kids[k].fd, buf, sizeof(buf) - 1);
	buf[len > 0 ? len : 0] = '\0';
	close(kids[k].fd);
	while (waitpid(kids[k].pid, &status, 0) < 0 && errno == EINTR)
		;
	running[kids[k].stage] = false;
	{
		size_t idx = kids[k].stage;
		kids[k] = kids[--*n_kids];
		if (len < 2 || buf[0] != '0')
			return hk_error_set(err, 0, "%s",
					    len > 2 ? buf + 2 : "a stage's process died");
		if (state_load(b, buf + 2, &b->stages[idx], err) < 0)
			return -1;
		done[idx] = true;
	}
	return 0;
}

/* Build the stages the target needs: one in this process when it is the
 * only one that can run, else each stage whose dependencies are built in a
 * process of its own, up to MAX_PARALLEL at once. */
static int build_stages(struct builder *b, size_t target, struct hk_error **err)
{
	size_t n = b->df->n_stages, n_kids = 0;
	_cleanup_free_ bool *done = xzalloc(n * sizeof(bool));
	_cleanup_free_ bool *running = xzalloc(n * sizeof(bool));
	_cleanup_free_ struct child *kids = xzalloc(MAX_PARALLEL * sizeof(*kids));
	int r = 0;

	for (;;) {
		size_t ready[MAX_PARALLEL], n_ready = 0;
		for (size_t i = 0; i <= target && n_ready + n_kids < MAX_PARALLEL; i++)
			if (stage_ready(b, i, done, running))
				ready[n_ready++] = i;
		if (!n_ready && !n_kids)
			break;
		if (n_ready == 1 && !n_kids) {
			if (build_stage(b, ready[0], err) < 0)
				return -1;
			done[ready[0]] = true;
			continue;
		}
		for (size_t k = 0; k < n_ready; k++) {
			int pfd[2];
			pid_t pid;
			if (pipe2(pfd, O_CLOEXEC) < 0) {
				r = hk_error_errno(err, "pipe");
				break;
			}
			fflush(NULL);
			pid = fork();
			if (pid < 0) {
				close(pfd[0]);
				close(pfd[1]);
				r = hk_error_errno(err, "fork");
				break;
			}
			if (pid == 0) {
				close(pfd[0]);
				stage_child(b, ready[k], pfd[1]);
			}
			close(pfd[1]);
			kids[n_kids++] =
				(struct child){.pid = pid, .stage = ready[k], .fd = pfd[0]};
			running[ready[k]] = true;
		}
		if (r < 0 || (n_kids && reap_child(b, kids, &n_kids, done, running, err) < 0)) {
			r = -1;
			break;
		}
	}
	if (r < 0) {
		/* the others stop: each removes its step's container */
		for (size_t k = 0; k < n_kids; k++)
			kill(kids[k].pid, SIGTERM);
		while (n_kids) {
			struct hk_error *e2 = NULL;
			reap_child(b, kids, &n_kids, done, running, &e2);
			hk_error_free(&e2);
		}
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ context */

static int read_stdin_file(const char *dir, char **path, struct hk_error **err)
{
	_cleanup_free_ char *p = xasprintf("%s/stdin", dir);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	_cleanup_free_ char *buf = xmalloc(COPY_CHUNK);
	ssize_t n;

	if (fd < 0)
		return hk_error_errno(err, "create %s", p);
	while ((n = read(0, buf, COPY_CHUNK)) > 0)
		if (write_all(fd, buf, (size_t)n) != n)
			return hk_error_errno(err, "write %s", p);
	if (n < 0)
		return hk_error_errno(err, "read stdin");
	*path = steal_ptr(&p);
	return 0;
}

static int open_context(struct builder *b, char **df_text, size_t *df_len, struct hk_error **err)
{
	const struct build_opts *o = b->o;
	struct stat sb;
	_cleanup_free_ char *stdin_path = NULL;
	const char *tarfile = NULL;

	if (!strcmp(o->context, "-") || (stat(o->context, &sb) == 0 && S_ISREG(sb.st_mode))) {
		unsigned char rnd[6];
		if (getentropy(rnd, sizeof(rnd)) < 0)
			return hk_error_errno(err, "getentropy");
		b->ctx_tmp =
			xasprintf("%s/build/ctx-%d-%02x%02x%02x%02x%02x%02x", o->runroot,
				  (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		if (mkdir_p(b->ctx_tmp, 0700, err) < 0)
			return -1;
		if (!strcmp(o->context, "-")) {
			if (read_stdin_file(b->ctx_tmp, &stdin_path, err) < 0)
				return -1;
			tarfile = stdin_path;
		} else {
			tarfile = o->context;
		}
		{
			_cleanup_free_ char *dir = xasprintf("%s/ctx", b->ctx_tmp);
			_cleanup_close_ int in = open(tarfile, O_RDONLY | O_CLOEXEC);
			_cleanup_close_ int dfd = -1;
			struct layer_unpack_result res;
			bool is_archive = false;
			unsigned char m[512];
			ssize_t n;
			if (in < 0)
				return hk_error_errno(err, "open %s", tarfile);
			n = pread(in, m, sizeof(m), 0);
			is_archive = (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
				     (n >= 6 && !memcmp(m,
							"\xfd"
							"7zXZ\0",
							6)) ||
				     (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4)) ||
				     (n >= 3 && !memcmp(m, "BZh", 3)) ||
				     (n >= 262 && !memcmp(m + 257, "ustar", 5));
			if (mkdir(dir, 0700) < 0)
				return hk_error_errno(err, "mkdir %s", dir);
			dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				return hk_error_errno(err, "open %s", dir);
			if (is_archive) {
				if (storage_unpack_into(dfd, in, "the build context", &res, err) <
				    0)
					return -1;
			} else if (!strcmp(o->context, "-") && !o->dockerfile) {
				/* a bare Dockerfile on stdin: an empty context */
				if (read_file_at(AT_FDCWD, tarfile, 8 << 20, df_text, df_len, err) <
				    0)
					return -1;
			} else {
				return hk_error_set(err, 0, "%s: not a tar archive", o->context);
			}
			b->ctx_fd = steal_fd(&dfd);
		}
	} else {
		b->ctx_fd = open(o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (b->ctx_fd < 0)
			return hk_error_errno(err, "build context %s", o->context);
	}
	if (*df_text)
		return 0;
	if (o->dockerfile && !strcmp(o->dockerfile, "-")) {
		_cleanup_free_ char *p = NULL;
		if (!strcmp(o->context, "-"))
			return hk_error_set(err, 0,
					    "-f - and a context on stdin: stdin can be only one");
		if (!b->ctx_tmp) {
			unsigned char rnd[4];
			if (getentropy(rnd, sizeof(rnd)) < 0)
				return hk_error_errno(err, "getentropy");
			b->ctx_tmp = xasprintf("%s/build/df-%d-%02x%02x%02x%02x", o->runroot,
					       (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
			if (mkdir_p(b->ctx_tmp, 0700, err) < 0)
				return -1;
		}
		if (read_stdin_file(b->ctx_tmp, &p, err) < 0)
			return -1;
		return read_file_at(AT_FDCWD, p, 8 << 20, df_text, df_len, err);
	}
	if (o->dockerfile && b->ctx_tmp) {
		/* a tar context: -f names a file in it, as Docker's */
		_cleanup_close_ int fd =
			path_open_in_root(b->ctx_fd, o->dockerfile, O_RDONLY, 0, err);
		char fdp[32];
		if (fd < 0 || read_file_at(AT_FDCWD, path_fd(fd, fdp, sizeof(fdp)), 8 << 20,
					   df_text, df_len, err) < 0)
			return hk_error_wrap(err, "Dockerfile %s in the context", o->dockerfile);
		return 0;
	}
	if (o->dockerfile)
		return read_file_at(AT_FDCWD, o->dockerfile, 8 << 20, df_text, df_len, err) < 0
			       ? hk_error_wrap(err, "Dockerfile")
			       : 0;
	{
		/* CONTEXT/Dockerfile, resolved inside the context */
		_cleanup_close_ int fd =
			path_open_in_root(b->ctx_fd, "Dockerfile", O_RDONLY, 0, err);
		if (fd < 0)
			return hk_error_wrap(
				err, "no Dockerfile in the build context (-f FILE to name one)");
		char fdp[32];
		if (read_file_at(AT_FDCWD, path_fd(fd, fdp, sizeof(fdp)), 8 << 20, df_text, df_len,
				 err) < 0)
			return hk_error_wrap(err, "read the Dockerfile");
		return 0;
	}
}

/* The ignore file: <Dockerfile>.dockerignore next to a -f Dockerfile (as
 * BuildKit), else the context's .dockerignore. */
static void load_ignore(struct builder *b)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct hk_error *e2 = NULL;
	char fdp[32];

	if (b->o->dockerfile && strcmp(b->o->dockerfile, "-")) {
		_cleanup_free_ char *p = xasprintf("%s.dockerignore", b->o->dockerfile);
		if (b->ctx_tmp)
			fd = path_open_in_root(b->ctx_fd, p, O_RDONLY | O_NOFOLLOW, 0, &e2);
		else
			fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		hk_error_free(&e2);
	}
	if (fd < 0)
		fd = path_open_in_root(b->ctx_fd, ".dockerignore", O_RDONLY | O_NOFOLLOW, 0, &e2);
	if (fd >= 0 &&
	    read_file_at(AT_FDCWD, path_fd(fd, fdp, sizeof(fdp)), 1 << 20, &text, &len, &e2) == 0)
		b->ig = build_ignore_parse(text, len);
	hk_error_free(&e2);
}

static void platform_args(struct builder *b)
{
	struct utsname u;
	const char *m = uname(&u) == 0 ? u.machine : "x86_64";
	_cleanup_free_ char *p = NULL;

	snprintf(b->arch, sizeof(b->arch), "%s",
		 !strcmp(m, "x86_64")	   ? "amd64"
		 : !strcmp(m, "aarch64")   ? "arm64"
		 : !strncmp(m, "armv7", 5) ? "arm"
		 : !strcmp(m, "i686")	   ? "386"
		 : !strcmp(m, "ppc64le")   ? "ppc64le"
		 : !strcmp(m, "s390x")	   ? "s390x"
		 : !strcmp(m, "riscv64")   ? "riscv64"
					   : m);
	p = xasprintf("linux/%s", b->arch);
	b->platform = xzalloc(sizeof(char *));
	{
		static const char *const pre[] = {"BUILD", "TARGET"};
		for (size_t i = 0; i < 2; i++) {
			_cleanup_free_ char *a = xasprintf("%sPLATFORM=%s", pre[i], p);
			_cleanup_free_ char *o = xasprintf("%sOS=linux", pre[i]);
			_cleanup_free_ char *ar = xasprintf("%sARCH=%s", pre[i], b->arch);
			_cleanup_free_ char *v = xasprintf("%sVARIANT=", pre[i]);
			strv_push(&b->platform, a);
			strv_push(&b->platform, o);
			strv_push(&b->platform, ar);
			strv_push(&b->platform, v);
		}
	}
}

static bool pid_gone(const char *name, const char *prefix)
{
	long long pid;
	_cleanup_free_ char *num = NULL;
	const char *p = name + strlen(prefix), *dash;

	if (!str_has_prefix(name, prefix) || !(dash = strchr(p, '-')))
		return false;
	num = xstrndup(p, (size_t)(dash - p));
	if (parse_ll(num, 1, 1 << 30, &pid) < 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* What a build killed by SIGKILL (or a crash) left: its private rootfs
 * (rootfs/build-<pid>-*) and unpacked contexts (<runroot>/build/). */
static void remove_stale(struct builder *b)
{
	_cleanup_free_ char *rootfs = path_join(b->o->root, "rootfs");
	_cleanup_free_ char *tmp = path_join(b->o->runroot, "build");
	_cleanup_dir_ DIR *d = opendir(rootfs);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct hk_error *e2 = NULL;
		if (pid_gone(de->d_name, "build-"))
			storage_remove(b->st, de->d_name, &e2);
		hk_error_free(&e2);
	}
	{
		/* the RUN containers of a killed build (named hako-build-<pid>-...) */
		struct engine_container **list = NULL;
		size_t n = 0;
		struct hk_error *e2 = NULL;
		if (engine_list(&b->e, &list, &n, &e2) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (!pid_gone(list[i]->name, "hako-build-"))
					continue;
				engine_remove(&b->e, list[i]->id, true, true, &e2);
				hk_error_free(&e2);
			}
			engine_list_free(list, n);
		}
		hk_error_free(&e2);
	}
	{
		_cleanup_dir_ DIR *t = opendir(tmp);
		while (t && (de = readdir(t))) {
			struct hk_error *e2 = NULL;
			if (pid_gone(de->d_name, "ctx-") || pid_gone(de->d_name, "df-") ||
			    pid_gone(de->d_name, "dl-")) {
				_cleanup_free_ char *p = path_join(tmp, de->d_name);
				rm_rf(p, &e2);
			}
			hk_error_free(&e2);
		}
	}
}

static void builder_free(struct builder *b)
{
	if (b->stages)
		for (size_t i = 0; i < b->df->n_stages; i++)
			state_clear(&b->stages[i]);
	free(b->stages);
	free(b->needed);
	free(b->deps);
	free(b->offset);
	if (b->ctx_fd >= 0)
		close(b->ctx_fd);
	if (b->ctx_tmp) {
		struct hk_error *e2 = NULL;
		rm_rf(b->ctx_tmp, &e2);
		hk_error_free(&e2);
		free(b->ctx_tmp);
	}
	if (b->dl_tmp) {
		struct hk_error *e2 = NULL;
		rm_rf(b->dl_tmp, &e2);
		hk_error_free(&e2);
		free(b->dl_tmp);
	}
	build_ignore_free(b->ig);
	strv_free(b->meta);
	strv_free(b->platform);
	strv_free(b->build_args);
	strv_free(b->consumed);
	free(b->quiet_buf);
	if (b->op)
		image_store_op_end(b->store);
	if (b->st)
		storage_close(b->st);
	if (b->store)
		image_store_close(b->store);
	if (b->e_open)
		engine_close(&b->e);
	build_file_free(b->df);
}

/* s in double quotes for the Dockerfile lexer: '"', '$' and '\\' escaped,
 * so a value is taken as it is. */
static char *dquote(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 3), *w = out;

	*w++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '$' || *s == '\\')
			*w++ = '\\';
		*w++ = *s;
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

/* The final image: --label added (a step of its own, cached like one). */
static int final_labels(struct builder *b, struct state *s, struct hk_error **err)
{
	_cleanup_free_ char *text = xstrdup("LABEL");
	_cleanup_build_file_ struct build_file *tmp = NULL;
	_cleanup_free_ char *df = NULL;

	if (!b->o->labels || !b->o->labels[0])
		return 0;
	b->step++;
	for (char **l = b->o->labels; *l; l++) {
		char *eq = strchr(*l, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
		_cleanup_free_ char *qk = NULL, *qv = NULL;
		char *n;
		if (strpbrk(*l, "\r\n"))
			return hk_error_set(err, 0, "--label: a line break in '%s'", *l);
		qk = dquote(k);
		qv = dquote(eq ? eq + 1 : "");
		n = xasprintf("%s %s=%s", text, qk, qv);
		free(text);
		text = n;
	}
	df = xasprintf("FROM scratch\n%s\n", text);
	if (build_parse("--label", df, strlen(df), &tmp, err) < 0)
		return -1;
	{
		struct step st = {.b = b, .s = s, .in = &tmp->stages[0].instrs[1]};
		int r;
		scope_init(&st.sc, b, s);
		st.key = digester_new();
		st.used = xzalloc(sizeof(char *));
		key_add(&st, s->id[0] ? s->id : "scratch");
		r = step_meta(&st, err);
		scope_done(&st.sc);
		digester_free(st.key);
		strv_free(st.used);
		return r;
	}
}

int build_image(const struct build_opts *o, char out_id[72], struct hk_error **err)
{
	struct builder b = {.o = o, .ctx_fd = -1, .out = o->quiet ? -1 : o->out_fd};
	_cleanup_free_ char *df_text = NULL;
	struct sig_saved sigs;
	size_t df_len = 0;
	size_t target;
	int r = -1;

	signals_catch(&sigs);

	platform_args(&b);
	b.build_args = xzalloc(sizeof(char *));
	for (char **a = o->build_args; a && *a; a++) {
		if (strchr(*a, '=')) {
			kv_set(&b.build_args, *a);
		} else if (getenv(*a)) {
			_cleanup_free_ char *kv = xasprintf("%s=%s", *a, getenv(*a));
			kv_set(&b.build_args, kv);
		}
	}
	b.consumed = xzalloc(sizeof(char *));
	if (open_context(&b, &df_text, &df_len, err) < 0)
		goto out;
	load_ignore(&b);
	if (build_parse(o->dockerfile && strcmp(o->dockerfile, "-") ? o->dockerfile : "Dockerfile",
			df_text, df_len, &b.df, err) < 0)
		goto out;
	/* the global scope: ARGs before the first FROM */
	b.meta = xzalloc(sizeof(char *));
	for (char **p = b.platform; *p; p++)
		strv_push(&b.meta, *p);
	for (size_t i = 0; i < b.df->n_meta_args; i++) {
		_cleanup_strv_ char **kv = NULL;
		struct scope sc;
		scope_init(&sc, &b, NULL);
		if (build_key_values(&b.df->meta_args[i], b.df->escape, scope_lookup, &sc, NULL,
				     &kv, err) < 0) {
			hk_error_wrap(err, "%s:%d: ARG", b.df->path, b.df->meta_args[i].line);
			goto out;
		}
		for (char **p = kv; *p; p++) {
			_cleanup_free_ char *v = arg_value(&b, *p, true);
			kv_set(&b.meta, v);
		}
	}
	target = b.df->n_stages - 1;
	if (o->target) {
		int t = -1;
		for (size_t i = 0; i < b.df->n_stages; i++)
			if (b.df->stages[i].name && !strcasecmp(b.df->stages[i].name, o->target))
				t = (int)i;
		if (t < 0) {
			hk_error_set(err, 0, "--target %s: no stage of that name", o->target);
			goto out;
		}
		target = (size_t)t;
	}
	b.stages = xzalloc(b.df->n_stages * sizeof(*b.stages));
	b.needed = xzalloc(b.df->n_stages * sizeof(bool));
	b.deps = xzalloc(b.df->n_stages * b.df->n_stages * sizeof(bool));
	b.offset = xzalloc(b.df->n_stages * sizeof(size_t));
	mark_needed(&b, target);
	for (size_t i = 0; i <= target; i++)
		if (b.needed[i]) {
			b.offset[i] = b.n_steps;
			b.n_steps += b.df->stages[i].n_instrs;
		}
	if (o->labels && o->labels[0])
		b.n_steps++; /* --label: a LABEL step of its own */
	if (engine_open(&b.e, o->root, o->runroot, err) < 0)
		goto out;
	b.e_open = true;
	if (image_store_open(o->root, &b.store, err) < 0 ||
	    storage_open(o->root, NULL, &b.st, err) < 0 || cache_migrate(b.store->db, err) < 0)
		goto out;
	/* One operation for the whole build: the engine opens stores of its own
	 * (container create and remove), and their repair must not take the
	 * blobs this process wrote and has not registered yet for a dead
	 * process's; a concurrent prune waits for the build. */
	if (image_store_op_begin(b.store, err) < 0)
		goto out;
	b.op = true;
	remove_stale(&b);
	if (build_stages(&b, target, err) < 0)
		goto fail;
	{
		struct state *s = &b.stages[target];
		if (final_labels(&b, s, err) < 0)
			goto fail;
		if (!s->id[0] &&
		    state_commit(&b, s, "/bin/sh -c #(nop) FROM scratch", NULL, 0, err) < 0)
			goto fail;
		for (char **t = o->tags; t && *t; t++) {
			if (image_tag(b.store, s->id, *t, err) < 0)
				goto out;
			say(&b, "Successfully tagged %s\n", *t);
		}
		snprintf(out_id, 72, "%s", s->id);
		if (o->iidfile) {
			if (write_file_atomic(o->iidfile, s->id, strlen(s->id), 0644, err) < 0)
				goto out;
		}
	}
	for (char **a = b.build_args; *a; a++) {
		_cleanup_free_ char *name = xstrndup(*a, strcspn(*a, "="));
		static const char *const proxies[] = {
			"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY",
			"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"};
		bool pre = false;
		for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
			pre |= !strcmp(name, proxies[i]);
		if (!pre && !strv_has(b.consumed, name) && !kv_has(b.meta, name))
			fprintf(stderr, "[Warning] one or more build args were not consumed: %s\n",
				name);
	}
	r = 0;
	goto out;
fail:
	if (o->quiet && b.quiet_len) {
		/* -q hid the output: the failure shows it */
		write_all(2, b.quiet_buf, b.quiet_len);
	}
out:
	builder_free(&b);
	signals_restore(&sigs);
	return r;
}
