"""TC3-HMAC-SHA256 verification: the signature is recomputed from what was received.

Uses the same building blocks as the client's signer (:mod:`airflow_provider_cfg.api.signing`),
so signer and verifier cannot drift apart.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from airflow_provider_cfg.api.signing import (
    canonical_request,
    derive_signing_key,
    parse_authorization,
    sha256_hex,
    signature,
    string_to_sign,
    utc_date,
)
from airflow_provider_cfg.emulator.errors import ApiError

MAX_SKEW_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds have 10 digits until the year 2286
SERVICE = "cfg"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_FORMAT = ("TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/cfg/tc3_request, "
           "SignedHeaders=content-type;host, Signature=<64 hex digits>")


def _masked(secret_id: str) -> str:
    return f"{secret_id[:4]}…{secret_id[-4:]}" if len(secret_id) > 8 else "****"


def _invalid(message: str) -> ApiError:
    return ApiError("AuthFailure.InvalidAuthorization", message)


def verify(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    token: str | None,
    now: float,
) -> str:
    """Check the request's TC3 signature and return its SecretId; raise :class:`ApiError` otherwise.

    :param headers: request headers keyed by lower-case name.
    :param credentials: SecretId → SecretKey of every accepted credential pair.
    :param token: when set, requests must carry ``X-TC-Token`` with this value.
    """
    header = headers.get("authorization", "")
    if not header:
        raise _invalid("The Authorization header is missing.")
    parsed = parse_authorization(header)
    if parsed is None:
        raise _invalid(f"The Authorization header is malformed; expected {_FORMAT}.")
    raw_timestamp = headers.get("x-tc-timestamp", "")
    if not raw_timestamp:
        raise _invalid("The X-TC-Timestamp header is missing.")
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit() and len(raw_timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise _invalid(f"X-TC-Timestamp must be a Unix time in seconds (at most {MAX_TIMESTAMP_DIGITS} ASCII "
                       f"digits); got {raw_timestamp[:40]!r}.")
    timestamp = int(raw_timestamp)
    if parsed.service != SERVICE:
        raise _invalid(f"The credential scope names service {parsed.service!r}; this endpoint is {SERVICE!r}.")
    missing = {"content-type", "host"} - set(parsed.signed_headers)
    if missing:
        raise _invalid(f"SignedHeaders must include content-type and host; missing {', '.join(sorted(missing))}.")
    if abs(now - timestamp) > MAX_SKEW_SECONDS:  # before the date: a far-off time has no date
        raise ApiError("AuthFailure.SignatureExpire",
                       f"The signature expired: X-TC-Timestamp {timestamp} is {int(abs(now - timestamp))} s away "
                       f"from the server time {int(now)} (at most {MAX_SKEW_SECONDS} s are allowed).")
    if parsed.date != utc_date(timestamp):
        raise _invalid(f"The credential scope date {parsed.date} is not the UTC date of X-TC-Timestamp "
                       f"({utc_date(timestamp)}).")
    secret_key = credentials.get(parsed.secret_id)
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound",
                       f"The SecretId {_masked(parsed.secret_id)} is not found; check that it is correct.")
    if headers.get("x-tc-content-sha256", "").upper() == UNSIGNED_PAYLOAD:
        payload_hash = sha256_hex(UNSIGNED_PAYLOAD)
    else:
        payload_hash = sha256_hex(body)
    signed_values = {name: headers.get(name, "") for name in parsed.signed_headers}
    canonical = canonical_request(method, path, query, signed_values, parsed.signed_headers, payload_hash)
    scope = f"{parsed.date}/{SERVICE}/tc3_request"
    expected = signature(derive_signing_key(secret_key, parsed.date, SERVICE),
                         string_to_sign(timestamp, scope, canonical))
    if not hmac.compare_digest(expected, parsed.signature):
        raise ApiError("AuthFailure.SignatureFailure",
                       "The provided credentials could not be validated. Please check your signature is correct.")
    if token is not None and not hmac.compare_digest(headers.get("x-tc-token", ""), token):
        raise ApiError("AuthFailure.TokenFailure", "The X-TC-Token is missing or invalid.")
    return parsed.secret_id
