# Common helpers for the rig's scripts. Source it; do not run it.
# shellcheck shell=bash

set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
SRC=${RIG_SRC:-$BUILD/src}	# the series work tree (branch 'series' on tag 'base')
BASE_SRC=$BUILD/base		# a detached worktree of tag 'base', for A/B builds
OUTDIR=$BUILD/out
LOGDIR=$BUILD/logs
PIN=$ROOT/base/linux-source.pin
NPROC=$(nproc)

# Packages the rig needs from Debian's archive, by the command that shows
# they are there.
RIG_PKGS="qemu-system-x86:qemu-system-x86_64 busybox-static:/bin/busybox
ccache:ccache flex:flex bison:bison bc:bc libelf-dev:/usr/include/libelf.h
libssl-dev:/usr/include/openssl/ssl.h cpio:cpio rsync:rsync xz-utils:xz
git:git make:make gcc:gcc perl:perl python3:python3"

_rig_t0=$(date +%s)
PROG=${PROG:-$(basename "$0")}

say()  { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: WARNING: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

elapsed() { local s=$(( $(date +%s) - ${1:-$_rig_t0} )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# stage NAME: announce a stage; stage_done: say how long it took.
stage() { _stage_name=$1; _stage_t0=$(date +%s); say "[$1] ..."; }
stage_done() { say "[$_stage_name] done in $(elapsed "$_stage_t0")"; }

apt_updated=
# need_pkgs: install whatever of RIG_PKGS (or the given pkg:probe list) is
# missing. A probe is a command name or an absolute path.
need_pkgs() {
	local list=${1:-$RIG_PKGS} missing= ent pkg probe
	for ent in $list; do
		pkg=${ent%%:*} probe=${ent#*:}
		case $probe in
		/*) [ -e "$probe" ] && continue ;;
		*) command -v "$probe" >/dev/null 2>&1 && continue ;;
		esac
		missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (install them as root)"
	say "installing from Debian's archive:$missing"
	if [ -z "$apt_updated" ]; then
		apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1 ||
			die "apt-get update failed; see $LOGDIR/apt-update.log"
		apt_updated=1
	fi
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >"$LOGDIR/apt-install.log" 2>&1 ||
		die "apt-get install$missing failed; see $LOGDIR/apt-install.log"
}

# run_logged LOG CMD...: run CMD with its output in LOG, print a heartbeat
# with the elapsed time every 30 s, and on failure the log's tail and path.
run_logged() {
	local log=$1 pid t0 rc last=0 now
	shift
	mkdir -p "$(dirname "$log")"
	t0=$(date +%s)
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		if [ $((now - last)) -ge 30 ] && [ $((now - t0)) -ge 30 ]; then
			last=$now
			say "  ... $(elapsed "$t0") elapsed, $(wc -l <"$log") log lines"
		fi
	done
	wait "$pid"
	rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 25 "$log" | sed 's/^/  | /' >&2
		say "failed (exit $rc); full log: $log"
	fi
	return "$rc"
}

# kernel_src KIND: the source tree of the base or the series kernel.
kernel_src() {
	case $1 in
	series) echo "$SRC" ;;
	base) echo "$BASE_SRC" ;;
	*) die "unknown kernel '$1' (base or series)" ;;
	esac
}

# kernel_out KIND FLAVOUR: a kernel's build directory. It lives inside its
# source tree, so that the compiler sees the same relative paths for the
# base and the series tree and ccache (CCACHE_BASEDIR) serves one build from
# the other's results; build/out/kernel-KIND-FLAVOUR links to it.
kernel_out() { echo "$(kernel_src "$1")/.rig-out/$2"; }
selftests_out() { echo "$OUTDIR/selftests-$1"; }

check_kind() { case $1 in base|series) ;; *) die "unknown kernel '$1' (base or series)" ;; esac; }
check_flavour() { case $1 in debug|perf) ;; *) die "unknown flavour '$1' (debug or perf)" ;; esac; }

# ccache shared between clones: paths below the repository are hashed
# relative to it.
export CCACHE_BASEDIR=$ROOT
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}

mkdir -p "$LOGDIR"

# series_list DIR: the patch file names of DIR/series, in order; fails
# naming a listed file that does not exist.
series_list() {
	local dir=$1 p
	[ -f "$dir/series" ] || die "$dir/series is missing"
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		[ -f "$dir/$p" ] || die "$dir/series lists $p, which does not exist"
		echo "$p"
	done <"$dir/series"
}

# norm_patch: a patch's content without what changes when the same commit
# is re-created (commit id, blob ids, signature) or concatenated (blank
# lines).
norm_patch() { grep -vE '^(From [0-9a-f]{40} |index [0-9a-f]+\.\.[0-9a-f]+|-- $|[0-9]+\.[0-9]+(\.[0-9]+)*$|$)'; }

# series_matches TREE DIR: does branch 'series' of TREE hold exactly the
# patches of DIR?
series_matches() {
	local tree=$1 dir=$2 a b
	a=$(git -C "$tree" format-patch --stdout --no-signature base..series | norm_patch | md5sum)
	b=$(cd "$dir" && series_list . | while read -r p; do cat "$p"; done | norm_patch | md5sum)
	[ "$a" = "$b" ]
}

# apply_series TREE DIR [git am options]: apply DIR's series to TREE's
# current branch with git am. On failure name the patch and the hunk that
# failed, abort the am and return 1.
apply_series() {
	local tree=$1 dir=$2 p n=0 log out line file lineno
	shift 2
	log=$(mktemp)
	for p in $(series_list "$dir"); do
		n=$((n + 1))
		if ! git -C "$tree" am -q "$@" "$dir/$p" >"$log" 2>&1; then
			say "patch $n, $p, does not apply:"
			sed 's/^/  | /' "$log" >&2
			# "error: patch failed: FILE:LINE" names the hunk by the
			# line it starts at in the old file.
			grep -o 'patch failed: .*:[0-9]*' "$log" | while read -r _ _ line; do
				file=${line%:*} lineno=${line##*:}
				out=$(awk -v f="$file" -v l="$lineno" '
					/^diff --git / { cur = $3; sub(/^a\//, "", cur) }
					cur == f && $0 ~ "^@@ -" l "[, ]" { print; exit }' "$dir/$p")
				say "  failing hunk in $file: ${out:-(line $lineno)}"
			done
			git -C "$tree" am --abort >/dev/null 2>&1
			rm -f "$log"
			return 1
		fi
	done
	rm -f "$log"
	say "applied $n patch(es) from $dir"
}

# tree_is_clean TREE: refuse (return 1, saying why) when TREE has work that
# a checkout would lose.
tree_is_clean() {
	local tree=$1
	if [ -d "$tree/.git/rebase-apply" ] || [ -d "$tree/.git/rebase-merge" ]; then
		say "$tree has a git am or rebase in progress; finish or abort it first"
		return 1
	fi
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		say "$tree has uncommitted changes:"
		git -C "$tree" status --short --untracked-files=no | head -20 >&2
		say "commit them (git commit / git commit --fixup) or stash them first"
		return 1
	fi
}
