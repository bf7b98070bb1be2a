/* hako pull: an image from a registry into the store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "util/json.h"
#include "cli/command.h"
#include "cli/registry_cli.h"
#include "image/image.h"
#include "registry/registry.h"
#include "util/util.h"

/* pull --all-tags: every tag of the repository, one after the other (each
 * pull is whole or nothing); the first failure ends it, as with docker. */
/* Docker's pull event: the reference as actor, its name as attribute. */
static void image_event(struct image_store *store, const char *action, const char *ref,
			const char *id)
{
	_cleanup_json_ json_object *a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(ref));
	json_object_object_add(a, "id", json_object_new_string(id));
	events_record(store->db, "image", action, ref, a);
}

static int pull_all_tags(struct image_store *store, const char *repo, struct regcli_xfer *x,
			 struct hk_error **err)
{
	_cleanup_strv_ char **tags = NULL;
	char id[72];

	if (registry_list_tags(store, repo, &x->o, &tags, err) < 0)
		return -1;
	if (!tags[0])
		return hk_error_set(err, 0, "pull %s: the repository has no tags", repo);
	for (char **t = tags; *t; t++) {
		_cleanup_free_ char *ref = xasprintf("%s:%s", repo, *t);
		int rc;
		regcli_xfer_start(x);
		rc = registry_pull(store, ref, &x->o, id, err);
		regcli_xfer_done(x);
		if (rc < 0)
			return -1;
		image_event(store, "pull", ref, id);
		printf("%s\n", id + 7);
		fflush(stdout);
	}
	return 0;
}

static int pull_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		REGCLI_XFER_LONGOPTS,
		{"platform", required_argument, NULL, 'P'},
		{"parallel", required_argument, NULL, 'j'},
		{"all-tags", no_argument, NULL, 'a'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_free_ char *plat = NULL;
	struct regcli_xfer x = REGCLI_XFER_INIT;
	bool all_tags = false;
	char id[72];
	long long par;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+qa", opts, NULL)) != -1) {
		rc = regcli_xfer_opt(&x, c, optarg, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		switch (c) {
		case 'P': {
			/* os/arch[/variant] */
			char *a, *v;
			free(plat);
			plat = xstrdup(optarg);
			a = strchr(plat, '/');
			if (!a)
				return hk_error_set(err, 0, "--platform: want OS/ARCH[/VARIANT]");
			*a++ = '\0';
			v = strchr(a, '/');
			if (v)
				*v++ = '\0';
			x.o.os = plat, x.o.arch = a, x.o.variant = v;
			break;
		}
		case 'j':
			if (parse_ll(optarg, 1, 8, &par) < 0)
				return hk_error_set(err, 0, "--parallel: '%s' is not 1..8", optarg);
			x.o.parallel = (int)par;
			break;
		case 'a':
			all_tags = true;
			break;
		default:
			return hk_error_set(err, 0, "pull: see 'hako pull --help'");
		}
	}
	if (optind + 1 != argc)
		return hk_error_set(err, 0, "pull: exactly one IMAGE expected");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	if (all_tags)
		return pull_all_tags(store, argv[optind], &x, err);
	regcli_xfer_start(&x);
	rc = registry_pull(store, argv[optind], &x.o, id, err);
	regcli_xfer_done(&x);
	if (rc < 0)
		return -1;
	image_event(store, "pull", argv[optind], id);
	printf("%s\n", id + 7);
	return 0;
}

static const struct hk_command cmd_pull = {
	.name = "pull",
	.aliases = "image pull",
	.usage = "pull [OPTIONS] IMAGE | pull -a REPOSITORY",
	.summary = "Pull an image from a registry",
	.help = "Options:\n"
		"  -a, --all-tags          every tag of the repository (image ids printed\n"
		"                          one a line)\n"
		"  -q, --quiet             no progress output\n"
		"      --tls-verify=BOOL   verify TLS certificates; false also allows http\n"
		"                          (loopback registries may use http anyway)\n"
		"      --authfile FILE     credentials file (default <root>/auth.json)\n"
		"      --platform OS/ARCH[/VARIANT]  from a multi-platform image\n"
		"                          (default: this host's)\n"
		"      --parallel N        concurrent layer downloads (default 4)\n",
	.run = pull_run,
};
HK_COMMAND(hako, cmd_pull);
