/* src/cli/format.c: Docker's --format around the template engine: the
 * table header line and Go's tabwriter. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/format.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

/* Run fn with stdout going to a file; return what it printed. */
static char *capture(void (*fn)(void *), void *arg)
{
	char path[4096];
	int fd, saved;
	char *out = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/out", test_tmpdir());
	fflush(stdout);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	fn(arg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (read_file_at(AT_FDCWD, path, 1 << 20, &out, &len, NULL) < 0)
		return xstrdup("(unreadable)");
	return out;
}

static void tabwrite(void *arg)
{
	cli_tabwrite(arg, strlen(arg));
}

TEST(format_tabwriter_as_go)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* columns at least 10 wide, widest cell + 3 */
		{"a\tbb\tc\nxxx\ty\tz\n", "a         bb        c\nxxx       y         z\n"},
		{"abcdefghijkl\tx\nab\ty\n", "abcdefghijkl   x\nab             y\n"},
		/* a line without the column ends the block: ccc is not padded */
		{"a\tb\nccc\nlongercell1\td\n", "a         b\nccc\nlongercell1   d\n"},
		/* the last cell of a line is never padded; UTF-8 counts runes */
		{"h\xc3\xa9llo\tx\n\xe2\x80\xa6\ty\n",
		 "h\xc3\xa9llo     x\n\xe2\x80\xa6         y\n"},
		{"no tabs\n", "no tabs\n"},
		{"", ""},
		{"end\twithout newline", "end       without newline"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = capture(tabwrite, (void *)cases[i].in);
		CHECK_STR(got, cases[i].want);
	}
}

struct table_arg {
	const char *spec;
	const char *const *headers;
	int rc;
};

static void table(void *arg)
{
	struct table_arg *t = arg;
	struct cli_format f;
	const char *rows[] = {
		"{\"ID\":\"abc\",\"RunningFor\":\"2 minutes ago\",\"Names\":\"web\"}",
		"{\"ID\":\"d\",\"RunningFor\":\"1 hour ago\",\"Names\":\"a-long-name\"}"};

	t->rc = cli_format_init(&f, t->spec, t->headers, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(rows) && t->rc == 0; i++) {
		json_object *o = NULL;
		json_parse("row", rows[i], strlen(rows[i]), &o, NULL);
		t->rc = cli_format_row(&f, o, NULL);
		json_object_put(o);
	}
	if (t->rc == 0)
		t->rc = cli_format_end(&f, NULL);
	cli_format_free(&f);
}

TEST(format_table_header_and_rows)
{
	static const char *const headers[] = {"ID", "CONTAINER ID", "RunningFor", "CREATED", NULL};
	struct table_arg a = {"table {{.ID}}\\t{{.Names}}\\t{{.RunningFor}}", headers, 0};
	_cleanup_free_ char *got = capture(table, &a);

	CHECK(a.rc == 0);
	CHECK_STR(got, "CONTAINER ID   NAMES         CREATED\n"
		       "abc            web           2 minutes ago\n"
		       "d              a-long-name   1 hour ago\n");

	/* Docker's header functions leave a title as it is; unknown fields are
	 * titled from their names */
	struct table_arg b = {"table {{upper .Names}}\t{{json .CreatedAt}}\t{{lower .Names}}", NULL,
			      0};
	_cleanup_free_ char *got2 = capture(table, &b);
	CHECK(b.rc == 0);
	CHECK_STR(got2, "NAMES         CREATED AT   NAMES\n"
			"WEB           null         web\n"
			"A-LONG-NAME   null         a-long-name\n");

	/* without "table": one line a row, no header */
	struct table_arg c = {"{{.Names}}:{{.ID}}", headers, 0};
	_cleanup_free_ char *got3 = capture(table, &c);
	CHECK(c.rc == 0);
	CHECK_STR(got3, "web:abc\na-long-name:d\n");
}
