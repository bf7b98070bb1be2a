/* Helpers shared by the vm commands. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/vm_cli.h"
#include "image/image.h"
#include "storage/storage.h"
#include "util/util.h"
#include "vm/vm.h"

int vm_cli_run_opt(struct vm_cli_run *r, int opt, const char *arg, struct hk_error **err)
{
	long long v;

	switch (opt) {
	case 'e':
		if (!strchr(arg, '=')) {
			const char *val = getenv(arg);
			if (!val)
				return 0;
			_cleanup_free_ char *kv = xasprintf("%s=%s", arg, val);
			strv_push(&r->env, kv);
			return 0;
		}
		strv_push(&r->env, arg);
		return 0;
	case 'w':
		r->workdir = arg;
		return 0;
	case 'm':
		if (vm_parse_size(arg, &r->memory, err) < 0)
			return hk_error_wrap(err, "--memory");
		if (r->memory < (64ull << 20))
			return hk_error_set(err, 0, "--memory %s: at least 64M is needed", arg);
		return 0;
	case 'c':
		if (parse_ll(arg, 1, 64, &v) < 0)
			return hk_error_set(err, 0, "--cpus %s: expected a number from 1 to 64",
					    arg);
		r->cpus = (int)v;
		return 0;
	case 'k':
		r->kernel = arg;
		return 0;
	case 'R':
		r->rootfs = arg;
		return 0;
	case 'i':
		r->interactive = true;
		return 0;
	case 't':
		r->tty = true;
		return 0;
	case 'r':
		return 0;
	}
	return hk_error_set(err, 0, "unknown option");
}

void vm_cli_run_free(struct vm_cli_run *r)
{
	strv_free(r->env);
	r->env = NULL;
}

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	NULL,
};

/* The image's command: entrypoint + (argv or cmd), as docker does. */
static void image_command(const struct image_config *cfg, int argc, char **argv, char ***args)
{
	for (size_t i = 0; cfg && cfg->entrypoint && cfg->entrypoint[i]; i++)
		strv_push(args, cfg->entrypoint[i]);
	if (argc > 0) {
		for (int i = 0; i < argc; i++)
			strv_push(args, argv[i]);
		return;
	}
	for (size_t i = 0; cfg && cfg->cmd && cfg->cmd[i]; i++)
		strv_push(args, cfg->cmd[i]);
}

/* Assemble the image's rootfs through storage, for the VM code to copy into
 * its cached disk; *id names it for removal. */
static int image_rootfs(const struct image *img, struct storage **st, char **id, char **dir,
			struct hk_error **err)
{
	const char **chains = xzalloc((img->n_layers + 1) * sizeof(*chains));
	int r;

	for (size_t i = 0; i < img->n_layers; i++)
		chains[i] = img->layers[i].chain_id;
	*id = xasprintf("vm-%d-%llx", getpid(), now_ns());
	r = storage_open(hk_globals.root, NULL, st, err);
	if (r == 0)
		r = storage_create_rootfs(*st, chains, img->n_layers, *id, dir, err);
	free(chains);
	return r;
}

int vm_cli_run(const struct vm_cli_run *r, const char *image, int argc, char **argv,
	       struct hk_error **err)
{
	_cleanup_strv_ char **env = NULL, **args = NULL;
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_image_config_ struct image_config *cfg = NULL;
	_cleanup_free_ char *key = NULL, *cached = NULL, *rootfs_id = NULL, *dir = NULL;
	struct storage *st = NULL;
	struct vm_run_opts o = {
		.kernel = r->kernel,
		.memory = r->memory,
		.cpus = r->cpus,
		.tty = r->tty,
		.interactive = r->interactive,
		.cwd = r->workdir,
		.rootfs = r->rootfs,
	};
	int rc;

	if (image) {
		if (image_store_open(hk_globals.root, &store, err) < 0 ||
		    image_lookup(store, image, &img, err) < 0 || image_config(img, &cfg, err) < 0)
			return hk_error_wrap(err, "run --vm");
		key = xstrdup(str_has_prefix(img->id, "sha256:") ? img->id + 7 : img->id);
		o.cache_key = key;
		if (!o.cwd && cfg->working_dir && *cfg->working_dir)
			o.cwd = cfg->working_dir;
	}
	for (size_t i = 0; default_env[i]; i++) {
		bool set = false;
		for (size_t j = 0; cfg && cfg->env && cfg->env[j]; j++)
			if (!strncmp(cfg->env[j], default_env[i], strcspn(default_env[i], "=") + 1))
				set = true;
		if (!set)
			strv_push(&env, default_env[i]);
	}
	for (size_t i = 0; cfg && cfg->env && cfg->env[i]; i++)
		strv_push(&env, cfg->env[i]);
	if (r->tty)
		strv_push(&env, "TERM=xterm");
	for (size_t i = 0; r->env && r->env[i]; i++)
		strv_push(&env, r->env[i]);
	image_command(cfg, argc, argv, &args);
	if (!args)
		return hk_error_set(err, 0, "run --vm: no command given and the image has none");
	o.argv = args;
	o.env = env;
	if (image && !(cached = vm_rootfs_cached(hk_globals.root, key))) {
		if (image_rootfs(img, &st, &rootfs_id, &dir, err) < 0) {
			if (st) {
				struct hk_error *e = NULL;
				if (rootfs_id && storage_remove(st, rootfs_id, &e) < 0)
					hk_error_free(&e);
				storage_close(st);
			}
			return hk_error_wrap(err, "run --vm %s", image);
		}
		o.rootfs = dir;
	}
	rc = vm_run(hk_globals.root, hk_globals.runroot, &o, err);
	if (st) {
		struct hk_error *e = NULL;
		if (storage_remove(st, rootfs_id, &e) < 0)
			hk_error_free(&e);
		storage_close(st);
	}
	return rc;
}
