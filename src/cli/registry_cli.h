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
