#!/usr/bin/env bash
# Builds the Debian package of inkeep-explorer, then proves it on this machine: installs it,
# runs `inkeep-explorer --version` and a built-in preset from PATH, purges it, and checks that
# nothing it installed is left. Run as root on Debian (it installs packages with apt-get).
#
# The package is put together by hand and built with plain `dpkg-deb --build` (no cargo-deb),
# so a fresh Debian machine needs only what this script installs:
#   usr/bin/inkeep-explorer                                 the release binary, stripped
#   usr/share/applications/inkeep-explorer.desktop          the menu entry
#   usr/share/icons/hicolor/<N>x<N>/apps/inkeep-explorer.png   icons (packaging/icon-sizes)
#   usr/share/icons/hicolor/scalable/apps/inkeep-explorer.svg
#   usr/share/metainfo/com.inkeep.explorer.metainfo.xml     AppStream metadata
#   usr/share/man/man1/inkeep-explorer{,-run,-serve}.1.gz    man pages from the clap definitions
#   usr/share/doc/inkeep-explorer/{copyright,changelog.gz}
# Debian's own triggers (hicolor icon cache, desktop database) run on install and removal, so
# the package has no maintainer scripts.
#
# The .deb goes to $CARGO_TARGET_DIR/debian/ (target/debian/ by default).
# Environment: CARGO_TARGET_DIR (honoured); SOURCE_DATE_EPOCH, when set, is the build date
# --version and About show (else the day of the build). It is not set here: the C compiler
# wrappers of the bundled libraries (SQLite, aws-lc) rebuild whenever it changes, and a new
# value per commit would rebuild them every time. KEEP_INSTALLED=1 leaves the package
# installed after the checks.
set -euo pipefail
cd "$(dirname "$0")/.."

name=inkeep-explorer
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
out_dir="$target_dir/debian"

say() { printf '== %s\n' "$*"; }
fail() {
  printf 'package.sh: %s\n' "$*" >&2
  exit 1
}

# --- Tools a fresh Debian machine may lack -----------------------------------------------
apt_packages=(build-essential pkg-config dpkg-dev desktop-file-utils appstream binutils gzip)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || fail "cargo is needed (install Rust with rustup first)"

# --- Build ----------------------------------------------------------------------------------
say "cargo build --release"
cargo build --release --locked --bin "$name"
bin="$target_dir/release/$name"
[[ -x "$bin" ]] || fail "no release binary at $bin"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[[ -n "$version" ]] || fail "no version in Cargo.toml"
arch=$(dpkg --print-architecture)
deb="$out_dir/${name}_${version}_${arch}.deb"

# --- Stage the file tree ----------------------------------------------------------------------
stage=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$stage" "$work"' EXIT
root="$stage/root"
mkdir -p "$root/DEBIAN"

install -Dm755 "$bin" "$root/usr/bin/$name"
strip --strip-unneeded "$root/usr/bin/$name"
install -Dm644 packaging/linux/$name.desktop "$root/usr/share/applications/$name.desktop"
install -Dm644 packaging/linux/com.inkeep.explorer.metainfo.xml \
  "$root/usr/share/metainfo/com.inkeep.explorer.metainfo.xml"
read -r -a sizes <packaging/icon-sizes
for size in "${sizes[@]}"; do
  install -Dm644 "assets/icon/$name-$size.png" "$root/usr/share/icons/hicolor/${size}x${size}/apps/$name.png"
done
install -Dm644 assets/icon/$name.svg "$root/usr/share/icons/hicolor/scalable/apps/$name.svg"

# Man pages, from the binary's own clap definitions.
"$bin" generate-man "$work/man"
for page in "$work"/man/*.1; do
  install -Dm644 "$page" "$root/usr/share/man/man1/$(basename "$page")"
  gzip -9n "$root/usr/share/man/man1/$(basename "$page")"
done

doc="$root/usr/share/doc/$name"
install -d "$doc"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $name

Files: *
Copyright: the $name authors
License: MIT
EOF
gzip -9nc CHANGELOG.md >"$doc/changelog.gz"
chmod 644 "$doc"/*

# --- Check what is staged ------------------------------------------------------------------
say "desktop-file-validate, appstreamcli validate"
desktop-file-validate "$root/usr/share/applications/$name.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/com.inkeep.explorer.metainfo.xml"
for size in "${sizes[@]}"; do
  file_size=$(od -An -tu1 -j16 -N8 "$root/usr/share/icons/hicolor/${size}x${size}/apps/$name.png" |
    awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
  [[ "$file_size" == "${size}x${size}" ]] || fail "icon ${size}x${size} is $file_size"
done

# --- Control file ------------------------------------------------------------------------------
# Shared-library dependencies as dpkg-shlibdeps finds them (it wants a debian/control).
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/$name" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n "$depends" ]] || fail "dpkg-shlibdeps found no dependencies"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: Inkeep Explorer maintainers <maintainers@inkeep-explorer.invalid>
Installed-Size: $installed_kb
Depends: $depends
Recommends: libgl1, libegl1, libxkbcommon-x11-0, xdg-utils
Suggests: gnome-keyring, xdg-desktop-portal-gtk
Section: utils
Priority: optional
Description: Desktop explorer for the Inkeep Analytics query API
 Build Inkeep Analytics queries with a form, run them, and read the answer as a
 sortable, searchable table or a chart. Presets, a run history, query tabs and
 exports to CSV, JSON and Excel; a built-in demo API with synthetic data works
 without a key. The window needs OpenGL (the Recommends); the command-line
 \`inkeep-explorer run\` does not. The API key is kept in a Secret Service
 keyring (gnome-keyring); the system file dialog comes from a desktop portal.
EOF
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)

mkdir -p "$out_dir"
say "dpkg-deb --build"
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
deb_bytes=$(stat -c %s "$deb")
dpkg-deb --contents "$deb" >"$out_dir/${name}_${version}_${arch}.contents"

# --- Install, run, purge ------------------------------------------------------------------
if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
  fail "$name is already installed; purge it first (apt-get purge $name) so the check starts clean"
fi
say "apt-get install $deb"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
installed_files=$(dpkg -L "$name")

# From PATH, in a private config dir: the check must not read or change a user's settings.
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
on_path=$(command -v "$name") || fail "$name is not on PATH after installing"
[[ "$on_path" == "/usr/bin/$name" ]] || fail "$name on PATH is $on_path, not the package's /usr/bin/$name"
say "$name --version"
installed_version=$("$name" --version)
echo "$installed_version"
built_version=$("$bin" --version)
[[ "$installed_version" == "$built_version" ]] || fail "installed: $installed_version; built: $built_version"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ "$installed_version" == *"commit $commit"* ]] || fail "--version does not name commit $commit"

preset="Conversations by source"
say "$name run --demo --preset \"$preset\""
"$name" run --demo --preset "$preset" --demo-rows 2000 >"$work/run.csv"
head -n 3 "$work/run.csv"
rows=$(($(wc -l <"$work/run.csv") - 1))
((rows > 0)) || fail "the preset returned no rows"
zcat "/usr/share/man/man1/$name.1.gz" | grep -q '^\.TH' || fail "the man page is not roff"

if [[ "${KEEP_INSTALLED:-0}" == 1 ]]; then
  say "left installed (KEEP_INSTALLED=1)"
else
  say "apt-get purge $name"
  apt-get purge -y -qq "$name" >/dev/null
  if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "installed"; then
    fail "$name is still known to dpkg after the purge"
  fi
  dpkg -L "$name" >/dev/null 2>&1 && fail "dpkg still lists files of $name"
  left=()
  while IFS= read -r path; do
    # Shared directories (/usr/share/icons/hicolor/…) stay; every file and every directory of
    # this package's own must be gone.
    if [[ -f "$path" || -L "$path" ]]; then
      left+=("$path")
    fi
  done <<<"$installed_files"
  [[ -e "/usr/share/doc/$name" ]] && left+=("/usr/share/doc/$name")
  ((${#left[@]} == 0)) || fail "left behind after the purge: ${left[*]}"
  hash -r
  command -v "$name" >/dev/null && fail "$name is still on PATH"
  say "purged; nothing left"
fi

printf '\n%s (%s bytes, %s KiB installed)\n' "$deb" "$deb_bytes" "$installed_kb"
grep -v '/$' "$out_dir/${name}_${version}_${arch}.contents" | awk '{print $3, $6}'
