#!/usr/bin/env bash
# usage: [BASE=NAME] scripts/base-source.sh
# Fetch the pinned source package of the base (scripts/bases:
# $BASE_PKG=$BASE_VERSION from $BASE_SUITE) and unpack its tarball to
# $TARBALL.  The suite need not be in the machine's apt sources: a
# private apt configuration under build/apt names it, on the archive the
# machine itself uses for it (archive-uri.sh).  Only this one package is downloaded, never
# installed; the .deb is kept in $DEB_CACHE across clones.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: scripts/base-source.sh (no arguments)"
[ -f "$TARBALL" ] && exit 0

deb=$DEB_CACHE/${BASE_PKG}_${BASE_VERSION//:/%3a}_all.deb
if [ ! -f "$deb" ]; then
	[ -r "$BASE_KEYRING" ] || die "base: $BASE_KEYRING is missing: install debian-archive-keyring (make deps)"
	uri=$("$(dirname "$0")/archive-uri.sh" "$BASE_SUITE")
	apt=$BUILD/apt
	rm -rf "$apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" "$DEB_CACHE"
	echo "deb [signed-by=$BASE_KEYRING] $uri $BASE_SUITE main" > "$apt/etc/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "Dir::State::status=/dev/null" -o "APT::Get::List-Cleanup=0")
	step "base: fetching $BASE_PKG $BASE_VERSION from $BASE_SUITE ($uri)"
	run_logged "base: apt-get update for $BASE_SUITE" "$LOGS/base-apt-update.log" \
		apt-get "${opts[@]}" update
	offered=$(apt-cache "${opts[@]}" madison "$BASE_PKG" 2> /dev/null |
		awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	grep -qxF "$BASE_VERSION" <<< "$offered" ||
		die "base: $BASE_SUITE does not offer $BASE_PKG $BASE_VERSION (it offers: $(paste -sd ' ' <<< "${offered:-none}"))"
	(cd "$DEB_CACHE" && run_logged "base: apt-get download $BASE_PKG=$BASE_VERSION" \
		"$LOGS/base-download.log" apt-get "${opts[@]}" download "$BASE_PKG=$BASE_VERSION")
	[ -f "$deb" ] || die "base: apt-get download left no $deb (log: $LOGS/base-download.log)"
fi
tmp=$BUILD/base.tmp
rm -rf "$tmp"
run_logged "base: unpacking $(basename "$deb")" "$LOGS/base-unpack.log" dpkg-deb -x "$deb" "$tmp"
[ -f "$tmp/usr/src/$BASE_PKG.tar.xz" ] || die "base: $(basename "$deb") holds no usr/src/$BASE_PKG.tar.xz"
mkdir -p "$(dirname "$TARBALL")"
mv "$tmp/usr/src/$BASE_PKG.tar.xz" "$TARBALL"
rm -rf "$tmp"
