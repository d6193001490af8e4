# Common helpers for the rig's scripts. Source it; do not run it.
# shellcheck shell=bash

set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
SRC=${RIG_SRC:-$BUILD/src}	# the series work tree (branch 'series' on tag 'base')
BASE_SRC=${RIG_BASE_SRC:-$BUILD/base}	# a detached worktree of tag 'base', for A/B builds
PATCHES=${RIG_PATCHES:-$ROOT/patches}	# the series: format-patch files + 'series'
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

# rig_help: print the script's header comment (from line 2 to the first
# line that is not a comment), the script's --help.
rig_help() { awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; }

# usage_die MESSAGE: a command-line error: the message, how to get help,
# exit status 2.
usage_die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	printf '%s: usage: %s\n' "$PROG" "$(rig_help | sed -n '1{s/: .*//;p}')" >&2
	printf '%s: see %s --help\n' "$PROG" "$0" >&2
	exit 2
}

# need_arg "$@": in an option loop, before 'shift 2': fail with a usage
# message when the option in $1 has no value (none left, or the next word
# is another option).
need_arg() {
	[ $# -ge 2 ] && [ -n "$2" ] && case $2 in -*) false ;; esac ||
		usage_die "option $1 needs a value"
}

# Cleanup on exit. at_exit CMD: run CMD (eval'ed) when the script exits,
# also on Ctrl-C (INT), TERM and HUP, latest registered first. Scripts use
# this instead of 'trap ... EXIT', which would replace the others.
_rig_at_exit=()
at_exit() { _rig_at_exit+=("$*"); }
_rig_run_exit() {
	local i
	_rl_stop
	_rw_stop
	for ((i = ${#_rig_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_rig_at_exit[i]}"
	done
	_rig_at_exit=()
}
trap _rig_run_exit EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM
trap 'exit 129' HUP

# rig_lock: take this clone's lock, build/rig.lock, for this process and
# everything it starts (they inherit it, and RIG_LOCKED, the clone's
# build/ directory, tells the scripts and makes they start that they hold
# it: their rig_lock returns at once). A second 'make check', 'make run', ... in
# the same clone is refused, naming the holder; with RIG_LOCK_WAIT=1 it
# waits for it instead. The lock goes when the holder exits.
rig_lock() {
	local lock=$BUILD/rig.lock who me
	mkdir -p "$BUILD" || die "cannot create $BUILD"
	me=$(cd "$BUILD" && pwd -P)	# what the Makefile compares (realpath)
	[ "${RIG_LOCKED:-}" = "$me" ] && return 0
	exec {_rig_lock_fd}>>"$lock" || die "cannot open $lock"
	if ! flock -n "$_rig_lock_fd"; then
		who=$(cat "$lock" 2>/dev/null)
		if [ "${RIG_LOCK_WAIT:-}" = 1 ]; then
			say "waiting for the rig's lock, held by ${who:-another process}"
			flock "$_rig_lock_fd" || die "cannot take $lock"
		else
			die "another rig run holds this clone's lock ($lock): ${who:-another process}. Wait for it to end (or stop it), or set RIG_LOCK_WAIT=1 to wait"
		fi
	fi
	printf 'pid %s (%s), since %s\n' "$$" "${RIG_LOCK_WHAT:-$PROG}" "$(date -u '+%F %T UTC')" >"$lock"
	export RIG_LOCKED=$me
}

elapsed() { local s=$(( $(date +%s) - ${1:-$_rig_t0} )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# stage NAME: announce a stage; stage_done: say how long it took.
stage() { _stage_name=$1; _stage_t0=$(date +%s); say "[$1] ..."; }
stage_done() { say "[$_stage_name] done in $(elapsed "$_stage_t0")"; }

apt_updated=
# apt_lock, apt_unlock: hold the host's lock for the rig's apt-get and
# dpkg runs (another rig run, or a background build of the same run:
# scripts/check's CHECK_BG; two apt-get runs at once fail on dpkg's own
# lock). /var/lock is /run/lock on Debian, which a fresh /run may lack.
APT_LOCK=/var/lock/rig-apt.lock
apt_lock() {
	[ -d /var/lock ] || mkdir -p /run/lock 2>/dev/null || mkdir -p /var/lock ||
		die "cannot create /var/lock for $APT_LOCK"
	exec {_apt_lock_fd}>>"$APT_LOCK" || die "cannot open $APT_LOCK"
	if ! flock -n "$_apt_lock_fd"; then
		say "waiting for $APT_LOCK (another apt-get of the rig's: $(cat "$APT_LOCK" 2>/dev/null))"
		flock "$_apt_lock_fd" || die "cannot take $APT_LOCK"
	fi
	printf 'pid %s (%s)\n' "$$" "$PROG" >"$APT_LOCK"
}
apt_unlock() { [ -z "${_apt_lock_fd:-}" ] || exec {_apt_lock_fd}>&-; _apt_lock_fd=; }
# missing_pkgs LIST: the packages of a pkg:probe LIST whose probe is absent.
missing_pkgs() {
	local ent pkg probe
	for ent in $1; do
		pkg=${ent%%:*} probe=${ent#*:}
		case $probe in
		/*) [ -e "$probe" ] && continue ;;
		*) command -v "$probe" >/dev/null 2>&1 && continue ;;
		esac
		printf ' %s' "$pkg"
	done
}
# need_pkgs: install whatever of RIG_PKGS (or the given pkg:probe list) is
# missing. A probe is a command name or an absolute path.
need_pkgs() {
	local list=${1:-$RIG_PKGS} missing
	missing=$(missing_pkgs "$list")
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (install them as root)"
	apt_lock
	missing=$(missing_pkgs "$list")	# (installed while we waited?)
	[ -z "$missing" ] && { apt_unlock; return 0; }
	say "installing from Debian's archive:$missing"
	mkdir -p "$LOGDIR"
	if [ -z "$apt_updated" ]; then
		apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1 ||
			die "apt-get update failed; see $LOGDIR/apt-update.log"
		apt_updated=1
	fi
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >"$LOGDIR/apt-install.log" 2>&1 ||
		die "apt-get install$missing failed; see $LOGDIR/apt-install.log"
	apt_unlock
}

# run_logged LOG CMD...: run CMD with its output in LOG, print a heartbeat
# with the elapsed time every 30 s, and on failure the log's tail and path.
# CMD runs in a process group of its own (a make -j and all its jobs), which
# is stopped when this script exits, is interrupted (Ctrl-C) or terminated:
# nothing keeps building into the output directory behind the user's back.
_rl_pgid=
_rl_stop() {
	local pg=$_rl_pgid i
	[ -n "$pg" ] || return 0
	_rl_pgid=
	kill -TERM -- "-$pg" 2>/dev/null || return 0
	say "stopping the background job (process group $pg)"
	wait "$pg" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		kill -0 -- "-$pg" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -KILL -- "-$pg" 2>/dev/null
}
run_logged() {
	local log=$1 pid t0 rc last=0 now
	shift
	mkdir -p "$(dirname "$log")"
	t0=$(date +%s)
	# set -m: the job leads a process group of its own (CMD may be a shell
	# function). Ctrl-C on the terminal reaches this script, whose exit
	# stops the whole group (_rig_run_exit).
	set -m
	"$@" >"$log" 2>&1 </dev/null &
	pid=$!
	set +m
	_rl_pgid=$pid
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
	_rl_pgid=
	if [ "$rc" != 0 ]; then
		tail -n 25 "$log" | sed 's/^/  | /' >&2
		say "failed (exit $rc); full log: $log"
	fi
	return "$rc"
}

# run_waited CMD...: run CMD (a guest run, say) as a child this script
# waits for with 'wait', which a signal interrupts (bash runs no trap while
# a foreground command runs), and which is sent SIGTERM when the script
# exits, is interrupted or terminated. CMD's stdin is /dev/null.
_rw_pid=
_rw_stop() {
	local pid=$_rw_pid
	[ -n "$pid" ] || return 0
	_rw_pid=
	kill -TERM "$pid" 2>/dev/null && say "stopping $pid" && wait "$pid" 2>/dev/null
	return 0
}
run_waited() {
	local rc
	"$@" </dev/null &
	_rw_pid=$!
	wait "$_rw_pid"
	rc=$?
	_rw_pid=
	return $rc
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
# kernel_out KIND FLAVOUR [ARCH]: arm64 builds go to .rig-out/arm64-FLAVOUR
# (linked from build/out/kernel-KIND-arm64-FLAVOUR).
kernel_out() {
	case ${3:-x86_64} in
	x86_64) echo "$(kernel_src "$1")/.rig-out/$2" ;;
	*) echo "$(kernel_src "$1")/.rig-out/$3-$2" ;;
	esac
}
# selftests_out KIND [ARCH]: build/out/selftests-KIND (x86_64) or
# build/out/selftests-KIND-ARCH.
selftests_out() { echo "$OUTDIR/selftests-$1$(arch_sfx "${2:-}")"; }

# Target architectures: x86_64 (the default) and arm64 (cross-built with
# Debian's gcc-aarch64-linux-gnu, booted with qemu-system-aarch64).
# arch_sfx ARCH: what the names of an arch's outputs get ("" for x86_64,
# "-arm64"), so that they never collide with the x86 ones.
check_arch() { case $1 in x86_64|arm64) ;; *) die "unknown arch '$1' (x86_64 or arm64)" ;; esac; }
arch_sfx() { case ${1:-x86_64} in x86_64) ;; *) echo "-$1" ;; esac; }
# arch_cross ARCH: the cross-compiler prefix ("" for x86_64).
arch_cross() { case ${1:-x86_64} in arm64) echo aarch64-linux-gnu- ;; esac; }
# The arm64 cross toolchain (with a static libc for the selftests) and QEMU.
RIG_PKGS_ARM64="gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc
libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/lib/libc.a"
RIG_PKGS_QEMU_ARM64="qemu-system-arm:qemu-system-aarch64"

check_kind() { case $1 in base|series) ;; *) die "unknown kernel '$1' (base or series)" ;; esac; }
# Flavours: debug (the tests), perf (benchmarks), and debug plus a
# sanitizer or preemption model: kasan, kcsan, rt (make soak).
FLAVOURS="debug perf kasan kcsan rt"
# check_flavour FLAVOUR [ARCH]: arm64 has debug and perf only.
check_flavour() {
	case $1 in debug|perf|kasan|kcsan|rt) ;;
	*) die "unknown flavour '$1' (one of: $FLAVOURS)" ;; esac
	case ${2:-x86_64}:$1 in
	x86_64:*|arm64:debug|arm64:perf) ;;
	*) die "flavour '$1' is not there for $2 (debug or perf)" ;;
	esac
}
# flavour_frags FLAVOUR: the config fragments of a flavour, in merge order
# (a later fragment's value of an option wins): common + FLAVOUR for debug
# and perf, common + debug + FLAVOUR for the sanitizer/RT flavours.
# flavour_frags FLAVOUR arm64: common + arm64/common + FLAVOUR +
# arm64/FLAVOUR (configs/arm64/ turns off the x86-only options and adds
# the virt machine's).
flavour_frags() {
	case ${2:-x86_64}:$1 in
	arm64:*) echo "$ROOT/configs/common.config $ROOT/configs/arm64/common.config" \
		"$ROOT/configs/$1.config $ROOT/configs/arm64/$1.config" ;;
	*:debug|*:perf) echo "$ROOT/configs/common.config $ROOT/configs/$1.config" ;;
	*) echo "$ROOT/configs/common.config $ROOT/configs/debug.config $ROOT/configs/$1.config" ;;
	esac
}

# need_busybox_arm64: a static arm64 busybox for the arm64 initramfs, in
# build/out/busybox-arm64/busybox: Debian's busybox-static:arm64,
# downloaded (arm64 added as a foreign architecture for that) and unpacked
# with dpkg-deb, so that no arm64 package is installed on the host.
BUSYBOX_ARM64=$OUTDIR/busybox-arm64/busybox
need_busybox_arm64() {
	local tmp deb
	[ -x "$BUSYBOX_ARM64" ] && return 0
	[ "$(id -u)" = 0 ] || die "no arm64 busybox at $BUSYBOX_ARM64 (run as root to fetch Debian's busybox-static:arm64)"
	mkdir -p "$LOGDIR" "$OUTDIR/busybox-arm64"
	tmp=$(mktemp -d)
	at_exit "rm -rf '$tmp'"
	say "fetching busybox-static:arm64 from Debian's archive"
	apt_lock
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
		apt_updated=
	fi
	if ! (cd "$tmp" && apt-get download busybox-static:arm64) >"$LOGDIR/apt-busybox-arm64.log" 2>&1; then
		apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1 ||
			die "apt-get update failed; see $LOGDIR/apt-update.log"
		apt_updated=1
		(cd "$tmp" && apt-get download busybox-static:arm64) >"$LOGDIR/apt-busybox-arm64.log" 2>&1 ||
			die "apt-get download busybox-static:arm64 failed; see $LOGDIR/apt-busybox-arm64.log"
	fi
	apt_unlock
	deb=$(ls "$tmp"/busybox-static_*_arm64.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] && dpkg-deb -x "$deb" "$tmp/x" || die "cannot unpack $deb"
	cp "$tmp/x/bin/busybox" "$BUSYBOX_ARM64.tmp" && mv "$BUSYBOX_ARM64.tmp" "$BUSYBOX_ARM64" ||
		die "cannot install $BUSYBOX_ARM64"
	say "arm64 busybox: $BUSYBOX_ARM64 (from $(basename "$deb"))"
}

# ccache shared between clones: paths below the repository are hashed
# relative to it.
export CCACHE_BASEDIR=$ROOT
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}

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
# is re-created (commit id, blob ids, signature), concatenated (blank
# lines) or numbered in a series of another length ("[PATCH 2/16]", and
# the Subject: header folded at another place).
norm_patch() {
	awk '/^Subject: / { s = $0; sub(/^Subject: \[PATCH[^]]*\] /, "Subject: ", s); insub = 1; next }
		insub && /^ / { s = s $0; next }
		insub { print s; insub = 0 }
		{ print }
		END { if (insub) print s }' |
		grep -vE '^(From [0-9a-f]{40} |index [0-9a-f]+\.\.[0-9a-f]+|-- $|[0-9]+\.[0-9]+(\.[0-9]+)*$|$)'
}

# series_matches TREE DIR [N]: does branch 'series' of TREE hold exactly
# the patches of DIR (with N: exactly the first N of them)?
series_matches() {
	local tree=$1 dir=$2 n=${3:-} a b list
	list=$(series_list "$dir") || return 2
	[ -n "$n" ] && list=$(printf '%s\n' "$list" | head -n "$n")
	a=$(git -C "$tree" format-patch --stdout --no-signature base..series | norm_patch | md5sum)
	b=$(cd "$dir" && printf '%s\n' "$list" | while read -r p; do [ -z "$p" ] || cat "$p"; done |
		norm_patch | md5sum)
	[ "$a" = "$b" ]
}

# apply_series TREE DIR [git am options]: apply DIR's series to TREE's
# current branch with git am. On failure name the patch and the hunk that
# failed, abort the am and return 1; also when DIR/series is missing or
# lists a file that does not exist. Sets APPLIED (the number of patches
# applied) and FAILED_PATCH (the one that did not apply, or nothing).
apply_series() {
	local tree=$1 dir=$2 p list log out line file lineno
	shift 2
	APPLIED=0 FAILED_PATCH=
	# Not 'for p in $(series_list ...)': its failure would be lost.
	list=$(series_list "$dir") || return 1
	log=$(mktemp)
	at_exit "rm -f '$log'"
	for p in $list; do
		if ! git -C "$tree" am -q "$@" "$dir/$p" >"$log" 2>&1; then
			FAILED_PATCH=$p
			say "patch $((APPLIED + 1)), $p, does not apply:"
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
		APPLIED=$((APPLIED + 1))
	done
	rm -f "$log"
	say "applied $APPLIED patch(es) from $dir"
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
