#!/usr/bin/env bash
# `npm run emulator:image`: builds the container image of the emulated FAST node,
# wallarm-fast-emulator:local (or $EMULATOR_IMAGE), without any registry: no image can be pulled here.
#
# The root filesystem holds only what the node needs: this machine's Node binary, the shared libraries
# `ldd` says it loads (with the dynamic loader), and the node emulator bundled into one file by ncc.
# ncc, because it is already how dist/ is built (pinned devDependency), and the image has no
# node_modules: tsx (a TypeScript loader living in node_modules) is not available in it. The tarball is
# imported with `docker import`, with the entrypoint and the defaults set by --change.
#
# Run it like wallarm/fast, on the host network, with the same variables:
#   docker run --rm --network host -e WALLARM_API_TOKEN=fast-a -e WALLARM_API_HOST=127.0.0.1:8555 \
#     -e WALLARM_API_USE_SSL=false -e ALLOWED_HOSTS=127.0.0.1 [-e PROXY_PORT=8080] wallarm-fast-emulator:local
set -euo pipefail
cd "$(dirname "$0")/.."

image=${EMULATOR_IMAGE:-wallarm-fast-emulator:local}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! docker version >/dev/null 2>&1; then
  echo "No Docker engine answers (docker version failed): see docs/emulator.md, \"The container image\"." >&2
  exit 1
fi

echo "==> bundling emulator/cli.ts with ncc"
npx ncc build emulator/cli.ts -o "$work/bundle" -q

rootfs=$work/rootfs
mkdir -p "$rootfs/usr/local/bin" "$rootfs/app" "$rootfs/tmp" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"

node_bin=$(readlink -f "$(command -v node)")
echo "==> Node $(node --version) from $node_bin, and the libraries ldd lists"
cp "$node_bin" "$rootfs/usr/local/bin/node"
# ldd prints `name => /path (addr)` and the loader as `/lib64/ld-linux-x86-64.so.2 (addr)`.
ldd "$node_bin" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp -r "$work/bundle/." "$rootfs/app/"
# Who the process is, for the libraries that ask (os.userInfo, getpwuid).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

echo "==> docker import $image"
tar -C "$rootfs" -c . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/app/index.js", "node"]' \
  --change 'ENV WALLARM_API_HOST=us1.api.wallarm.com PROXY_PORT=8080 PROXY_HOST=127.0.0.1' \
  --change 'EXPOSE 8080' \
  --change 'LABEL org.opencontainers.image.title="Wallarm FAST node emulator"' \
  --message "wallarm-fast-emulator from $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  - "$image" >/dev/null
docker image ls "$image" --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
