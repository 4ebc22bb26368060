################################################################################
#
# pitwall
#
################################################################################

# Built from the source tree this BR2_EXTERNAL lives in. After changing the
# source: make pitwall-rebuild all
PITWALL_VERSION = local
PITWALL_SITE = $(BR2_EXTERNAL_PITWALL_PATH)/..
PITWALL_SITE_METHOD = local
PITWALL_GOMOD = pitwall
# pitwall, then what the binaries link (read from each module's LICENSE
# file, go list -deps of cmd/trackside, cmd/kiosk, cmd/racectl): the Go
# standard library and golang.org/x/{image,net,sync,sys,text}, go.bug.st/serial
# BSD-3-Clause; gorilla/websocket BSD-2-Clause; go.etcd.io/bbolt,
# warthog618/go-gpiocdev MIT; periph.io/x/{conn,host} Apache-2.0;
# eclipse/paho.mqtt.golang EPL-2.0 or EDL-1.0 (BSD-3-Clause).
PITWALL_LICENSE = Apache-2.0, BSD-3-Clause, BSD-2-Clause, MIT, EPL-2.0 or BSD-3-Clause
PITWALL_LICENSE_FILES = LICENSE
# Build outputs of the source tree, and a Buildroot checked out inside it
# (make -C buildroot-2025.02.x ...), stay out of the build directory.
PITWALL_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /bin --exclude /dist --exclude /vendor \
	--exclude '/buildroot-*' --exclude /output

# rsync only adds and updates: empty the build directory first, keeping the
# dot files (stamps and Buildroot's bookkeeping), so that a Go file deleted
# or renamed in the source tree is gone here too. The Go build cache lives
# in the host directory, so this costs no rebuild.
define PITWALL_CLEAN_BUILD_DIR
	find $(@D) -mindepth 1 -maxdepth 1 ! -name '.*' -exec rm -rf {} +
endef
PITWALL_PRE_RSYNC_HOOKS += PITWALL_CLEAN_BUILD_DIR

# go.mod says go 1.26.0 and Buildroot builds with GOTOOLCHAIN=local, so this
# needs the Go 1.26 of Buildroot 2025.02.15 or later; an older Go stops with
# "go.mod requires go >= 1.26.0 (running go 1.23.x; GOTOOLCHAIN=local)".

# Each command whose cmd/<name> has Go files: kiosk and racectl are written
# after trackside.
PITWALL_CMDS = $(foreach c,trackside kiosk racectl,\
	$(if $(wildcard $(PITWALL_SITE)/cmd/$(c)/*.go),$(c)))
PITWALL_BUILD_TARGETS = $(addprefix cmd/,$(PITWALL_CMDS))
PITWALL_INSTALL_BINS = $(PITWALL_CMDS)

# Static binaries, as the .deb packages: no dependency on the C library.
PITWALL_GO_ENV = CGO_ENABLED=0
# The version every build path stamps (scripts/version.sh: git describe of
# the source tree, or its VERSION file when it is a release tarball).
PITWALL_STAMP = $(shell $(PITWALL_SITE)/scripts/version.sh)
PITWALL_LDFLAGS = -s -w -X pitwall/internal/version.Version=$(PITWALL_STAMP)

# Buildroot vendors the Go modules of downloaded packages in its download
# step (pkg-golang.mk's download post-process); a local package has no
# download step. So "make source" (the online step) runs "go mod download"
# into a module cache under Buildroot's download directory, next to every
# other package's sources, and the build vendors from there with no
# network (GOPROXY ends in "off"): one online "make source", then every
# build is offline. A vendor/ directory in the source tree, when there is
# one, is used as it is.
PITWALL_GOMODCACHE = $(PITWALL_DL_DIR)/gomodcache
PITWALL_HOST_GOPATH = $(or $(firstword $(subst :, ,$(GOPATH))),$(HOME)/go)
PITWALL_HOST_GOMODCACHE = $(or $(GOMODCACHE),$(PITWALL_HOST_GOPATH)/pkg/mod)
# Where "make source" fetches from: BR2_PACKAGE_PITWALL_GOPROXY, else the
# build host's own module cache, then the public proxy.
PITWALL_GOPROXY = $(or $(call qstrip,$(BR2_PACKAGE_PITWALL_GOPROXY)),\
	file://$(PITWALL_HOST_GOMODCACHE)/cache/download$(comma)https://proxy.golang.org)

pitwall-source: pitwall-gomod-download
.PHONY: pitwall-gomod-download
pitwall-gomod-download: host-go
	mkdir -p $(PITWALL_GOMODCACHE)
	cd $(PITWALL_SITE) && $(HOST_GO_COMMON_ENV) GOFLAGS=-modcacherw \
		GOMODCACHE=$(PITWALL_GOMODCACHE) GOPROXY="$(PITWALL_GOPROXY)" \
		$(GO_BIN) mod download

define PITWALL_GO_VENDOR
	if [ -f $(PITWALL_SITE)/vendor/modules.txt ]; then \
		rm -rf $(@D)/vendor && cp -a $(PITWALL_SITE)/vendor $(@D)/vendor; \
	else \
		cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-modcacherw \
			GOMODCACHE=$(PITWALL_GOMODCACHE) \
			GOPROXY="file://$(PITWALL_GOMODCACHE)/cache/download,off" \
			$(GO_BIN) mod vendor || { \
			echo "pitwall: Go modules missing from $(PITWALL_GOMODCACHE): run 'make source' once online"; \
			exit 1; }; \
	fi
endef
PITWALL_PRE_BUILD_HOOKS += PITWALL_GO_VENDOR

# Example configs (docs/<cmd>.example.json or cmd/<cmd>/<cmd>.example.json),
# as /usr/share/pitwall/examples/<cmd>.json.example. The SD image puts them
# on the boot partition, which /etc/pitwall shows.
PITWALL_EXAMPLES = $(foreach c,$(PITWALL_CMDS),$(firstword $(wildcard \
	$(PITWALL_SITE)/docs/$(c).example.json $(PITWALL_SITE)/cmd/$(c)/$(c).example.json)))

define PITWALL_INSTALL_FILES
	$(INSTALL) -D -m 0644 $(@D)/packaging/udev/60-pitwall-gpio.rules \
		$(TARGET_DIR)/usr/lib/udev/rules.d/60-pitwall-gpio.rules
	$(foreach f,$(PITWALL_EXAMPLES),\
		$(INSTALL) -D -m 0644 $(f) \
			$(TARGET_DIR)/usr/share/pitwall/examples/$(notdir $(basename $(basename $(f)))).json.example$(sep))
	$(INSTALL) -D -m 0644 $(@D)/packaging/mosquitto/pitwall.conf \
		$(TARGET_DIR)/usr/share/pitwall/mosquitto/pitwall.conf
	$(INSTALL) -D -m 0644 $(@D)/packaging/mosquitto/mqtt-users.txt \
		$(TARGET_DIR)/usr/share/pitwall/mosquitto/mqtt-users.txt
	# The uplink bridge (docs/uplink.md); examples/ puts it on the boot partition.
	$(INSTALL) -D -m 0644 $(@D)/packaging/mosquitto/bridge.conf.example \
		$(TARGET_DIR)/usr/share/pitwall/mosquitto/bridge.conf.example
	$(INSTALL) -D -m 0644 $(@D)/packaging/mosquitto/bridge.conf.example \
		$(TARGET_DIR)/usr/share/pitwall/examples/bridge.conf.example
endef
PITWALL_POST_INSTALL_TARGET_HOOKS += PITWALL_INSTALL_FILES

define PITWALL_INSTALL_INIT_SYSTEMD
	$(foreach c,$(filter trackside kiosk,$(PITWALL_CMDS)),\
		$(INSTALL) -D -m 0644 $(@D)/packaging/systemd/pitwall-$(c).service \
			$(TARGET_DIR)/usr/lib/systemd/system/pitwall-$(c).service$(sep))
endef

# The services' user; the groups are those of the units'
# SupplementaryGroups= and are created if missing.
define PITWALL_USERS
	pitwall -1 pitwall -1 * - - gpio,dialout,video,tty,input pitwall services
endef

$(eval $(golang-package))
