# Sourced by the rig tests in tests/rig/ (it is not a test: not executable).
# Each test is one executable script: exit 0 = pass, 1 = fail, 4 = skip,
# its output is its log (scripts/check names it rig_BASENAME). Tests work
# on copies in a temporary directory, removed at exit.
# shellcheck shell=bash
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# What a test sets for one command only must not leak in from outside.
unset RIG_SRC RIG_BASE_SRC RIG_PATCHES RIG_LOCK_WAIT KSRC
T=$(mktemp -d /tmp/rigtest.XXXXXX)
_kill_pgs=
# kill_at_exit PGID: stop that process group when the test ends.
kill_at_exit() { _kill_pgs="$_kill_pgs $1"; }
_cleanup() {
	local pg
	for pg in $_kill_pgs; do kill -KILL -- "-$pg" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 4; }
pass() { echo "PASS: $*"; exit 0; }

# mini_root DIR: a copy of the rig (scripts, configs, base pin, tools,
# Makefile, the selftest list) with no build/ and no out/: what a fresh
# clone has, in a place the test may change.
mini_root() {
	mkdir -p "$1/tests"
	cp -a "$ROOT/scripts" "$ROOT/configs" "$ROOT/base" "$ROOT/tools" "$ROOT/Makefile" "$1/"
	cp "$ROOT/tests/kvm-selftests.list" "$1/tests/"
}

# stub_kernel DIR [RECIPE]: a stand-in kernel tree for scripts/build-kernel:
# configuring concatenates the fragments into .config, and 'make bzImage'
# runs the shell RECIPE (make syntax; default: make the bzImage file).
stub_kernel() {
	local d=$1 recipe=${2:-'mkdir -p $(O)/arch/x86/boot && echo stub >$(O)/arch/x86/boot/bzImage'}
	mkdir -p "$d/scripts/kconfig"
	cat >"$d/scripts/kconfig/merge_config.sh" <<'EOS'
#!/bin/sh
# stub: merge_config.sh -m -O DIR BASE FRAGMENT...: BASE + the fragments
shift 3
cat "$@" >"$KCONFIG_CONFIG.new" && mv "$KCONFIG_CONFIG.new" "$KCONFIG_CONFIG"
EOS
	chmod +x "$d/scripts/kconfig/merge_config.sh"
	printf '%s\n' '# stub kernel tree of a rig test' 'O ?= .' \
		'tinyconfig olddefconfig:' '	@mkdir -p $(O) && touch $(O)/.config' \
		'bzImage:' "	@$recipe" >"$d/Makefile"
}

# alive PID: is the process there (and not a zombie)?
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds (status
# 0) or SECONDS pass (status 1).
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
