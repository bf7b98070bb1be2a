#include "image/image.h"
#include "test.h"
#include "util/util.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(image_ref_good)
{
	static const struct {
		const char *in, *full;
	} cases[] = {
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"library/busybox", "docker.io/library/busybox:latest"},
		{"docker.io/busybox", "docker.io/library/busybox:latest"},
		{"index.docker.io/library/busybox:x", "docker.io/library/busybox:x"},
		{"user/app", "docker.io/user/app:latest"},
		{"localhost/app", "localhost/app:latest"},
		{"localhost:5000/ns/name:tag", "localhost:5000/ns/name:tag"},
		{"127.0.0.1:5000/a/b/c:v1.2-rc_3", "127.0.0.1:5000/a/b/c:v1.2-rc_3"},
		{"quay.io/org/img", "quay.io/org/img:latest"},
		{"a.b-c__d---e", "docker.io/library/a.b-c__d---e:latest"},
		{"my-registry.example:443/x", "my-registry.example:443/x:latest"},
		{"app@sha256:" HEX64, "docker.io/library/app@sha256:" HEX64},
		{"app:v1@sha256:" HEX64, "docker.io/library/app:v1@sha256:" HEX64},
		{"Host.example/app", "Host.example/app:latest"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image_ref r;
		_cleanup_error_ struct hk_error *err = NULL;
		_cleanup_free_ char *full = NULL;
		if (image_ref_parse(cases[i].in, &r, &err) < 0) {
			fprintf(stderr, "  %s: %s\n", cases[i].in, hk_error_msg(err));
			CHECK(!"parse failed");
			continue;
		}
		full = image_ref_string(&r);
		CHECK_STR(full, cases[i].full);
		image_ref_free(&r);
	}
}

TEST(image_ref_bad)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{"", "empty reference"},
		{"Busybox", "must be lowercase"},
		{"busybox:", "empty tag"},
		{"busybox:-x", "invalid tag"},
		{"busybox:a/b", "invalid registry port"},
		{"a//b", "empty path component"},
		{"a/", "empty path component"},
		{"-a", "invalid character"},
		{"a-", "can not end with a separator"},
		{"a..b", "invalid character or separator"},
		{"a___b", "invalid character or separator"},
		{"app@sha256:abc", "invalid sha256 digest"},
		{"app@md5:" HEX64, "only sha256"},
		{"app@sha256:" HEX64 "00", "invalid sha256 digest"},
		{"localhost:99999999/a", "invalid registry port"},
		{"a b", "invalid character"},
		{"app:"
		 "0123456789012345678901234567890123456789012345678901234567890123456789"
		 "0123456789012345678901234567890123456789012345678901234567890",
		 "tag longer than 128"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image_ref r;
		_cleanup_error_ struct hk_error *err = NULL;
		if (image_ref_parse(cases[i].in, &r, &err) == 0) {
			fprintf(stderr, "  '%s' parsed\n", cases[i].in);
			CHECK(!"bad ref accepted");
			image_ref_free(&r);
			continue;
		}
		if (!strstr(hk_error_msg(err), cases[i].why)) {
			fprintf(stderr, "  '%s': %s\n", cases[i].in, hk_error_msg(err));
			CHECK(!"unexpected message");
		}
	}
}

TEST(image_ref_familiar)
{
	_cleanup_free_ char *a = image_ref_familiar("docker.io/library/busybox:latest");
	_cleanup_free_ char *b = image_ref_familiar("docker.io/user/app:1");
	_cleanup_free_ char *c = image_ref_familiar("localhost:5000/x:y");

	CHECK_STR(a, "busybox:latest");
	CHECK_STR(b, "user/app:1");
	CHECK_STR(c, "localhost:5000/x:y");
}

TEST(digest_helpers)
{
	char d[DIGEST_BUF], c[DIGEST_BUF];

	digest_buffer("", 0, d);
	CHECK_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(digest_valid(d));
	CHECK(!digest_valid(
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	CHECK(!digest_valid("sha256:e3b0"));
	digest_chain_id(NULL, d, c);
	CHECK_STR(c, d);
	/* sha256("sha256:e3b0... sha256:e3b0...") */
	digest_chain_id(d, d, c);
	CHECK(digest_valid(c) && strcmp(c, d));
}
