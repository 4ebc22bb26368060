// Package version holds the version of the pitwall build, the one value
// every binary reports (-version, the retained status, the start-up log).
//
// Every build path stamps it with the linker, from the same place:
//
//	go build -ldflags "-X pitwall/internal/version.Version=$(scripts/version.sh)"
//
// The Makefile, scripts/deb.sh and Buildroot's package
// (buildroot/package/pitwall/pitwall.mk) all do; scripts/version_test.sh
// checks that each binary they build reports it.
package version

// Version is "dev" in a plain `go build` or `go run`, and the output of
// scripts/version.sh (git describe, or the VERSION file of a release
// tarball) in every packaged build.
var Version = "dev"
