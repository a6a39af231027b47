#!/usr/bin/env bash
# tests/e2e/t-email.sh with a real PostgreSQL as the store (tests/store/pg-start on
# loopback): the handled UIDs, the threads and the conversations' records there.
# timeout: 240
EMAIL_STORE=pg
# shellcheck source=tests/e2e/t-email.sh
. "$(dirname "$0")/t-email.sh"
