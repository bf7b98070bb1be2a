/* hako build: .dockerignore (moby/patternmatcher's rules).
 *
 * One pattern a line; '#' lines are comments; a leading '!' makes an
 * exception; patterns are cleaned (leading '/' and "./" dropped, "//" and
 * ".." folded) and matched against the path relative to the context with
 * Go's filepath.Match per component, plus "**" for any number of components.
 * A pattern matching a directory excludes what is below it.  The last
 * pattern that matches decides. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "build/build.h"
#include "util/path.h"
#include "util/util.h"

struct ignore_pattern {
	char **parts; /* split on '/' */
	bool exception;
};

struct build_ignore {
	struct ignore_pattern *p;
	size_t n;
	bool has_exceptions;
};

static char **split_path(const char *s)
{
	char **v = xzalloc(sizeof(char *));
	const char *p = s;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l) {
			_cleanup_free_ char *part = xstrndup(p, l);
			strv_push(&v, part);
		}
		p += l;
		if (*p == '/')
			p++;
	}
	return v;
}

struct build_ignore *build_ignore_parse(const char *text, size_t len)
{
	struct build_ignore *ig = xzalloc(sizeof(*ig));
	_cleanup_free_ char *copy = xstrndup(text, len);
	char *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		bool exc = false;
		_cleanup_free_ char *clean = NULL;

		while (l && isspace((unsigned char)line[l - 1]))
			line[--l] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '!') {
			exc = true;
			line++;
			while (isspace((unsigned char)*line))
				line++;
		}
		/* relative to the context root: "/a" and "./a" are "a" */
		{
			_cleanup_free_ char *abs = xasprintf("/%s", line);
			clean = path_clean(abs);
		}
		if (!strcmp(clean, "/"))
			continue;
		ig->p = xrealloc(ig->p, (ig->n + 1) * sizeof(*ig->p));
		ig->p[ig->n].parts = split_path(clean);
		ig->p[ig->n].exception = exc;
		ig->n++;
		if (exc)
			ig->has_exceptions = true;
	}
	return ig;
}

void build_ignore_free(struct build_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		strv_free(ig->p[i].parts);
	free(ig->p);
	free(ig);
}

bool build_ignore_has_exceptions(const struct build_ignore *ig)
{
	return ig && ig->has_exceptions;
}

/* Does pattern parts[pi..] match path components path[si..n) as a prefix
 * (the pattern consumed, the path possibly longer: a directory's contents)? */
static bool match_parts(char **parts, size_t pi, char **path, size_t si, size_t n)
{
	if (!parts[pi])
		return true; /* the pattern matched this path or one of its parents */
	if (!strcmp(parts[pi], "**")) {
		for (size_t k = si; k <= n; k++)
			if (match_parts(parts, pi + 1, path, k, n))
				return true;
		return false;
	}
	if (si >= n)
		return false;
	if (fnmatch(parts[pi], path[si], 0) != 0)
		return false;
	return match_parts(parts, pi + 1, path, si + 1, n);
}

bool build_ignore_match(const struct build_ignore *ig, const char *path)
{
	_cleanup_strv_ char **comps = NULL;
	bool excluded = false;
	size_t n;

	if (!ig || !ig->n)
		return false;
	comps = split_path(path);
	n = strv_len(comps);
	if (!n)
		return false;
	for (size_t i = 0; i < ig->n; i++) {
		if (match_parts(ig->p[i].parts, 0, comps, 0, n))
			excluded = !ig->p[i].exception;
	}
	return excluded;
}
