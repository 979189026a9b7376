#!/bin/bash
# LocalStack READY hook (mounted into /etc/localstack/init/ready.d/ by docker-compose.yml): creates
# the Secrets Manager secret the gateway reads when GATEWAY_SECRETS_ID=payment-gateway/local.
#
# Development values only, documented so nobody mistakes them for real ones. They are the
# gateway's built-in development keys (shared/config.py), so the containers hash API keys and
# encrypt webhook secrets exactly as a native `make up` does; only where the keys come from differs.
#   secret_key      local-development-secret-key      (API keys are hashed under it)
#   encryption_key  local-development-encryption-key  (webhook signing secrets are encrypted under it)
#
# Idempotent: LocalStack keeps no state across restarts, but running this twice is harmless.
set -euo pipefail

SECRET_ID="payment-gateway/local"
SECRET_STRING='{"secret_key": "local-development-secret-key", "encryption_key": "local-development-encryption-key"}'

if awslocal secretsmanager describe-secret --secret-id "$SECRET_ID" >/dev/null 2>&1; then
  awslocal secretsmanager put-secret-value --secret-id "$SECRET_ID" --secret-string "$SECRET_STRING" >/dev/null
  echo "[init] updated secret $SECRET_ID"
else
  awslocal secretsmanager create-secret --name "$SECRET_ID" \
    --description "payment gateway local development secrets" \
    --secret-string "$SECRET_STRING" >/dev/null
  echo "[init] created secret $SECRET_ID"
fi
