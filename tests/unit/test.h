/* hako unit tests: TEST(name) { ... } anywhere under tests/unit/ registers a
 * test; CHECK() records a failure and goes on, REQUIRE() ends the test. */
#ifndef HAKO_TESTS_UNIT_TEST_H
#define HAKO_TESTS_UNIT_TEST_H

#include <stdio.h>
#include <string.h>

struct hk_test {
	const char *name;
	void (*fn)(int *failed);
};

#define TEST(name)                                                                                 \
	static void test_##name(int *hk_failed);                                                   \
	static const struct hk_test test_##name##_def = {#name, test_##name};                      \
	static const struct hk_test *const test_##name##_entry                                     \
		__attribute__((used, section("hk_tests"), aligned(sizeof(void *)))) =              \
			&test_##name##_def;                                                        \
	static void test_##name(int *hk_failed)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			(*hk_failed)++;                                                            \
		}                                                                                  \
	} while (0)

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			(*hk_failed)++;                                                            \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                                \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,         \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
			(*hk_failed)++;                                                            \
		}                                                                                  \
	} while (0)

/* A fresh temporary directory for the test (removed by the runner). */
const char *test_tmpdir(void);

#endif
