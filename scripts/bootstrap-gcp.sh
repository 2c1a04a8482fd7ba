#!/usr/bin/env bash
# One-time, idempotent set-up of a Google Cloud project for Inkstone. Safe to run again: every
# step checks before it creates. `--dry-run` prints the gcloud commands instead of running them.
#
#   PROJECT_ID=my-project REGION=us-central1 scripts/bootstrap-gcp.sh [--dry-run]
#
# Creates: the APIs, an Artifact Registry repository, the bucket for the Litestream replica,
# the two secrets (admin password, session secret; values generated here, never printed), a
# runtime service account that may only use that bucket and read those secrets, and gives the
# Cloud Build service account the right to deploy as it.
set -euo pipefail

DRY_RUN=0
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1
PROJECT_ID=${PROJECT_ID:-$(gcloud config get-value project 2>/dev/null || true)}
REGION=${REGION:-us-central1}
REPOSITORY=${REPOSITORY:-inkstone}
BUCKET=${BUCKET:-${PROJECT_ID}-inkstone}
RUNTIME_SA_NAME=${RUNTIME_SA_NAME:-inkstone-run}
[ -n "$PROJECT_ID" ] || { echo "Set PROJECT_ID (or gcloud config set project …)" >&2; exit 1; }
RUNTIME_SA="${RUNTIME_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"

run() {
  if [ "$DRY_RUN" = 1 ]; then printf '%s\n' "$*"; else "$@"; fi
}
# Runs the check for real even in a dry run when gcloud is there, so the plan shows what is missing.
exists() {
  [ "$DRY_RUN" = 1 ] && ! command -v gcloud >/dev/null && return 1
  "$@" >/dev/null 2>&1
}
new_secret_value() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48; }

run gcloud services enable run.googleapis.com cloudbuild.googleapis.com artifactregistry.googleapis.com \
  secretmanager.googleapis.com storage.googleapis.com iam.googleapis.com --project "$PROJECT_ID"

exists gcloud artifacts repositories describe "$REPOSITORY" --location "$REGION" --project "$PROJECT_ID" ||
  run gcloud artifacts repositories create "$REPOSITORY" --repository-format docker --location "$REGION" --project "$PROJECT_ID"

exists gcloud storage buckets describe "gs://$BUCKET" --project "$PROJECT_ID" ||
  run gcloud storage buckets create "gs://$BUCKET" --location "$REGION" --uniform-bucket-level-access \
    --public-access-prevention --project "$PROJECT_ID"

exists gcloud iam service-accounts describe "$RUNTIME_SA" --project "$PROJECT_ID" ||
  run gcloud iam service-accounts create "$RUNTIME_SA_NAME" --display-name "Inkstone on Cloud Run" --project "$PROJECT_ID"

for secret in inkstone-admin-password inkstone-session-secret; do
  if ! exists gcloud secrets describe "$secret" --project "$PROJECT_ID"; then
    run gcloud secrets create "$secret" --replication-policy automatic --project "$PROJECT_ID"
    if [ "$DRY_RUN" = 1 ]; then
      echo "(generate a value) | gcloud secrets versions add $secret --data-file - --project $PROJECT_ID"
    else
      new_secret_value | gcloud secrets versions add "$secret" --data-file - --project "$PROJECT_ID" >/dev/null
    fi
  fi
  # Least privilege: the runtime account reads these two secrets, nothing else.
  run gcloud secrets add-iam-policy-binding "$secret" --member "serviceAccount:$RUNTIME_SA" \
    --role roles/secretmanager.secretAccessor --project "$PROJECT_ID"
done

# Litestream lists, reads, writes and deletes (retention) objects in this one bucket.
run gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" --member "serviceAccount:$RUNTIME_SA" \
  --role roles/storage.objectAdmin --project "$PROJECT_ID"

# Cloud Build deploys: it may manage Cloud Run, push images and run the service as the runtime account.
# The account builds run as differs by project age (legacy Cloud Build account or the compute
# default account): ask Cloud Build rather than guess.
if [ "$DRY_RUN" = 1 ]; then
  run gcloud builds get-default-service-account --project "$PROJECT_ID" --format 'value(serviceAccountEmail)'
  BUILD_SA='$BUILD_SERVICE_ACCOUNT'
else
  BUILD_SA=$(gcloud builds get-default-service-account --project "$PROJECT_ID" --format 'value(serviceAccountEmail)')
  BUILD_SA=${BUILD_SA##*/}
fi
for role in roles/run.admin roles/artifactregistry.writer roles/logging.logWriter; do
  run gcloud projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$BUILD_SA" --role "$role" --condition None
done
run gcloud iam service-accounts add-iam-policy-binding "$RUNTIME_SA" --member "serviceAccount:$BUILD_SA" \
  --role roles/iam.serviceAccountUser --project "$PROJECT_ID"

cat <<DONE
Done. Deploy with:
  gcloud builds submit --project $PROJECT_ID \\
    --substitutions _REGION=$REGION,_BUCKET=$BUCKET,_SITE_URL=https://YOUR-DOMAIN-OR-RUN-URL
Read the admin password (shown only to you):
  gcloud secrets versions access latest --secret inkstone-admin-password --project $PROJECT_ID
DONE
