/* vm console: the terminal on a VM's serial console, through the monitor's
 * console.sock.  Ctrl-] leaves (as virsh console). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "util/util.h"
#include "util/sock.h"
#include "vm/internal.h"
#include "vm/vm.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */

int vm_console(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_free_ char *rd = vm_rundir(runroot, name);
	_cleanup_free_ char *path = xasprintf("%s/console.sock", rd);
	_cleanup_close_ int fd = -1;
	struct termios saved, raw;
	bool tty = isatty(0), restore = false, in_open = true;
	enum vm_state s;

	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s != VM_RUNNING && s != VM_PAUSED && s != VM_STARTING)
		return hk_error_set(err, 0, "vm '%s' is not running (%s)", name, vm_state_name(s));
	fd = sock_unix_connect(path, 0, err);
	if (fd < 0)
		return hk_error_wrap(err, "vm console %s", name);
	if (tty) {
		fprintf(stderr, "Connected to %s (escape character is ^])\r\n", name);
		if (tcgetattr(0, &saved) == 0) {
			raw = saved;
			cfmakeraw(&raw);
			restore = tcsetattr(0, TCSANOW, &raw) == 0;
		}
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = in_open ? 0 : -1, .events = POLLIN}};
		char buf[4096];
		ssize_t n;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0 || write_all(1, buf, (size_t)n) < 0)
				break; /* the VM ended */
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				/* Input ended (a pipe): stop sending, keep showing
				 * output briefly for what the input caused. */
				in_open = false;
				struct pollfd q = {.fd = fd, .events = POLLIN};
				while (poll(&q, 1, 1000) > 0 &&
				       (n = read(fd, buf, sizeof(buf))) > 0)
					if (write_all(1, buf, (size_t)n) < 0)
						break;
				break;
			}
			char *esc = tty ? memchr(buf, ESCAPE_CHAR, (size_t)n) : NULL;
			if (esc)
				n = esc - buf;
			if (n > 0 && write_all(fd, buf, (size_t)n) < 0)
				break;
			if (esc)
				break;
		}
	}
	if (restore) {
		tcsetattr(0, TCSANOW, &saved);
		fprintf(stderr, "\n");
	}
	return 0;
}
