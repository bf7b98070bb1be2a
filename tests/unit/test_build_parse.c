/* hako build: the Dockerfile parser, substitution and .dockerignore. */
#include <stdlib.h>

#include "build/build.h"
#include "test.h"
#include "util/util.h"

static struct build_file *parse_ok(const char *text, int *hk_failed)
{
	struct build_file *f = NULL;
	_cleanup_error_ struct hk_error *err = NULL;

	if (build_parse("Dockerfile", text, strlen(text), &f, &err) < 0) {
		fprintf(stderr, "  parse failed: %s\n", hk_error_msg(err));
		(*hk_failed)++;
		return NULL;
	}
	return f;
}

static char *parse_err(const char *text)
{
	struct build_file *f = NULL;
	struct hk_error *err = NULL;
	char *msg;

	if (build_parse("Dockerfile", text, strlen(text), &f, &err) == 0) {
		build_file_free(f);
		return NULL;
	}
	msg = xstrdup(hk_error_msg(err));
	hk_error_free(&err);
	return msg;
}

#define CHECK_ERR(text, want)                                                                      \
	do {                                                                                       \
		_cleanup_free_ char *m_ = parse_err(text);                                         \
		if (!m_ || !strstr(m_, want)) {                                                    \
			fprintf(stderr, "  %s:%d: error '%s' lacks '%s'\n", __FILE__, __LINE__,    \
				m_ ? m_ : "(none)", want);                                         \
			(*hk_failed)++;                                                            \
		}                                                                                  \
	} while (0)

TEST(build_parse_basic)
{
	_cleanup_build_file_ struct build_file *f =
		parse_ok("# syntax=docker/dockerfile:1\n"
			 "ARG BASE=busybox\n"
			 "FROM ${BASE} AS Build\n"
			 "# a comment\n"
			 "RUN echo a \\\n"
			 "  # comment inside\n"
			 "\n"
			 "  b\n"
			 "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
			 "copy --from=build --chown=1:2 --chmod=0755 a b /dst/\n"
			 "FROM scratch\n"
			 "ENV A=1 B=\"two words\"\n"
			 "ENV LEGACY some value\n"
			 "HEALTHCHECK --interval=5s --retries=3 CMD true\n"
			 "ONBUILD RUN echo later\n",
			 hk_failed);
	REQUIRE(f);
	CHECK_STR(f->syntax, "docker/dockerfile:1");
	CHECK(f->n_meta_args == 1);
	REQUIRE(f->n_stages == 2);
	CHECK_STR(f->stages[0].name, "build");
	CHECK_STR(f->stages[0].base, "${BASE}");
	REQUIRE(f->stages[0].n_instrs == 4);
	CHECK(f->stages[0].instrs[1].kind == BUILD_RUN);
	CHECK_STR(f->stages[0].instrs[1].args, "echo a   b");
	CHECK(f->stages[0].instrs[1].line == 5);
	CHECK(f->stages[0].instrs[1].end_line == 8);
	CHECK(f->stages[0].instrs[2].json);
	CHECK_STR(f->stages[0].instrs[2].argv[2], "echo hi");
	CHECK(f->stages[0].instrs[3].kind == BUILD_COPY);
	CHECK_STR(build_flag(&f->stages[0].instrs[3], "from"), "build");
	CHECK_STR(build_flag(&f->stages[0].instrs[3], "chmod"), "0755");
	CHECK_STR(f->stages[0].instrs[3].args, "a b /dst/");
	CHECK(f->stages[1].instrs[4].kind == BUILD_ONBUILD);
	REQUIRE(f->stages[1].instrs[4].sub);
	CHECK(f->stages[1].instrs[4].sub->kind == BUILD_RUN);
}

TEST(build_parse_escape_directive_and_heredoc)
{
	_cleanup_build_file_ struct build_file *f = parse_ok("# escape=`\n"
							     "FROM busybox\n"
							     "RUN echo a `\n"
							     "  c:\\path\n"
							     "RUN <<EOF\n"
							     "echo one\n"
							     "echo two\n"
							     "EOF\n"
							     "COPY <<-\"END\" /x\n"
							     "\t$literal\n"
							     "\tEND\n"
							     "USER nobody\n",
							     hk_failed);
	REQUIRE(f);
	CHECK(f->escape == '`');
	REQUIRE(f->stages[0].n_instrs == 5);
	CHECK_STR(f->stages[0].instrs[1].args, "echo a   c:\\path");
	REQUIRE(f->stages[0].instrs[2].n_heredocs == 1);
	CHECK_STR(f->stages[0].instrs[2].heredocs[0].name, "EOF");
	CHECK_STR(f->stages[0].instrs[2].heredocs[0].content, "echo one\necho two\n");
	CHECK(f->stages[0].instrs[2].heredocs[0].expand);
	REQUIRE(f->stages[0].instrs[3].n_heredocs == 1);
	CHECK_STR(f->stages[0].instrs[3].heredocs[0].content, "$literal\n");
	CHECK(!f->stages[0].instrs[3].heredocs[0].expand);
	CHECK(f->stages[0].instrs[4].kind == BUILD_USER);
	CHECK(f->stages[0].instrs[4].line == 12);
}

TEST(build_parse_errors)
{
	CHECK_ERR("FROM busybox\nRUNN echo\n", "Dockerfile:2:1: unknown instruction: RUNN");
	CHECK_ERR("FROM busybox\n  BOGUS x\n", "Dockerfile:2:3: unknown instruction");
	CHECK_ERR("RUN echo\nFROM busybox\n", "Dockerfile:1:1: RUN before the first FROM");
	CHECK_ERR("# nothing\n", "no FROM");
	CHECK_ERR("FROM a b\n", "Dockerfile:1:1: FROM requires either one or three");
	CHECK_ERR("FROM a AS 1x\n", "invalid stage name");
	CHECK_ERR("FROM a AS x\nFROM b AS X\n", "duplicate stage name 'x'");
	CHECK_ERR("FROM a\nCOPY --bogus=1 a b\n", "Dockerfile:2:6: COPY: unknown flag: --bogus");
	CHECK_ERR("FROM a\nCOPY onlyone\n", "COPY requires at least two arguments");
	CHECK_ERR("FROM a\nENV\n", "ENV requires at least one argument");
	CHECK_ERR("FROM a\nLABEL novalue\n", "expected KEY=VALUE");
	CHECK_ERR("FROM a\nENV A=${B\n", "bad substitution");
	CHECK_ERR("FROM a\nWORKDIR '/x\n", "matching single-quote");
	CHECK_ERR("FROM a\nSHELL sh -c\n", "SHELL requires the arguments to be in JSON form");
	CHECK_ERR("FROM a\nHEALTHCHECK --interval=5 CMD true\n", "bad duration");
	CHECK_ERR("FROM a\nHEALTHCHECK --retries=x CMD true\n", "not a number");
	CHECK_ERR("FROM a\nHEALTHCHECK FOO\n", "unknown type");
	CHECK_ERR("FROM a\nONBUILD ONBUILD RUN x\n", "ONBUILD ONBUILD");
	CHECK_ERR("FROM a\nONBUILD FROM x\n", "isn't allowed as an ONBUILD trigger");
	CHECK_ERR("FROM a\nRUN <<EOF\necho\n", "unterminated heredoc");
	CHECK_ERR("FROM a\nRUN --network=bogus true\n", "RUN --network=bogus");
	CHECK_ERR("# escape=x\nFROM a\n", "invalid escape token");
	CHECK_ERR("FROM a\nUSER a b\n", "USER requires exactly one argument");
	CHECK_ERR("FROM a\nSTOPSIGNAL\n", "STOPSIGNAL requires exactly one argument");
}

TEST(build_parse_directive_after_comment_is_comment)
{
	_cleanup_build_file_ struct build_file *f =
		parse_ok("# hello\n# escape=`\nFROM a\nRUN x \\\n  y\n", hk_failed);
	REQUIRE(f);
	CHECK(f->escape == '\\');
	CHECK_STR(f->stages[0].instrs[1].args, "x   y");
}

struct vars {
	const char *const *kv;
};

static const char *lookup(void *arg, const char *name)
{
	const struct vars *v = arg;
	size_t n = strlen(name);

	for (size_t i = 0; v->kv[i]; i++)
		if (!strncmp(v->kv[i], name, n) && v->kv[i][n] == '=')
			return v->kv[i] + n + 1;
	return NULL;
}

TEST(build_expand)
{
	static const char *const kv[] = {"A=alpha", "E=", "SP=a b", NULL};
	struct vars v = {kv};
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"$A", "alpha"},      {"${A}x", "alphax"},     {"x$Ay", "x"},
		{"${U:-def}", "def"}, {"${E:-def}", "def"},    {"${E-def}", ""},
		{"${A:+set}", "set"}, {"${U:+set}", ""},       {"${E+set}", "set"},
		{"\\$A", "$A"},	      {"'$A'", "$A"},	       {"\"$A b\"", "alpha b"},
		{"\"\\$A\"", "$A"},   {"a\\ b", "a b"},	       {"$", "$"},
		{"$1x", "x"},	      {"${U:-${A}}", "alpha"}, {"\"q\\\"q\"", "q\"q"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		if (build_expand_word(cases[i].in, '\\', lookup, &v, NULL, &out, &err) < 0) {
			fprintf(stderr, "  %s: %s\n", cases[i].in, hk_error_msg(err));
			CHECK(!"expand failed");
			continue;
		}
		CHECK_STR(out, cases[i].out);
	}
	{
		_cleanup_strv_ char **w = NULL, **used = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		REQUIRE(build_expand_words("a \"b c\" $A ${U:-d}", '\\', lookup, &v, &used, &w,
					   &err) == 0);
		REQUIRE(strv_len(w) == 4);
		CHECK_STR(w[1], "b c");
		CHECK_STR(w[2], "alpha");
		CHECK_STR(w[3], "d");
		CHECK(strv_has(used, "A") && strv_has(used, "U"));
	}
	{
		_cleanup_free_ char *out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		CHECK(build_expand_word("${U:?must be set}", '\\', lookup, &v, NULL, &out, &err) <
		      0);
		CHECK(err && strstr(hk_error_msg(err), "must be set"));
	}
}

TEST(build_key_values)
{
	static const char *const kv[] = {"A=alpha", NULL};
	struct vars v = {kv};
	_cleanup_build_file_ struct build_file *f =
		parse_ok("FROM x\nENV K=$A Q=\"a b\" R=c\\ d\nLABEL \"my key\"=v\nARG X Y=${A}\n"
			 "ENV OLD the rest $A\n",
			 hk_failed);
	REQUIRE(f);
	{
		_cleanup_strv_ char **out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		REQUIRE(build_key_values(&f->stages[0].instrs[1], '\\', lookup, &v, NULL, &out,
					 &err) == 0);
		REQUIRE(strv_len(out) == 3);
		CHECK_STR(out[0], "K=alpha");
		CHECK_STR(out[1], "Q=a b");
		CHECK_STR(out[2], "R=c d");
	}
	{
		_cleanup_strv_ char **out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		REQUIRE(build_key_values(&f->stages[0].instrs[2], '\\', lookup, &v, NULL, &out,
					 &err) == 0);
		CHECK_STR(out[0], "my key=v");
	}
	{
		_cleanup_strv_ char **out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		REQUIRE(build_key_values(&f->stages[0].instrs[3], '\\', lookup, &v, NULL, &out,
					 &err) == 0);
		CHECK_STR(out[0], "X");
		CHECK_STR(out[1], "Y=alpha");
	}
	{
		_cleanup_strv_ char **out = NULL;
		_cleanup_error_ struct hk_error *err = NULL;
		REQUIRE(build_key_values(&f->stages[0].instrs[4], '\\', lookup, &v, NULL, &out,
					 &err) == 0);
		CHECK_STR(out[0], "OLD=the rest alpha");
	}
}

TEST(build_duration)
{
	int64_t ns = 0;
	CHECK(build_parse_duration("30s", &ns) == 0 && ns == 30000000000LL);
	CHECK(build_parse_duration("1m30s", &ns) == 0 && ns == 90000000000LL);
	CHECK(build_parse_duration("500ms", &ns) == 0 && ns == 500000000LL);
	CHECK(build_parse_duration("5", &ns) < 0);
	CHECK(build_parse_duration("", &ns) < 0);
}

TEST(build_dockerignore)
{
	static const char text[] = "# comment\n*.log\n!keep.log\n/tmp\n**/cache\ndocs/**/*.md\n"
				   "!docs/README.md\n./build/\n";
	struct build_ignore *ig = build_ignore_parse(text, sizeof(text) - 1);

	CHECK(build_ignore_match(ig, "a.log"));
	CHECK(!build_ignore_match(ig, "keep.log"));
	CHECK(!build_ignore_match(ig, "sub/a.log")); /* '*' does not cross '/' */
	CHECK(build_ignore_match(ig, "tmp"));
	CHECK(build_ignore_match(ig, "tmp/x/y"));
	CHECK(build_ignore_match(ig, "cache"));
	CHECK(build_ignore_match(ig, "a/b/cache/f"));
	CHECK(build_ignore_match(ig, "docs/x.md"));
	CHECK(build_ignore_match(ig, "docs/a/b/x.md"));
	CHECK(!build_ignore_match(ig, "docs/README.md"));
	CHECK(!build_ignore_match(ig, "docs/x.txt"));
	CHECK(build_ignore_match(ig, "build/out"));
	CHECK(!build_ignore_match(ig, "src/main.c"));
	CHECK(build_ignore_has_exceptions(ig));
	build_ignore_free(ig);
}

/* Garbage in must give an error or a file, never a crash (run under ASan). */
TEST(build_parse_fuzz)
{
	static const char alphabet[] = "FROMRUNCOPYADDENVARG \t\n\\`'\"$#{}:-+?=[]<<EOF--/a\r";
	static const char *const seeds[] = {
		"FROM a\nRUN <<EOF\nx\nEOF\n", "# escape=`\nFROM a\nENV A=${B:-c} \"d\"\n",
		"FROM a AS b\nCOPY --from=b [\"a\",\"b\"] /c\n",
		"FROM a\nHEALTHCHECK --interval=1s CMD x\n", "ARG A\nFROM $A\nONBUILD RUN x\n"};
	unsigned seed = 12345;

	for (int iter = 0; iter < 20000; iter++) {
		char buf[256];
		size_t len;
		const char *s = seeds[iter % ARRAY_SIZE(seeds)];
		struct build_file *f = NULL;
		struct hk_error *err = NULL;

		len = strlen(s);
		memcpy(buf, s, len);
		/* mutate: flip, insert or truncate a few bytes */
		for (int m = 0; m < 1 + iter % 6; m++) {
			seed = seed * 1103515245 + 12345;
			size_t pos = (seed >> 8) % (len + 1);
			char c = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			if (((seed >> 4) & 3) == 0 && len < sizeof(buf) - 1) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = c;
				len++;
			} else if (((seed >> 4) & 3) == 1) {
				len = pos;
			} else if (pos < len) {
				buf[pos] = (iter & 64) ? (char)(seed >> 24) : c;
			}
		}
		if (build_parse("Dockerfile", buf, len, &f, &err) == 0) {
			CHECK(f->n_stages > 0);
			build_file_free(f);
		} else {
			CHECK(err && hk_error_msg(err)[0]);
			hk_error_free(&err);
		}
	}
}
