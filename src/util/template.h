/* hako: Go's text/template over json-c values, as `--format` takes it.
 *
 * The language is Go's: text with {{actions}}; field chains (.A.B, $x.A,
 * (pipeline).A); variables ($, $x := ..., $x = ...); pipelines with |;
 * string, raw string, char, number, bool and nil literals; if / else if /
 * else / end, range (arrays, objects in sorted key order, integers) with
 * break and continue, with / else with; {{- and -}} trimming; comments.
 * Functions: Go's builtins (and or not len index slice print printf println
 * eq ne lt le gt ge) and Docker's (json join split title lower upper pad
 * truncate).
 *
 * Values print as Go prints them: maps as map[k:v ...] with sorted keys,
 * arrays as [a b], JSON null as <nil>, a missing field as <no value>.
 * Two deliberate departures, both Docker's observable behaviour: integers
 * and floats compare with each other (JSON does not tell them apart), and
 * `index` of a missing object key gives "" (Docker's label maps are
 * map[string]string).
 *
 * Errors read like Go's with a 1-based line:column, e.g.
 *   template: :1:12: unexpected "}" in operand
 *   template: :1:3: executing "" at <.A.B>: nil pointer evaluating interface {}.B
 * Nesting (blocks, parentheses) is limited so hostile input cannot exhaust
 * the stack.
 */
#ifndef HAKO_UTIL_TEMPLATE_H
#define HAKO_UTIL_TEMPLATE_H

#include <json-c/json.h>
#include <stddef.h>

#include "util/error.h"

struct tmpl;

/* Parse text; *out is freed with tmpl_free(). */
int tmpl_parse(const char *text, struct tmpl **out, struct hk_error **err);

/* Execute t with data as dot ($); *out (caller frees) is the whole output.
 * data may be NULL (JSON null).  On error *out is left untouched. */
int tmpl_exec(const struct tmpl *t, json_object *data, char **out, struct hk_error **err);

/* As tmpl_exec, for the header line of a Docker table ("table {{.A}}"):
 * data maps fields to their column titles; a field it lacks is titled from
 * its name ("RunningFor" -> "RUNNING FOR"); json, split, join, title, lower,
 * upper and truncate return their first argument unchanged, so that
 * "table {{upper .Name}}\t{{json .Labels}}" still prints the titles. */
int tmpl_exec_header(const struct tmpl *t, json_object *data, char **out, struct hk_error **err);

void tmpl_free(struct tmpl *t);

/* Parse and execute once; NULL with *err on failure.  Caller frees. */
char *tmpl_render(const char *text, json_object *data, struct hk_error **err);

/* A JSON value printed as Go's fmt.Sprint prints the decoded value
 * ("map[a:1 b:[x y]]"); NULL prints "<nil>".  Caller frees. */
char *tmpl_value_string(json_object *v);

#endif
