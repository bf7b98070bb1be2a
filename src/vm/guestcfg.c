/* The guest's configuration on the kernel command line, and the exit marker
 * hako-vminit prints on the serial console (src/vm/guest/vminit.c). */
#include <stdio.h>
#include <string.h>

#include "util/util.h"
#include "vm/vm.h"

/* x86's COMMAND_LINE_SIZE is 2048 with the NUL; leave room for the rest of
 * the command line hako adds (console=, quiet, ...). */
#define CFG_MAX 1700

static void rec(char **buf, size_t *len, char tag, const char *val)
{
	size_t n = val ? strlen(val) : 0;

	*buf = xrealloc(*buf, *len + n + 2);
	(*buf)[(*len)++] = tag;
	if (n)
		memcpy(*buf + *len, val, n);
	*len += n;
	(*buf)[(*len)++] = 0;
}

static char *b64url(const unsigned char *in, size_t n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = xmalloc(n * 4 / 3 + 4), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		*o++ = tbl[v >> 6 & 63];
		*o++ = tbl[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		if (i + 1 < n)
			*o++ = tbl[v >> 6 & 63];
	}
	*o = 0;
	return out;
}

int vm_guest_cfg_encode(const struct vm_guest_cfg *cfg, char **out, struct hk_error **err)
{
	_cleanup_free_ char *buf = NULL, *enc = NULL;
	size_t len = 0;

	if (cfg->modules)
		rec(&buf, &len, 'm', cfg->modules);
	if (cfg->rootdev)
		rec(&buf, &len, 'r', cfg->rootdev);
	if (cfg->cwd)
		rec(&buf, &len, 'w', cfg->cwd);
	if (cfg->script)
		rec(&buf, &len, 's', cfg->script);
	if (cfg->nonce)
		rec(&buf, &len, 'n', cfg->nonce);
	if (cfg->tty)
		rec(&buf, &len, 't', NULL);
	if (cfg->keep)
		rec(&buf, &len, 'k', NULL);
	if (cfg->ports)
		rec(&buf, &len, 'p', NULL);
	for (size_t i = 0; cfg->argv && cfg->argv[i]; i++)
		rec(&buf, &len, 'a', cfg->argv[i]);
	for (size_t i = 0; cfg->env && cfg->env[i]; i++)
		rec(&buf, &len, 'e', cfg->env[i]);
	enc = b64url((const unsigned char *)(buf ? buf : ""), len);
	if (strlen(enc) > CFG_MAX)
		return hk_error_set(err, 0,
				    "the command, environment and working directory take %zu bytes "
				    "on the guest kernel's command line, more than the %d it holds",
				    strlen(enc), CFG_MAX);
	*out = xasprintf("hako.cfg=%s", enc);
	return 0;
}

#define MARK_PREFIX "<<hako-exit:"

void vm_marker_init(struct vm_marker *m, const char *nonce)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->nonce, sizeof(m->nonce), "%s", nonce);
	m->status = -1;
}

/* Does held[0..n) match the start of "<<hako-exit:NONCE:digits>>\n"?
 * Returns 1 for a possible prefix, 2 for a whole marker, 0 for no match. */
static int marker_match(struct vm_marker *m, const char *s, size_t n)
{
	char want[80];
	size_t w = (size_t)snprintf(want, sizeof(want), MARK_PREFIX "%s:", m->nonce), i;
	int st = 0, digits = 0;

	for (i = 0; i < n && i < w; i++)
		if (s[i] != want[i])
			return 0;
	if (n <= w)
		return 1;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		st = st * 10 + (s[i] - '0');
		if (++digits > 3)
			return 0;
	}
	if (i == n)
		return 1;
	if (!digits || s[i] != '>')
		return 0;
	if (++i == n)
		return 1;
	if (s[i] != '>')
		return 0;
	if (++i == n)
		return 1;
	if (s[i] == '\r' && ++i == n)
		return 1;
	if (s[i] != '\n' || i + 1 != n)
		return 0;
	m->status = st;
	return 2;
}

size_t vm_marker_feed(struct vm_marker *m, const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (m->status >= 0)
			continue; /* after the marker: only power-off noise */
		if (m->nheld == 0 && in[i] != '<') {
			out[o++] = in[i];
			continue;
		}
		m->held[m->nheld++] = in[i];
		while (m->nheld) {
			int r = marker_match(m, m->held, m->nheld);
			if (r == 2) {
				m->nheld = 0;
				break;
			}
			if (r == 1 && m->nheld < sizeof(m->held))
				break;
			/* Not a marker: pass bytes on up to the next '<'. */
			do {
				out[o++] = m->held[0];
				memmove(m->held, m->held + 1, --m->nheld);
			} while (m->nheld && m->held[0] != '<');
		}
	}
	return o;
}

size_t vm_marker_flush(struct vm_marker *m, char *out)
{
	size_t n = m->nheld;

	memcpy(out, m->held, n);
	m->nheld = 0;
	return n;
}
