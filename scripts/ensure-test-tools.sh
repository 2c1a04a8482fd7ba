#!/bin/sh
# `npm test`'s first step: the tools the suite drives that npm cannot install. Today that is
# Debian's Chromium (and a font for its screenshots), driven by playwright-core; Playwright's own
# download cannot run here. Missing: installed with apt-get when we are root on Debian, otherwise
# this stops at once with the one command to run. The browser specs fail (never skip) without it.
#
# CHROMIUM_PATH names another Chromium binary. TEST_TOOLS_NO_INSTALL=1 forbids installing (the
# check itself is tested that way).
set -eu

CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
PACKAGES='chromium fonts-dejavu-core'
COMMAND="apt-get update && apt-get install -y $PACKAGES"

present() { [ -x "$CHROMIUM_PATH" ] && [ -f "$FONT" ]; }

present && exit 0

if [ "${TEST_TOOLS_NO_INSTALL:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: Chromium ($CHROMIUM_PATH) or its font is missing: installing $PACKAGES with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
  present && exit 0
fi

if [ -x "$CHROMIUM_PATH" ]; then missing="the font $FONT"; else missing="Chromium at $CHROMIUM_PATH"; fi
{
  echo "ensure-test-tools: $missing is missing, and the browser specs need it. Install it with:"
  if [ "$(id -u)" = 0 ]; then echo "  $COMMAND"; else echo "  sudo sh -c '$COMMAND'"; fi
  echo "(or point CHROMIUM_PATH at a Chromium binary)"
} >&2
exit 1
