"""The real `supabase-auth` Python client against /auth/v1: every flow a school's app uses, with
tokens read from the outbox the way a mailer would send them, and the REST engine accepting the
tokens it gets."""

from __future__ import annotations

import httpx
import jwt
import pytest
from supabase_auth.errors import AuthApiError

from conftest import NORTH, PASSWORD, AuthServer, unique_email


def test_sign_up_verify_and_sign_in(auth_server: AuthServer) -> None:
    client = auth_server.client()
    email = unique_email()
    signed_up = client.sign_up({"email": email, "password": PASSWORD, "options": {"data": {"first_name": "Ada"}}})
    assert signed_up.session is None, "confirmation is required by default"
    assert signed_up.user is not None and signed_up.user.email == email
    assert signed_up.user.confirmation_sent_at is not None and signed_up.user.email_confirmed_at is None

    with pytest.raises(AuthApiError) as refused:
        client.sign_in_with_password({"email": email, "password": PASSWORD})
    assert refused.value.code == "email_not_confirmed"

    token = auth_server.mailed_token(email, "confirm_signup")
    verified = client.verify_otp({"email": email, "token": token, "type": "signup"})
    assert verified.session is not None and verified.user is not None
    assert verified.user.email_confirmed_at is not None

    session = client.sign_in_with_password({"email": email.upper(), "password": PASSWORD}).session
    assert session is not None and session.refresh_token and session.expires_in == 3600
    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    assert claims["sub"] == signed_up.user.id and claims["role"] == "student" and claims["aud"] == "authenticated"
    assert claims["email"] == email and claims["session_id"] and claims["exp"] - claims["iat"] == 3600
    assert claims["app_metadata"]["institution_id"] == NORTH and claims["app_metadata"]["role"] == "student"
    assert claims["user_metadata"] == {"first_name": "Ada"} and claims["iss"].endswith("/auth/v1")
    assert [entry["method"] for entry in claims["amr"]] == ["password"]
    assert auth_server.sql("select first_name from app.profiles where user_id = %s", [claims["sub"]]) == [("Ada",)]


def test_refresh_get_update_and_sign_out(auth_server: AuthServer) -> None:
    email = auth_server.confirmed_user()
    client = auth_server.client()
    first = client.sign_in_with_password({"email": email, "password": PASSWORD}).session
    assert first is not None

    refreshed = client.refresh_session(first.refresh_token).session
    assert refreshed is not None and refreshed.refresh_token != first.refresh_token
    assert (
        jwt.decode(refreshed.access_token, options={"verify_signature": False})["session_id"]
        == jwt.decode(first.access_token, options={"verify_signature": False})["session_id"]
    ), "a refresh stays in its session"

    client.set_session(refreshed.access_token, refreshed.refresh_token)
    user = client.get_user()
    assert user is not None and user.user.email == email

    updated = client.update_user({"data": {"nickname": "Ada", "theme": "dark"}})
    assert updated.user.user_metadata == {"nickname": "Ada", "theme": "dark"}
    updated = client.update_user({"data": {"theme": None}})
    assert updated.user.user_metadata == {"nickname": "Ada"}, "null removes a key"
    client.update_user({"password": "a new password 2"})
    assert auth_server.sql(
        "select count(*) from app.outbox where topic = 'mail.password_changed' and payload->>'to' = %s", [email]
    ) == [(1,)]

    client.sign_out()
    assert client.get_session() is None
    with pytest.raises(AuthApiError):
        auth_server.client().refresh_session(refreshed.refresh_token)
    # The signed-out session's access token no longer reaches the account.
    answer = httpx.get(f"{auth_server.auth_url}/user", headers={"Authorization": f"Bearer {refreshed.access_token}"})
    assert answer.status_code == 403 and answer.json()["error_code"] == "session_not_found"
    assert auth_server.client().sign_in_with_password({"email": email, "password": "a new password 2"}).session


def test_password_reset_flow(auth_server: AuthServer) -> None:
    email = auth_server.confirmed_user()
    client = auth_server.client()
    client.reset_password_for_email(email)
    token = auth_server.mailed_token(email, "reset_password")

    recovered = client.verify_otp({"email": email, "token": token, "type": "recovery"})
    assert recovered.session is not None
    claims = jwt.decode(recovered.session.access_token, options={"verify_signature": False})
    assert claims["amr"][0]["method"] == "recovery"
    client.update_user({"password": "reset password 3"})

    with pytest.raises(AuthApiError) as old:
        auth_server.client().sign_in_with_password({"email": email, "password": PASSWORD})
    assert old.value.code == "invalid_credentials"
    assert auth_server.client().sign_in_with_password({"email": email, "password": "reset password 3"}).session
    with pytest.raises(AuthApiError) as reused:
        auth_server.client().verify_otp({"email": email, "token": token, "type": "recovery"})
    assert reused.value.status == 403 and reused.value.code == "otp_expired", "single use"


def test_email_change_is_confirmed_from_the_new_address(auth_server: AuthServer) -> None:
    email, new_email = auth_server.confirmed_user(), unique_email()
    client = auth_server.client()
    client.sign_in_with_password({"email": email, "password": PASSWORD})
    pending = client.update_user({"email": new_email})
    assert pending.user.email == email and pending.user.new_email == new_email
    token = auth_server.mailed_token(new_email, "email_change")
    changed = client.verify_otp({"email": new_email, "token": token, "type": "email_change"})
    assert changed.user is not None and changed.user.email == new_email


def test_tokens_work_on_the_rest_engine(auth_server: AuthServer) -> None:
    email = auth_server.confirmed_user()
    session = auth_server.client().sign_in_with_password({"email": email, "password": PASSWORD}).session
    assert session is not None
    headers = {"Authorization": f"Bearer {session.access_token}"}
    profiles = httpx.get(f"{auth_server.url}/profiles", headers=headers)
    assert profiles.status_code == 200
    assert [row["user_id"] for row in profiles.json()] == [session.user.id], "a student sees only their own profile"
    renamed = httpx.patch(
        f"{auth_server.url}/profiles?user_id=eq.{session.user.id}",
        headers={**headers, "Prefer": "return=representation"},
        json={"first_name": "Grace"},
    )
    assert renamed.status_code == 200 and renamed.json()[0]["first_name"] == "Grace"
    promoted = httpx.patch(
        f"{auth_server.url}/profiles?user_id=eq.{session.user.id}", headers=headers, json={"role": "admin"}
    )
    assert promoted.status_code in (401, 403) and promoted.json()["code"] == "42501"


def test_admin_api_and_role_change_at_next_refresh(auth_server: AuthServer) -> None:
    service = auth_server.admin()
    email = unique_email()
    created = service.create_user(
        {
            "email": email,
            "password": PASSWORD,
            "email_confirm": True,
            "role": "educator",
            "app_metadata": {"plan": "pro", "role": "admin"},
            "institution_id": NORTH,  # service_role acts for every institution, so it names one
        }
    )
    assert created.user.role == "educator" and created.user.app_metadata["plan"] == "pro"
    assert created.user.app_metadata["institution_id"] == NORTH
    assert created.user.app_metadata["role"] == "educator", "app_metadata never overrides the role"

    client = auth_server.client()
    session = client.sign_in_with_password({"email": email, "password": PASSWORD}).session
    assert session is not None
    assert jwt.decode(session.access_token, options={"verify_signature": False})["role"] == "educator"

    fetched = service.get_user_by_id(created.user.id)
    assert fetched.user.email == email
    listed = service.list_users(page=1, per_page=1000)
    assert email in [user.email for user in listed]

    service.update_user_by_id(created.user.id, {"role": "admin"})
    refreshed = client.refresh_session(session.refresh_token).session
    assert refreshed is not None
    assert jwt.decode(refreshed.access_token, options={"verify_signature": False})["role"] == "admin"

    service.delete_user(created.user.id)
    assert auth_server.sql("select count(*) from auth.users where id = %s", [created.user.id]) == [(0,)]
