/* hako: libcurl, loaded on first use (see lazy.h). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy/lazy.h"

static struct lazy_lib curl = {.soname = "libcurl.so.4"};

LAZY_FN(curl, CURLcode, curl_global_init, (long flags), (flags))
LAZY_FN(curl, CURL *, curl_easy_init, (void), ())
LAZY_FN(curl, void, curl_easy_cleanup, (CURL * h), (h))
LAZY_FN(curl, CURLcode, curl_easy_perform, (CURL * h), (h))
LAZY_FN(curl, const char *, curl_easy_strerror, (CURLcode c), (c))
LAZY_FN(curl, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
	(l, s))
LAZY_FN(curl, void, curl_slist_free_all, (struct curl_slist * l), (l))

/* The two variadic functions take exactly one argument after the option,
 * whose type the option's number range tells (curl.h, CURLOPTTYPE_*). */
CURLcode(curl_easy_setopt)(CURL *h, CURLoption opt, ...)
{
	static __typeof__(&curl_easy_setopt) fn;
	__typeof__(&curl_easy_setopt) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	CURLcode r;
	va_list ap;

	if (!f) {
		f = (__typeof__(&curl_easy_setopt))lazy_sym(&curl, "curl_easy_setopt");
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = f(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		r = f(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		r = f(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		r = f(h, opt, va_arg(ap, curl_off_t));
	else
		r = f(h, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode(curl_easy_getinfo)(CURL *h, CURLINFO info, ...)
{
	static __typeof__(&curl_easy_getinfo) fn;
	__typeof__(&curl_easy_getinfo) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	CURLcode r;
	va_list ap;

	if (!f) {
		f = (__typeof__(&curl_easy_getinfo))lazy_sym(&curl, "curl_easy_getinfo");
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	va_start(ap, info);
	r = f(h, info, va_arg(ap, void *)); /* always a pointer to the result */
	va_end(ap);
	return r;
}
