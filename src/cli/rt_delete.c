/* hako-runtime delete */
#include <getopt.h>
#include <regex.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"
#include "util/util.h"
#include "util/log.h"

/* crun's delete --regex: every container whose id the (extended, unanchored)
 * regular expression matches; each failure is reported, the others still
 * deleted. */
static int delete_matching(const char *pattern, bool force, struct hk_error **err)
{
	_cleanup_json_ json_object *list = NULL;
	regex_t re;
	int failed = 0, rc;

	rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &re, msg, sizeof(msg));
		return hk_error_set(err, 0, "delete: --regex \"%s\": %s", pattern, msg);
	}
	if (runtime_list(runtime_globals.root, &list, err) < 0) {
		regfree(&re);
		return hk_error_wrap(err, "delete");
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *v = NULL;
		_cleanup_error_ struct hk_error *e2 = NULL;
		const char *id;
		if (!json_object_object_get_ex(e, "id", &v))
			continue;
		id = json_object_get_string(v);
		if (regexec(&re, id, 0, NULL, 0) != 0)
			continue;
		if (runtime_delete(runtime_globals.root, id, force, &e2) < 0) {
			log_error("%s", hk_error_msg(e2));
			failed++;
		}
	}
	regfree(&re);
	if (failed)
		return hk_error_set(err, 0, "delete: %d matching container%s not deleted", failed,
				    failed == 1 ? "" : "s");
	return 0;
}

static int rt_delete_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"regex", no_argument, NULL, 'r'}, {0}};
	const char *id;
	bool force = false, regex = false;
	int c;

	while ((c = getopt_long(argc, argv, "+fr", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'r')
			regex = true;
		else
			return hk_error_set(err, 0, "delete: bad option (see --help)");
	}
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	if (regex)
		return delete_matching(id, force, err);
	return runtime_delete(runtime_globals.root, id, force, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_delete = {
	.name = "delete",
	.usage = "delete [--force] [--regex] ID",
	.summary = "Delete a stopped or created container (--force: any)",
	.help = "  -f, --force   kill the container first if it runs (or is paused)\n"
		"  -r, --regex   ID is an extended regular expression: delete every\n"
		"                container whose id it matches (crun)\n",
	.run = rt_delete_run,
};
HK_COMMAND(runtime, rt_delete);
