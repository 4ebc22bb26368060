# pitwall — see README.md. `make demo` and `make test` do all set-up themselves.
GO       ?= go
PKGS     := ./...
FUZZTIME ?= 300000x
# The one version of every binary (scripts/version.sh: git describe, or the
# VERSION file of a release tarball); scripts/deb.sh and Buildroot's
# pitwall.mk stamp the same one.
VERSION  ?= $(shell scripts/version.sh)
ifeq ($(strip $(VERSION)),)
$(error scripts/version.sh gave no version: see its message above)
endif
LDFLAGS  := -s -w -X pitwall/internal/version.Version=$(VERSION)
BINS     := trackside kiosk pitwall racectl console
BINDIR   ?= bin

.PHONY: setup demo test test-short fuzz bench cross build vet clean deb deb-test tarball system-test

setup:
	@scripts/setup.sh

demo: setup
	$(GO) run ./cmd/pitwall demo

test: setup vet
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

test-short: vet
	$(GO) test -short -count=1 $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)

# Every fuzz target, FUZZTIME executions each (a count: see scripts/fuzz.sh).
# Seed corpora live in each package's testdata/fuzz.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench: setup
	scripts/bench.sh

# Static binaries for the Pis: arm64 (Pi 4/5, 64-bit OS) and armv7 (32-bit OS).
cross:
	@for target in linux/arm64 linux/arm/7 linux/amd64; do \
		os=$${target%%/*}; rest=$${target#*/}; arch=$${rest%%/*}; arm=$${rest#*/}; \
		[ "$$arch" = arm ] || arm=""; \
		for b in $(BINS); do \
			echo "build $$b $$target"; \
			CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
				-o bin/$$os-$$arch$$arm/$$b ./cmd/$$b || exit 1; \
		done; \
	done

build:
	@mkdir -p $(BINDIR)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINDIR)/ ./cmd/...

# Release tarball of HEAD in dist/, with a VERSION file: a tree without .git
# (Buildroot's local copy, a tarball build) then still knows its version.
tarball:
	@mkdir -p dist
	@tmp=$$(mktemp -d) && echo '$(VERSION)' >$$tmp/VERSION && \
	git archive --format=tar.gz --prefix=pitwall-$(VERSION)/ --add-file=$$tmp/VERSION \
		-o dist/pitwall-$(VERSION).tar.gz HEAD; rc=$$?; rm -rf $$tmp; \
	[ $$rc -eq 0 ] && echo "wrote dist/pitwall-$(VERSION).tar.gz"; exit $$rc

DEB_ARCHS ?= amd64 arm64 armhf
# Debian packages in dist/ (plain dpkg-deb): pitwall-{trackside,kiosk}_<version>_<arch>.deb
deb:
	VERSION=$(VERSION) scripts/deb.sh $(DEB_ARCHS)

# amd64 packages, the broker ACL (needs mosquitto) and the image's boot-time script
deb-test:
	scripts/version_test.sh
	scripts/deb_test.sh
	buildroot/board/pitwall/bootconf_test.sh

# The whole-system test: the amd64 .debs on Debian, booted as three QEMU
# guests (trackside + two kiosks) on a private network over loopback.
# Root; about 8 minutes on 2 cores without KVM once the Debian base is cached,
# plus 3-8 minutes to build it (docs/system-test.md).
system-test:
	scripts/system_test.sh

clean:
	rm -rf bin dist
