#!/bin/sh
# tools/gpu_bundle.sh [DIR] — run on a Debian 12 machine WITH its package
# archive (network or a mirror): downloads, without installing, the .deb files
# the fidkit core needs to build and run on a GPU machine that has a CUDA
# PyTorch (its libtorch, CMake, a compiler) but no Debian -dev packages and
# no network. Carry DIR (default gpu-bundle/) over and give it to
# tools/gpu_check.sh --bundle DIR, which unpacks the .debs into a local
# prefix (dpkg-deb -x, no root) and builds against it.
#
# Plots, TIFF and WebP are left out of that build (FIDKIT_PLOTS/TIFF/WEBP=OFF),
# so PLplot, libtiff and libwebp are not bundled. The runtime libraries come
# with their -dev packages; their own dependencies that a CUDA-PyTorch image
# (Ubuntu or Debian based) may lack are listed too. `apt-get download` needs
# no root; it fails offline (this script cannot run without the archive).
set -eu
DIR=${1:-gpu-bundle}
mkdir -p "$DIR"
cd "$DIR"
PKGS="
libopenblas-dev libopenblas0 libopenblas0-pthread libopenblas-pthread-dev
liblapacke-dev liblapacke liblapack3 liblapack-dev libblas3 libblas-dev libgfortran5
libyaml-dev libyaml-0-2
libzip-dev libzip4
libcjson-dev libcjson1
libmd-dev libmd0
libjpeg-dev libjpeg62-turbo-dev libjpeg62-turbo
zlib1g-dev zlib1g
libcurl4-openssl-dev libcurl4 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libbrotli1
libldap-2.5-0 libsasl2-2 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1
libstb-dev libstb0
libbz2-1.0 liblzma5 libzstd1
pkgconf pkg-config libpkgconf3
"
apt-get update >/dev/null 2>&1 || echo "gpu_bundle: apt-get update failed (offline?); trying the cached lists" >&2
fail=0
for p in $PKGS; do
  if ! apt-get download "$p" >/dev/null 2>&1; then
    echo "gpu_bundle: could not download $p" >&2
    fail=1
  fi
done
ls -1 *.deb > MANIFEST
sha256sum *.deb > SHA256SUMS
echo "gpu_bundle: $(wc -l < MANIFEST) .deb files in $(pwd)"
exit $fail
