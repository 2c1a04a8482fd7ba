#!/bin/sh
# `npm test`'s first step: the tools the suite drives that npm cannot install. Today that is
# Debian's Chromium (and a font for its screenshots), driven by playwright-core (Playwright's own
# download cannot run here), and Debian's wrk, which `npm run bench:quick` (the suite's last step)
# measures throughput with. Missing: installed with apt-get when we are root on Debian, otherwise
# this stops at once with the one command to run. The browser specs and the bench fail (never
# skip) without them.
#
# CHROMIUM_PATH names another Chromium binary, WRK_PATH another wrk. TEST_TOOLS_NO_INSTALL=1
# forbids installing (the check itself is tested that way).
set -eu

CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
WRK_PATH=${WRK_PATH:-wrk}
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
PACKAGES='chromium fonts-dejavu-core wrk'
COMMAND="apt-get update && apt-get install -y $PACKAGES"

has_browser() { [ -x "$CHROMIUM_PATH" ] && [ -f "$FONT" ]; }
has_wrk() { command -v "$WRK_PATH" >/dev/null 2>&1; }
present() { has_browser && has_wrk; }

present && exit 0

if [ "${TEST_TOOLS_NO_INSTALL:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: Chromium ($CHROMIUM_PATH), its font or wrk ($WRK_PATH) is missing: installing $PACKAGES with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
  present && exit 0
fi

if ! [ -x "$CHROMIUM_PATH" ]; then missing="Chromium at $CHROMIUM_PATH (the browser specs need it)"
elif ! [ -f "$FONT" ]; then missing="the font $FONT (the browser specs need it)"
else missing="wrk ($WRK_PATH; npm run bench:quick measures with it)"; fi
{
  echo "ensure-test-tools: $missing is missing. Install it with:"
  if [ "$(id -u)" = 0 ]; then echo "  $COMMAND"; else echo "  sudo sh -c '$COMMAND'"; fi
  echo "(or point CHROMIUM_PATH at a Chromium binary, WRK_PATH at a wrk binary)"
} >&2
exit 1
