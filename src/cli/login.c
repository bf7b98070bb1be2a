/* hako login / logout: check credentials against a registry and keep them in
 * the auth file (docker's config.json form, mode 0600). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/registry_cli.h"
#include "registry/registry.h"
#include "util/util.h"

#define PASS_MAX 4096

/* A line from fd without its newline; echo off when fd is a terminal. */
static int read_secret(int fd, bool echo_off, char **out, struct hk_error **err)
{
	struct termios old, raw;
	bool restored = true;
	char *buf = xmalloc(PASS_MAX + 1);
	size_t n = 0;
	char c;
	ssize_t r;

	if (echo_off && isatty(fd) && tcgetattr(fd, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		restored = tcsetattr(fd, TCSAFLUSH, &raw) != 0;
	}
	while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
		if (n == PASS_MAX) {
			free(buf);
			if (!restored)
				tcsetattr(fd, TCSAFLUSH, &old);
			return hk_error_set(err, 0, "password longer than %d bytes", PASS_MAX);
		}
		buf[n++] = c;
	}
	if (!restored) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r < 0) {
		free(buf);
		return hk_error_errno(err, "read password");
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int login_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"username", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"password-stdin", no_argument, NULL, 's'},
		{"tls-verify", optional_argument, NULL, REGCLI_OPT_TLS},
		{"authfile", required_argument, NULL, REGCLI_OPT_AUTHFILE},
		{0},
	};
	_cleanup_free_ char *user = NULL, *pass = NULL, *host = NULL, *file = NULL;
	struct registry_opts ro = {.tls_verify = -1};
	struct registry *r = NULL;
	bool pass_stdin = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+u:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			free(user);
			user = xstrdup(optarg);
			break;
		case 'p':
			free(pass);
			pass = xstrdup(optarg);
			break;
		case 's':
			pass_stdin = true;
			break;
		case REGCLI_OPT_TLS:
			if (regcli_parse_tls(optarg, &ro.tls_verify, err) < 0)
				return -1;
			break;
		case REGCLI_OPT_AUTHFILE:
			free(file);
			file = xstrdup(optarg);
			break;
		default:
			return hk_error_set(err, 0, "login: see 'hako login --help'");
		}
	}
	if (optind + 1 != argc)
		return hk_error_set(err, 0, "login: exactly one REGISTRY expected");
	if (pass && pass_stdin)
		return hk_error_set(err, 0,
				    "login: --password and --password-stdin exclude each other");
	host = regcli_host_of(argv[optind]);
	if (!file)
		file = registry_auth_file(hk_globals.root);
	if (!user) {
		if (!isatty(STDIN_FILENO) || pass_stdin)
			return hk_error_set(err, 0, "login: --username is required");
		fprintf(stderr, "Username: ");
		if (read_secret(STDIN_FILENO, false, &user, err) < 0)
			return -1;
	}
	if (!pass) {
		if (!pass_stdin && isatty(STDIN_FILENO))
			fprintf(stderr, "Password: ");
		if (read_secret(STDIN_FILENO, true, &pass, err) < 0)
			return -1;
	}
	if (!*user)
		return hk_error_set(err, 0, "login: empty user name");
	ro.user = user;
	ro.pass = pass;
	if (registry_open(host, &ro, &r, err) < 0)
		return hk_error_wrap(err, "login %s", host);
	rc = registry_ping(r, err);
	registry_close(r);
	if (rc < 0)
		return hk_error_wrap(err, "login %s", host);
	rc = registry_auth_set(file, host, user, pass, err);
	explicit_bzero(pass, strlen(pass));
	if (rc < 0)
		return hk_error_wrap(err, "login %s", host);
	printf("Login Succeeded!\n");
	return 0;
}

static const struct hk_command cmd_login = {
	.name = "login",
	.usage = "login [OPTIONS] REGISTRY",
	.summary = "Log in to a container registry",
	.help = "Options:\n"
		"  -u, --username USER     user name (asked on a terminal when missing)\n"
		"  -p, --password PASS     password (prefer --password-stdin)\n"
		"      --password-stdin    read the password from stdin\n"
		"      --tls-verify=BOOL   verify TLS certificates (default true)\n"
		"      --authfile FILE     credentials file (default <root>/auth.json,\n"
		"                          or $REGISTRY_AUTH_FILE)\n",
	.run = login_run,
};
HK_COMMAND(hako, cmd_login);
