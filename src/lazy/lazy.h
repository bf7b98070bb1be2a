/* hako: load the heavy libraries on first use.
 *
 * libcurl, libarchive, libnftables and libcrypto pull in some forty shared
 * libraries (TLS, LDAP, Kerberos, ICU, the C++ runtime...).  Linked
 * directly, the dynamic loader maps and relocates all of them at every start
 * of hako: some 30 ms of a `hako run --rm` that needs none of them, paid
 * again by every `ps` or `rm`.  So hako is not linked against them: the
 * files of this folder define the functions hako calls, and the first call
 * dlopen()s the library and forwards to it.
 *
 * Each shim is type-checked against the library's own header.  A function
 * not listed yet is found by the Makefile (scripts/lazy-libs.sh), which then
 * links that library directly: still correct, only slower to start; add a
 * line to the library's file here.
 */
#ifndef HAKO_LAZY_LAZY_H
#define HAKO_LAZY_LAZY_H

struct lazy_lib {
	const char *soname; /* e.g. "libcurl.so.4" */
	void *handle;	    /* set on first use */
};

/* The address of `name` in lib, loading lib on first use.  A library or
 * symbol that cannot be found ends the process with status 125 and a message
 * naming it (hako cannot go on without a function it calls). */
void *lazy_sym(struct lazy_lib *lib, const char *name);

/* Define `ret name params` forwarding to the library's function (args: the
 * parameter names).  The pointer is looked up once. */
#define LAZY_FN(lib, ret, name, params, args)                                                      \
	ret(name) params                                                                           \
	{                                                                                          \
		static __typeof__(&(name)) fn;                                                     \
		__typeof__(&(name)) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);                    \
		if (!f) {                                                                          \
			f = (__typeof__(&(name)))lazy_sym(&(lib), #name);                          \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);                                \
		}                                                                                  \
		return f args;                                                                     \
	}

#endif
