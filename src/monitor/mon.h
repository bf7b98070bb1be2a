/* hako: the idle work of a container monitor, shared by the full `hako`
 * (src/engine/monitor.c) and the small static `hako-monitor` (main.c).
 *
 * While a container runs, its monitor only copies output to the log and to
 * attached clients, serves the attach socket and waits for the init to exit.
 * That part lives here, using nothing but libc, so that it can run in a
 * static program of a few hundred KiB instead of the whole hako binary
 * (docs/engine.md, "Process model").
 *
 * The attach protocol: a stream of frames over a unix stream socket, each a
 * 1-byte type, a 4-byte big-endian length and the payload (at most
 * ATTACH_MAX_FRAME bytes):
 *   monitor -> client: STDOUT, STDERR data; EXIT (4-byte BE exit code), last.
 *   client -> monitor: STDIN data; RESIZE (2-byte BE rows, 2-byte BE cols);
 *                      CLOSE_STDIN (the client's stdin ended).
 */
#ifndef HAKO_MONITOR_MON_H
#define HAKO_MONITOR_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum attach_frame {
	ATTACH_STDIN = 0,
	ATTACH_STDOUT = 1,
	ATTACH_STDERR = 2,
	ATTACH_EXIT = 3,
	ATTACH_RESIZE = 4,
	ATTACH_CLOSE_STDIN = 5,
};
#define ATTACH_MAX_FRAME 65536

/* Send one frame; 0, or -1 with errno. */
int attach_send(int fd, enum attach_frame type, const void *data, uint32_t len);
/* Read one frame; returns 1 with the type and length set, 0 at EOF, -1 on error. */
int attach_recv(int fd, enum attach_frame *type, char *buf, uint32_t *len);

/* ---- the container log (log.c) ----
 * json-file (default): one JSON object per line, as Docker writes it:
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
 * k8s-file (CRI, as podman): "TIME STREAM F|P MESSAGE\n" (P: a partial line).
 * none: nothing.
 * Rotation (max-size, max-file): when the next entry would grow ctr.log past
 * max-size, ctr.log.N-2 .. ctr.log.1 move up one, ctr.log becomes ctr.log.1
 * and a new ctr.log starts. */
enum mon_log_format { MON_LOG_JSON, MON_LOG_K8S, MON_LOG_NONE };

struct mon_log {
	enum mon_log_format format;
	int fd;		  /* -1 for none */
	char *path;	  /* .../ctr.log */
	int64_t size;	  /* of the current file */
	int64_t max_size; /* 0: unlimited */
	int max_file;
};

/* Start logging into path (appending); fd >= 0: an already open file of it
 * (taken over).  0, or -errno. */
int mon_log_open(struct mon_log *l, const char *path, int fd, enum mon_log_format format,
		 int64_t max_size, int max_file);
void mon_log_write(struct mon_log *l, const char *stream, const char *data, size_t len,
		   bool partial);
void mon_log_close(struct mon_log *l);

/* ---- the event loop (loop.c) ---- */
#define MON_MAX_CLIENTS 16
#define MON_LINE_MAX	16384

struct mon_stream {
	int fd;		  /* read end (or the pty master for stdout), or -1 */
	const char *name; /* "stdout" / "stderr" */
	enum attach_frame frame;
	char buf[MON_LINE_MAX]; /* a partial line waiting for its newline */
	size_t len;
};

struct mon_io {
	int sig_fd;    /* signalfd for SIGCHLD */
	int listen_fd; /* the attach socket */
	int clients[MON_MAX_CLIENTS];
	int stdin_fd; /* write end of the container's stdin pipe, the master, or -1 */
	bool tty;
	struct mon_stream out, err;
	struct mon_log *log; /* may be NULL */
	pid_t pid;	     /* the container's init, our child */
};

/* Every fd -1, stream names set. */
void mon_io_init(struct mon_io *io);
/* Take a connected client (with a send timeout: a client that stops reading
 * is dropped, it never stalls the container). */
void mon_add_client(struct mon_io *io, int fd);
void mon_broadcast(struct mon_io *io, enum attach_frame type, const void *data, uint32_t len);
/* Send the EXIT frame with code to every client. */
void mon_broadcast_exit(struct mon_io *io, int code);
/* Serve output and clients until the init exits; its exit code (128+signal
 * when killed). */
int mon_loop(struct mon_io *io);
/* After the exit: read what the pipes still hold (bounded in time), log the
 * partial lines, close the container's stdio. */
void mon_finish_streams(struct mon_io *io);
/* A wait status as a shell exit code. */
int mon_status_code(int status);

#endif
