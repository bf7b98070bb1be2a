/* hako system service: the Docker Engine API (src/api/, docs/api.md). */
#include <getopt.h>
#include <stdlib.h>

#include "api/api.h"
#include "cli/command.h"
#include "util/util.h"

static int service_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"timeout", required_argument, NULL, 't'},
		{"tlscert", required_argument, NULL, 'c'},
		{"tlskey", required_argument, NULL, 'k'},
		{"tlscacert", required_argument, NULL, 'a'},
		{0},
	};
	struct api_opts o = {.root = hk_globals.root, .runroot = hk_globals.runroot};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+l:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 't':
			o.timeout = (int)strtol(optarg, &end, 10);
			if (*end || o.timeout < 0)
				return hk_error_set(err, 0, "system service: bad --timeout %s",
						    optarg);
			break;
		case 'c':
			o.tlscert = optarg;
			break;
		case 'k':
			o.tlskey = optarg;
			break;
		case 'a':
			o.tlscacert = optarg;
			break;
		default:
			return hk_error_set(err, 0,
					    "system service: see 'hako system service --help'");
		}
	}
	/* podman's form: the address as an argument */
	if (optind + 1 == argc && !o.listen)
		o.listen = argv[optind++];
	if (optind != argc)
		return hk_error_set(err, 0, "system service: unexpected argument %s", argv[optind]);
	if (api_serve(&o, err) < 0)
		return hk_error_wrap(err, "system service");
	return 0;
}

static const struct hk_command cmd_service = {
	.name = "system service",
	.usage = "system service [OPTIONS] [ADDRESS]",
	.summary = "Serve the Docker Engine API (docker, compose and SDKs drive hako)",
	.help = "  -l, --listen ADDR     unix:///run/hako/docker.sock (default; mode 0660,\n"
		"                        group hako when it exists) or tcp://127.0.0.1:PORT\n"
		"                        (loopback only: a wider address is refused)\n"
		"  -t, --timeout SECS    exit after SECS without a request (0: never)\n"
		"      --tlscert, --tlskey, --tlscacert FILE   reserved for TLS (not yet)\n"
		"\n"
		"  DOCKER_HOST=unix:///run/hako/docker.sock docker ps\n"
		"The service is one more client of the engine: containers keep running\n"
		"when it exits, and hako ps shows what the API made.  See docs/api.md.\n",
	.run = service_run,
};
HK_COMMAND(hako, cmd_service);
