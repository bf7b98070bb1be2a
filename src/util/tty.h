/* hako: the caller's terminal while it proxies a container's pty. */
#ifndef HAKO_UTIL_TTY_H
#define HAKO_UTIL_TTY_H

#include <stdbool.h>
#include <termios.h>

struct tty_raw {
	struct termios in, out;
	bool in_saved, out_saved;
};

/* Put our terminal in raw mode to copy bytes to and from a container's pty.
 * The pty inside already does the output processing (ONLCR turns "\n" into
 * "\r\n"); ours must not do it a second time, or the user's terminal gets
 * "\r\r\n".  So: stdin raw when it is a terminal and `input` is set (keys go
 * to the container unprocessed), and output processing (OPOST) off on stdout
 * when it is a terminal, even when stdin is not ours to read.  Safe to call
 * when neither is a terminal. */
void tty_raw_enter(struct tty_raw *t, bool input);

/* Give back the settings tty_raw_enter() changed; idempotent. */
void tty_raw_leave(struct tty_raw *t);

#endif
