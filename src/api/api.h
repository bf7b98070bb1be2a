/* hako: the Docker Engine API (`hako system service`) and what it shares
 * with the command line (`hako info`).
 *
 * The service is one more client of the engine: it opens the same database
 * and runs the same code (or the hako binary itself for what forks a
 * monitor or owns a terminal), so containers made through it are the CLI's
 * and keep running when it exits.  See docs/api.md.
 */
#ifndef HAKO_API_API_H
#define HAKO_API_API_H

#include <json-c/json.h>

#include "engine/engine.h"
#include "util/error.h"

/* The API versions served: dockerd's negotiation (the client picks the
 * lower of its own and API_VERSION, announced by /_ping and /version). */
#define API_VERSION	"1.41"
#define API_MIN_VERSION "1.24"

struct api_opts {
	const char *listen;  /* unix:///PATH or tcp://HOST:PORT */
	int timeout;	     /* seconds idle before exiting; 0: never */
	const char *tlscert; /* TLS files (a non-loopback address needs them) */
	const char *tlskey;
	const char *tlscacert;
	const char *root, *runroot;
};

/* Serve until SIGINT/SIGTERM or the idle timeout.  Errors: the address
 * cannot be used (and why). */
int api_serve(const struct api_opts *o, struct hk_error **err);

/* dockerd's /info object for the engine e (plus hako's VMs). */
json_object *api_info_json(struct engine *e, struct hk_error **err);

#endif
