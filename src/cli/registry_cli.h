/* hako cli: what pull, push, login, logout, save and load share: the
 * --tls-verify and --authfile options and the per-blob progress lines. */
#ifndef HAKO_CLI_REGISTRY_CLI_H
#define HAKO_CLI_REGISTRY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "util/error.h"

/* Long options every registry command takes (getopt values 0x100..). */
#define REGCLI_OPT_TLS	    0x100
#define REGCLI_OPT_AUTHFILE 0x101

/* Parse "--tls-verify[=true|false]" into *out (1/0).  NULL arg means true. */
int regcli_parse_tls(const char *arg, int *out, struct hk_error **err);

/* Split "host[:port]/repo..." into a registry host and the rest; a leading
 * scheme and a trailing path are dropped (login's argument). Caller frees. */
char *regcli_host_of(const char *arg);

/* Progress of blob transfers: a bar per blob on a terminal, a line per
 * finished blob otherwise, nothing when quiet.  Thread-safe. */
struct regcli_progress;
struct regcli_progress *regcli_progress_new(bool quiet);
/* Add a line for a blob (returns its index). verb: "Copying blob". */
size_t regcli_progress_add(struct regcli_progress *p, const char *verb, const char *digest,
			   int64_t total);
void regcli_progress_update(struct regcli_progress *p, size_t idx, int64_t done);
/* rc 0: "done", 1: "skipped: already exists", 2: "mounted", < 0: "failed" */
void regcli_progress_finish(struct regcli_progress *p, size_t idx, int rc);
/* A plain message line ("Writing manifest to image destination"). */
void regcli_progress_note(struct regcli_progress *p, const char *fmt, ...) HK_PRINTF(2, 3);
void regcli_progress_free(struct regcli_progress *p);
/* A struct registry_progress that feeds p: download job i is line i, so the
 * caller adds the lines in job order after the last note. */
struct registry_progress regcli_progress_hooks(struct regcli_progress *p);

#endif
