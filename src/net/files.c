/* hako net: /etc/hosts and /etc/resolv.conf of containers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/net_priv.h"
#include "util/json.h"
#include "util/util.h"

static void strv_from_json(const char *text, char ***out)
{
	_cleanup_json_ json_object *a = text ? json_tokener_parse(text) : NULL;

	if (!a || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		if (s)
			strv_push(out, s);
	}
}

/* A name safe for a hosts file line: no whitespace, '#' or control bytes. */
static bool host_token_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '#' || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static void line(FILE *f, const char *ip, const char *const *names)
{
	bool any = false;

	for (const char *const *n = names; *n || n == names; n++) {
		if (!*n)
			break;
		if (!host_token_ok(*n))
			continue;
		if (!any)
			fprintf(f, "%s", ip);
		fprintf(f, "\t%s", *n);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

int net_hosts_content(struct net_ctx *ctx, const char *cid, const char *hostname,
		      char **extra_hosts, char **out, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *h = NULL, *own = NULL, *peers = NULL;
	_cleanup_free_ char *name = NULL, *stored_host = NULL, *buf = NULL;
	_cleanup_strv_ char **extra = NULL;
	size_t len = 0;
	FILE *f;

	if (ctx) {
		if (db_prepare(ctx->db,
			       "SELECT name, hostname, extra_hosts FROM net_hosts WHERE"
			       " container_id = ?",
			       &h, err) < 0)
			return -1;
		sqlite3_bind_text(h, 1, cid, -1, SQLITE_STATIC);
		if (sqlite3_step(h) == SQLITE_ROW) {
			name = db_column_strdup(h, 0);
			stored_host = db_column_strdup(h, 1);
			if (!extra_hosts)
				strv_from_json((const char *)sqlite3_column_text(h, 2), &extra);
		}
	}
	if (!hostname)
		hostname = stored_host ? stored_host : name;
	f = open_memstream(&buf, &len);
	if (!f)
		return hk_error_errno(err, "open_memstream");
	fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (ctx &&
	    db_prepare(ctx->db,
		       "SELECT network, ip, aliases, ip6 FROM endpoints WHERE container_id = ?"
		       " ORDER BY ifname",
		       &own, NULL) == 0 &&
	    db_prepare(ctx->db,
		       "SELECT ip, name, aliases, container_id, ip6 FROM endpoints WHERE"
		       " network = ?1 AND container_id != ?2 AND network != ?3 ORDER BY rowid",
		       &peers, NULL) == 0) {
		bool first = true;
		sqlite3_bind_text(own, 1, cid, -1, SQLITE_STATIC);
		while (sqlite3_step(own) == SQLITE_ROW) {
			_cleanup_strv_ char **names = NULL;
			const char *ip = (const char *)sqlite3_column_text(own, 1);
			if (first && hostname)
				strv_push(&names, hostname);
			if (name && !str_eq(name, hostname))
				strv_push(&names, name);
			strv_from_json((const char *)sqlite3_column_text(own, 2), &names);
			if (names) {
				const char *ip6 = (const char *)sqlite3_column_text(own, 3);
				line(f, ip, (const char *const *)names);
				if (ip6)
					line(f, ip6, (const char *const *)names);
			}
			first = false;
			sqlite3_reset(peers);
			sqlite3_bind_text(peers, 1, (const char *)sqlite3_column_text(own, 0), -1,
					  SQLITE_TRANSIENT);
			sqlite3_bind_text(peers, 2, cid, -1, SQLITE_STATIC);
			sqlite3_bind_text(peers, 3, NET_DEFAULT_NAME, -1, SQLITE_STATIC);
			while (sqlite3_step(peers) == SQLITE_ROW) {
				_cleanup_strv_ char **pn = NULL;
				const char *pname = (const char *)sqlite3_column_text(peers, 1);
				if (pname)
					strv_push(&pn, pname);
				strv_from_json((const char *)sqlite3_column_text(peers, 2), &pn);
				if (pn) {
					const char *ip6 =
						(const char *)sqlite3_column_text(peers, 4);
					line(f, (const char *)sqlite3_column_text(peers, 0),
					     (const char *const *)pn);
					if (ip6)
						line(f, ip6, (const char *const *)pn);
				}
			}
		}
	}
	for (char **e = extra_hosts ? extra_hosts : extra; e && *e; e++) {
		/* --add-host NAME:IP (the IP may itself hold ':' for IPv6) */
		const char *c = strchr(*e, ':');
		_cleanup_free_ char *hn = c ? xstrndup(*e, (size_t)(c - *e)) : NULL;
		const char *names[2] = {hn, NULL};
		if (!c || !host_token_ok(c + 1)) {
			fclose(f);
			return hk_error_set(err, 0, "invalid --add-host '%s': expected NAME:IP",
					    *e);
		}
		line(f, c + 1, names);
	}
	if (fclose(f) != 0)
		return hk_error_errno(err, "hosts content");
	*out = steal_ptr(&buf);
	return 0;
}

int net_hosts_refresh(struct net_ctx *ctx, const char *network, const char *cid,
		      struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(ctx->db,
		       "SELECT h.container_id, h.hosts_path FROM net_hosts h WHERE"
		       " h.hosts_path IS NOT NULL AND (?1 IS NULL OR h.container_id = ?2 OR"
		       " (?1 != ?3 AND h.container_id IN"
		       " (SELECT container_id FROM endpoints WHERE network = ?1)))",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, NET_DEFAULT_NAME, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		_cleanup_free_ char *text = NULL;
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *path = (const char *)sqlite3_column_text(s, 1);
		if (net_hosts_content(ctx, id, NULL, NULL, &text, err) < 0 ||
		    file_rewrite_in_place(path, text, strlen(text), err) < 0)
			return hk_error_wrap(err, "hosts file of %.12s", id);
	}
	return 0;
}

static bool loopback_server(const char *s)
{
	return str_has_prefix(s, "127.") || !strcmp(s, "::1");
}

int net_resolv_content(char **dns, char **dns_search, char **dns_options, char **out,
		       struct hk_error **err)
{
	_cleanup_free_ char *host = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return hk_error_errno(err, "open_memstream");
	if (!dns || !dns_search || !dns_options)
		read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &host, &len, NULL);
	if (dns_search && *dns_search) {
		fprintf(f, "search");
		for (char **d = dns_search; *d; d++)
			fprintf(f, " %s", *d);
		fputc('\n', f);
	}
	for (char **d = dns; d && *d; d++)
		fprintf(f, "nameserver %s\n", *d);
	if (dns_options && *dns_options) {
		fprintf(f, "options");
		for (char **d = dns_options; *d; d++)
			fprintf(f, " %s", *d);
		fputc('\n', f);
	}
	/* What was not given comes from the host's file, minus servers on its
	 * loopback (a local resolver cannot be reached from the container). */
	for (char *l = host, *next; l && *l; l = next) {
		char word[16] = "", val[256] = "";
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		else
			next = l + strlen(l);
		if (sscanf(l, "%15s %255s", word, val) < 1)
			continue;
		if (!strcmp(word, "nameserver") && !dns && *val && !loopback_server(val))
			fprintf(f, "nameserver %s\n", val);
		else if ((!strcmp(word, "search") || !strcmp(word, "domain")) && !dns_search)
			fprintf(f, "%s\n", l);
		else if (!strcmp(word, "options") && !dns_options)
			fprintf(f, "%s\n", l);
	}
	if (fclose(f) != 0)
		return hk_error_errno(err, "resolv.conf content");
	*out = steal_ptr(&buf);
	return 0;
}
