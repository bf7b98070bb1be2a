/* hako API service: declarations shared by the files of src/api/ (private). */
#ifndef HAKO_API_INTERNAL_H
#define HAKO_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "api/api.h"

/* Request bodies above this are refused with 413 (JSON configs are small). */
#define API_MAX_BODY (4u << 20)

struct api_server {
	char *root, *runroot;
	char *exe; /* this hako binary, for the commands run as children */
};

struct api_req {
	struct api_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	char *path;   /* without the /vN.NN prefix and the leading '/' */
	char **parts; /* path split at '/' */
	size_t n_parts;
	char *body;
	size_t len;
	bool too_big;
	struct engine e;
	bool e_open;
};

/* The engine of this request (opened on first use; NULL with a 500 sent). */
struct engine *api_engine(struct api_req *r);

/* ---- responses (server.c); each returns what the access handler returns ---- */
/* Send o (owned) with status. */
enum MHD_Result api_json(struct api_req *r, unsigned status, json_object *o);
/* {"message": ...} with status. */
enum MHD_Result api_error(struct api_req *r, unsigned status, const char *fmt, ...) HK_PRINTF(3, 4);
/* An engine error: 404 for "no such", 409 for conflicts, else 500 (or
 * fallback when not 0). */
enum MHD_Result api_fail(struct api_req *r, struct hk_error *err, unsigned fallback);
/* Status code an error message maps to. */
unsigned api_status_of(const char *msg, unsigned fallback);
/* An empty body (204, 304...). */
enum MHD_Result api_empty(struct api_req *r, unsigned status);
/* A plain text body (copied). */
enum MHD_Result api_text(struct api_req *r, unsigned status, const char *type, const char *text,
			 size_t len);
/* Queue resp with the headers every dockerd answer carries; destroys it. */
enum MHD_Result api_queue(struct api_req *r, unsigned status, struct MHD_Response *resp);

/* ---- request data ---- */
const char *api_query(struct api_req *r, const char *key);
bool api_query_bool(struct api_req *r, const char *key, bool def);
/* The body as JSON (NULL and a 400 sent when malformed; an empty body gives
 * an empty object). */
json_object *api_body_json(struct api_req *r, enum MHD_Result *sent);
/* The filters query parameter: {"key":["v"]} or {"key":{"v":true}} (NULL
 * when absent; *bad set when malformed). */
json_object *api_filters(struct api_req *r, bool *bad);
/* True when the filters have key with value v (or key is absent: absent_ok). */
bool api_filter_has(json_object *filters, const char *key);
bool api_filter_match(json_object *filters, const char *key, bool (*f)(const char *v, void *d),
		      void *d);

/* True when the client closed its side (for blocking stream readers). */
bool api_client_gone(struct MHD_Connection *conn);

/* ---- children: this hako binary with the service's --root/--runroot ---- */
/* Spawn `hako ARGS` with the given stdio fds (-1: /dev/null). */
int api_spawn(struct api_server *s, char *const *args, int in, int out, int errfd, pid_t *pid);
/* Run `hako ARGS` to its end; *out and *errout get stdout and stderr
 * (may be NULL to drop); returns the exit status (or -1). */
int api_run(struct api_server *s, char *const *args, char **out, char **errout);
/* A stream of a child's output as the response: framed as Docker's
 * multiplexed stdout/stderr when mux, else raw. */
enum MHD_Result api_stream_child(struct api_req *r, char *const *args, bool mux);

/* ---- upgraded connections (exec start, attach) ---- */
struct api_hijack {
	struct api_server *srv;
	char **args;	 /* the hako command to run */
	bool tty;	 /* a raw stream (else Docker's multiplexed framing) */
	bool pty;	 /* the child gets a pty (implies tty) */
	bool stdin_on;	 /* the client's bytes go to the child's stdin */
	char *defer_for; /* a container id: run only once api_attach_claim()
			  * gives the command (attach before start) */
	void (*done)(void *data, int status, pid_t pid, int phase);
	void *data; /* for done: phase 0 = started (pid), 1 = exited (status) */
};
/* Answer 101 and run h's command on the upgraded socket (takes h). */
enum MHD_Result api_hijack(struct api_req *r, struct api_hijack *h);
/* A deferred hijack waiting for container id: give it args (taken) to run
 * now; false when nobody waits. */
bool api_attach_claim(const char *id, char **args);
/* An attach to container id will wait for its start: announced before the
 * upgrade answer, so that a start right after it waits for the attach. */
void api_attach_announce(const char *id);

/* ---- handlers ---- */
typedef enum MHD_Result (*api_handler)(struct api_req *r);

enum MHD_Result api_ping(struct api_req *r);
enum MHD_Result api_version(struct api_req *r);
enum MHD_Result api_info(struct api_req *r);
enum MHD_Result api_events(struct api_req *r);
enum MHD_Result api_system_df(struct api_req *r);
enum MHD_Result api_auth(struct api_req *r);

enum MHD_Result api_ctr_list(struct api_req *r);
enum MHD_Result api_ctr_create(struct api_req *r);
enum MHD_Result api_ctr_inspect(struct api_req *r);
enum MHD_Result api_ctr_start(struct api_req *r);
enum MHD_Result api_ctr_stop(struct api_req *r);
enum MHD_Result api_ctr_restart(struct api_req *r);
enum MHD_Result api_ctr_kill(struct api_req *r);
enum MHD_Result api_ctr_wait(struct api_req *r);
enum MHD_Result api_ctr_remove(struct api_req *r);
enum MHD_Result api_ctr_logs(struct api_req *r);
enum MHD_Result api_ctr_top(struct api_req *r);
enum MHD_Result api_ctr_rename(struct api_req *r);
enum MHD_Result api_ctr_pause(struct api_req *r);
enum MHD_Result api_ctr_unpause(struct api_req *r);
enum MHD_Result api_ctr_attach(struct api_req *r);
enum MHD_Result api_ctr_resize(struct api_req *r);
enum MHD_Result api_ctr_archive_get(struct api_req *r);
enum MHD_Result api_ctr_archive_put(struct api_req *r);

enum MHD_Result api_exec_create(struct api_req *r);
enum MHD_Result api_exec_start(struct api_req *r);
enum MHD_Result api_exec_inspect(struct api_req *r);
enum MHD_Result api_exec_resize(struct api_req *r);

enum MHD_Result api_img_list(struct api_req *r);
enum MHD_Result api_img_create(struct api_req *r);
enum MHD_Result api_img_inspect(struct api_req *r);
enum MHD_Result api_img_history(struct api_req *r);
enum MHD_Result api_img_tag(struct api_req *r);
enum MHD_Result api_img_remove(struct api_req *r);

enum MHD_Result api_net_list(struct api_req *r);
enum MHD_Result api_net_inspect(struct api_req *r);
enum MHD_Result api_net_create(struct api_req *r);
enum MHD_Result api_net_remove(struct api_req *r);
enum MHD_Result api_net_connect(struct api_req *r);
enum MHD_Result api_net_disconnect(struct api_req *r);

enum MHD_Result api_vol_list(struct api_req *r);
enum MHD_Result api_vol_create(struct api_req *r);
enum MHD_Result api_vol_inspect(struct api_req *r);
enum MHD_Result api_vol_remove(struct api_req *r);

#endif
