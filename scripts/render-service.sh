#!/bin/sh
# Fills service.yaml's ${…} placeholders from the environment and fails on any left unset, so a
# half-rendered service never reaches Cloud Run. Usage: render-service.sh service.yaml > out.yaml
set -eu
for name in SERVICE REGION RUNTIME_SERVICE_ACCOUNT IMAGE SITE_URL BUCKET ADMIN_USERNAME; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "render-service.sh: $name is not set" >&2; exit 1; }
  export "$name"
done
rendered=$(sed -e "s|\${SERVICE}|$SERVICE|g" -e "s|\${REGION}|$REGION|g" \
  -e "s|\${RUNTIME_SERVICE_ACCOUNT}|$RUNTIME_SERVICE_ACCOUNT|g" -e "s|\${IMAGE}|$IMAGE|g" \
  -e "s|\${SITE_URL}|$SITE_URL|g" -e "s|\${BUCKET}|$BUCKET|g" -e "s|\${ADMIN_USERNAME}|$ADMIN_USERNAME|g" "$1")
if printf '%s\n' "$rendered" | grep -v '^ *#' | grep -q '\${'; then
  echo "render-service.sh: a placeholder was left unfilled" >&2
  exit 1
fi
printf '%s\n' "$rendered"
