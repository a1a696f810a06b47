#!/usr/bin/env bash
# Builds the .deb with cpack into a scratch folder and checks it: control fields, dependencies
# against what the binary links, the file list, conffiles and maintainer scripts; then installs
# it with `dpkg --root` into a scratch root (never the real system), checks the conffile survives
# a reinstall, removes and purges it. Then does the same for `cmake --install` with DESTDIR.
# Exit 77 (skipped) only when cpack's DEB tools are missing.
set -euo pipefail

build=${1:?usage: check-package.sh BUILD_DIR SOURCE_DIR VERSION CONFIG_DIR}
source_dir=${2:?}
version=${3:?}
config_dir=${4:?}

for tool in cpack dpkg dpkg-deb dpkg-shlibdeps objdump file; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done
[[ -x $build/daemon/app/chuhai ]] || { echo "FAIL: $build/daemon/app/chuhai is not built"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/chuhai-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}
# A command failing under `set -e` would otherwise end the check without a word.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited with $?"' ERR

# Nothing here may touch the real system: these paths must not appear on the host.
host_paths=("$config_dir" /usr/bin/chuhai /usr/lib/systemd/system/chuhai.service
    /usr/local/bin/chuhai /usr/local/lib/systemd/system/chuhai.service)
absent_before=()
for path in "${host_paths[@]}"; do
    [[ -e $path ]] || absent_before+=("$path")
done
check_host_untouched() {
    for path in "${absent_before[@]}"; do
        [[ ! -e $path ]] || fail "$path appeared on the host"
    done
}

expect_file() { [[ -f $1 ]] || fail "missing $1"; }

echo "== cpack"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 ||
    { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb=$(ls "$scratch"/out/*.deb)
arch=$(dpkg --print-architecture)
[[ $(basename "$deb") == "chuhai_${version}_${arch}.deb" ]] || fail "unexpected name $(basename "$deb")"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
check_host_untouched

echo "== control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == chuhai ]] || fail "Package is '$(field Package)'"
[[ $(field Version) == "$version" ]] || fail "Version is '$(field Version)'"
[[ $(field Architecture) == "$arch" ]] || fail "Architecture is '$(field Architecture)'"
[[ -n $(field Maintainer) ]] || fail "no Maintainer"
[[ -n $(field Description) ]] || fail "no Description"
[[ $(field Section) == net ]] || fail "Section is '$(field Section)'"
depends=$(field Depends)
echo "Depends: $depends"
# One package name per line, without version constraints.
depends_names=$(tr ',|' '\n\n' <<<"$depends" | sed -E 's/\(.*\)//; s/[[:space:]]//g')
# shlibdeps must have found a package for every library the binary links.
binary="$build/daemon/app/chuhai"
# ldd names the file the loader really picks (ldconfig -p may list a 32-bit twin first). The
# package database may record that file under /lib or /usr/lib (merged /usr), by the name the
# loader uses or the versioned file it points to, so every spelling is tried.
owning_package() {
    local resolved candidates=() candidate
    resolved=$(readlink -f "$1")
    for candidate in "$1" "$resolved"; do
        candidates+=("$candidate")
        case $candidate in
        /usr/*) candidates+=("${candidate#/usr}") ;;
        *) candidates+=("/usr$candidate") ;;
        esac
    done
    for candidate in "${candidates[@]}"; do
        dpkg -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -1 | cut -d: -f1 && return 0
    done
    return 0
}
ldd "$binary" >"$scratch/ldd"
for soname in $(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }'); do
    path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3; exit }' "$scratch/ldd")
    [[ -n $path && $path == /* ]] || fail "the loader cannot find $soname"
    package=$(owning_package "$path")
    [[ -n $package ]] || fail "no package owns $path ($soname)"
    # Depends may name the package or a virtual package it provides (libspdlog1.10-fmt9).
    names="$package $(dpkg-query -W -f='${Provides}' "$package" | sed -E 's/ \([^)]*\)//g; s/,/ /g')"
    found=no
    for name in $names; do
        grep -qxF -- "$name" <<<"$depends_names" && found=yes
    done
    [[ $found == yes ]] || fail "$soname comes from $package, which Depends does not name"
done

echo "== files"
dpkg-deb -c "$deb" | awk '{ print $NF }' >"$scratch/files"
for path in ./usr/bin/chuhai ./usr/lib/systemd/system/chuhai.service \
    ".${config_dir}/chuhai.yaml" ./usr/share/doc/chuhai/operations.md \
    ./usr/share/doc/chuhai/copyright; do
    grep -qxF "$path" "$scratch/files" || fail "the package lacks $path"
done
# The unit's Documentation= is the operations guide the package installs.
documentation=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/chuhai.service |
    sed -n 's/^Documentation=//p')
[[ $documentation == file:///usr/share/doc/chuhai/operations.md ]] ||
    fail "the unit's Documentation= is '$documentation', not the installed operations.md"
rules_count=0
if [[ -d $source_dir/rules ]]; then
    while IFS= read -r rule; do
        grep -qxF ".${config_dir}/rules/${rule}" "$scratch/files" || fail "the package lacks rule $rule"
        rules_count=$((rules_count + 1))
    done < <(cd "$source_dir/rules" && find . -type f | sed 's|^\./||')
fi
echo "$(wc -l <"$scratch/files") entries, $rules_count default rule files"

echo "== control archive"
dpkg-deb -e "$deb" "$scratch/control"
grep -qxF "${config_dir}/chuhai.yaml" "$scratch/control/conffiles" || fail "chuhai.yaml is not a conffile"
[[ $(wc -l <"$scratch/control/conffiles") -eq $((rules_count + 1)) ]] ||
    fail "conffiles should list the config and each rule file"
for script in "$scratch"/control/{preinst,postinst,prerm,postrm}; do
    [[ -f $script ]] || continue
    if grep -En 'systemctl.*(enable|start|restart)|deb-systemd-(helper|invoke)|invoke-rc.d' "$script"; then
        fail "$(basename "$script") starts or enables something"
    fi
done

echo "== dpkg --root into a scratch root"
root="$scratch/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg_root() {
    dpkg --root="$root" --log="$scratch/dpkg.log" --force-not-root --force-depends \
        --force-script-chrootless --force-confold --force-confdef "$@" </dev/null
}
dpkg_root -i "$deb" >"$scratch/install.log" 2>&1 || { cat "$scratch/install.log"; fail "dpkg -i failed"; }
[[ -x $root/usr/bin/chuhai ]] || fail "no executable /usr/bin/chuhai"
"$root/usr/bin/chuhai" --version | grep -qxF "chuhai $version" || fail "the installed binary does not run"
unit="$root/usr/lib/systemd/system/chuhai.service"
expect_file "$unit"
grep -qxF "ExecStart=/usr/bin/chuhai run --config ${config_dir}/chuhai.yaml" "$unit" ||
    fail "ExecStart does not name the installed binary: $(grep ExecStart= "$unit")"
expect_file "$root${config_dir}/chuhai.yaml"
cmp -s "$root${config_dir}/chuhai.yaml" "$source_dir/systemd/chuhai.yaml.example" ||
    fail "the installed config is not the example"
first_rule=""
if [[ $rules_count -gt 0 ]]; then
    first_rule=$(cd "$source_dir/rules" && find . -type f | sed 's|^\./||' | sort | head -1)
    cmp -s "$root${config_dir}/rules/$first_rule" "$source_dir/rules/$first_rule" ||
        fail "rule $first_rule is not installed where the config points"
fi
# The installed unit is the one the systemd_unit test verifies and rates, but for the two lines
# that name install paths (ExecStart= and Documentation=).
diff <(grep -Ev '^(ExecStart|Documentation)=' "$unit") \
    <(grep -Ev '^(ExecStart|Documentation)=' "$build/systemd/test/chuhai.service") ||
    fail "the installed unit differs from the checked one"
[[ ! -e $root/etc/systemd ]] || fail "something enabled the unit"

echo "== a changed conffile survives reinstalling"
echo "# changed by the administrator" >>"$root${config_dir}/chuhai.yaml"
dpkg_root -i "$deb" >"$scratch/reinstall.log" 2>&1 || { cat "$scratch/reinstall.log"; fail "reinstall failed"; }
tail -1 "$root${config_dir}/chuhai.yaml" | grep -qxF "# changed by the administrator" ||
    fail "reinstalling overwrote the administrator's configuration"

echo "== remove keeps the configuration, purge removes it"
dpkg_root -r chuhai >"$scratch/remove.log" 2>&1 || { cat "$scratch/remove.log"; fail "dpkg -r failed"; }
[[ ! -e $root/usr/bin/chuhai ]] || fail "remove left the binary"
[[ ! -e $unit ]] || fail "remove left the unit"
expect_file "$root${config_dir}/chuhai.yaml"
dpkg_root -P chuhai >"$scratch/purge.log" 2>&1 || { cat "$scratch/purge.log"; fail "dpkg -P failed"; }
[[ ! -e $root${config_dir}/chuhai.yaml ]] || fail "purge left the configuration"

echo "== cmake --install with DESTDIR keeps an existing configuration"
destdir="$scratch/destdir"
DESTDIR=$destdir cmake --install "$build" --prefix /usr >"$scratch/cmake-install.log" 2>&1 ||
    { cat "$scratch/cmake-install.log"; fail "cmake --install failed"; }
[[ -x $destdir/usr/bin/chuhai ]] || fail "cmake --install: no /usr/bin/chuhai"
grep -qxF "ExecStart=/usr/bin/chuhai run --config ${config_dir}/chuhai.yaml" \
    "$destdir/usr/lib/systemd/system/chuhai.service" || fail "cmake --install: wrong ExecStart"
expect_file "$destdir${config_dir}/chuhai.yaml"
echo "# local" >>"$destdir${config_dir}/chuhai.yaml"
if [[ -n $first_rule ]]; then
    expect_file "$destdir${config_dir}/rules/$first_rule"
    echo "# local" >>"$destdir${config_dir}/rules/$first_rule"
fi
DESTDIR=$destdir cmake --install "$build" --prefix /usr >"$scratch/cmake-install2.log" 2>&1 ||
    { cat "$scratch/cmake-install2.log"; fail "second cmake --install failed"; }
tail -1 "$destdir${config_dir}/chuhai.yaml" | grep -qxF "# local" ||
    fail "cmake --install overwrote an existing configuration"
grep -q "Keeping existing" "$scratch/cmake-install2.log" || fail "cmake --install did not say it kept the file"
if [[ -n $first_rule ]]; then
    tail -1 "$destdir${config_dir}/rules/$first_rule" | grep -qxF "# local" ||
        fail "cmake --install overwrote an edited rule file"
fi

check_host_untouched
echo "PASS"
