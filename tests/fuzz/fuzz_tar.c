/* Layer tars (src/storage/unpack.c): every image layer is outside input.
 * Oracle beyond ASan: nothing may appear outside the unpack directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "storage/storage.h"
#include "util/util.h"

FUZZ(tar)
{
	_cleanup_free_ char *root = xasprintf("%s/root", fuzz_tmpdir());
	_cleanup_close_ int fd = memfd_create("layer", MFD_CLOEXEC), dfd = -1;
	struct layer_unpack_result res;
	struct hk_error *err = NULL;

	if (fd < 0 || write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    mkdir(root, 0755) < 0)
		abort();
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		abort();
	if (storage_unpack_into(dfd, fd, "fuzz", &res, &err) < 0)
		hk_error_free(&err);
	if (rm_rf(root, &err) < 0) {
		fprintf(stderr, "fuzz tar: %s\n", hk_error_msg(err));
		abort();
	}
	/* empty now, unless an entry escaped the unpack directory */
	if (rmdir(fuzz_tmpdir()) < 0 || mkdir(fuzz_tmpdir(), 0700) < 0) {
		fprintf(stderr, "fuzz tar: an entry escaped the unpack directory\n");
		abort();
	}
}
