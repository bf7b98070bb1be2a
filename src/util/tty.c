/* hako: the caller's terminal while it proxies a container's pty. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "util/tty.h"

/* In canonical mode stdin polls readable only for a complete line or an
 * EOF, so these reads never block; a partial line stays in the terminal and
 * is read as data after the switch, as it should. */
static void take_canonical_input(struct tty_raw *t)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};

	while (!t->pending_eof && t->pending_len < sizeof(t->pending) && poll(&p, 1, 0) == 1 &&
	       (p.revents & POLLIN)) {
		ssize_t n = read(STDIN_FILENO, t->pending + t->pending_len,
				 sizeof(t->pending) - t->pending_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			t->pending_eof = true;
		t->pending_len += (size_t)n;
	}
}

void tty_raw_enter(struct tty_raw *t, bool input)
{
	struct termios raw;

	t->in_saved = t->out_saved = false;
	t->pending_len = 0;
	t->pending_eof = false;
	/* both originals first: stdin and stdout are often one terminal, and
	 * tty_raw_leave() must give back what was there before either change */
	if (input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->in) == 0)
		t->in_saved = true;
	if (isatty(STDOUT_FILENO) && tcgetattr(STDOUT_FILENO, &t->out) == 0)
		t->out_saved = true;
	if (t->in_saved) {
		if (t->in.c_lflag & ICANON)
			take_canonical_input(t);
		raw = t->in;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
			t->in_saved = false;
	}
	/* re-read: when stdout is the same terminal, it is raw already */
	if (t->out_saved) {
		if (tcgetattr(STDOUT_FILENO, &raw) < 0 || !(raw.c_oflag & OPOST)) {
			/* nothing of ours to give back on stdout */
			t->out_saved = false;
			return;
		}
		raw.c_oflag &= ~(tcflag_t)OPOST;
		if (tcsetattr(STDOUT_FILENO, TCSANOW, &raw) < 0)
			t->out_saved = false;
	}
}

void tty_raw_leave(struct tty_raw *t)
{
	if (t->out_saved)
		tcsetattr(STDOUT_FILENO, TCSANOW, &t->out);
	if (t->in_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->in);
	t->in_saved = t->out_saved = false;
	t->pending_len = 0;
	t->pending_eof = false;
}
