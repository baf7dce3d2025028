"""The auth service's token-signing key and what the REST engine needs to verify its tokens.

- A PEM private key wins over a shared secret: RSA (at least 2048 bits) signs RS256, EC P-256 signs
  ES256. Other key types are refused rather than silently producing tokens nobody can verify.
- A shared secret signs HS256 and must be at least 32 bytes, the rule PostgREST (and the engine in
  `api.engine.jwt`) enforces, so a secret the engine would refuse is refused here first.
- Asymmetric keys carry a `kid`: the RFC 7638 JWK thumbprint of the public key. It is stable for a
  given key, so tokens, `/.well-known/jwks.json` and the engine's JWKS agree without configuration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

Algorithm = Literal["HS256", "RS256", "ES256"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

MIN_SECRET_BYTES: Final = 32
MIN_RSA_BITS: Final = 2048
GENERATED_RSA_BITS: Final = 2048

# RFC 7638 §3.2: the required public members of each key type, in lexicographic order.
_THUMBPRINT_MEMBERS: Final = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One signing key. The key material is kept out of `repr` so it cannot leak into logs."""

    algorithm: Algorithm
    kid: str | None
    _material: bytes | PrivateKey = field(repr=False, compare=False)
    _public_jwk: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _verifier_secret: str = field(default="", repr=False, compare=False)

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of `claims`; the header names the `kid` when the key has one."""
        headers: dict[str, Any] = {"typ": "JWT"}
        if self.kid is not None:
            headers["kid"] = self.kid
        return jwt.encode(claims, self._material, algorithm=self.algorithm, headers=headers)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The body of `/.well-known/jwks.json`: public members only; empty for a shared secret."""
        return {"keys": [] if self._public_jwk is None else [dict(self._public_jwk)]}

    def verifier_secret(self) -> str:
        """The REST engine's `jwt-secret` (`JwtSettings.secret`, with `secret_is_base64=False`).

        The HS secret itself, or the public JWKS as JSON. A base64 HS secret comes back as an
        `oct` JWK pinned to HS256, so the engine never needs the base64 flag for this value.
        """
        return self._verifier_secret


def load_signing_key(
    hs_secret: str | None, private_key_pem: bytes | None, secret_is_base64: bool = False
) -> SigningKey:
    """The configured signing key: a PEM private key if given, else the HS256 secret."""
    if private_key_pem:
        return _asymmetric_key(_load_private_key(private_key_pem))
    if hs_secret:
        return _shared_secret_key(hs_secret, secret_is_base64)
    raise ValueError("no JWT signing key configured: set a shared secret or a PEM private key")


def generate_private_key_pem(algorithm: str) -> bytes:
    """A fresh unencrypted PKCS#8 PEM private key for RS256 or ES256 (tests, `campus` tooling)."""
    key: PrivateKey
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_RSA_BITS)
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"cannot generate a private key for {algorithm!r}: use RS256 or ES256")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# --------------------------------------------------------------------------------------------
# Shared secrets
# --------------------------------------------------------------------------------------------


def _shared_secret_key(secret: str, secret_is_base64: bool) -> SigningKey:
    raw = _decode_base64(secret) if secret_is_base64 else secret.encode()
    if len(raw) < MIN_SECRET_BYTES:
        unit = "bytes once base64-decoded" if secret_is_base64 else "characters"
        raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} {unit} long")
    if not secret_is_base64 and _is_json_object(secret):
        # The engine would read it as a JWK and never match our HMAC: refuse the ambiguity.
        raise ValueError("the JWT secret looks like a JWK; give a PEM private key for asymmetric signing")
    verifier = _oct_jwk_json(raw) if secret_is_base64 else secret
    return SigningKey("HS256", None, raw, None, verifier)


def _decode_base64(secret: str) -> bytes:
    # Both alphabets and missing padding, as PostgREST and the engine accept.
    text = secret.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the JWT secret is not valid base64") from error


def _is_json_object(text: str) -> bool:
    if not text.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _oct_jwk_json(raw: bytes) -> str:
    # Pinned to HS256 so the engine does not also accept HS384/HS512 for this key.
    return json.dumps({"kty": "oct", "k": _b64url(raw), "alg": "HS256", "use": "sig"}, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Private keys
# --------------------------------------------------------------------------------------------


def _load_private_key(pem: bytes) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError as error:  # cryptography's signal for an encrypted key
        raise ValueError("the JWT private key is encrypted; give an unencrypted PEM") from error
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ValueError("the JWT private key is not a readable PEM private key") from error
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"the JWT RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"the JWT EC key uses curve {key.curve.name}; only P-256 (ES256) is supported")
        return key
    raise ValueError(f"the JWT private key type {type(key).__name__} is not supported; use RSA or EC P-256")


def _asymmetric_key(key: PrivateKey) -> SigningKey:
    algorithm: Algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    members = _public_members(key)
    kid = jwk_thumbprint(members)
    public_jwk = {**members, "kid": kid, "alg": algorithm, "use": "sig"}
    jwks_json = json.dumps({"keys": [public_jwk]}, separators=(",", ":"))
    return SigningKey(algorithm, kid, key, public_jwk, jwks_json)


def _public_members(key: PrivateKey) -> dict[str, str]:
    """Exactly the RFC 7638 public members (no `d`, `p`, `q`, … and no PyJWT extras)."""
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}


def jwk_thumbprint(members: dict[str, str]) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members as compact, key-sorted JSON."""
    required = {name: members[name] for name in _THUMBPRINT_MEMBERS[members["kty"]]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
