/* Unit tests of src/vm: sizes, the guest configuration, the exit marker. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/util.h"
#include "vm/vm.h"

TEST(vm_parse_size)
{
	uint64_t v = 0;
	struct hk_error *e = NULL;

	CHECK(vm_parse_size("1G", &v, &e) == 0 && v == 1ull << 30);
	CHECK(vm_parse_size("512M", &v, &e) == 0 && v == 512ull << 20);
	CHECK(vm_parse_size("1.5G", &v, &e) == 0 && v == 3ull << 29);
	CHECK(vm_parse_size("4096", &v, &e) == 0 && v == 4096);
	CHECK(vm_parse_size("2GiB", &v, &e) == 0 && v == 2ull << 30);
	CHECK(vm_parse_size("", &v, &e) < 0);
	hk_error_free(&e);
	CHECK(vm_parse_size("-1G", &v, &e) < 0);
	hk_error_free(&e);
	CHECK(vm_parse_size("12X", &v, &e) < 0);
	REQUIRE(e);
	CHECK(strstr(e->msg, "unknown unit") != NULL);
	hk_error_free(&e);
	CHECK(vm_parse_size("0", &v, &e) < 0);
	hk_error_free(&e);
}

TEST(vm_guest_cfg_encode)
{
	char *argv[] = {"sh", "-c", "echo 'a b'", NULL};
	char *env[] = {"PATH=/bin", NULL};
	struct vm_guest_cfg g = {
		.modules = "micro", .rootdev = "vda", .argv = argv, .env = env, .nonce = "abc"};
	struct hk_error *e = NULL;
	char *out = NULL;

	REQUIRE(vm_guest_cfg_encode(&g, &out, &e) == 0);
	CHECK(str_has_prefix(out, "hako.cfg="));
	/* base64url: nothing the kernel's command line parser would split. */
	CHECK(strpbrk(out + 9, " \"=+/") == NULL);
	free(out);

	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char *bargv[] = {big, NULL};
	g.argv = bargv;
	CHECK(vm_guest_cfg_encode(&g, &out, &e) < 0);
	REQUIRE(e);
	CHECK(strstr(e->msg, "command line") != NULL);
	hk_error_free(&e);
}

static char *feed_all(const char *nonce, const char *const *chunks, int *status)
{
	struct vm_marker m;
	char *res = xzalloc(4096);
	char out[4096];
	size_t len = 0;

	vm_marker_init(&m, nonce);
	for (size_t i = 0; chunks[i]; i++) {
		size_t k = vm_marker_feed(&m, chunks[i], strlen(chunks[i]), out);
		memcpy(res + len, out, k);
		len += k;
	}
	len += vm_marker_flush(&m, res + len);
	*status = m.status;
	return res;
}

TEST(vm_marker_split_and_strip)
{
	int st;
	const char *a[] = {"hello <<not\n", "x<<hako-ex", "it:n1:4", "2>>\r\n", "trailing", NULL};
	char *r = feed_all("n1", a, &st);

	CHECK_STR(r, "hello <<not\nx");
	CHECK(st == 42);
	free(r);

	const char *b[] = {"<<hako-exit:other:1>>\n", "<<<<hako-exit:n1:0>>\n", NULL};
	r = feed_all("n1", b, &st);
	CHECK_STR(r, "<<hako-exit:other:1>>\n<<");
	CHECK(st == 0);
	free(r);

	const char *c[] = {"no marker <<hako-exit:n1", NULL};
	r = feed_all("n1", c, &st);
	CHECK_STR(r, "no marker <<hako-exit:n1");
	CHECK(st == -1);
	free(r);
}

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

/* A minimal ELF64 relocatable object with a .modinfo section. */
static size_t fake_ko(char *buf, size_t size, const char *modinfo, size_t mlen)
{
	static const char shstr[] = "\0.shstrtab\0.modinfo";
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	size_t off = sizeof(*eh), str_off, mod_off, sh_off;
	Elf64_Shdr *sh;

	memset(buf, 0, size);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_type = ET_REL;
	str_off = off;
	memcpy(buf + off, shstr, sizeof(shstr));
	off += sizeof(shstr);
	mod_off = off;
	memcpy(buf + off, modinfo, mlen);
	off += mlen;
	off = (off + 7) & ~(size_t)7;
	sh_off = off;
	sh = (Elf64_Shdr *)(buf + sh_off);
	sh[1].sh_name = 1; /* .shstrtab */
	sh[1].sh_offset = str_off;
	sh[1].sh_size = sizeof(shstr);
	sh[2].sh_name = 11; /* .modinfo */
	sh[2].sh_offset = mod_off;
	sh[2].sh_size = mlen;
	eh->e_shoff = sh_off;
	eh->e_shnum = 3;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shstrndx = 1;
	return sh_off + 3 * sizeof(Elf64_Shdr);
}

TEST(vm_module_depends)
{
	static const char info[] = "license=GPL\0depends=virtio,virtio_ring\0name=virtio_blk\0";
	char buf[1024], **deps = NULL;
	struct hk_error *e = NULL;
	char *path = xasprintf("%s/m.ko", test_tmpdir());
	size_t n = fake_ko(buf, sizeof(buf), info, sizeof(info));

	REQUIRE(write_file_at(AT_FDCWD, path, buf, n, 0644, &e) == 0);
	REQUIRE(vm_module_depends(path, &deps, &e) == 0);
	REQUIRE(strv_len(deps) == 2);
	CHECK_STR(deps[0], "virtio");
	CHECK_STR(deps[1], "virtio_ring");
	strv_free(deps);

	/* Hostile: a section table pointing past the end of the file. */
	((Elf64_Ehdr *)buf)->e_shoff = 4000;
	REQUIRE(write_file_at(AT_FDCWD, path, buf, n, 0644, &e) == 0);
	CHECK(vm_module_depends(path, &deps, &e) < 0);
	REQUIRE(e);
	CHECK(strstr(e->msg, "bad ELF section table") != NULL);
	hk_error_free(&e);
	/* Not ELF at all, and compressed modules. */
	REQUIRE(write_file_at(AT_FDCWD, path, "hello", 5, 0644, &e) == 0);
	CHECK(vm_module_depends(path, &deps, &e) < 0);
	hk_error_free(&e);
	CHECK(vm_module_depends("x.ko.xz", &deps, &e) < 0);
	REQUIRE(e);
	CHECK(strstr(e->msg, "compressed") != NULL);
	hk_error_free(&e);
	free(path);
}
