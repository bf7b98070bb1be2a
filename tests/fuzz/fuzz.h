/* hako fuzz targets: FUZZ(name) { ... data, size ... } registers a target
 * that must survive any input (ASan/UBSan find what it does not).
 *
 * Built two ways:
 *   - build/hk-fuzz (and build/asan/hk-fuzz): a plain program, driver.c,
 *     that runs a corpus and a bounded number of seeded random mutations of
 *     it: `hk-fuzz TARGET [-n ITERATIONS] [-s SEED] CORPUS_DIR...`.  The
 *     suite runs it briefly (tests/system/fuzz.sh).
 *   - with clang -fsanitize=fuzzer -DHK_LIBFUZZER: libFuzzer's main, the
 *     target named by HK_FUZZ_TARGET in the environment. */
#ifndef HAKO_TESTS_FUZZ_FUZZ_H
#define HAKO_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct hk_fuzz {
	const char *name;
	void (*fn)(const uint8_t *data, size_t size);
};

#define FUZZ(name)                                                                                 \
	static void fuzz_##name(const uint8_t *data, size_t size);                                 \
	static const struct hk_fuzz fuzz_##name##_def = {#name, fuzz_##name};                      \
	static const struct hk_fuzz *const fuzz_##name##_entry                                     \
		__attribute__((used, section("hk_fuzz"), aligned(sizeof(void *)))) =               \
			&fuzz_##name##_def;                                                        \
	static void fuzz_##name(const uint8_t *data, size_t size)

/* A scratch directory of the run (created once, emptied by the target). */
const char *fuzz_tmpdir(void);

#endif
