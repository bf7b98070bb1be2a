/* Go's text/template in src/util/template.c: outputs checked against what
 * Go (and Docker's functions) print, errors, and a small fuzz run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/json.h"
#include "util/template.h"
#include "util/util.h"

static const char data_text[] =
	"{\"Name\":\"/c1\",\"Id\":\"abc\","
	"\"State\":{\"Running\":true,\"Paused\":false,\"Pid\":42,\"Status\":\"running\"},"
	"\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],"
	"\"Labels\":{\"com.example.x\":\"y\",\"b\":\"2\"}},"
	"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"10.0.0.2\"},"
	"\"alt\":{\"IPAddress\":\"10.1.0.2\"}},"
	"\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],\"443/tcp\":null}},"
	"\"Mounts\":[{\"Destination\":\"/data\"},{\"Destination\":\"/logs\"}],"
	"\"Nil\":null,\"F\":1.5,\"Big\":1000000.0,\"Small\":0.0001,\"Empty\":[],"
	"\"Str\":\"Hello World\",\"N\":3,\"Row\":{\"Labels\":\"k=v,k2=v2,kk=x\"}}";

static json_object *data(void)
{
	json_object *o = NULL;

	if (json_parse("data", data_text, strlen(data_text), &o, NULL) < 0)
		abort();
	return o;
}

static const struct {
	const char *tmpl, *want;
} cases[] = {
	{"{{.Name}}", "/c1"},
	{"plain text", "plain text"},
	{"{{.State.Running}} {{.State.Pid}}", "true 42"},
	{"{{.Missing}}", "<no value>"},
	{"{{.Missing.X}}", "<no value>"},
	{"{{.Nil}}", "<nil>"},
	{"{{.Config.Env}}", "[A=1 B=2]"},
	{"{{.Config.Labels}}", "map[b:2 com.example.x:y]"},
	{"{{.Mounts}}", "[map[Destination:/data] map[Destination:/logs]]"},
	{"{{.NetworkSettings.Ports}}",
	 "map[443/tcp:<nil> 80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]"},
	{"{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", "10.1.0.2 10.0.0.2 "},
	{"{{range $k, $v := .NetworkSettings.Ports}}{{$k}} -> {{if $v}}{{(index $v 0).HostPort}}"
	 "{{end}}{{\"\\n\"}}{{end}}",
	 "443/tcp -> \n80/tcp -> 8080\n"},
	{"{{json .Config.Env}}", "[\"A=1\",\"B=2\"]"},
	{"{{json .State}}",
	 "{\"Running\":true,\"Paused\":false,\"Pid\":42,\"Status\":\"running\"}"},
	{"{{json .Missing}}", "null"},
	{"{{json \"a/b<c>\"}}", "\"a/b<c>\""},
	{"{{.State.Running}} {{if .State.Running}}up{{else}}down{{end}}", "true up"},
	{"{{if .State.Paused}}up{{else}}down{{end}}", "down"},
	{"{{index .Config.Labels \"com.example.x\"}}", "y"},
	{"[{{index .Config.Labels \"nope\"}}]", "[]"},
	{"{{index .Config.Env 1}}", "B=2"},
	{"{{index .NetworkSettings.Ports \"80/tcp\" 0 \"HostPort\"}}", "8080"},
	{"{{join .Config.Cmd \" \"}}", "sh -c echo hi"},
	{"{{len .Mounts}} {{len .Name}} {{len .Config.Labels}} {{len \"h\\u00e9\"}}", "2 3 2 3"},
	{"{{upper .Name}} {{lower \"AbC\"}}", "/C1 abc"},
	{"{{printf \"%s-%d\" .Name 3}}", "/c1-3"},
	{"{{.Name | lower}}", "/c1"},
	{"{{.Str | printf \"%s!\" | upper}}", "HELLO WORLD!"},
	{"{{with .State}}{{.Pid}}{{end}}", "42"},
	{"{{with .Missing}}x{{else}}none{{end}}", "none"},
	{"{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}", "0:/data 1:/logs "},
	{"{{range $m := .Mounts}}{{$m.Destination}},{{end}}", "/data,/logs,"},
	{"a  {{- .Name -}}  b", "a/c1b"},
	{"a \n{{- .Name}}\n b", "a/c1\n b"},
	{"{{.Name -}}\n\t x", "/c1x"},
	{"x{{/* comment */}}y", "xy"},
	{"x {{- /* comment */ -}} y", "xy"},
	{"{{if and .State.Running (not .State.Paused)}}ok{{end}}", "ok"},
	{"{{eq .State.Status \"paused\" \"running\"}} {{eq 1 2}}", "true false"},
	{"{{ne 1 2}} {{ne \"a\" \"a\"}}", "true false"},
	{"{{lt 1 2}} {{gt \"b\" \"a\"}} {{le 2 2}} {{ge 1 2}} {{lt 1.5 2}}",
	 "true true true false true"},
	{"{{eq .Missing nil}} {{eq .Nil .Missing}} {{eq .Name nil}}", "true true false"},
	{"{{or .Missing \"dflt\"}} {{or .Name \"dflt\"}}", "dflt /c1"},
	{"{{and 1 0 2}} {{and 1 2}} {{or 0 \"\"}}", "0 2 "},
	{"{{and .Missing .Name.X}}", "<no value>"},
	{"{{not 0}} {{not .Name}}", "true false"},
	{"{{println \"a\" 1}}", "a 1\n"},
	{"{{print \"a\" 1 2 \"b\" true}}", "a1 2btrue"},
	{"{{print .Missing}}", "<nil>"},
	{"{{title \"hello world-foo x_y\"}}", "Hello World-Foo X_y"},
	{"{{split \"a,b,c\" \",\"}} {{len (split \"a,b\" \",\")}}", "[a b c] 2"},
	{"{{split \"abc\" \"\"}}", "[a b c]"},
	{"{{truncate \"abcdef\" 3}} {{truncate \"ab\" 5}}", "abc ab"},
	{"[{{pad \"x\" 2 1}}]", "[  x ]"},
	{"{{printf \"%q\" \"a\\\"b\\n\"}}", "\"a\\\"b\\n\""},
	{"{{printf \"%5s|%-5s|%.2s\" \"ab\" \"cd\" \"xyz\"}}", "   ab|cd   |xy"},
	{"{{printf \"%x %X %o %b %c\" 255 255 8 5 65}}", "ff FF 10 101 A"},
	{"{{printf \"%x\" \"hi\"}} {{printf \"%x\" -255}}", "6869 -ff"},
	{"{{printf \"%05d|%-4d|%+d\" 42 7 3}}", "00042|7   |+3"},
	{"{{printf \"%t %v\" true false}}", "true false"},
	{"{{printf \"%.2f %6.1f %e\" .F 2.25 1234.5}}", "1.50    2.2 1.234500e+03"},
	{"{{printf \"%d\" \"x\"}}", "%!d(string=x)"},
	{"{{printf \"%s\" 5}}", "%!s(int=5)"},
	{"{{printf \"%s\"}}", "%!s(MISSING)"},
	{"{{printf \"%z %d|%!\" 3}}", "%!z(int=3) %!d(MISSING)|%!!(MISSING)"},
	{"{{printf \"%300d|\" 5 | len}} {{printf \"%.50g\" 0.1 | len}}", "301 51"},
	{"{{printf \"%s\" \"a\" \"b\"}}", "a%!(EXTRA string=b)"},
	{"{{printf \"%v\" .Config.Labels}}", "map[b:2 com.example.x:y]"},
	{"{{printf \"%s\" .Config.Env}}", "[A=1 B=2]"},
	{"{{printf \"%d\" .State.Pid}} {{printf \"%v\" .Nil}} {{printf \"100%%\"}}",
	 "42 <nil> 100%"},
	{"{{printf \"%T %T %T %T %T\" 1 \"s\" .Config.Env .F .Config.Labels}}",
	 "int string []interface {} float64 map[string]interface {}"},
	{"{{printf \"%q\" 'x'}}", "'x'"},
	{"{{.F}} {{.Big}} {{.Small}} {{1.0}} {{1e3}} {{0.000012}} {{123456.0}} {{1e21}}",
	 "1.5 1e+06 0.0001 1 1000 1.2e-05 123456 1e+21"},
	{"{{$x := .State}}{{$x.Pid}}", "42"},
	{"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"},
	{"{{$x := 1}}{{if true}}{{$x := 3}}{{$x}}{{end}}{{$x}}", "31"},
	{"{{$.Name}} {{with .State}}{{$.Id}}{{end}}", "/c1 abc"},
	{"{{range .Empty}}x{{else}}none{{end}}", "none"},
	{"{{range .Missing}}x{{else}}none{{end}}", "none"},
	{"{{range .Mounts}}{{if eq .Destination \"/logs\"}}{{break}}{{end}}{{.Destination}}{{end}}",
	 "/data"},
	{"{{range .Mounts}}{{if eq .Destination "
	 "\"/data\"}}{{continue}}{{end}}{{.Destination}}{{end}}",
	 "/logs"},
	{"{{range 3}}{{.}}{{end}}{{range $i := .N}}{{$i}}{{end}}", "012012"},
	{"{{range $i, $e := .Config.Env}}{{if $i}},{{end}}{{$e}}{{end}}", "A=1,B=2"},
	{"{{if .Missing}}a{{else if .State.Running}}b{{else}}c{{end}}", "b"},
	{"{{if .Missing}}a{{else if .Nil}}b{{else}}c{{end}}", "c"},
	{"{{with .Missing}}a{{else with .State}}{{.Pid}}{{end}}", "42"},
	{"{{\"\\x41\\u00e9\\101\\t|\"}}", "A\xc3\xa9"
					  "A\t|"},
	{"{{`raw\\n`}}", "raw\\n"},
	{"{{'a'}} {{'\\n'}} {{'\\''}}", "97 10 39"},
	{"{{0x1F}} {{1_000}} {{-5}} {{1.5e3}} {{0o17}} {{0b101}} {{017}} {{+3}}",
	 "31 1000 -5 1500 15 5 15 3"},
	{"{{(index .Mounts 1).Destination}}", "/logs"},
	{"{{slice \"abcdef\" 1 3}} {{slice .Config.Cmd 1}}", "bc [-c echo hi]"},
	{"{{true}} {{false}} {{\"s\"}}", "true false s"},
	{"{{.Name}}{{/* a\nmultiline\ncomment */}}", "/c1"},
	{"{{ .Name  |  upper }}", "/C1"},
	{"{{if\n.State.Running\n}}y{{end}}", "y"},
	{"{{len .Config.Env | printf \"%d items\"}}", "2 items"},
	{"{{$v := index .Config.Env 0}}{{$v}}", "A=1"},
	{"{{range .Config.Labels}}{{.}};{{end}}", "2;y;"},
	{"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", "b=2 com.example.x=y "},
	{"}} {{\"}}\"}} {", "}} }} {"},
	/* the body pushes more variables than the stack held: the range
	 * variables must still be found (they were once stale pointers) */
	{"{{range $i, $v := .Config.Env}}{{$a := 1}}{{$b := 1}}{{$c := 1}}{{$d := 1}}{{$e := 1}}"
	 "{{$f := 1}}{{$g := 1}}{{$h := 1}}{{$j := 1}}{{$k := 1}}{{$l := 1}}{{$m := 1}}{{$n := 1}}"
	 "{{$o := 1}}{{$p := 1}}{{$q := 1}}{{$r := 1}}{{$i}}{{$v}} {{end}}",
	 "0A=1 1B=2 "},
	{"{{$i := 9}}{{$v := 0}}{{range $i, $v = .Config.Env}}{{$a := 1}}{{$b := 1}}{{$c := 1}}"
	 "{{$d := 1}}{{$e := 1}}{{$f := 1}}{{$g := 1}}{{$h := 1}}{{$j := 1}}{{$k := 1}}{{$l := 1}}"
	 "{{$m := 1}}{{$n := 1}}{{$o := 1}}{{$p := 1}}{{$q := 1}}{{$r := 1}}{{end}}{{$i}}{{$v}}",
	 "1B=2"},
	/* Docker's .Label method of list rows */
	{"[{{.Config.Label \"com.example.x\"}}][{{.Config.Label \"nope\"}}]", "[y][]"},
	{"{{\"b\" | .Config.Label}}", "2"},
	{"{{with $r := .Row}}{{$r.Label \"k2\"}}|{{.Label \"k\"}}|{{.Label \"zz\"}}{{end}}",
	 "v2|v|"},
};

TEST(template_cases_match_go)
{
	_cleanup_json_ json_object *d = data();

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_error_ struct hk_error *err = NULL;
		_cleanup_free_ char *out = tmpl_render(cases[i].tmpl, d, &err);
		if (!out || strcmp(out, cases[i].want)) {
			fprintf(stderr, "  case %zu: %s\n    got  [%s]%s%s\n    want [%s]\n", i,
				cases[i].tmpl, out ? out : "(error)", err ? " " : "",
				err ? hk_error_msg(err) : "", cases[i].want);
			(*hk_failed)++;
		}
	}
}

static const struct {
	const char *tmpl, *want; /* a substring of the message */
} errors[] = {
	{"{{.Name}", "bad character"},
	{"{{.Name", "unclosed action"},
	{"{{if .A}}x", ":1:11: unexpected EOF"},
	{"{{range .A}}x{{else}}y{{else}}z{{end}}", "expected end; found {{else}}"},
	{"{{end}}", "unexpected {{end}}"},
	{"{{else}}", "unexpected {{else}}"},
	{"{{foo}}", "function \"foo\" not defined"},
	{"{{$x}}", "undefined variable \"$x\""},
	{"{{if true}}{{$x := 1}}{{end}}{{$x}}", "undefined variable \"$x\""},
	{"{{$x = 1}}", "undefined variable \"$x\""},
	{"{{(.A}}", "unclosed left paren"},
	{"x{{ ) }}", "template: :1:5: unexpected right paren"},
	{"{{\"abc}}", "unterminated quoted string"},
	{"{{`abc}}", "unterminated raw quoted string"},
	{"{{/* x }}", "unclosed comment"},
	{"{{/* x */ .A}}", "comment ends before closing delimiter"},
	{"{{break}}", "{{break}} outside {{range}}"},
	{"{{1x}}", "bad number syntax: \"1x\""},
	{"{{08}}", "bad number syntax"},
	{"{{}}", "missing value for command"},
	{"{{.A | 1}}", "non executable command in pipeline stage 2"},
	{"{{.A |}}", "unexpected \"}}\" in command"},
	{"{{template \"x\"}}", "not supported"},
	{"{{define \"x\"}}{{end}}", "not supported"},
	{"{{\"a\".B}}", "unexpected . after term"},
	{"{{'ab'}}", "malformed character constant"},
	{"{{\"\\q\"}}", "unknown escape"},
	{"{{if}}{{end}}", "missing value for if"},
	{"{{range $a, $b, $c := .X}}{{end}}", "too many declarations"},
	{"{{.A !}}", "unrecognized character in action"},
	{"\n\n  {{.A :}}", "template: :3:8: expected :="},
	{"{{.State.Pid.X}}",
	 "executing \"\" at <.State.Pid.X>: can't evaluate field X in type int"},
	{"{{.Nil.X}}", "nil pointer evaluating interface {}.X"},
	{"{{index .Mounts 5}}", "index out of range: 5"},
	{"{{index .Missing 0}}", "index of untyped nil"},
	{"{{index .Name 0}}", "can't index item of type string"},
	{"{{len 3}}", "len of type int"},
	{"{{eq .Mounts 1}}", "non-comparable type"},
	{"{{eq 1 \"a\"}}", "incompatible types for comparison"},
	{"{{lt 1 \"a\"}}", "incompatible types for comparison"},
	{"{{lt true false}}", "invalid type for comparison"},
	{"{{range .Name}}{{end}}", "range can't iterate over /c1"},
	{"{{range $k, $v := 3}}{{end}}", "iterate over more than one variable"},
	{"{{.Name 1}}", "can't give argument to non-function .Name"},
	{"{{.Label 1}}", "expected string; got int"},
	{"{{.Label \"a\" \"b\"}}", "can't give argument to non-function .Label"},
	{"{{\"a\" | .Name}}", "can't give argument to non-function"},
	{"{{nil}}", "nil is not a command"},
	{"{{not}}", "wrong number of args for not: want 1 got 0"},
	{"{{ne 1}}", "wrong number of args for ne: want 2 got 1"},
	{"{{printf}}", "want at least 1 got 0"},
	{"{{upper 3}}", "expected string; got int"},
	{"{{upper .Missing}}", "invalid value; expected string"},
	{"{{truncate .Name -1}}", "negative length"},
	{"{{join .Name \",\"}}", "expected []string"},
	{"{{slice .Name 2 1}}", "index out of range"},
	{"line1\n{{.Name}} {{.State.Pid.X}}", "template: :2:13: executing \"\" at <.State.Pid.X>"},
};

TEST(template_errors_name_position)
{
	_cleanup_json_ json_object *d = data();

	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		_cleanup_error_ struct hk_error *err = NULL;
		_cleanup_free_ char *out = tmpl_render(errors[i].tmpl, d, &err);
		if (out || !err || !strstr(hk_error_msg(err), errors[i].want)) {
			fprintf(stderr, "  error case %zu: %s\n    got  [%s]\n    want [%s]\n", i,
				errors[i].tmpl, out ? out : hk_error_msg(err), errors[i].want);
			(*hk_failed)++;
		}
	}
}

TEST(template_parse_once_exec_many)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct tmpl *t = NULL;
	char *a = NULL, *b = NULL;
	json_object *x = json_object_new_object(), *y = json_object_new_object();

	json_object_object_add(x, "A", json_object_new_string("one"));
	json_object_object_add(y, "A", json_object_new_int(2));
	REQUIRE(tmpl_parse("<{{.A}}>", &t, &err) == 0);
	CHECK(tmpl_exec(t, x, &a, &err) == 0);
	CHECK(tmpl_exec(t, y, &b, &err) == 0);
	CHECK_STR(a, "<one>");
	CHECK_STR(b, "<2>");
	free(a);
	free(b);
	a = NULL;
	/* {{.A}} on nil is Go's nil pointer error */
	CHECK(tmpl_exec(t, NULL, &a, &err) < 0 && !a);
	CHECK(err && strstr(hk_error_msg(err), "nil pointer evaluating interface {}.A"));
	tmpl_free(t);
	json_object_put(x);
	json_object_put(y);
}

TEST(template_value_string)
{
	json_object *o = NULL;
	const char *txt = "{\"b\":[1,\"x\",null,true],\"a\":{\"z\":1.25,\"y\":{}}}";
	_cleanup_free_ char *s = NULL, *n = tmpl_value_string(NULL);

	REQUIRE(json_parse("t", txt, strlen(txt), &o, NULL) == 0);
	s = tmpl_value_string(o);
	CHECK_STR(s, "map[a:map[y:map[] z:1.25] b:[1 x <nil> true]]");
	CHECK_STR(n, "<nil>");
	json_object_put(o);
}

TEST(template_depth_limits)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *parens = xzalloc(4000), *ifs = xzalloc(20000);
	char *out;

	strcpy(parens, "{{");
	for (int i = 0; i < 1000; i++)
		strcat(parens, "(");
	out = tmpl_render(parens, NULL, &err);
	CHECK(!out && err && strstr(hk_error_msg(err), "too many nested parentheses"));
	hk_error_free(&err);
	for (int i = 0; i < 1000; i++)
		strcat(ifs, "{{if 1}}");
	out = tmpl_render(ifs, NULL, &err);
	CHECK(!out && err && strstr(hk_error_msg(err), "too deeply nested"));
	hk_error_free(&err);
	/* 90 levels are fine */
	ifs[0] = '\0';
	for (int i = 0; i < 90; i++)
		strcat(ifs, "{{with .}}");
	strcat(ifs, "x");
	for (int i = 0; i < 90; i++)
		strcat(ifs, "{{end}}");
	json_object *s = json_object_new_string("s");
	out = tmpl_render(ifs, s, &err);
	json_object_put(s);
	CHECK_STR(out, "x");
	free(out);
	hk_error_free(&err);
}

/* A few thousand random and mutated templates: any result is fine as long
 * as nothing crashes or leaks (the unit tests run under ASan in CI). */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

TEST(template_fuzz_does_not_crash)
{
	static const char *const frag[] = {"{{",
					   "}}",
					   "{{-",
					   " -}}",
					   ".",
					   ".Name",
					   ".State",
					   ".Pid",
					   "$",
					   "$x",
					   ":=",
					   "=",
					   "|",
					   "(",
					   ")",
					   "\"s\"",
					   "`r`",
					   "'c'",
					   "1",
					   "-2",
					   "0x1",
					   "1.5",
					   "nil",
					   "true",
					   " ",
					   "if ",
					   "else",
					   "end",
					   "range ",
					   "with ",
					   "break",
					   "continue",
					   "printf ",
					   "\"%d%s%v\"",
					   "index ",
					   "len ",
					   "json ",
					   "join ",
					   "split ",
					   "eq ",
					   "lt ",
					   "and ",
					   "or ",
					   "not ",
					   "slice ",
					   "pad ",
					   "truncate ",
					   ",",
					   "$k, $v :=",
					   "/*",
					   "*/",
					   "\\",
					   "\"",
					   "\n",
					   ".Mounts",
					   ".Config.Labels",
					   "print ",
					   "println ",
					   "title ",
					   "{{end}}",
					   "{{else}}",
					   "{{$y := 1}}{{$z := 2}}{{$w := 3}}{{$u := 4}}{{$t := "
					   "5}}{{$s := 6}}{{$r := 7}}{{$q := 8}}",
					   "{{range $i, $v := .Mounts}}",
					   "{{range .Config.Env}}",
					   "{{with .State}}"};
	_cleanup_json_ json_object *d = data();
	uint32_t seed = 0x9e3779b9;
	char buf[512];
	int ran = 0;

	for (int iter = 0; iter < 4000; iter++) {
		size_t len = 0;
		if (iter % 2) {
			int k = (int)(rnd(&seed) % 12) + 1;
			bool action = rnd(&seed) % 2; /* inside one {{ }}: reaches the evaluator */
			if (action) {
				memcpy(buf, "{{", 2);
				len = 2;
			}
			for (int j = 0; j < k; j++) {
				const char *f = frag[rnd(&seed) % ARRAY_SIZE(frag)];
				size_t fl = strlen(f);
				if (len + fl >= sizeof(buf))
					break;
				memcpy(buf + len, f, fl);
				len += fl;
			}
			if (action && len + 2 < sizeof(buf)) {
				memcpy(buf + len, "}}", 2);
				len += 2;
			}
		} else {
			const char *base = cases[rnd(&seed) % ARRAY_SIZE(cases)].tmpl;
			len = strlen(base) < sizeof(buf) - 1 ? strlen(base) : sizeof(buf) - 1;
			memcpy(buf, base, len);
			int muts = (int)(rnd(&seed) % 4) + 1;
			for (int m = 0; m < muts && len > 0; m++) {
				size_t at = rnd(&seed) % len;
				switch (rnd(&seed) % 3) {
				case 0: /* flip a byte */
					buf[at] = (char)(rnd(&seed) % 255 + 1);
					break;
				case 1: /* cut */
					len = at;
					break;
				default: /* duplicate a piece */
					if (len + 8 < sizeof(buf)) {
						memmove(buf + at + 8, buf + at, len - at);
						len += 8;
					}
					break;
				}
			}
		}
		buf[len] = '\0';
		_cleanup_error_ struct hk_error *err = NULL;
		char *out = tmpl_render(buf, d, &err);
		CHECK(out || err);
		ran += out != NULL;
		free(out);
	}
	CHECK(ran > 400); /* enough of them got past the parser to run */
}
