/* hako: load the heavy libraries on first use (see lazy.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lazy/lazy.h"

static void die(const char *what, const char *name, const char *why)
{
	/* stdio may be in any state in the caller: one write(2) */
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "hako: %s %s: %s\n", what, name, why ? why : "?");

	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(125);
}

void *lazy_sym(struct lazy_lib *lib, const char *name)
{
	void *h = __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE);
	void *p;

	if (!h) {
		/* RTLD_NOW: a missing symbol shows here, not at some later call;
		 * the library's own symbols stay private (RTLD_LOCAL), so they
		 * never shadow anything of hako's */
		h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			die("load", lib->soname, dlerror());
		/* two threads may race here: dlopen counts references, one
		 * handle or the other is as good */
		__atomic_store_n(&lib->handle, h, __ATOMIC_RELEASE);
	}
	dlerror();
	p = dlsym(h, name);
	if (!p)
		die("find function", name, dlerror());
	return p;
}
