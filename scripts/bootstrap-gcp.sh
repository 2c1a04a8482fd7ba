#!/usr/bin/env bash
# One-time, idempotent set-up of a Google Cloud project for Inkstone. Safe to run again: every
# step checks before it creates, and existing resources are left as they are. `--dry-run` prints
# the gcloud commands instead of running them.
#
#   PROJECT_ID=my-project REGION=us-central1 scripts/bootstrap-gcp.sh [--dry-run]
#
# Creates: the APIs, an Artifact Registry repository (with a cleanup policy), the bucket for the
# Litestream replica (no soft delete), the two secrets (admin password, session secret; values
# generated here, never printed), a runtime service account that may only use that bucket and
# read those secrets, and a build service account that may only do what cloudbuild.yaml does.
set -euo pipefail

DRY_RUN=0
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1
PROJECT_ID=${PROJECT_ID:-$(gcloud config get-value project 2>/dev/null || true)}
REGION=${REGION:-us-central1}
REPOSITORY=${REPOSITORY:-inkstone}
BUCKET=${BUCKET:-${PROJECT_ID}-inkstone}
RUNTIME_SA_NAME=${RUNTIME_SA_NAME:-inkstone-run}
BUILD_SA_NAME=${BUILD_SA_NAME:-inkstone-build}
# IAM is eventually consistent: a service account created a moment ago can be refused ("does not
# exist") by the first binding that names it, for up to a minute or so. Such calls are retried.
IAM_RETRIES=${IAM_RETRIES:-8}
IAM_RETRY_SECONDS=${IAM_RETRY_SECONDS:-5}
[ -n "$PROJECT_ID" ] || { echo "Set PROJECT_ID (or gcloud config set project …)" >&2; exit 1; }
RUNTIME_SA="${RUNTIME_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
BUILD_SA="${BUILD_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
# Where `gcloud builds submit` uploads the source (it creates this bucket when it is missing).
SOURCE_BUCKET="${PROJECT_ID}_cloudbuild"
CLEANUP_POLICY="$(dirname "$0")/artifact-cleanup-policy.json"
[ "$DRY_RUN" = 1 ] || [ -f "$CLEANUP_POLICY" ] || { echo "bootstrap-gcp.sh: $CLEANUP_POLICY is missing" >&2; exit 1; }

run() {
  if [ "$DRY_RUN" = 1 ]; then printf '%s\n' "$*"; else "$@"; fi
}
# For commands that name a service account this run may just have created: bounded retries.
run_iam() {
  if [ "$DRY_RUN" = 1 ]; then printf '%s\n' "$*"; return; fi
  local attempt=1
  until "$@" >/dev/null; do
    if [ "$attempt" -ge "$IAM_RETRIES" ]; then
      echo "bootstrap-gcp.sh: gave up after $attempt attempts: $*" >&2
      return 1
    fi
    echo "bootstrap-gcp.sh: IAM not ready yet, retrying in $((attempt * IAM_RETRY_SECONDS)) s" >&2
    sleep $((attempt * IAM_RETRY_SECONDS))
    attempt=$((attempt + 1))
  done
}
# Runs the check for real even in a dry run when gcloud is there, so the plan shows what is missing.
exists() {
  [ "$DRY_RUN" = 1 ] && ! command -v gcloud >/dev/null && return 1
  "$@" >/dev/null 2>&1
}
has_enabled_version() {
  [ "$DRY_RUN" = 1 ] && ! command -v gcloud >/dev/null && return 1
  [ -n "$(gcloud secrets versions list "$1" --filter state=ENABLED --limit 1 --format 'value(name)' --project "$PROJECT_ID" 2>/dev/null)" ]
}
new_secret_value() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48; }

run gcloud services enable run.googleapis.com cloudbuild.googleapis.com artifactregistry.googleapis.com \
  secretmanager.googleapis.com storage.googleapis.com iam.googleapis.com logging.googleapis.com --project "$PROJECT_ID"

exists gcloud artifacts repositories describe "$REPOSITORY" --location "$REGION" --project "$PROJECT_ID" ||
  run gcloud artifacts repositories create "$REPOSITORY" --repository-format docker --location "$REGION" --project "$PROJECT_ID"
# Every deploy pushes an image (~100 MB, billed per GB-month): keep the last few, delete the rest.
run gcloud artifacts repositories set-cleanup-policies "$REPOSITORY" --location "$REGION" --project "$PROJECT_ID" \
  --policy "$CLEANUP_POLICY" --no-dry-run

exists gcloud storage buckets describe "gs://$BUCKET" --project "$PROJECT_ID" ||
  run gcloud storage buckets create "gs://$BUCKET" --location "$REGION" --uniform-bucket-level-access \
    --public-access-prevention --project "$PROJECT_ID"
# Litestream deletes old generations and WAL files all the time; soft delete would keep (and bill)
# each of them for 7 more days. The replica's history is Litestream's retention, not soft delete.
run gcloud storage buckets update "gs://$BUCKET" --clear-soft-delete --project "$PROJECT_ID"

for name in "$RUNTIME_SA_NAME:Inkstone on Cloud Run" "$BUILD_SA_NAME:Inkstone builds and deploys"; do
  exists gcloud iam service-accounts describe "${name%%:*}@${PROJECT_ID}.iam.gserviceaccount.com" --project "$PROJECT_ID" ||
    run gcloud iam service-accounts create "${name%%:*}" --display-name "${name#*:}" --project "$PROJECT_ID"
done

for secret in inkstone-admin-password inkstone-session-secret; do
  exists gcloud secrets describe "$secret" --project "$PROJECT_ID" ||
    run gcloud secrets create "$secret" --replication-policy automatic --project "$PROJECT_ID"
  # Also when an earlier run created the secret but stopped before its first version.
  if ! has_enabled_version "$secret"; then
    if [ "$DRY_RUN" = 1 ]; then
      echo "(generate a value) | gcloud secrets versions add $secret --data-file - --project $PROJECT_ID"
    else
      new_secret_value | gcloud secrets versions add "$secret" --data-file - --project "$PROJECT_ID" >/dev/null
    fi
  fi
  # Least privilege: the runtime account reads these two secrets, nothing else.
  run_iam gcloud secrets add-iam-policy-binding "$secret" --member "serviceAccount:$RUNTIME_SA" \
    --role roles/secretmanager.secretAccessor --project "$PROJECT_ID"
done

# Litestream lists, reads, writes and deletes (retention) objects in this one bucket.
run_iam gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" --member "serviceAccount:$RUNTIME_SA" \
  --role roles/storage.objectAdmin --project "$PROJECT_ID"

# The build account (cloudbuild.yaml's serviceAccount) may do exactly what cloudbuild.yaml does,
# instead of the project's default build account:
# - read the uploaded source (new projects' default accounts may not even have that);
exists gcloud storage buckets describe "gs://$SOURCE_BUCKET" --project "$PROJECT_ID" ||
  run gcloud storage buckets create "gs://$SOURCE_BUCKET" --location US --uniform-bucket-level-access --project "$PROJECT_ID"
run_iam gcloud storage buckets add-iam-policy-binding "gs://$SOURCE_BUCKET" --member "serviceAccount:$BUILD_SA" \
  --role roles/storage.objectViewer --project "$PROJECT_ID"
# - push images to this one repository;
run_iam gcloud artifacts repositories add-iam-policy-binding "$REPOSITORY" --location "$REGION" \
  --member "serviceAccount:$BUILD_SA" --role roles/artifactregistry.writer --project "$PROJECT_ID"
# - write its build logs (a user-specified build account must log to Cloud Logging or its own bucket);
# - replace the Cloud Run service. roles/run.admin, not run.developer: service.yaml disables the
#   invoker IAM check (a public blog), which needs run.services.setIamPolicy (Cloud Run docs,
#   "Allowing public (unauthenticated) access").
for role in roles/logging.logWriter roles/run.admin; do
  run_iam gcloud projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$BUILD_SA" --role "$role" --condition None
done
# - deploy the service as the runtime account, and as no other account.
run_iam gcloud iam service-accounts add-iam-policy-binding "$RUNTIME_SA" --member "serviceAccount:$BUILD_SA" \
  --role roles/iam.serviceAccountUser --project "$PROJECT_ID"

cat <<DONE
Done. Deploy with:
  gcloud builds submit --project $PROJECT_ID --substitutions _REGION=$REGION,_BUCKET=$BUCKET
(cloudbuild.yaml runs it as $BUILD_SA; the site is https://inkstone-PROJECT_NUMBER.$REGION.run.app
until you map a domain and pass _SITE_URL=https://your.domain)
Read the admin password (shown only to you):
  gcloud secrets versions access latest --secret inkstone-admin-password --project $PROJECT_ID
DONE
