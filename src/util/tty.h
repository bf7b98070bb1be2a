/* hako: the caller's terminal while it proxies a container's pty. */
#ifndef HAKO_UTIL_TTY_H
#define HAKO_UTIL_TTY_H

#include <stdbool.h>
#include <termios.h>

struct tty_raw {
	struct termios in, out;
	bool in_saved, out_saved;
	/* input the terminal had ready before the switch (complete lines, in
	 * canonical mode), for the caller to send on before what it reads */
	char pending[4096];
	size_t pending_len;
	bool pending_eof; /* an EOF (^D) was typed (or sent) before the switch */
};

/* Put our terminal in raw mode to copy bytes to and from a container's pty.
 * The pty inside already does the output processing (ONLCR turns "\n" into
 * "\r\n"); ours must not do it a second time, or the user's terminal gets
 * "\r\r\n".  So: stdin raw when it is a terminal and `input` is set (keys go
 * to the container unprocessed), and output processing (OPOST) off on stdout
 * when it is a terminal, even when stdin is not ours to read.  Safe to call
 * when neither is a terminal.
 *
 * Input typed before the switch is kept: complete lines go to t->pending,
 * and an EOF (^D, or `script` at the end of its input) sets t->pending_eof
 * rather than reaching the container: n_tty holds a canonical EOF as a '\0'
 * in its buffer, which a read in raw mode returns as a NUL byte (the
 * container's pty then echoed a stray "^@"). */
void tty_raw_enter(struct tty_raw *t, bool input);

/* Give back the settings tty_raw_enter() changed; idempotent. */
void tty_raw_leave(struct tty_raw *t);

#endif
