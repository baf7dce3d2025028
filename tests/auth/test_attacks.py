"""Bad input and attacks on /auth/v1 and on the tokens it issues: each refused clearly, none leaking
whether an account exists, none changing what it must not."""

from __future__ import annotations

import statistics
import time

import httpx
import jwt
import pytest

from conftest import NORTH, PASSWORD, AuthServer, sign, unique_email
from support.server import JWT_SECRET


def _session(auth_server: AuthServer, email: str, password: str = PASSWORD) -> dict:
    response = httpx.post(
        f"{auth_server.auth_url}/token?grant_type=password", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _user_claims(user_id: str, **overrides) -> dict:
    base = {
        "sub": user_id,
        "role": "student",
        "aud": "authenticated",
        "app_metadata": {"institution_id": NORTH, "role": "student"},
    }
    return {**base, **overrides}


def _rest(auth_server: AuthServer, token: str) -> httpx.Response:
    return httpx.get(f"{auth_server.url}/profiles", headers={"Authorization": f"Bearer {token}"})


def _account(auth_server: AuthServer, token: str) -> httpx.Response:
    return httpx.get(f"{auth_server.auth_url}/user", headers={"Authorization": f"Bearer {token}"})


# -- forged and broken tokens ------------------------------------------------------------------


def test_tampered_expired_wrong_audience_and_unsigned_tokens_are_refused(auth_server: AuthServer) -> None:
    session = _session(auth_server, auth_server.confirmed_user())
    token = session["access_token"]
    assert _rest(auth_server, token).status_code == 200 and _account(auth_server, token).status_code == 200

    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    claims = _claims(token)
    promoted = jwt.encode({**claims, "role": "admin"}, "not-the-secret-but-long-enough-0123456789", algorithm="HS256")
    expired = sign({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600})
    other_audience = sign({**claims, "aud": "somebody-else"})
    unsigned = jwt.encode({**claims, "role": "admin"}, None, algorithm="none")

    for forged, code in ((tampered, "PGRST301"), (promoted, "PGRST301"), (unsigned, "PGRST301")):
        answer = _rest(auth_server, forged)
        assert answer.status_code == 401 and answer.json()["code"] == code
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        refused = _account(auth_server, forged)
        assert refused.status_code == 403 and refused.json()["error_code"] == "bad_jwt"
    for stale, message in ((expired, "JWT expired"), (other_audience, "JWT not in audience")):
        answer = _rest(auth_server, stale)
        assert (answer.status_code, answer.json()["code"], answer.json()["message"]) == (401, "PGRST303", message)
        assert _account(auth_server, stale).status_code == 403


def test_role_claims_the_authenticator_cannot_take_are_401(auth_server: AuthServer) -> None:
    user_id = _claims(_session(auth_server, auth_server.confirmed_user())["access_token"])["sub"]
    for role in ("no_such_role", "reporting", "campus"):
        answer = _rest(auth_server, sign(_user_claims(user_id, role=role)))
        assert answer.status_code == 401, (role, answer.text)


# -- sign-up and self-service cannot raise privileges ------------------------------------------


def test_sign_up_cannot_choose_role_or_institution(http: httpx.Client, auth_server: AuthServer) -> None:
    into_south = http.post(
        "/signup", json={"email": unique_email(), "password": PASSWORD, "data": {"institution": "south"}}
    )
    assert into_south.status_code == 422 and into_south.json()["error_code"] == "signup_disabled"
    south_domain = http.post("/signup", json={"email": unique_email("south.edu"), "password": PASSWORD})
    assert south_domain.status_code == 422 and south_domain.json()["error_code"] == "signup_disabled"

    email = unique_email()
    forged = {"role": "admin", "institution_id": "00000000-0000-4000-8000-00000000000b", "app_metadata": {"x": 1}}
    signed_up = http.post("/signup", json={"email": email, "password": PASSWORD, "data": forged})
    assert signed_up.status_code == 200
    assert signed_up.json()["role"] == "student"
    assert signed_up.json()["app_metadata"]["institution_id"] == NORTH
    assert signed_up.json()["app_metadata"]["role"] == "student"
    token = auth_server.mailed_token(email, "confirm_signup")
    claims = _claims(http.post("/verify", json={"type": "signup", "token": token}).json()["access_token"])
    assert (claims["role"], claims["app_metadata"]["institution_id"]) == ("student", NORTH)


def test_users_cannot_write_app_metadata_or_promote_themselves(http: httpx.Client, auth_server: AuthServer) -> None:
    session = _session(auth_server, auth_server.confirmed_user())
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    refused = http.put("/user", headers=headers, json={"app_metadata": {"role": "admin", "institution_id": NORTH}})
    assert refused.status_code == 403 and refused.json()["error_code"] == "not_admin"
    http.put("/user", headers=headers, json={"data": {"role": "admin"}})
    refreshed = http.post("/token?grant_type=refresh_token", json={"refresh_token": session["refresh_token"]})
    claims = _claims(refreshed.json()["access_token"])
    assert claims["role"] == "student" and claims["app_metadata"]["role"] == "student"
    assert claims["user_metadata"] == {"role": "admin"}, "user_metadata is the user's, and drives nothing"
    assert "admin" not in str(auth_server.sql("select app_metadata from auth.users where id = %s", [claims["sub"]]))
    # and the admin endpoints refuse a student
    listing = http.get("/admin/users", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
    assert listing.status_code == 403 and listing.json()["error_code"] == "not_admin"


# -- refresh tokens ------------------------------------------------------------------------------


def test_refresh_reuse_inside_the_window_is_tolerated(http: httpx.Client, auth_server: AuthServer) -> None:
    first = _session(auth_server, auth_server.confirmed_user())["refresh_token"]
    second = http.post("/token?grant_type=refresh_token", json={"refresh_token": first})
    assert second.status_code == 200 and second.headers["sb-auth-refresh-token-reuse"] == "rotated"
    again = http.post("/token?grant_type=refresh_token", json={"refresh_token": first})
    assert again.status_code == 200, "the client lost the answer: its old token still works once"
    assert again.headers["sb-auth-refresh-token-reuse"] == "active_parent"


def test_reusing_a_rotated_refresh_token_revokes_the_family(http: httpx.Client, auth_server: AuthServer) -> None:
    session = _session(auth_server, auth_server.confirmed_user())
    first = session["refresh_token"]
    second = http.post("/token?grant_type=refresh_token", json={"refresh_token": first}).json()["refresh_token"]
    third = http.post("/token?grant_type=refresh_token", json={"refresh_token": second}).json()["refresh_token"]
    auth_server.sql("update auth.settings set refresh_reuse_interval = '0'")
    try:
        stolen = http.post("/token?grant_type=refresh_token", json={"refresh_token": first})
    finally:
        auth_server.sql("update auth.settings set refresh_reuse_interval = default")
    assert stolen.status_code == 400 and stolen.json()["error_code"] == "refresh_token_already_used"
    assert stolen.json()["msg"] == "Invalid Refresh Token: Already Used"
    current = http.post("/token?grant_type=refresh_token", json={"refresh_token": third})
    assert current.status_code == 400, "the legitimate holder's token went with the family"
    gone = http.get("/user", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert gone.status_code == 403 and gone.json()["error_code"] == "session_not_found"
    unknown = http.post("/token?grant_type=refresh_token", json={"refresh_token": "nope"})
    assert unknown.status_code == 400 and unknown.json()["error_code"] == "refresh_token_not_found"


# -- nothing tells whether an account exists ----------------------------------------------------


def test_recover_and_sign_in_do_not_reveal_accounts(http: httpx.Client, auth_server: AuthServer) -> None:
    known = auth_server.confirmed_user()
    answers = [http.post("/recover", json={"email": email}) for email in (known, unique_email())]
    assert [(a.status_code, a.content) for a in answers] == [(200, b"{}")] * 2
    failures = [
        http.post("/token?grant_type=password", json={"email": email, "password": "wrong password 9"})
        for email in (known, unique_email())
    ]
    assert failures[0].status_code == failures[1].status_code == 400
    assert (
        failures[0].json()
        == failures[1].json()
        == {
            "code": 400,
            "error_code": "invalid_credentials",
            "msg": "Invalid login credentials",
        }
    )
    duplicate = http.post("/signup", json={"email": known, "password": PASSWORD})
    fresh = http.post("/signup", json={"email": unique_email(), "password": PASSWORD})
    assert duplicate.status_code == fresh.status_code == 200
    assert duplicate.json().keys() == fresh.json().keys() and duplicate.json()["id"] != fresh.json()["id"]


def test_unknown_emails_take_as_long_as_known_ones(http: httpx.Client, auth_server: AuthServer) -> None:
    auth_server.sql("update auth.settings set bcrypt_cost = 10")  # a realistic cost makes the hash dominate
    try:
        known = [auth_server.confirmed_user() for _ in range(3)]

        def timed(email: str) -> float:
            started = time.perf_counter()
            answer = http.post("/token?grant_type=password", json={"email": email, "password": "wrong password 9"})
            assert answer.status_code == 400
            return time.perf_counter() - started

        # Interleaved, so a change in the machine's load during the test affects both sides alike.
        known_times: list[float] = []
        unknown_times: list[float] = []
        for round_ in range(8):
            known_times.append(timed(known[round_ % len(known)]))
            unknown_times.append(timed(unique_email()))
    finally:
        auth_server.sql("update auth.settings set bcrypt_cost = 4")
    ratio = statistics.median(unknown_times) / statistics.median(known_times)
    assert 0.6 < ratio < 1.7, (known_times, unknown_times)


# -- lockout ------------------------------------------------------------------------------------


def test_lockout_after_repeated_failures_survives_the_failed_requests(
    http: httpx.Client, auth_server: AuthServer
) -> None:
    email = auth_server.confirmed_user()
    for _ in range(5):
        failed = http.post("/token?grant_type=password", json={"email": email, "password": "wrong password 9"})
        assert failed.status_code == 400
    assert auth_server.sql("select count(*) from auth.sign_in_failures where email = %s", [email]) == [(5,)]
    locked = http.post("/token?grant_type=password", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in locked.json()["msg"]
    auth_server.sql("delete from auth.sign_in_failures where email = %s", [email])
    assert http.post("/token?grant_type=password", json={"email": email, "password": PASSWORD}).status_code == 200


# -- malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error_code"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, 400, "email_address_invalid"),
        ({"email": "a@b", "password": PASSWORD}, 400, "email_address_invalid"),
        ({"email": "x" * 250 + "@north.edu", "password": PASSWORD}, 400, "email_address_invalid"),
        ({"email": 42, "password": PASSWORD}, 422, "validation_failed"),
        ({"password": PASSWORD}, 422, "validation_failed"),
        ({"email": "short@north.edu", "password": "abc1"}, 422, "weak_password"),
        ({"email": "nodigit@north.edu", "password": "only letters here"}, 422, "weak_password"),
        ({"email": "long@north.edu", "password": "a1" * 40}, 422, "validation_failed"),
        ({"email": "huge@north.edu", "password": "a1" * 3000}, 422, "validation_failed"),
        ({"email": "meta@north.edu", "password": PASSWORD, "data": {"bio": "x" * 20000}}, 422, "validation_failed"),
        ({"email": "meta2@north.edu", "password": PASSWORD, "data": ["not", "an", "object"]}, 422, "validation_failed"),
    ],
)
def test_bad_sign_up_input_is_refused_clearly(
    http: httpx.Client, auth_server: AuthServer, body: dict, status: int, error_code: str
) -> None:
    answer = http.post("/signup", json=body)
    assert (answer.status_code, answer.json()["error_code"]) == (status, error_code), answer.text
    assert answer.json()["msg"] and answer.json()["code"] == status
    if isinstance(body.get("email"), str):
        assert auth_server.sql("select count(*) from auth.users where email = %s", [body["email"]]) == [(0,)]


def test_weak_password_lists_the_failed_rules(http: httpx.Client) -> None:
    answer = http.post("/signup", json={"email": unique_email(), "password": "abc"})
    assert answer.json()["weak_password"] == {"reasons": ["length", "numbers"]}


def test_bad_json_and_unknown_grants(http: httpx.Client) -> None:
    broken = http.post("/signup", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error_code"] == "bad_json"
    grant = http.post("/token?grant_type=magic", json={})
    assert grant.status_code == 400 and grant.json()["msg"] == "unsupported_grant_type"
    assert http.get("/user").status_code == 401
    assert http.get("/nowhere").status_code == 404


def test_verify_link_redirects_only_to_allowed_places(http: httpx.Client, auth_server: AuthServer) -> None:
    email = unique_email()
    http.post("/signup", json={"email": email, "password": PASSWORD})
    token = auth_server.mailed_token(email, "confirm_signup")
    evil = http.get("/verify", params={"type": "signup", "token": token, "redirect_to": "https://evil.example/x"})
    assert evil.status_code == 303
    location = evil.headers["Location"]
    assert location.startswith("http://localhost:3000/#access_token="), location
    again = http.get("/verify", params={"type": "signup", "token": token})
    assert again.status_code == 303 and "error_code=otp_expired" in again.headers["Location"]


def test_service_key_signed_with_the_shared_secret_is_accepted(auth_server: AuthServer) -> None:
    key = jwt.encode({"role": "service_role"}, JWT_SECRET, algorithm="HS256")
    listing = httpx.get(f"{auth_server.auth_url}/admin/users", headers={"Authorization": f"Bearer {key}"})
    assert listing.status_code == 200 and int(listing.headers["X-Total-Count"]) >= 1
