# hako build.  `make` builds into build/; `make check` runs every test;
# `make SANITIZE=1` builds with AddressSanitizer + UBSan into build/asan/.

VERSION    := 0.1.0
CC         ?= gcc
PREFIX     ?= /usr/local
PKGS       := libseccomp libcap json-c libarchive libcurl sqlite3 libcrypto libnftables \
              libmicrohttpd
# Loaded on first use (src/lazy/): hako does not link them, so a command that
# needs none of them starts without mapping some forty shared libraries.
LAZY_PKGS  := libarchive libcurl libcrypto libnftables libmicrohttpd
SANITIZE   ?=

ifeq ($(SANITIZE),1)
BUILD      ?= build/asan
OPT        := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD      ?= build
OPT        := -O2 -g
endif

WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
              -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -ldl
CFLAGS     += -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -DHAKO_VERSION='"$(VERSION)"' \
              -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS     += $(PKG_LIBS) -lpthread

# Everything under src/ but the mains of the other programs and the stub is
# the hako library.
LIB_SRCS   := $(filter-out src/cli/main.c src/cli/runtime_entry.c src/guest/% src/dns/main.c \
                          src/monitor/main.c src/stub/%,$(wildcard src/*/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ   := $(BUILD)/src/cli/main.o
# hako-runtime: only what the OCI runtime needs (src/cli/runtime_entry.c).
# (not the --format template engine: the runtime has no use for it)
RT_SRCS    := $(filter-out src/util/template%.c,$(wildcard src/runtime/*.c src/util/*.c \
                src/cli/rt_*.c)) src/cli/command.c \
              src/cli/runtime_main.c src/cli/runtime_entry.c
RT_OBJS    := $(RT_SRCS:%.c=$(BUILD)/%.o)
RT_LIBS    := $(shell pkg-config --libs libseccomp libcap json-c 2>/dev/null) -lpthread
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_OBJS  := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
# hk-fuzz: the fuzz targets of tests/fuzz/ as one plain program (fuzz.h).
FUZZ_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fuzz/*.c))
HELPER_SRC := $(wildcard tests/helper/*.c)
GUEST_SRCS := $(wildcard src/guest/*.c)
# hako-dns: the DNS responder of user networks (src/dns/; libc only).
DNS_SRCS   := $(wildcard src/dns/*.c)
# hako-monitor: the small static program of an idle container monitor
# (src/monitor/: libc only; its loop is also in the hako library).
MON_SRCS   := $(wildcard src/monitor/*.c) src/util/io.c src/util/trace.c
# hako-vminit: PID 1 of VMs (src/vm/guest/, outside the hako library).
GUEST_VM_SRCS := $(wildcard src/vm/guest/*.c)

all: $(BUILD)/hako-stub $(BUILD)/hako $(BUILD)/hako-runtime $(BUILD)/hako-monitor $(BUILD)/unit-tests \
     $(BUILD)/hk-testhelper $(if $(GUEST_SRCS),$(BUILD)/hako-init) $(BUILD)/hako-vminit \
     $(BUILD)/hako-dns $(BUILD)/hk-fuzz

# Header dependencies of the programs built in one gcc command (-MMD would
# keep only the last source's): a -MM pass writes <binary>.d beside them.
DEPS_OF = $(CC) -MM -MP -MT $@ -D_GNU_SOURCE -Isrc $(1) >$@.d

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS) -c $< -o $@

# hako-stub: the few-KiB static program every container process is exec'd
# through from a sealed memfd (CVE-2019-5736, src/stub/stub.c).  No libc, no
# sanitizer, no ELF interpreter; sealexec.o carries it (.incbin), so neither
# hako nor hako-runtime looks for it at run time.
STUB_FLAGS := -std=gnu11 -Os $(WARN) -Isrc -static -nostdlib -fno-pie -no-pie \
              -fno-stack-protector -ffreestanding -fno-builtin -fno-asynchronous-unwind-tables \
              -fcf-protection=none -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,norelro \
              -Wl,-z,noseparate-code -s
$(BUILD)/hako-stub: src/stub/stub.c src/stub/stub.h
	@mkdir -p $(BUILD)
	@echo '  LD      $@'
	@$(call DEPS_OF,src/stub/stub.c)
	@$(CC) $(STUB_FLAGS) -o $@ src/stub/stub.c
$(BUILD)/src/util/sealexec.o: $(BUILD)/hako-stub
$(BUILD)/src/util/sealexec.o: CFLAGS += -DHK_STUB_PATH='"$(BUILD)/hako-stub"'

# A function of a lazy library that src/lazy/ does not forward yet: that
# library is linked directly (scripts/lazy-libs.sh says which).
LAZY_LINK   = $$(CC='$(CC)' ./scripts/lazy-libs.sh $(LAZY_PKGS) -- $^)

$(BUILD)/hako: $(LIB_OBJS) $(MAIN_OBJ)
	@echo '  LD      $@'
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LAZY_LINK)

# rm first: older builds left a symlink to hako here, which the linker would
# write through.
$(BUILD)/hako-runtime: $(RT_OBJS)
	@echo '  LD      $@'
	@rm -f $@
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(RT_LIBS)

$(BUILD)/unit-tests: $(LIB_OBJS) $(UNIT_OBJS)
	@echo '  LD      $@'
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LAZY_LINK)

$(BUILD)/hk-fuzz: $(LIB_OBJS) $(FUZZ_OBJS)
	@echo '  LD      $@'
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LAZY_LINK)

# A tiny static program for checks busybox cannot make (capabilities, rlimits...).
$(BUILD)/hk-testhelper: $(HELPER_SRC)
	@mkdir -p $(BUILD)
	@$(call DEPS_OF,$^)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $^

# hako-init: the static init for containers (--init); VMs have hako-vminit.
$(BUILD)/hako-init: $(GUEST_SRCS)
	@mkdir -p $(BUILD)
	@$(call DEPS_OF,$^)
	$(CC) -std=gnu11 -Os -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -static -o $@ $^

# Static, no sanitizer: its memory use is a benchmark figure (< 1 MiB idle).
$(BUILD)/hako-monitor: $(MON_SRCS) $(wildcard src/monitor/*.h)
	@mkdir -p $(BUILD)
	@echo '  LD      $@'
	@$(call DEPS_OF,$(MON_SRCS))
	@$(CC) -std=gnu11 -Os $(WARN) -D_GNU_SOURCE -Isrc -static -o $@ $(MON_SRCS)

# hako-vminit: the static PID 1 of hako's VMs, packed into their initramfs.
$(BUILD)/hako-vminit: $(GUEST_VM_SRCS)
	@mkdir -p $(BUILD)
	@$(call DEPS_OF,$^)
	$(CC) -std=gnu11 -Os -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $^

# hako-dns: static and small; under SANITIZE=1 with the sanitizers instead
# (dynamic), so the system tests run the responder under ASan+UBSan too.
ifeq ($(SANITIZE),1)
DNS_FLAGS  := $(OPT)
else
DNS_FLAGS  := -Os -static
endif
$(BUILD)/hako-dns: $(DNS_SRCS) src/dns/dns.h
	@mkdir -p $(BUILD)
	@echo '  LD      $@'
	@$(call DEPS_OF,$(DNS_SRCS))
	@$(CC) -std=gnu11 $(DNS_FLAGS) $(WARN) -D_GNU_SOURCE -Isrc -o $@ $(DNS_SRCS)

asan:
	$(MAKE) SANITIZE=1

# Install the Debian packages needed to build and test.
deps:
	./scripts/deps.sh

# The two commands of the README.  Each installs what is missing first and
# builds in a sub-make, so pkg-config flags are read after the install.
check:
	@./scripts/deps.sh --if-missing
	$(MAKE) check-static
	$(MAKE) all
	$(MAKE) SANITIZE=1 all
	./tests/run

demo:
	@./scripts/deps.sh --if-missing
	$(MAKE) all
	./scripts/demo.sh

# Static checks (docs/checks.md): every #include against the layer table
# of docs/architecture.md, and shellcheck (.shellcheckrc) on the scripts.
SH_FILES = $(shell git ls-files 'tests/*.sh' 'scripts/*.sh') tests/run .ci/run
check-static:
	./scripts/check-layers.sh
	shellcheck -S warning $(SH_FILES)

# gcc -fanalyzer over every C file of src/ (slow: minutes).  The warning
# classes it gets wrong on hako's cleanup attributes are off (docs/checks.md
# says which and why); what it reports is fixed or listed there.
ANALYZE_SRCS  = $(filter-out src/stub/% src/vm/guest/%,$(wildcard src/*/*.c))
ANALYZE_FLAGS = -fanalyzer -Wno-analyzer-use-of-uninitialized-value \
		-Wno-analyzer-malloc-leak
analyze:
	@for f in $(ANALYZE_SRCS); do echo "  ANALYZE $$f"; \
	  $(CC) -std=gnu11 -O1 -D_GNU_SOURCE -DHAKO_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS) \
	    $(ANALYZE_FLAGS) -c $$f -o /dev/null || exit 1; done

unit: all
	$(BUILD)/unit-tests

bench: all
	./bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/hako
	install -m 0755 $(BUILD)/hako $(DESTDIR)$(PREFIX)/bin/hako
	install -m 0755 $(BUILD)/hako-runtime $(DESTDIR)$(PREFIX)/bin/hako-runtime
	install -m 0755 $(BUILD)/hako-vminit $(DESTDIR)$(PREFIX)/libexec/hako/hako-vminit
	install -m 0755 $(BUILD)/hako-dns $(DESTDIR)$(PREFIX)/libexec/hako/hako-dns
	install -m 0755 $(BUILD)/hako-monitor $(DESTDIR)$(PREFIX)/libexec/hako/hako-monitor
	if [ -f $(BUILD)/hako-init ]; then install -m 0755 $(BUILD)/hako-init $(DESTDIR)$(PREFIX)/libexec/hako/hako-init; fi

clean:
	rm -rf build

.PHONY: all asan deps check check-static analyze demo unit bench format format-check install \
	clean

# Header dependencies (-MMD -MP for objects, DEPS_OF for the programs
# built in one command), so a changed header rebuilds every binary using it.
-include $(sort $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJS:.o=.d) $(RT_OBJS:.o=.d) \
	   $(FUZZ_OBJS:.o=.d)) \
	 $(wildcard $(BUILD)/*.d)
