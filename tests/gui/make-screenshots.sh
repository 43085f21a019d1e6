#!/bin/sh
# make-screenshots.sh: the README's pictures of the window, one scene in
# the three looks: data/screenshots/window.png (light),
# window-dark.png and window-high-contrast.png, and in Simplified Chinese,
# window-zh_CN.png (needs a CJK font, such as fonts-wqy-microhei). Run by
# `ninja -C build screenshots`; trains the checkpoint they show once
# (ResNet-20, 4 epochs on the synthetic set, about a minute) and keeps it
# in the build folder.
#
#   make-screenshots.sh BUILD_ROOT SOURCE_ROOT
set -eu

build=$1
source=$2
runs=$build/screenshot-runs
checkpoint=$runs/resnet20/synthetic-4ep.safetensors

if [ ! -f "$checkpoint" ]; then
  mkdir -p "$(dirname "$checkpoint")"
  "$build/src/cli/blockscope-cli" train --model resnet20 --dataset synthetic --epochs 4 --seed 0 \
    --out "$checkpoint"
fi

# English; with grouped digits where en_US.UTF-8 exists.
lang=C.UTF-8
if locale -a 2> /dev/null | grep -qix 'en_US.utf8'; then
  lang=en_US.UTF-8
fi

# name, then the environment that sets the look (and the language).
shoot () {
  out=$source/data/screenshots/$1
  shift
  env LC_ALL="$lang" LANGUAGE= \
    GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" \
    GTK_A11Y=none NO_AT_BRIDGE=1 GDK_BACKEND=x11 \
    DBUS_SESSION_BUS_ADDRESS=disabled: \
    BLOCKSCOPE_RUNS_DIR="$runs" XDG_DATA_HOME="$build/screenshot-data" \
    "$@" \
    xvfb-run -a -s '-screen 0 1400x900x24 -nolisten tcp' \
    "$build/tests/gui/make-screenshot" "$checkpoint" "$out"
  if command -v optipng > /dev/null; then
    optipng -quiet -o5 -strip all "$out"
  fi
}

shoot window.png ADW_DEBUG_COLOR_SCHEME=prefer-light ADW_DEBUG_HIGH_CONTRAST=0
shoot window-dark.png ADW_DEBUG_COLOR_SCHEME=prefer-dark ADW_DEBUG_HIGH_CONTRAST=0
shoot window-high-contrast.png ADW_DEBUG_COLOR_SCHEME=prefer-light ADW_DEBUG_HIGH_CONTRAST=1
shoot window-zh_CN.png ADW_DEBUG_COLOR_SCHEME=prefer-light ADW_DEBUG_HIGH_CONTRAST=0 LANGUAGE=zh_CN

# A run training in the window, light and dark (make-training-screenshot
# trains ResNet-20 on the synthetic set until 4 epochs are done).
shoot_training () {
  out=$source/data/screenshots/$1
  shift
  env LC_ALL="$lang" LANGUAGE= \
    GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" \
    GTK_A11Y=none NO_AT_BRIDGE=1 GDK_BACKEND=x11 \
    DBUS_SESSION_BUS_ADDRESS=disabled: \
    BLOCKSCOPE_RUNS_DIR="$runs/training" XDG_DATA_HOME="$build/screenshot-data" \
    "$@" \
    xvfb-run -a -s '-screen 0 1400x1000x24 -nolisten tcp' \
    "$build/tests/gui/make-training-screenshot" "$out"
  if command -v optipng > /dev/null; then
    optipng -quiet -o5 -strip all "$out"
  fi
}

shoot_training training.png ADW_DEBUG_COLOR_SCHEME=prefer-light ADW_DEBUG_HIGH_CONTRAST=0
shoot_training training-dark.png ADW_DEBUG_COLOR_SCHEME=prefer-dark ADW_DEBUG_HIGH_CONTRAST=0
