/* hako info: dockerd's /info fields that apply, as `docker info` shows them
 * (src/api/info.c builds the object, also served by GET /info). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/command.h"
#include "cli/format.h"
#include "engine/engine.h"
#include "util/json.h"
#include "util/util.h"

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void print_human(json_object *o)
{
	json_object *v, *hako = NULL;

	printf("Server:\n");
	printf(" Containers: %s\n", str(o, "Containers"));
	printf("  Running: %s\n", str(o, "ContainersRunning"));
	printf("  Paused: %s\n", str(o, "ContainersPaused"));
	printf("  Stopped: %s\n", str(o, "ContainersStopped"));
	printf(" Images: %s\n", str(o, "Images"));
	json_object_object_get_ex(o, "Hako", &hako);
	printf(" VMs: %s\n", str(hako, "VMs"));
	printf(" Server Version: %s\n", str(o, "ServerVersion"));
	printf(" Storage Driver: %s\n", str(o, "Driver"));
	printf(" Logging Driver: %s\n", str(o, "LoggingDriver"));
	printf(" Cgroup Driver: %s\n", str(o, "CgroupDriver"));
	printf(" Cgroup Version: %s\n", str(o, "CgroupVersion"));
	printf(" Runtimes:");
	if (json_object_object_get_ex(o, "Runtimes", &v)) {
		json_object_object_foreach(v, k, rv)
		{
			(void)rv;
			printf(" %s", k);
		}
	}
	printf("\n Default Runtime: %s\n", str(o, "DefaultRuntime"));
	printf(" Security Options:\n");
	if (json_object_object_get_ex(o, "SecurityOptions", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(v, i));
			printf("  %s\n", strncmp(s, "name=", 5) ? s : s + 5);
		}
	printf(" Kernel Version: %s\n", str(o, "KernelVersion"));
	printf(" Operating System: %s\n", str(o, "OperatingSystem"));
	printf(" OSType: %s\n", str(o, "OSType"));
	printf(" Architecture: %s\n", str(o, "Architecture"));
	printf(" CPUs: %s\n", str(o, "NCPU"));
	printf(" Total Memory: %.4gGiB\n",
	       (double)json_object_get_int64(json_object_object_get(o, "MemTotal")) /
		       (1024.0 * 1024 * 1024));
	printf(" Name: %s\n", str(o, "Name"));
	printf(" Docker Root Dir: %s\n", str(o, "DockerRootDir"));
	printf(" Run Root Dir: %s\n", str(hako, "RunRoot"));
}

static int info_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	_cleanup_json_ json_object *o = NULL;
	const char *format = NULL;
	struct engine e = {0};
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "info: see 'hako info --help'");
		format = optarg;
	}
	if (optind != argc)
		return hk_error_set(err, 0, "info: accepts no arguments");
	if (engine_open(&e, hk_globals.root, hk_globals.runroot, err) < 0)
		return hk_error_wrap(err, "info");
	o = api_info_json(&e, err);
	engine_close(&e);
	if (!o)
		return hk_error_wrap(err, "info");
	if (format && !strcmp(format, "json")) {
		_cleanup_free_ char *s = json_to_string(o, false);
		printf("%s\n", s);
	} else if (format) {
		struct cli_format f;
		if (cli_format_init_template(&f, format, err) < 0)
			return hk_error_wrap(err, "info");
		r = cli_format_row(&f, o, err);
		cli_format_free(&f);
	} else {
		print_human(o);
	}
	return r < 0 ? hk_error_wrap(err, "info") : 0;
}

static const struct hk_command cmd_info = {
	.name = "info",
	.aliases = "system info",
	.usage = "info [OPTIONS]",
	.summary = "Show what this host runs: containers, images, VMs, drivers",
	.help = "  -f, --format FORMAT   json, or a Go template ({{.ContainersRunning}},\n"
		"                        {{.Driver}}, {{.Hako.VMs}}...)\n",
	.run = info_run,
};
HK_COMMAND(hako, cmd_info);
