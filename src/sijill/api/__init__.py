"""The JSON API for partner agencies (package upload and status) and for registry lookups by national ID,
shaped after the DCI Social Registry API: signed envelopes, token authentication, a rate limit per token.
See docs/api.md."""
