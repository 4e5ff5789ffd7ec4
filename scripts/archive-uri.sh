#!/usr/bin/env bash
# usage: scripts/archive-uri.sh [SUITE]
# Print the URI of the Debian archive this machine's apt configuration
# uses for SUITE (a source that serves "SUITE main"), or, when no source
# names SUITE, the one it uses for its own release (the codename in
# os-release): trixie-backports lives on the same archive as bookworm.
# A security suite lives on an archive of its own: without a source that
# names it, there is no URI to give.  From deb822 .sources files or one-line
# sources.list files.  The workbench never names an archive host itself.
# APT_ETC and OS_RELEASE override /etc/apt and /etc/os-release (tests).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -le 1 ] || die "usage: scripts/archive-uri.sh [SUITE]"
suite=${1:-}
etc=${APT_ETC:-/etc/apt}
osr=${OS_RELEASE:-/etc/os-release}
[ -r "$osr" ] || die "archive-uri: cannot read $osr"
codename=$(sed -n 's/^VERSION_CODENAME=//p' "$osr" | tr -d '"')
[ -n "$codename" ] || die "archive-uri: $osr names no VERSION_CODENAME"

files=()
[ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
for f in "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources; do
	[ -f "$f" ] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || die "archive-uri: no apt sources in $etc"

# One "URI SUITE..." line per source that has the main component, then
# the first whose suites include SUITE, else the codename itself.
uri=$(for f in "${files[@]}"; do
	case "$f" in
	*.sources)
		awk 'function flush() { if (uris != "" && types ~ /(^| )deb( |$)/ && comps ~ /(^| )main( |$)/ && enabled != "no")
				{ n = split(uris, u, " "); for (i = 1; i <= n; i++) print u[i], suites }
			uris = suites = comps = types = ""; enabled = "" }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ key = tolower($1); sub(/^[^:]*:[ \t]*/, "") }
		key == "types:" { types = $0 } key == "uris:" { uris = $0 }
		key == "suites:" { suites = $0 } key == "components:" { comps = $0 }
		key == "enabled:" { enabled = tolower($0) }
		END { flush() }' "$f" ;;
	*)
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" && NF >= 4 { for (i = 4; i <= NF; i++) if ($i == "main") { print $2, $3; break } }' ;;
	esac
done | awk -v s="$suite" -v c="$codename" '
	{ for (i = 2; i <= NF; i++) { if (s != "" && $i == s && !su) su = $1; if ($i == c && !cu) cu = $1 } }
	END { if (su) print su; else if (cu && s !~ /-security$/) print cu }')
if [ -z "$uri" ]; then
	case "$suite" in
	*-security) die "archive-uri: no apt source in $etc serves '$suite main' (a security suite is on an archive of its own)" ;;
	esac
	die "archive-uri: no apt source in $etc serves '${suite:+$suite main' or '}$codename main'"
fi
echo "${uri%/}"
