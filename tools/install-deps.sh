#!/bin/sh
# Installs the Debian packages fidkit needs to build, test and run its
# reference scripts. Idempotent: asks apt only for what is missing, and runs
# `apt-get update` at most once, only when something is missing.
set -eu

PKGS="build-essential cmake pkg-config
libopenblas-dev liblapacke-dev libyaml-dev libstb-dev libcriterion-dev
libcjson-dev libzip-dev libmd-dev zlib1g-dev libcurl4-openssl-dev
libjpeg62-turbo-dev libwebp-dev libtiff-dev
libtorch-dev
libplplot-dev plplot-driver-cairo
libopenmpi-dev openmpi-bin
python3 python3-numpy python3-scipy python3-pil python3-torch python3-torchvision
python3-regex python3-skimage
python3-cffi python3-pytest python3-venv python3-setuptools python3-pip"

missing=""
for p in $PKGS; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$s" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run this script as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
