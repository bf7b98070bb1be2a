/* hako engine: the client side: attach to a monitor, read logs, exec. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/path.h"
#include "util/sock.h"
#include "util/tty.h"
#include "util/util.h"

int engine_attach_connect(struct engine *e, const struct engine_container *c, int *out,
			  struct hk_error **err)
{
	_cleanup_free_ char *dir = engine_run_dir(e, c->id);
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dfd < 0 || !engine_monitor_alive(e, c->id))
		return hk_error_set(err, 0, "cannot attach to %s: the container is not running",
				    c->name);
	fd = sock_unix_connectat(dfd, "attach", 0, err);
	if (fd < 0)
		return hk_error_wrap(err, "attach to %s", c->name);
	*out = fd;
	return 0;
}

/* "ctrl-p,ctrl-q" -> bytes; Docker's syntax: ctrl-a..ctrl-z, ctrl-@, ctrl-[,
 * ctrl-\, ctrl-], ctrl-^, ctrl-_, or single characters. */
int engine_parse_detach_keys(const char *spec, char *out, size_t cap, size_t *n);
int engine_parse_detach_keys(const char *spec, char *out, size_t cap, size_t *n)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;

	*n = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n >= cap)
			return -1;
		if (!strncasecmp(t, "ctrl-", 5) && strlen(t) == 6) {
			char k = (char)tolower((unsigned char)t[5]);
			if (k >= 'a' && k <= 'z')
				out[(*n)++] = (char)(k - 'a' + 1);
			else if (k == '@')
				out[(*n)++] = 0;
			else if (k == '[')
				out[(*n)++] = 27;
			else if (k == '\\')
				out[(*n)++] = 28;
			else if (k == ']')
				out[(*n)++] = 29;
			else if (k == '^')
				out[(*n)++] = 30;
			else if (k == '_')
				out[(*n)++] = 31;
			else
				return -1;
		} else if (strlen(t) == 1) {
			out[(*n)++] = t[0];
		} else {
			return -1;
		}
	}
	return *n ? 0 : -1;
}

static void send_size(int fd)
{
	struct winsize ws;
	unsigned char b[4];

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	b[0] = (unsigned char)(ws.ws_row >> 8);
	b[1] = (unsigned char)ws.ws_row;
	b[2] = (unsigned char)(ws.ws_col >> 8);
	b[3] = (unsigned char)ws.ws_col;
	attach_send(fd, ATTACH_RESIZE, b, 4);
}

int engine_attach_stream(int fd, bool tty, bool stdin_on, const char *detach_keys, int *exit_code,
			 struct hk_error **err)
{
	char keys[16], held[16], buf[ATTACH_MAX_FRAME];
	size_t nkeys = 0, nheld = 0;
	int sfd = -1, r = -1;
	struct tty_raw raw = {0};
	sigset_t mask, old;

	if (engine_parse_detach_keys(detach_keys ? detach_keys : "ctrl-p,ctrl-q", keys,
				     sizeof(keys), &nkeys) < 0)
		return hk_error_set(err, 0, "--detach-keys: bad key sequence '%s'", detach_keys);
	/* the container's pty did the output processing: ours must not add a
	 * second "\r" (even without stdin, as with run -t) */
	if (tty)
		tty_raw_enter(&raw, stdin_on);
	/* what was typed before the switch goes first; an EOF typed then ends
	 * our stdin as one read afterwards would have */
	if (stdin_on && raw.pending_len)
		attach_send(fd, ATTACH_STDIN, raw.pending, (uint32_t)raw.pending_len);
	if (stdin_on && raw.pending_eof) {
		attach_send(fd, ATTACH_CLOSE_STDIN, NULL, 0);
		stdin_on = false;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (tty && isatty(STDIN_FILENO))
		send_size(fd);
	for (;;) {
		struct pollfd p[3] = {
			{.fd = fd, .events = POLLIN},
			{.fd = stdin_on ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			hk_error_errno(err, "poll");
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0 && tty)
				send_size(fd);
		}
		if (p[0].revents) {
			enum attach_frame type;
			uint32_t len;
			int k = attach_recv(fd, &type, buf, &len);
			if (k <= 0) {
				r = hk_error_set(err, 0,
						 "lost the connection to the container monitor");
				break;
			}
			if (type == ATTACH_STDOUT)
				write_all(STDOUT_FILENO, buf, len);
			else if (type == ATTACH_STDERR)
				write_all(STDERR_FILENO, buf, len);
			else if (type == ATTACH_EXIT && len == 4) {
				*exit_code = (int)((uint32_t)(unsigned char)buf[0] << 24 |
						   (uint32_t)(unsigned char)buf[1] << 16 |
						   (uint32_t)(unsigned char)buf[2] << 8 |
						   (unsigned char)buf[3]);
				r = 0;
				break;
			}
		}
		if (p[1].revents) {
			char in[4096], outb[4096 + 16];
			size_t no = 0;
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			if (n <= 0) {
				attach_send(fd, ATTACH_CLOSE_STDIN, NULL, 0);
				stdin_on = false;
				continue;
			}
			bool detached = false;
			for (ssize_t i = 0; i < n; i++) {
				if (in[i] == keys[nheld]) {
					held[nheld++] = in[i];
					if (nheld == nkeys) {
						detached = true;
						break;
					}
					continue;
				}
				memcpy(outb + no, held, nheld);
				no += nheld;
				nheld = 0;
				if (in[i] == keys[0]) {
					held[nheld++] = in[i];
					continue;
				}
				outb[no++] = in[i];
			}
			if (no)
				attach_send(fd, ATTACH_STDIN, outb, (uint32_t)no);
			if (detached) {
				r = 1;
				break;
			}
		}
	}
	tty_raw_leave(&raw);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* ------------------------------------------------------------ logs */

struct log_entry {
	int64_t time;
	char *stream;
	char *msg;
	size_t len;
};

static int parse_line(const char *line, size_t len, bool k8s, struct log_entry *le)
{
	if (k8s) {
		/* TIME STREAM F|P MSG */
		const char *s1 = memchr(line, ' ', len);
		if (!s1)
			return -1;
		const char *s2 = memchr(s1 + 1, ' ', len - (size_t)(s1 + 1 - line));
		if (!s2 || (size_t)(s2 + 3 - line) > len)
			return -1;
		_cleanup_free_ char *ts = xstrndup(line, (size_t)(s1 - line));
		le->time = engine_parse_time(ts);
		le->stream = xstrndup(s1 + 1, (size_t)(s2 - s1 - 1));
		bool partial = s2[1] == 'P';
		const char *msg = s2 + 3;
		size_t ml = len - (size_t)(msg - line);
		le->msg = xmalloc(ml + 2);
		memcpy(le->msg, msg, ml);
		if (!partial)
			le->msg[ml++] = '\n';
		le->len = ml;
		return 0;
	}
	_cleanup_json_ json_object *o = json_tokener_parse(line);
	json_object *v;
	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "log", &v))
		return -1;
	le->len = (size_t)json_object_get_string_len(v);
	le->msg = xmalloc(le->len + 1);
	memcpy(le->msg, json_object_get_string(v), le->len);
	le->stream = xstrdup(json_object_object_get_ex(o, "stream", &v) ? json_object_get_string(v)
									: "stdout");
	le->time = json_object_object_get_ex(o, "time", &v)
			   ? engine_parse_time(json_object_get_string(v))
			   : 0;
	return 0;
}

static void print_entry(const struct log_entry *le, const struct engine_logs_opts *o)
{
	int fd = !strcmp(le->stream, "stderr") ? STDERR_FILENO : STDOUT_FILENO;

	if (o->since && le->time < o->since)
		return;
	if (o->until && le->time > o->until)
		return;
	if (o->timestamps) {
		_cleanup_free_ char *ts = engine_format_time(le->time);
		_cleanup_free_ char *pre = xasprintf("%s ", ts);
		write_all(fd, pre, strlen(pre));
	}
	write_all(fd, le->msg, le->len);
}

static void entry_free(struct log_entry *le)
{
	free(le->stream);
	free(le->msg);
	le->stream = le->msg = NULL;
}

/* Read complete lines of f, from *off, into the callback. */
struct log_reader {
	const struct engine_logs_opts *o;
	bool k8s;
	/* for --tail: a ring of the last N lines */
	char **ring;
	size_t ring_n, ring_pos;
	bool tailing;
};

static void handle_line(struct log_reader *lr, char *line, size_t len)
{
	struct log_entry le = {0};

	if (lr->tailing) {
		if (!lr->ring_n)
			return;
		free(lr->ring[lr->ring_pos % lr->ring_n]);
		lr->ring[lr->ring_pos % lr->ring_n] = xstrndup(line, len);
		lr->ring_pos++;
		return;
	}
	if (parse_line(line, len, lr->k8s, &le) == 0)
		print_entry(&le, lr->o);
	entry_free(&le);
}

static void read_file_lines(struct log_reader *lr, FILE *f)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			/* an incomplete last line: read it again next time */
			fseeko(f, -n, SEEK_CUR);
			break;
		}
		line[--n] = '\0';
		handle_line(lr, line, (size_t)n);
	}
	clearerr(f);
}

int engine_logs(struct engine *e, const char *ref, const struct engine_logs_opts *o,
		struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *dir = NULL, *base = NULL;
	struct log_reader lr = {.o = o};
	json_object *hc = NULL, *lc = NULL, *t = NULL;
	const char *type = "json-file";
	int max_file = 3;
	FILE *f = NULL;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(hc, "LogConfig", &lc);
	if (json_object_object_get_ex(lc, "Type", &t))
		type = json_object_get_string(t);
	if (!strcmp(type, "none"))
		return hk_error_set(err, 0, "%s has no logs: its log driver is \"none\"", c->name);
	lr.k8s = !strcmp(type, "k8s-file");
	dir = engine_ctr_dir(e, c->id);
	base = path_join(dir, "ctr.log");
	max_file = 100;
	if (o->tail >= 0) {
		lr.tailing = true;
		lr.ring_n = (size_t)o->tail;
		lr.ring = xzalloc((lr.ring_n + 1) * sizeof(char *));
	}
	/* oldest first: ctr.log.N ... ctr.log.1, ctr.log */
	for (int i = max_file; i >= 0; i--) {
		_cleanup_free_ char *p = i ? xasprintf("%s.%d", base, i) : xstrdup(base);
		FILE *g = fopen(p, "re");
		if (!g)
			continue;
		read_file_lines(&lr, g);
		if (i == 0)
			f = g;
		else
			fclose(g);
	}
	if (lr.tailing) {
		size_t n = lr.ring_pos < lr.ring_n ? lr.ring_pos : lr.ring_n;
		lr.tailing = false;
		for (size_t i = 0; i < n; i++) {
			size_t k = (lr.ring_pos - n + i) % lr.ring_n;
			handle_line(&lr, lr.ring[k], strlen(lr.ring[k]));
		}
		for (size_t i = 0; i < lr.ring_n; i++)
			free(lr.ring[i]);
		free(lr.ring);
	}
	if (o->follow) {
		_cleanup_free_ char *id = xstrdup(c->id);
		store_close(e);
		for (;;) {
			bool alive = engine_monitor_alive(e, id);
			struct timespec ts = {.tv_nsec = 50000000L};
			if (!f)
				f = fopen(base, "re");
			if (f) {
				struct stat st1, st2;
				read_file_lines(&lr, f);
				/* rotated under us: continue with the new file */
				if (stat(base, &st1) == 0 && fstat(fileno(f), &st2) == 0 &&
				    st1.st_ino != st2.st_ino) {
					fclose(f);
					f = NULL;
					continue;
				}
			}
			if (!alive)
				break;
			nanosleep(&ts, NULL);
		}
	}
	if (f)
		fclose(f);
	return 0;
}

/* ------------------------------------------------------------ exec */

/* Without -t, the process gets pipes (and /dev/null as stdin without -i)
 * that runtime_exec() relays, as Docker and podman do: never a descriptor
 * of our own stdio, which is often the user's terminal.  A process holding
 * it could push input into the user's shell with TIOCSTI (CAP_SYS_ADMIN
 * may do so even on a terminal that is not its controlling one), read what
 * is typed, or change the terminal's settings.  fds[0..2] are the process's
 * ends, fds[3..5] ours (handed to the runtime as relay_fds). */
static int exec_pipes(bool interactive, int fds[6], struct hk_error **err)
{
	int p[2];

	for (int i = 0; i < 6; i++)
		fds[i] = -1;
	if (interactive) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return hk_error_errno(err, "pipe");
		fds[0] = p[0];
		fds[3] = p[1];
	} else {
		fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[0] < 0)
			return hk_error_errno(err, "open /dev/null");
	}
	for (int i = 1; i < 3; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return hk_error_errno(err, "pipe");
		fds[3 + i] = p[0];
		fds[i] = p[1];
		/* fewer wake-ups of the relay for a process writing much at
		 * once (the default 64 KiB takes 16 for one 1 MiB write); over
		 * the user's pipe-max-size the default simply stays */
		fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	}
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Docker's exec events: "exec_start: CMD ARGS" as the action (the docker
 * CLI matches the prefix), execID and, for exec_die, exitCode. */
static void exec_event(struct engine *e, const struct engine_container *c,
		       const struct engine_exec_opts *o, const char *what, const char *code)
{
	_cleanup_free_ char *action = xstrdup(what);
	for (char **a = o->cmd; a && *a && strcmp(what, "exec_die"); a++) {
		char *next = xasprintf("%s%s%s", action, a == o->cmd ? ": " : " ", *a);
		free(action);
		action = next;
	}
	engine_event(e, c, action, code ? "exitCode" : NULL, code);
}

int engine_exec(struct engine *e, const char *ref, const struct engine_exec_opts *o, int *exit_code,
		struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_json_ json_object *spec = NULL;
	_cleanup_free_ char *dir = NULL, *path = NULL, *rt = NULL;
	_cleanup_free_ gid_t *groups = NULL;
	_cleanup_close_ int rootfd = -1;
	json_object *proc = NULL, *process, *env, *args, *user;
	struct runtime_opts ro;
	sqlite3 *db = NULL;
	pid_t pid = 0;
	int r, pipes[6] = {-1, -1, -1, -1, -1, -1};

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (c->state == ENGINE_PAUSED)
		return hk_error_set(err, 0, "container %s is paused; unpause it first", c->name);
	if (c->state != ENGINE_RUNNING || !engine_monitor_alive(e, c->id))
		return hk_error_set(err, 0, "container %s is not running", c->name);
	dir = engine_ctr_dir(e, c->id);
	path = path_join(dir, "config.json");
	if (json_parse_file(path, 64 << 20, &spec, err) < 0)
		return -1;
	json_object_object_get_ex(spec, "process", &proc);
	process = json_object_new_object();
	json_object_object_foreach(proc, pk, pv)
		json_object_object_add(process, pk, json_object_get(pv));
	args = json_object_new_array();
	for (char **a = o->cmd; a && *a; a++)
		json_object_array_add(args, json_object_new_string(*a));
	json_object_object_add(process, "args", args);
	json_object_object_add(process, "terminal", json_object_new_boolean(o->tty));
	if (json_object_object_get_ex(process, "env", &env)) {
		env = json_object_get(env);
		json_object *copy = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(env); i++)
			json_object_array_add(copy,
					      json_object_get(json_object_array_get_idx(env, i)));
		json_object_put(env);
		for (char **v = o->env; v && *v; v++) {
			const char *eq = strchr(*v, '=');
			size_t kl = eq ? (size_t)(eq - *v) : strlen(*v);
			bool done = false;
			for (size_t i = 0; i < json_object_array_length(copy) && eq; i++) {
				const char *s =
					json_object_get_string(json_object_array_get_idx(copy, i));
				if (!strncmp(s, *v, kl) && s[kl] == '=') {
					json_object_array_put_idx(copy, i,
								  json_object_new_string(*v));
					done = true;
				}
			}
			if (!done && eq)
				json_object_array_add(copy, json_object_new_string(*v));
		}
		json_object_object_add(process, "env", copy);
	}
	if (o->workdir)
		json_object_object_add(process, "cwd", json_object_new_string(o->workdir));
	if (o->user) {
		uid_t uid;
		gid_t gid;
		size_t ng = 0;
		rootfd = c->rootfs ? open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		if (rootfd < 0 ||
		    spec_resolve_user(rootfd, o->user, &uid, &gid, &groups, &ng, err) < 0) {
			json_object_put(process);
			if (!*err)
				hk_error_set(err, 0, "cannot resolve user %s", o->user);
			return hk_error_wrap(err, "exec -u %s", o->user);
		}
		user = json_object_new_object();
		json_object_object_add(user, "uid", json_object_new_int64(uid));
		json_object_object_add(user, "gid", json_object_new_int64(gid));
		json_object_object_add(process, "user", user);
	}
	rt = engine_runtime_root(e);
	runtime_opts_init(&ro, rt);
	if (o->detach) {
		/* nobody reads a detached exec's output: as Docker, it goes nowhere */
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		ro.stdio_fds[0] = ro.stdio_fds[1] = ro.stdio_fds[2] = nul;
		json_object_object_add(process, "terminal", json_object_new_boolean(0));
	} else if (!o->tty) {
		if (exec_pipes(o->interactive, pipes, err) < 0) {
			close_fds(pipes, 6);
			json_object_put(process);
			return -1;
		}
		for (int i = 0; i < 3; i++) {
			ro.stdio_fds[i] = pipes[i];
			ro.relay_fds[i] = pipes[3 + i];
		}
	}
	/* the two events of the start in one write transaction, and the
	 * database kept open for exec_die: an idle WAL connection holds no
	 * lock, and a reopen (open, schema checks) cost more than the exec */
	if (store_db(e, &db, NULL) == 0 && db_begin_immediate(db, NULL) == 0) {
		exec_event(e, c, o, "exec_create", NULL);
		exec_event(e, c, o, "exec_start", NULL);
		if (db_commit(db, NULL) < 0)
			db_rollback(db);
	}
	r = runtime_exec(rt, c->id, process, &ro, o->detach, &pid, err);
	json_object_put(process);
	if (!o->detach) {
		char code[16];
		snprintf(code, sizeof(code), "%d", r < 0 ? 126 : r);
		exec_event(e, c, o, "exec_die", code);
	}
	store_close(e);
	if (o->detach && ro.stdio_fds[0] >= 0)
		close(ro.stdio_fds[0]);
	/* ours: the process's ends (runtime_exec closed the relay's) */
	close_fds(pipes, 3);
	if (r < 0) {
		int en = *err ? (*err)->errnum : 0;
		int code = en == ENOENT ? 127 : (en == EACCES || en == ENOEXEC) ? 126 : 125;
		*exit_code = code;
		return -1;
	}
	*exit_code = o->detach ? 0 : r;
	return 0;
}
