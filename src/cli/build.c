/* hako build [OPTIONS] CONTEXT: an image from a Dockerfile (src/build/). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "cli/command.h"
#include "util/util.h"

enum {
	OPT_BUILD_ARG = 0x100,
	OPT_NO_CACHE,
	OPT_PULL,
	OPT_IIDFILE,
	OPT_LABEL,
	OPT_NETWORK,
	OPT_PROGRESS,
	OPT_SECRET,
	OPT_TARGET,
	OPT_PLATFORM,
};

static int build_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
					     {"file", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"build-arg", required_argument, NULL, OPT_BUILD_ARG},
					     {"no-cache", no_argument, NULL, OPT_NO_CACHE},
					     {"pull", optional_argument, NULL, OPT_PULL},
					     {"iidfile", required_argument, NULL, OPT_IIDFILE},
					     {"label", required_argument, NULL, OPT_LABEL},
					     {"network", required_argument, NULL, OPT_NETWORK},
					     {"progress", required_argument, NULL, OPT_PROGRESS},
					     {"secret", required_argument, NULL, OPT_SECRET},
					     {"target", required_argument, NULL, OPT_TARGET},
					     {"platform", required_argument, NULL, OPT_PLATFORM},
					     {}};
	_cleanup_strv_ char **tags = NULL, **args = NULL, **labels = NULL, **secrets = NULL;
	struct build_opts o = {.root = hk_globals.root, .runroot = hk_globals.runroot, .out_fd = 1};
	char id[72];
	int c;

	while ((c = getopt_long(argc, argv, "+t:f:q", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			strv_push(&tags, optarg);
			break;
		case 'f':
			o.dockerfile = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case OPT_BUILD_ARG:
			strv_push(&args, optarg);
			break;
		case OPT_NO_CACHE:
			o.no_cache = true;
			break;
		case OPT_PULL:
			o.pull = !optarg || !strcmp(optarg, "true") || !strcmp(optarg, "always");
			break;
		case OPT_IIDFILE:
			o.iidfile = optarg;
			break;
		case OPT_LABEL:
			strv_push(&labels, optarg);
			break;
		case OPT_NETWORK:
			if (strcmp(optarg, "default") && strcmp(optarg, "bridge") &&
			    strcmp(optarg, "none") && strcmp(optarg, "host"))
				return hk_error_set(
					err, EINVAL,
					"build: --network %s: expected default, bridge, "
					"none or host",
					optarg);
			o.network = strcmp(optarg, "default") ? optarg : NULL;
			break;
		case OPT_PROGRESS:
			if (!strcmp(optarg, "quiet"))
				o.quiet = true;
			else if (strcmp(optarg, "auto") && strcmp(optarg, "plain") &&
				 strcmp(optarg, "tty"))
				return hk_error_set(
					err, EINVAL,
					"build: --progress %s: expected auto, plain, tty "
					"or quiet",
					optarg);
			break;
		case OPT_SECRET:
			if (!str_has_prefix(optarg, "id=") ||
			    (!strstr(optarg, ",src=") && !strstr(optarg, ",source=")))
				return hk_error_set(err, EINVAL,
						    "build: --secret %s: expected id=ID,src=FILE",
						    optarg);
			strv_push(&secrets, optarg);
			break;
		case OPT_TARGET:
			o.target = optarg;
			break;
		case OPT_PLATFORM:
			/* only the host's: checked against FROM --platform's rule */
			if (!str_has_prefix(optarg, "linux/"))
				return hk_error_set(
					err, ENOTSUP,
					"build: --platform %s: only this host's platform", optarg);
			break;
		default:
			return 125;
		}
	}
	if (argc - optind != 1)
		return hk_error_set(err, EINVAL,
				    "build: requires exactly one CONTEXT (a directory, "
				    "a tar file or -)");
	o.context = argv[optind];
	o.tags = tags;
	o.build_args = args;
	o.labels = labels;
	o.secrets = secrets;
	if (build_image(&o, id, err) < 0) {
		hk_error_print(*err, "hako build");
		hk_error_free(err);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static const struct hk_command cmd_build = {
	.name = "build",
	.aliases = "image build, builder build",
	.usage = "build [OPTIONS] CONTEXT",
	.summary = "Build an image from a Dockerfile",
	.help = "CONTEXT is a directory, a tar file (plain, gzip, xz, zstd, bzip2), or - (a tar, "
		"or a\n"
		"bare Dockerfile, on stdin).\n"
		"  -t, --tag REF             name the image (may be given again)\n"
		"  -f, --file FILE           the Dockerfile (default CONTEXT/Dockerfile; - is "
		"stdin)\n"
		"      --build-arg K[=V]     set a build-time ARG (K alone: from our environment)\n"
		"      --target STAGE        build up to this stage (only the stages it needs)\n"
		"      --no-cache            run every step (the results still fill the cache)\n"
		"      --pull                pull the base images even when they are here\n"
		"  -q, --quiet               print only the image id (the output of a failed\n"
		"                            step is shown)\n"
		"      --iidfile FILE        write the image id to FILE\n"
		"      --label K=V           add a label to the image\n"
		"      --network MODE        RUN steps' network: default, bridge, none, host\n"
		"      --secret id=ID,src=FILE  a secret for RUN --mount=type=secret\n"
		"      --progress MODE       auto, plain (the same here) or quiet\n"
		"      --platform P          accepted for this host's platform only\n"
		"Output: one line per step, 'STEP n/N: INSTRUCTION', '(CACHED)' when the build\n"
		"cache served it; RUN output as it comes; the image id last.  Stages that do not\n"
		"depend on each other run at once.  ^C removes the running step's container.\n"
		"See docs/build.md.\n",
	.run = build_run,
};
HK_COMMAND(hako, cmd_build);
