/* hako API service: /exec.  An exec instance lives in the service's memory
 * (as dockerd's): created by POST /containers/{id}/exec, run by
 * /exec/{id}/start as a `hako exec` child on the upgraded connection. */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <string.h>

#include "api/internal.h"
#include "util/json.h"
#include "util/util.h"

struct exec_inst {
	char *id, *container;
	json_object *config; /* the create body */
	bool running, started;
	int exit_code;
	pid_t pid;
	struct exec_inst *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct exec_inst *execs;
static size_t n_execs;

/* Bounded: the oldest finished instances go first (dockerd drops them when
 * their container goes). */
static void trim_locked(void)
{
	while (n_execs > 1024) {
		struct exec_inst **pp = &execs, **last = NULL;
		for (; *pp; pp = &(*pp)->next)
			if (!(*pp)->running)
				last = pp;
		if (!last)
			return;
		struct exec_inst *x = *last;
		*last = x->next;
		free(x->id);
		free(x->container);
		json_object_put(x->config);
		free(x);
		n_execs--;
	}
}

static struct exec_inst *find_locked(const char *id)
{
	for (struct exec_inst *x = execs; x; x = x->next)
		if (!strcmp(x->id, id) || (strlen(id) >= 12 && !strncmp(x->id, id, strlen(id))))
			return x;
	return NULL;
}

enum MHD_Result api_exec_create(struct api_req *r)
{
	struct engine *e = api_engine(r);
	enum MHD_Result sent = MHD_NO;
	json_object *body, *cmd, *out;
	_cleanup_container_ struct engine_container *c = NULL;
	struct hk_error *err = NULL;
	struct exec_inst *x;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	body = api_body_json(r, &sent);
	if (!body)
		return sent;
	if (!json_object_object_get_ex(body, "Cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_array) || !json_object_array_length(cmd)) {
		json_object_put(body);
		return api_error(r, 400, "No exec command specified");
	}
	if (engine_lookup(e, r->parts[1], &c, &err) < 0) {
		hk_error_free(&err);
		json_object_put(body);
		return api_error(r, 404, "No such container: %s", r->parts[1]);
	}
	if (c->state == ENGINE_PAUSED) {
		json_object_put(body);
		return api_error(
			r, 409, "Container %s is paused, unpause the container before exec", c->id);
	}
	if (c->state != ENGINE_RUNNING) {
		json_object_put(body);
		return api_error(r, 409, "Container %s is not running", c->id);
	}
	x = xzalloc(sizeof(*x));
	x->id = engine_new_id();
	x->container = xstrdup(c->id);
	x->config = body;
	x->exit_code = 0;
	pthread_mutex_lock(&lock);
	x->next = execs;
	execs = x;
	n_execs++;
	trim_locked();
	out = json_object_new_object();
	json_object_object_add(out, "Id", json_object_new_string(x->id));
	pthread_mutex_unlock(&lock);
	return api_json(r, MHD_HTTP_CREATED, out);
}

static bool jbool(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void exec_done(void *data, int status, pid_t pid, int phase)
{
	char *id = data;
	pthread_mutex_lock(&lock);
	struct exec_inst *x = find_locked(id);
	if (x) {
		if (phase == 0) {
			x->pid = pid;
		} else {
			x->running = false;
			x->pid = 0;
			x->exit_code = status;
		}
	}
	pthread_mutex_unlock(&lock);
	if (phase == 1)
		free(id);
}

/* `hako exec` with the instance's options; tty/stdin only when attached. */
static char **exec_args(json_object *cfg, const char *container, bool tty, bool in)
{
	char **args = NULL;
	json_object *cmd = NULL, *env;

	strv_push(&args, "exec");
	if (tty)
		strv_push(&args, "-t");
	if (in)
		strv_push(&args, "-i");
	if (jbool(cfg, "Privileged"))
		strv_push(&args, "--privileged");
	if (jstr(cfg, "User") && *jstr(cfg, "User"))
		strv_push(&args, "-u"), strv_push(&args, jstr(cfg, "User"));
	if (jstr(cfg, "WorkingDir") && *jstr(cfg, "WorkingDir"))
		strv_push(&args, "-w"), strv_push(&args, jstr(cfg, "WorkingDir"));
	if (json_object_object_get_ex(cfg, "Env", &env) &&
	    json_object_is_type(env, json_type_array))
		for (size_t i = 0; i < json_object_array_length(env); i++)
			strv_push(&args, "-e"),
				strv_push(&args, json_object_get_string(
							 json_object_array_get_idx(env, i)));
	strv_push(&args, container);
	json_object_object_get_ex(cfg, "Cmd", &cmd);
	for (size_t i = 0; cmd && i < json_object_array_length(cmd); i++)
		strv_push(&args, json_object_get_string(json_object_array_get_idx(cmd, i)));
	return args;
}

struct detached {
	pid_t pid;
	char *id;
};

/* A detached exec's child, waited for so inspect knows its exit code. */
static void *detached_wait(void *arg)
{
	struct detached *d = arg;
	int status = 0;

	while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
		;
	exec_done(d->id, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), 0, 1);
	free(d);
	return NULL;
}

enum MHD_Result api_exec_start(struct api_req *r)
{
	enum MHD_Result sent = MHD_NO;
	_cleanup_json_ json_object *body = api_body_json(r, &sent);
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *container = NULL, *id = NULL;
	struct api_hijack *h;
	bool detach, tty, in;

	if (!body)
		return sent;
	pthread_mutex_lock(&lock);
	struct exec_inst *x = find_locked(r->parts[1]);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return api_error(r, 404, "No such exec instance: %s", r->parts[1]);
	}
	if (x->started) {
		pthread_mutex_unlock(&lock);
		return api_error(r, 409, "Exec %s has already been started", r->parts[1]);
	}
	x->started = x->running = true;
	cfg = json_object_get(x->config);
	container = xstrdup(x->container);
	id = xstrdup(x->id);
	pthread_mutex_unlock(&lock);

	detach = jbool(body, "Detach");
	tty = jbool(body, "Tty") || jbool(cfg, "Tty");
	in = jbool(cfg, "AttachStdin");
	if (detach) {
		/* attached to nothing, in the background: its exit code is known
		 * to inspect later (as dockerd's) */
		_cleanup_strv_ char **args = exec_args(cfg, container, false, false);
		struct detached *d = xzalloc(sizeof(*d));
		pthread_t t;
		if (api_spawn(r->srv, args, -1, -1, -1, &d->pid) < 0) {
			free(d);
			exec_done(xstrdup(id), 126, 0, 1);
			return api_error(r, 500, "exec: cannot run hako: %s", strerror(errno));
		}
		exec_done(id, 0, d->pid, 0);
		d->id = steal_ptr(&id);
		if (pthread_create(&t, NULL, detached_wait, d) != 0) {
			waitpid(d->pid, NULL, 0);
			exec_done(d->id, 126, 0, 1);
			free(d);
			return api_error(r, 500, "exec: cannot start a thread");
		}
		pthread_detach(t);
		return api_empty(r, MHD_HTTP_OK);
	}
	h = xzalloc(sizeof(*h));
	h->srv = r->srv;
	h->args = exec_args(cfg, container, tty, in);
	h->tty = h->pty = tty;
	h->stdin_on = in;
	h->done = exec_done;
	h->data = steal_ptr(&id);
	return api_hijack(r, h);
}

enum MHD_Result api_exec_inspect(struct api_req *r)
{
	json_object *o, *pc;

	pthread_mutex_lock(&lock);
	struct exec_inst *x = find_locked(r->parts[1]);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return api_error(r, 404, "No such exec instance: %s", r->parts[1]);
	}
	o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_string(x->id));
	json_object_object_add(o, "ContainerID", json_object_new_string(x->container));
	json_object_object_add(o, "Running", json_object_new_boolean(x->running));
	if (x->started && !x->running)
		json_object_object_add(o, "ExitCode", json_object_new_int(x->exit_code));
	else
		json_object_object_add(o, "ExitCode", NULL);
	json_object_object_add(o, "Pid", json_object_new_int(x->pid));
	json_object_object_add(o, "OpenStdin",
			       json_object_new_boolean(jbool(x->config, "AttachStdin")));
	json_object_object_add(o, "OpenStdout", json_object_new_boolean(true));
	json_object_object_add(o, "OpenStderr", json_object_new_boolean(true));
	json_object_object_add(o, "CanRemove", json_object_new_boolean(false));
	json_object_object_add(o, "DetachKeys", json_object_new_string(""));
	pc = json_object_new_object();
	json_object_object_add(pc, "tty", json_object_new_boolean(jbool(x->config, "Tty")));
	{
		json_object *cmd = NULL;
		json_object_object_get_ex(x->config, "Cmd", &cmd);
		size_t n = cmd ? json_object_array_length(cmd) : 0;
		json_object *args = json_object_new_array();
		json_object_object_add(
			pc, "entrypoint",
			json_object_new_string(
				n ? json_object_get_string(json_object_array_get_idx(cmd, 0))
				  : ""));
		for (size_t i = 1; i < n; i++)
			json_object_array_add(args,
					      json_object_get(json_object_array_get_idx(cmd, i)));
		json_object_object_add(pc, "arguments", args);
		json_object_object_add(pc, "privileged",
				       json_object_new_boolean(jbool(x->config, "Privileged")));
		json_object_object_add(pc, "user",
				       json_object_new_string(jstr(x->config, "User")
								      ? jstr(x->config, "User")
								      : ""));
	}
	json_object_object_add(o, "ProcessConfig", pc);
	pthread_mutex_unlock(&lock);
	return api_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result api_exec_resize(struct api_req *r)
{
	pthread_mutex_lock(&lock);
	struct exec_inst *x = find_locked(r->parts[1]);
	pthread_mutex_unlock(&lock);
	if (!x)
		return api_error(r, 404, "No such exec instance: %s", r->parts[1]);
	return api_empty(r, MHD_HTTP_OK);
}
