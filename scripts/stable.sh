#!/usr/bin/env bash
# usage: [BASE=NAME] scripts/stable.sh
# The stable backports of every base of scripts/bases but the first (or
# of BASE alone), each proven on its own base: check.sh (git am one
# by one onto a fresh copy of the base, checkpatch --strict, a build of
# the test kernel after each), then two boots with this repo's tlb
# selftests: the plain base, where the selftest of the unshare fix and
# that of the RFC's exit must fail (STABLE_EXPECT_FAIL, default
# "hugetlb_unshare exit_lazy"), and the base with the backports, which
# do not carry the RFC, where exit_lazy alone must fail
# (STABLE_BACKPORT_EXPECT_FAIL, default exit_lazy).  Either set empty:
# every selftest must pass there.  No WARN, BUG or oops in either.
# Ends with both runs side by side (report.sh --base); the logs are in
# the base's build folder (build-NAME/logs/stable-*).
# shellcheck source-path=SCRIPTDIR
given=${BASE:-}
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: scripts/stable.sh (no arguments; see the comment at its top)"
if [ -z "$given" ]; then
	bases=$(backport_bases)
	[ -n "$bases" ] || die "stable: $BASES names no base but the first"
	for b in $bases; do BASE=$b "$0" || exit; done
	exit 0
fi
[ -n "$BACKPORT" ] ||
	die "stable: BASE=$BASE is the upstream-facing series (make test checks it); name a stable base of scripts/bases"

"$TOP/scripts/tree.sh"
"$TOP/scripts/check.sh"
step "stable: $BASE_PKG $BASE_VERSION without the backports"
RUN_AT='' EXPECT_FAIL=${STABLE_EXPECT_FAIL-hugetlb_unshare exit_lazy} "$TOP/scripts/base-run.sh" "$LOGS/stable-plain"
step "stable: $BASE_PKG $BASE_VERSION with the backports"
# The commit check.sh built: the tree's HEAD, which tree.sh matched
# with the series (base-run.sh looks it up in the tree).
RUN_AT=HEAD EXPECT_FAIL=${STABLE_BACKPORT_EXPECT_FAIL-exit_lazy} "$TOP/scripts/base-run.sh" "$LOGS/stable-backport"
NO_8VCPU=1 "$TOP/scripts/report.sh" --base "$LOGS/stable-plain" "$LOGS/stable-backport" "$KTREE"
