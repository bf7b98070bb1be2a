/* The plain-program driver of the fuzz targets (see fuzz.h): every corpus
 * file, then ITERATIONS mutations of them (bit flips, byte stores, inserts,
 * deletes, splices), from a seed so that a failure can be replayed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/util.h"

extern const struct hk_fuzz *const __start_hk_fuzz[];
extern const struct hk_fuzz *const __stop_hk_fuzz[];

#define FUZZ_MAX (64 * 1024)

static char tmpdir[64];

const char *fuzz_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/hk-fuzz-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	return tmpdir;
}

static void cleanup_tmpdir(void)
{
	struct hk_error *err = NULL;

	if (tmpdir[0] && rm_rf(tmpdir, &err) < 0)
		hk_error_free(&err);
}

static const struct hk_fuzz *find(const char *name)
{
	for (const struct hk_fuzz *const *f = __start_hk_fuzz; f < __stop_hk_fuzz; f++)
		if (!strcmp((*f)->name, name))
			return *f;
	return NULL;
}

#ifdef HK_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hk_fuzz *f;

	if (!f && !(f = find(getenv("HK_FUZZ_TARGET") ? getenv("HK_FUZZ_TARGET") : "")))
		abort();
	f->fn(data, size);
	return 0;
}
#else
struct input {
	uint8_t *data;
	size_t size;
};

static void load_dir(const char *dir, struct input **in, size_t *n)
{
	_cleanup_dir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		fprintf(stderr, "hk-fuzz: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *buf = NULL;
		struct hk_error *err = NULL;
		size_t len = 0;
		struct stat st;

		if (de->d_name[0] == '.' || stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (read_file_at(AT_FDCWD, p, FUZZ_MAX, &buf, &len, &err) < 0) {
			hk_error_free(&err);
			continue;
		}
		*in = xrealloc(*in, (*n + 1) * sizeof(**in));
		(*in)[(*n)++] = (struct input){(uint8_t *)steal_ptr(&buf), len};
	}
}

/* xorshift64*: the same mutations for the same seed on every machine. */
static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static size_t mutate(uint8_t *buf, size_t len, const struct input *in, size_t n)
{
	int steps = 1 + (int)(next() % 8);

	for (int i = 0; i < steps; i++) {
		size_t at = len ? next() % len : 0;
		switch (next() % 6) {
		case 0: /* flip a bit */
			if (len)
				buf[at] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1: /* an interesting byte */
			if (len) {
				static const uint8_t v[] = {0, 1, 0x7f, 0x80, 0xff, '/', '.', 0xc0};
				buf[at] = v[next() % sizeof(v)];
			}
			break;
		case 2: /* insert random bytes */
			if (len < FUZZ_MAX - 16) {
				size_t k = 1 + next() % 16;
				memmove(buf + at + k, buf + at, len - at);
				for (size_t j = 0; j < k; j++)
					buf[at + j] = (uint8_t)next();
				len += k;
			}
			break;
		case 3: /* delete a run */
			if (len) {
				size_t k = 1 + next() % (len - at < 16 ? len - at : 16);
				memmove(buf + at, buf + at + k, len - at - k);
				len -= k;
			}
			break;
		case 4: /* splice in part of another input */
			if (n) {
				const struct input *o = &in[next() % n];
				size_t from = o->size ? next() % o->size : 0;
				size_t k = o->size - from;
				if (k > FUZZ_MAX - len)
					k = FUZZ_MAX - len;
				if (k > 64)
					k = 1 + next() % 64;
				memmove(buf + at + k, buf + at, len - at);
				memcpy(buf + at, o->data + from, k);
				len += k;
			}
			break;
		default: /* truncate */
			len = at;
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	const struct hk_fuzz *f = argc > 1 ? find(argv[1]) : NULL;
	unsigned long iterations = 1000, seed = 1;
	struct input *in = NULL;
	size_t n = 0;
	int c;

	if (!f) {
		fprintf(stderr, "usage: hk-fuzz TARGET [-n ITERATIONS] [-s SEED] CORPUS_DIR...\n"
				"targets:");
		for (const struct hk_fuzz *const *t = __start_hk_fuzz; t < __stop_hk_fuzz; t++)
			fprintf(stderr, " %s", (*t)->name);
		fprintf(stderr, "\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n')
			iterations = strtoul(optarg, NULL, 10);
		else if (c == 's')
			seed = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	for (int i = optind; i < argc; i++)
		load_dir(argv[i], &in, &n);
	atexit(cleanup_tmpdir);
	for (size_t i = 0; i < n; i++)
		f->fn(in[i].data, in[i].size);
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	{
		_cleanup_free_ uint8_t *buf = xmalloc(FUZZ_MAX);
		for (unsigned long i = 0; i < iterations; i++) {
			size_t len = 0;
			if (n) {
				const struct input *s = &in[next() % n];
				memcpy(buf, s->data, s->size);
				len = s->size;
			}
			len = mutate(buf, len, in, n);
			/* a copy of the exact size, so ASan sees reads past the end */
			_cleanup_free_ uint8_t *exact = xmalloc(len ? len : 1);
			memcpy(exact, buf, len);
			f->fn(exact, len);
		}
	}
	printf("hk-fuzz %s: %zu corpus inputs, %lu mutations (seed %lu): no crash\n", f->name, n,
	       iterations, seed);
	for (size_t i = 0; i < n; i++)
		free(in[i].data);
	free(in);
	return 0;
}
#endif
