/* hako: the caller's terminal while it proxies a container's pty. */
#include <unistd.h>

#include "util/tty.h"

void tty_raw_enter(struct tty_raw *t, bool input)
{
	struct termios raw;

	t->in_saved = t->out_saved = false;
	/* both originals first: stdin and stdout are often one terminal, and
	 * tty_raw_leave() must give back what was there before either change */
	if (input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->in) == 0)
		t->in_saved = true;
	if (isatty(STDOUT_FILENO) && tcgetattr(STDOUT_FILENO, &t->out) == 0)
		t->out_saved = true;
	if (t->in_saved) {
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
}
