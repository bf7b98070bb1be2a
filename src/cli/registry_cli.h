/* hako cli: what pull, push, login, logout, save and load share: the
 * --tls-verify option and the per-blob progress lines. */
#ifndef HAKO_CLI_REGISTRY_CLI_H
#define HAKO_CLI_REGISTRY_CLI_H

#include <stdbool.h>

#include "registry/registry.h"
#include "util/error.h"

/* Long options of the registry commands (getopt values above 0xff). */
#define REGCLI_OPT_TLS	    0x100
#define REGCLI_OPT_AUTHFILE 0x101

/* The options pull and push share (-q, --tls-verify, --authfile) and the
 * progress display of their transfer. */
struct regcli_xfer {
	struct registry_xfer_opts o;
	bool quiet;
	struct regcli_progress *prog;
	struct registry_events ev;
};
#define REGCLI_XFER_INIT                                                                           \
	{                                                                                          \
		.o = {.tls_verify = -1 }                                                           \
	}
#define REGCLI_XFER_LONGOPTS                                                                       \
	{"quiet", no_argument, NULL, 'q'},                                                         \
		{"tls-verify", optional_argument, NULL, REGCLI_OPT_TLS},                           \
	{                                                                                          \
		"authfile", required_argument, NULL, REGCLI_OPT_AUTHFILE                           \
	}
/* One getopt result c: 1 when it was a shared option (taken into x), 0 when
 * it is the command's own, -1 (with *err) for a bad value. */
int regcli_xfer_opt(struct regcli_xfer *x, int c, const char *arg, struct hk_error **err);
/* Show progress (unless quiet) through x->o.ev from now on. */
void regcli_xfer_start(struct regcli_xfer *x);
/* Draw the final progress and stop showing it. */
void regcli_xfer_done(struct regcli_xfer *x);

/* Parse "--tls-verify[=true|false]" into *out (1/0).  NULL arg means true. */
int regcli_parse_tls(const char *arg, int *out, struct hk_error **err);

/* The registry host of login's argument: a leading scheme and a trailing
 * path are dropped ("http://h:5000/x" -> "h:5000"). Caller frees. */
char *regcli_host_of(const char *arg);

/* Progress of blob transfers, as registry_events: a bar per blob on a
 * terminal (stderr), a line per finished blob otherwise, nothing when quiet. */
struct regcli_progress;
struct regcli_progress *regcli_progress_new(bool quiet);
struct registry_events regcli_progress_events(struct regcli_progress *p);
/* Redraw (final state) before printing something else. */
void regcli_progress_flush(struct regcli_progress *p);
void regcli_progress_free(struct regcli_progress *p);

#endif
