"""GoTrue-compatible auth service (`/auth/v1`): signing keys, access tokens, rate limits."""
