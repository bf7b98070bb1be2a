/* hako: the --format option of list and inspect commands, as Docker's:
 * "json" (one compact object a line), "table" (the command's own table),
 * "table TEMPLATE" (a header line from the fields' names, then one line a
 * row, aligned as Go's tabwriter with minimum width 10 and padding 3) or
 * any other Go template (src/util/template.h), printed once a row with a
 * newline. */
#ifndef HAKO_CLI_FORMAT_H
#define HAKO_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/json.h"
#include "util/template.h"

enum cli_format_kind {
	CLI_FORMAT_DEFAULT,  /* no --format or "table": the caller's own output */
	CLI_FORMAT_JSON,     /* "json" */
	CLI_FORMAT_TEMPLATE, /* a template, one output a row */
	CLI_FORMAT_TABLE,    /* "table TEMPLATE" */
};

struct cli_format {
	enum cli_format_kind kind;
	struct tmpl *t;
	const char *const *headers; /* KEY, HEADER pairs, NULL-terminated */
	json_object *header;	    /* the row Docker executes the header line on */
	char *rows;		    /* TABLE: text waiting for the tabwriter */
	size_t len;
};

/* Parse spec (NULL allowed).  As Docker's formatter, a typed "\t" or "\n"
 * in the template is a tab or a newline.  headers: the column titles of the
 * command's fields that are not the field name in capitals split at its
 * words ("RunningFor" would be "RUNNING FOR"): {"ID", "CONTAINER ID", ...,
 * NULL}; may be NULL.  A bad template is an error naming "--format". */
int cli_format_init(struct cli_format *f, const char *spec, const char *const *headers,
		    struct hk_error **err);

/* For inspect commands: spec is always a template (no json, no table). */
int cli_format_init_template(struct cli_format *f, const char *spec, struct hk_error **err);

/* Output one row (not for CLI_FORMAT_DEFAULT). */
int cli_format_row(struct cli_format *f, json_object *row, struct hk_error **err);

/* Print a table's header and rows; then free.  Safe to call twice. */
int cli_format_end(struct cli_format *f, struct hk_error **err);

/* Free without printing (error paths). */
void cli_format_free(struct cli_format *f);

/* Go's text/tabwriter as Docker sets it up (minwidth 10, padding 3,
 * blanks): cells end with '\t', lines with '\n'; prints to stdout. */
void cli_tabwrite(const char *text, size_t len);

#endif
