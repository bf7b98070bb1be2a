/* --format templates (src/util/template*.c): parsed from the command line,
 * run against hako's own JSON. */
#include <string.h>

#include "fuzz.h"
#include "util/json.h"
#include "util/template.h"
#include "util/util.h"

FUZZ(template)
{
	static json_object *doc;
	_cleanup_free_ char *text = xmalloc(size + 1), *out = NULL;
	struct tmpl *t = NULL;
	struct hk_error *err = NULL;

	if (!doc)
		doc = json_tokener_parse("{\"ID\":\"0123456789ab\",\"Names\":[\"web\",\"db\"],"
					 "\"Labels\":{\"a\":\"b\",\"c\":\"\"},\"Size\":1234,"
					 "\"State\":{\"Running\":true,\"Pid\":42},\"Ports\":[]}");
	memcpy(text, data, size);
	text[size] = 0;
	if (tmpl_parse(text, &t, &err) < 0) {
		hk_error_free(&err);
		return;
	}
	if (tmpl_exec(t, doc, &out, &err) < 0)
		hk_error_free(&err);
	tmpl_free(t);
}
