/* hako: the attach protocol's framing (see mon.h). */
#include <errno.h>
#include <unistd.h>

#include "monitor/mon.h"
#include "util/util.h"

int attach_send(int fd, enum attach_frame type, const void *data, uint32_t len)
{
	unsigned char hdr[5] = {(unsigned char)type, (unsigned char)(len >> 24),
				(unsigned char)(len >> 16), (unsigned char)(len >> 8),
				(unsigned char)len};

	if (write_all(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		return -1;
	if (len && write_all(fd, data, len) != (ssize_t)len)
		return -1;
	return 0;
}

int attach_recv(int fd, enum attach_frame *type, char *buf, uint32_t *len)
{
	unsigned char hdr[5];
	ssize_t r = read_all(fd, hdr, sizeof(hdr));
	uint32_t n;

	if (r == 0)
		return 0;
	if (r != sizeof(hdr))
		return -1;
	n = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 8 | hdr[4];
	if (n > ATTACH_MAX_FRAME) {
		errno = EPROTO;
		return -1;
	}
	if (n && read_all(fd, buf, n) != (ssize_t)n)
		return -1;
	*type = (enum attach_frame)hdr[0];
	*len = n;
	return 1;
}
