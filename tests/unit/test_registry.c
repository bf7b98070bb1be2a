#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/registry.h"
#include "test.h"
#include "util/path.h"
#include "util/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

TEST(registry_challenge_bearer)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct registry_challenge c;

	REQUIRE(registry_challenge_parse(
			"Bearer realm=\"https://auth.example/token\",service=\"reg.example\","
			"scope=\"repository:library/busybox:pull,push\"",
			&c, &err) == 0);
	CHECK_STR(c.scheme, "Bearer");
	CHECK_STR(c.realm, "https://auth.example/token");
	CHECK_STR(c.service, "reg.example");
	CHECK_STR(c.scope, "repository:library/busybox:pull,push");
	CHECK(c.error == NULL);
	registry_challenge_free(&c);

	/* escapes, spaces, unquoted values, an error parameter */
	REQUIRE(registry_challenge_parse("bearer  realm = \"a\\\"b\" , error=insufficient_scope",
					 &c, &err) == 0);
	CHECK_STR(c.scheme, "bearer");
	CHECK_STR(c.realm, "a\"b");
	CHECK_STR(c.error, "insufficient_scope");
	registry_challenge_free(&c);

	REQUIRE(registry_challenge_parse("Basic realm=\"Registry Realm\"", &c, &err) == 0);
	CHECK_STR(c.scheme, "Basic");
	CHECK_STR(c.realm, "Registry Realm");
	registry_challenge_free(&c);

	/* the first of two challenges */
	REQUIRE(registry_challenge_parse("Basic realm=\"x\", Bearer realm=\"y\"", &c, &err) == 0);
	CHECK_STR(c.scheme, "Basic");
	CHECK_STR(c.realm, "x");
	registry_challenge_free(&c);

	CHECK(registry_challenge_parse("Bearer realm=\"unterminated", &c, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "malformed") != NULL);
	CHECK(registry_challenge_parse("", &c, &err) < 0);
}

static const char manifest_ok[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG "\",\"digest\":\"" D1 "\",\"size\":7},"
	"\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER "\",\"digest\":\"" D2 "\",\"size\":100},"
	"{\"mediaType\":\"" MT_OCI_LAYER_ZSTD "\",\"digest\":\"" D3 "\",\"size\":5}]}";

TEST(registry_manifest_parse_valid_and_hostile)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct registry_manifest m;
	char *mt = NULL;

	REQUIRE(registry_manifest_parse(manifest_ok, strlen(manifest_ok), &m, &err) == 0);
	CHECK_STR(m.media_type, MT_DOCKER_MANIFEST);
	CHECK_STR(m.config.digest, D1);
	CHECK(m.config.size == 7);
	REQUIRE(m.n_layers == 2);
	CHECK_STR(m.layers[1].media_type, MT_OCI_LAYER_ZSTD);
	CHECK(m.layers[0].size == 100);
	registry_manifest_free(&m);

	/* an OCI manifest without mediaType is still an image manifest */
	const char *nomt = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
			   "\",\"digest\":\"" D1 "\",\"size\":2},\"layers\":[]}";
	REQUIRE(registry_manifest_parse(nomt, strlen(nomt), &m, &err) == 0);
	CHECK_STR(m.media_type, MT_OCI_MANIFEST);
	CHECK(m.n_layers == 0);
	registry_manifest_free(&m);

	const char *bad[] = {
		"{\"schemaVersion\":1,\"name\":\"x\"}",
		"{\"schemaVersion\":2,\"mediaType\":\"text/html\"}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		"\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
		"\",\"digest\":\"sha256:../../etc\",\"size\":2},\"layers\":[]}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		"\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1
		"\",\"size\":-4},\"layers\":[]}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		"\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1
		"\",\"size\":2},\"layers\":[{\"mediaType\":\"application/x-evil\",\"digest\":\"" D2
		"\",\"size\":1}]}",
		"[1,2]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(registry_manifest_parse(bad[i], strlen(bad[i]), &m, &err) < 0);
	}
	CHECK(registry_manifest_media_type(bad[0], strlen(bad[0]), NULL, &mt, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "schema 1") != NULL);
	/* Content-Type decides when the body says nothing */
	const char *plain = "{\"schemaVersion\":2,\"manifests\":[]}";
	REQUIRE(registry_manifest_media_type(plain, strlen(plain), MT_OCI_INDEX "; charset=utf-8",
					     &mt, &err) == 0);
	CHECK_STR(mt, MT_OCI_INDEX);
	free(mt);
}

static const char index_doc[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D1
	"\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":"
	"\"v8\"}},"
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D3
	"\",\"size\":12,\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D2
	"\",\"size\":11,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D3
	"\",\"size\":13,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}"
	"}"
	"]}";

TEST(registry_index_platform_selection)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct registry_desc d = {0};

	REQUIRE(registry_index_select(index_doc, strlen(index_doc), "linux", "amd64", NULL, &d,
				      &err) == 0);
	CHECK_STR(d.digest, D2);
	CHECK(d.size == 11);
	registry_desc_free(&d);
	REQUIRE(registry_index_select(index_doc, strlen(index_doc), "linux", "arm64", "v8", &d,
				      &err) == 0);
	CHECK_STR(d.digest, D1);
	registry_desc_free(&d);
	REQUIRE(registry_index_select(index_doc, strlen(index_doc), "linux", "arm", "v7", &d,
				      &err) == 0);
	CHECK_STR(d.digest, D3);
	registry_desc_free(&d);

	CHECK(registry_index_select(index_doc, strlen(index_doc), "linux", "s390x", NULL, &d,
				    &err) < 0);
	CHECK(strstr(hk_error_msg(err), "no image for linux/s390x") != NULL);
	CHECK(strstr(hk_error_msg(err), "linux/amd64") != NULL);
	CHECK(strstr(hk_error_msg(err), "unknown") == NULL);
}

TEST(registry_auth_file_roundtrip_mode_0600)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *file = path_join(test_tmpdir(), "sub/auth.json");
	char *u = NULL, *p = NULL;
	struct stat st;

	CHECK(registry_auth_get(file, "r.example", &u, &p, &err) == 0);
	REQUIRE(registry_auth_set(file, "r.example", "alice", "p:w d", &err) == 0);
	REQUIRE(registry_auth_set(file, "127.0.0.1:5000", "bob", "", &err) == 0);
	REQUIRE(stat(file, &st) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	REQUIRE(registry_auth_get(file, "r.example", &u, &p, &err) == 1);
	CHECK_STR(u, "alice");
	CHECK_STR(p, "p:w d");
	free(u);
	free(p);
	REQUIRE(registry_auth_get(file, "127.0.0.1:5000", &u, &p, &err) == 1);
	CHECK_STR(u, "bob");
	CHECK_STR(p, "");
	free(u);
	free(p);
	CHECK(registry_auth_remove(file, "r.example", &err) == 1);
	CHECK(registry_auth_remove(file, "r.example", &err) == 0);
	CHECK(registry_auth_get(file, "r.example", &u, &p, &err) == 0);
	CHECK(registry_auth_set(file, "x", "a:b", "c", &err) < 0);

	/* a hostile file: wrong types and bad base64 are errors, not crashes */
	REQUIRE(write_file_at(AT_FDCWD, file, "{\"auths\":{\"h\":{\"auth\":\"***\"},\"k\":3}}", 37,
			      0600, &err) == 0);
	CHECK(registry_auth_get(file, "h", &u, &p, &err) < 0);
	CHECK(registry_auth_get(file, "k", &u, &p, &err) < 0);
}

TEST(registry_digest_helpers)
{
	char *d = registry_digest_of("", 0);
	CHECK_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(registry_digest_valid(d));
	free(d);
	CHECK(!registry_digest_valid(
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	CHECK(!registry_digest_valid("sha512:abc"));
	CHECK(!registry_digest_valid(NULL));
}
