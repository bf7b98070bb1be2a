#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/command.h"
#include "cli/format.h"
#include "util/json.h"
#include "util/util.h"

/* Docker's `version --format` fields: .Client.Version, .Server.KernelVersion... */
static json_object *version_json(const struct utsname *u)
{
	json_object *o = json_object_new_object();
	const char *const parts[] = {"Client", "Server"};

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "Version", json_object_new_string(HAKO_VERSION));
		json_object_object_add(p, "Os", json_object_new_string("linux"));
		json_object_object_add(p, "Arch", json_object_new_string(u->machine));
		if (i == 1)
			json_object_object_add(p, "KernelVersion",
					       json_object_new_string(u->release));
		json_object_object_add(o, parts[i], p);
	}
	return o;
}

static int version_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	const char *format = NULL;
	struct utsname u;
	int c, r;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "version: see 'hako version --help'");
		format = optarg;
	}
	uname(&u);
	if (format) {
		_cleanup_json_ json_object *o = version_json(&u);
		struct cli_format f;
		if (!strcmp(format, "json")) {
			_cleanup_free_ char *s = json_to_string(o, false);
			printf("%s\n", s);
			return 0;
		}
		if (cli_format_init_template(&f, format, err) < 0)
			return hk_error_wrap(err, "version");
		r = cli_format_row(&f, o, err);
		cli_format_free(&f);
		return r < 0 ? hk_error_wrap(err, "version") : 0;
	}
	printf("hako version %s\n", HAKO_VERSION);
	printf("kernel: %s %s %s\n", u.sysname, u.release, u.machine);
	return 0;
}

static const struct hk_command cmd_version = {
	.name = "version",
	.usage = "version [-f FORMAT]",
	.summary = "Show the version of hako and of the kernel",
	.help = "  -f, --format F   json, or a Go template over .Client and .Server\n"
		"                   ({{.Server.Version}}, {{.Server.KernelVersion}}, .Os, .Arch)\n",
	.run = version_run,
};
HK_COMMAND(hako, cmd_version);
