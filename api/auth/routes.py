"""GoTrue's HTTP surface under /auth/v1, each handler a thin call into the SQL rules.

Python's share: read the request, apply the rate limits, verify bearer tokens (the REST engine's
verifier, so both accept the same tokens), sign access tokens, and shape GoTrue's answers.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from email_validator import EmailNotValidError, validate_email

from api.auth.errors import AuthError, bad_json, validation
from api.auth.keys import SigningKey
from api.auth.ratelimit import AuthRateLimiter
from api.auth.settings import AuthSettings
from api.auth.store import AuthStore
from api.auth.tokens import AccessTokenIssuer, session_response
from api.engine.errors import ApiError
from api.engine.jwt import JwtVerifier

MAX_FIELD = 4096  # no legitimate e-mail, password or token comes near this
VERSION = "campus-auth"

# What an `outcome` from the SQL sign-in functions means over HTTP.
OUTCOME_ERRORS = {
    "invalid_credentials": AuthError(400, "invalid_credentials", "Invalid login credentials"),
    "email_not_confirmed": AuthError(400, "email_not_confirmed", "Email not confirmed"),
    "user_banned": AuthError(400, "user_banned", "User is banned"),
    "not_found": AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"),
    "already_used": AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"),
    "invalid": AuthError(403, "otp_expired", "Token has expired or is invalid"),
}


class AuthHandlers:
    def __init__(
        self,
        settings: AuthSettings,
        store: AuthStore,
        key: SigningKey,
        verifier: JwtVerifier,
        limiter: AuthRateLimiter,
    ) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.verifier = verifier
        self.limiter = limiter

    # -- request helpers -------------------------------------------------------------------

    def issuer_for(self, request: web.Request) -> AccessTokenIssuer:
        issuer = self.settings.issuer or f"{request.scheme}://{request.host}/auth/v1"
        return AccessTokenIssuer(self.key, issuer, self.settings.jwt_exp)

    def client_ip(self, request: web.Request) -> str | None:
        if self.settings.trust_forwarded_for and (forwarded := request.headers.get("X-Forwarded-For")):
            return forwarded.split(",")[0].strip()
        return request.remote

    async def limit(self, scope: str, key: str | None) -> None:
        if key and (retry_after := await self.limiter.hit(scope, key)) is not None:
            seconds = int(retry_after)
            raise AuthError(
                429,
                "over_request_rate_limit",
                f"Too many requests. Please try again in {seconds} seconds.",
                headers={"Retry-After": str(seconds)},
            )

    @staticmethod
    async def body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            document = json.loads(await request.read() or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise bad_json() from error
        if not isinstance(document, dict):
            raise bad_json()
        return document

    @staticmethod
    def text(document: dict[str, Any], name: str, required: bool = False) -> str | None:
        value = document.get(name)
        if value is None or value == "":
            if required:
                raise validation(f"{name} is required.")
            return None
        if not isinstance(value, str):
            raise validation(f"{name} must be a string.")
        if len(value) > MAX_FIELD:
            raise validation(f"{name} is too long (at most {MAX_FIELD} characters).")
        return value

    def email(self, document: dict[str, Any]) -> str:
        address = self.text(document, "email", required=True) or ""
        if len(address) > 254:
            raise AuthError(400, "email_address_invalid", "Unable to validate email address: too long")
        try:
            validate_email(address.strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise AuthError(400, "email_address_invalid", f"Unable to validate email address: {error}") from error
        return address.strip().lower()

    def claims(self, request: web.Request) -> dict[str, Any]:
        """The verified claims of the bearer token (GoTrue: 401 without one, 403 when invalid)."""
        header = request.headers.get("Authorization")
        if not header or not header.lower().startswith("bearer "):
            raise AuthError(401, "no_authorization", "This endpoint requires a Bearer token")
        try:
            identity = self.verifier.verify(header)
        except ApiError as error:
            message = f"invalid JWT: unable to parse or verify signature, {error.message}"
            raise AuthError(403, "bad_jwt", message) from error
        return identity.claims

    async def user_session(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        """The caller's claims and user document; their session must still exist."""
        claims = self.claims(request)
        if not claims.get("sub") or not claims.get("session_id"):
            raise AuthError(403, "bad_jwt", "invalid claim: missing sub or session_id claim")
        user = await self.store.call("auth.session_user", claims["sub"], claims["session_id"])
        if user is None:
            raise AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return claims, user

    def session_body(self, request: web.Request, outcome: dict[str, Any], method: str) -> dict[str, Any]:
        """Sign an access token for a successful SQL outcome and build GoTrue's session response."""
        amr = [{"method": method, "timestamp": int(time.time())}]
        issued = self.issuer_for(request).issue(outcome["user"], str(outcome["session_id"]), amr)
        return session_response(issued, outcome["refresh_token"], outcome["user"])

    @staticmethod
    def check_outcome(outcome: dict[str, Any]) -> dict[str, Any]:
        kind = outcome.get("outcome")
        if kind == "ok":
            return outcome
        if kind == "locked":
            seconds = int(outcome.get("retry_after") or 1)
            raise AuthError(
                429,
                "over_request_rate_limit",
                f"Too many failed sign-in attempts. Please try again in {seconds} seconds.",
                headers={"Retry-After": str(seconds)},
            )
        raise OUTCOME_ERRORS.get(kind) or AuthError(500, "unexpected_failure", "Unexpected outcome")

    # -- public endpoints --------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"version": VERSION, "name": "GoTrue", "description": "Campus auth, GoTrue-compatible"}
        )

    async def settings_view(self, request: web.Request) -> web.Response:
        rules = await self.store.call("auth.public_settings")
        return web.json_response(
            {
                "external": {"email": True, "phone": False, "anonymous_users": False},
                "disable_signup": False,
                "mailer_autoconfirm": rules["autoconfirm"],
                "phone_autoconfirm": False,
                "sms_provider": "",
                "saml_enabled": False,
                "password_min_length": rules["password_min_length"],
                "password_required_characters": rules["password_required_characters"],
            }
        )

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.key.public_jwks(), headers={"Cache-Control": "public, max-age=600"})

    async def signup(self, request: web.Request) -> web.Response:
        await self.limit("ip:signup", self.client_ip(request))
        document = await self.body(request)
        email = self.email(document)
        password = self.text(document, "password", required=True)
        data = document.get("data") or {}
        if not isinstance(data, dict):
            raise validation("data must be a JSON object.")
        institution = data.get("institution") if isinstance(data.get("institution"), str) else None
        ip, agent = self.client_ip(request), request.headers.get("User-Agent")
        result = await self.store.call("auth.sign_up", email, password, data, institution, ip, agent)
        if result.get("outcome") == "ok":  # autoconfirm: signed in at once
            return web.json_response(self.session_body(request, result, "password"))
        return web.json_response(result["user"])

    async def token(self, request: web.Request) -> web.Response:
        grant_type = request.query.get("grant_type")
        if grant_type == "password":
            return await self.password_grant(request)
        if grant_type == "refresh_token":
            return await self.refresh_grant(request)
        raise AuthError(400, "validation_failed", "unsupported_grant_type")

    async def password_grant(self, request: web.Request) -> web.Response:
        await self.limit("ip:token", self.client_ip(request))
        document = await self.body(request)
        email = self.text(document, "email", required=True) or ""
        password = self.text(document, "password", required=True)
        await self.limit("email:token", email.strip().lower())
        outcome = self.check_outcome(
            await self.store.call(
                "auth.sign_in_password", email, password, self.client_ip(request), request.headers.get("User-Agent")
            )
        )
        return web.json_response(self.session_body(request, outcome, "password"))

    async def refresh_grant(self, request: web.Request) -> web.Response:
        document = await self.body(request)
        refresh_token = self.text(document, "refresh_token", required=True)
        outcome = self.check_outcome(
            await self.store.call(
                "auth.refresh_session", refresh_token, self.client_ip(request), request.headers.get("User-Agent")
            )
        )
        body = self.session_body(request, outcome, "token_refresh")
        return web.json_response(body, headers={"sb-auth-refresh-token-reuse": outcome.get("decision", "rotated")})

    async def logout(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        scope = request.query.get("scope", "global")
        await self.store.call("auth.sign_out", claims.get("sub"), claims.get("session_id"), scope)
        return web.Response(status=204)

    async def recover(self, request: web.Request) -> web.Response:
        await self.limit("ip:recover", self.client_ip(request))
        document = await self.body(request)
        email = self.email(document)
        await self.limit("email:recover", email)
        await self.store.call("auth.recover", email)
        return web.json_response({})

    async def verify_post(self, request: web.Request) -> web.Response:
        await self.limit("ip:verify", self.client_ip(request))
        document = await self.body(request)
        outcome = await self.redeem(request, document)
        return web.json_response(self.session_body(request, outcome, outcome.get("method", "otp")))

    async def verify_get(self, request: web.Request) -> web.Response:
        """The link in a mail: redeem, then redirect with the session in the URL fragment."""
        await self.limit("ip:verify", self.client_ip(request))
        query = dict(request.query)
        target = self.settings.redirect_target(query.get("redirect_to"))
        try:
            outcome = await self.redeem(request, query)
        except AuthError as error:
            fragment = {"error": "access_denied", "error_code": error.error_code, "error_description": error.message}
        else:
            body = self.session_body(request, outcome, outcome.get("method", "otp"))
            fragment = {
                "access_token": body["access_token"],
                "expires_at": body["expires_at"],
                "expires_in": body["expires_in"],
                "refresh_token": body["refresh_token"],
                "token_type": "bearer",
                "type": query.get("type", ""),
            }
        raise web.HTTPSeeOther(f"{target}#{urlencode(fragment)}")

    async def redeem(self, request: web.Request, document: dict[str, Any]) -> dict[str, Any]:
        kind = self.text(document, "type", required=True)
        token = self.text(document, "token_hash") or self.text(document, "token", required=True)
        email = self.text(document, "email")
        return self.check_outcome(
            await self.store.call(
                "auth.verify_one_time_token",
                kind,
                token,
                email,
                self.client_ip(request),
                request.headers.get("User-Agent"),
            )
        )

    # -- the signed-in user --------------------------------------------------------------------

    async def get_user(self, request: web.Request) -> web.Response:
        _, user = await self.user_session(request)
        return web.json_response(user)

    async def put_user(self, request: web.Request) -> web.Response:
        claims, _ = await self.user_session(request)
        document = await self.body(request)
        if "app_metadata" in document:
            raise AuthError(403, "not_admin", "app_metadata can only be changed by an administrator.")
        data = document.get("data")
        if data is not None and not isinstance(data, dict):
            raise validation("data must be a JSON object.")
        email = self.email(document) if document.get("email") else None
        user = await self.store.call("auth.update_user", claims["sub"], email, self.text(document, "password"), data)
        return web.json_response(user)

    # -- administration -------------------------------------------------------------------------

    async def admin_list(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        page, per_page = _positive(request.query.get("page"), 1), _positive(request.query.get("per_page"), 50)
        result = await self.store.admin_call("api.admin_list_users", page, per_page, claims=claims)
        return web.json_response(
            {"users": result["users"], "aud": result["aud"]}, headers={"X-Total-Count": str(result["total"])}
        )

    async def admin_create(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        document = await self.body(request)
        email = self.email(document)
        user = await self.store.admin_call(
            "api.admin_create_user",
            email,
            self.text(document, "password"),
            self.text(document, "role") or "student",
            bool(document.get("email_confirm")),
            document.get("user_metadata") or {},
            document.get("app_metadata") or {},
            self.text(document, "institution_id"),
            claims=claims,
        )
        return web.json_response(user)

    async def admin_get(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        user_id = _uuid(request.match_info["user_id"])
        return web.json_response(await self.store.admin_call("api.admin_get_user", user_id, claims=claims))

    async def admin_update(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        user_id = _uuid(request.match_info["user_id"])
        document = await self.body(request)
        user = await self.store.admin_call("api.admin_update_user", user_id, document, claims=claims)
        return web.json_response(user)

    async def admin_delete(self, request: web.Request) -> web.Response:
        claims = self.claims(request)
        user_id = _uuid(request.match_info["user_id"])
        return web.json_response(await self.store.admin_call("api.admin_delete_user", user_id, claims=claims))


def _positive(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise validation("page and per_page must be positive integers.")
    return int(value)


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise AuthError(404, "user_not_found", "User not found") from error
