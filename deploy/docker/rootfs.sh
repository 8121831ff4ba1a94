#!/bin/sh
# Assembles a runtime root file system: the given binaries from /out, the
# shared libraries they load (and, for the MySQL client, its authentication
# plugins), CA certificates, time zones, busybox for the health checks, a
# non-root user (10001) and /app/data for it. The runtime images are this
# directory alone (FROM scratch): no package manager, no shell beyond
# busybox's, tens of megabytes instead of Debian's slim image's 75.
#   rootfs.sh <dest> <binary>... [--bash]
set -eu
dest=$1
shift
bash=no
mkdir -p "$dest/usr/local/bin" "$dest/bin" "$dest/etc/ssl/certs" "$dest/usr/share" "$dest/tmp" "$dest/app/data"

# Copies the libraries a file loads, keeping their paths.
libs_of() {
  ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
    [ -e "$dest$lib" ] || cp -L --parents "$lib" "$dest"
  done
}

# Copies a file and the libraries it loads, keeping their paths.
with_libs() {
  cp -L --parents "$1" "$dest"
  libs_of "$1"
}

for binary in "$@"; do
  case $binary in
    --bash) bash=yes; continue ;;
  esac
  install -m 0755 "/out/$binary" "$dest/usr/local/bin/$binary"
  libs_of "/out/$binary"
  # MySQL 8's caching_sha2_password and friends are plugins libmariadb loads
  # at connect time.
  if ldd "/out/$binary" | grep -q libmariadb; then
    for plugin in /usr/lib/x86_64-linux-gnu/libmariadb3/plugin/*.so; do
      [ -e "$dest$plugin" ] || with_libs "$plugin"
    done
  fi
done

if [ "$bash" = yes ]; then
  with_libs /bin/bash
fi
install -m 0755 /bin/busybox "$dest/bin/busybox"
for applet in sh wget sleep kill cat env head tr seq od base64; do
  [ -e "$dest/bin/$applet" ] || ln -s busybox "$dest/bin/$applet"
done
cp /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/"
cp -a /usr/share/zoneinfo "$dest/usr/share/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nwxc:x:10001:10001:wxcomponent:/app:/sbin/nologin\n' >"$dest/etc/passwd"
printf 'root:x:0:\nwxc:x:10001:\n' >"$dest/etc/group"
printf 'hosts: files dns\n' >"$dest/etc/nsswitch.conf"
chmod 1777 "$dest/tmp"
chown -R 10001:10001 "$dest/app"
