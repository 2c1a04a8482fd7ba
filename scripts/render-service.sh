#!/bin/sh
# Fills service.yaml's ${…} placeholders from the environment and fails on any left unset, so a
# half-rendered service never reaches Cloud Run. Usage: render-service.sh service.yaml > out.yaml
# The placeholders sit inside single-quoted YAML strings, so a value's ' is doubled; replacement
# is literal (awk index/substr), so no character of a value is special.
set -eu
NAMES='SERVICE REGION RUNTIME_SERVICE_ACCOUNT IMAGE SITE_URL BUCKET ADMIN_USERNAME'
for name in $NAMES; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "render-service.sh: $name is not set" >&2; exit 1; }
  export "$name"
done
NAMES="$NAMES" awk '
  BEGIN { n = split(ENVIRON["NAMES"], names, " ") }
  /^[ \t]*#/ { print; next }
  {
    line = $0
    for (i = 1; i <= n; i++) {
      key = "${" names[i] "}"
      value = ENVIRON[names[i]]
      gsub(/\047/, "\047\047", value)
      out = ""
      while ((at = index(line, key)) > 0) {
        out = out substr(line, 1, at - 1) value
        line = substr(line, at + length(key))
      }
      line = out line
    }
    if (index(line, "${") > 0) { print "render-service.sh: a placeholder was left unfilled: " line > "/dev/stderr"; failed = 1 }
    print line
  }
  END { if (failed) exit 1 }
' "$1"
