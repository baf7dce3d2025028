"""Unit tests for api.engine.settings: defaults, PGRST_* variables, the config file, and refusals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from api.engine.settings import EngineSettings, SettingsError, env_name, parse_config_text

SECRET = "reallyreallyreallyreallyverysafe"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "postgrest.conf"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Defaults
# --------------------------------------------------------------------------------------------


def test_defaults_are_postgrest_s_except_where_campus_differs():
    settings = EngineSettings.from_env({})
    assert settings == EngineSettings()
    assert settings.db_uri is None  # the embedded cluster
    assert settings.db_schemas == ("api",)
    assert settings.db_anon_role == "anon"
    assert settings.server_host == "127.0.0.1"
    assert (settings.jwt_secret, settings.jwt_secret_is_base64, settings.jwt_aud) == (None, False, None)
    assert (settings.jwt_role_claim_key, settings.jwt_cache_max_entries) == ("$.role", 1000)
    assert (settings.db_max_rows, settings.db_pre_request, settings.db_extra_search_path) == (None, None, ("public",))
    assert (settings.db_pool, settings.db_pool_acquisition_timeout, settings.db_tx_end) == (10, 10, "commit")
    assert (settings.db_prepared_statements, settings.db_channel, settings.db_channel_enabled) == (True, "pgrst", True)
    assert (settings.db_plan_enabled, settings.db_aggregates_enabled) == (False, False)
    assert (settings.server_port, settings.server_timing_enabled) == (3000, False)
    assert settings.server_cors_allowed_origins is None
    assert settings.warnings == ()


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EngineSettings().db_pool = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mode", "rollback_all", "allow_override"),
    [
        ("commit", False, False),
        ("commit-allow-override", False, True),
        ("rollback", True, False),
        ("rollback-allow-override", True, True),
    ],
)
def test_tx_end_modes(mode, rollback_all, allow_override):
    settings = EngineSettings.from_env({"PGRST_DB_TX_END": mode})
    assert (settings.db_tx_end, settings.tx_rollback_all, settings.tx_allow_override) == (
        mode,
        rollback_all,
        allow_override,
    )


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def test_every_pgrst_variable():
    env = {
        "PGRST_DB_URI": "postgresql://authenticator@db/app",
        "PGRST_DB_SCHEMAS": " api , v2,reporting ",
        "PGRST_DB_ANON_ROLE": "web_anon",
        "PGRST_JWT_SECRET": SECRET,
        "PGRST_JWT_SECRET_IS_BASE64": "TRUE",
        "PGRST_JWT_AUD": "campus",
        "PGRST_JWT_ROLE_CLAIM_KEY": "$.app.role",
        "PGRST_JWT_CACHE_MAX_ENTRIES": "0",
        "PGRST_DB_MAX_ROWS": "500",
        "PGRST_DB_PRE_REQUEST": "api.check_request",
        "PGRST_DB_EXTRA_SEARCH_PATH": "public, extensions",
        "PGRST_DB_POOL": "4",
        "PGRST_DB_POOL_ACQUISITION_TIMEOUT": "3",
        "PGRST_DB_TX_END": "rollback-allow-override",
        "PGRST_DB_PREPARED_STATEMENTS": "off",
        "PGRST_DB_CHANNEL": "campus",
        "PGRST_DB_CHANNEL_ENABLED": "no",
        "PGRST_DB_PLAN_ENABLED": "yes",
        "PGRST_DB_AGGREGATES_ENABLED": "1",
        "PGRST_SERVER_HOST": "0.0.0.0",
        "PGRST_SERVER_PORT": "8080",
        "PGRST_SERVER_TIMING_ENABLED": "On",
        "PGRST_SERVER_CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
    }
    assert EngineSettings.from_env(env) == EngineSettings(
        db_uri="postgresql://authenticator@db/app",
        db_schemas=("api", "v2", "reporting"),
        db_anon_role="web_anon",
        jwt_secret=SECRET,
        jwt_secret_is_base64=True,
        jwt_aud="campus",
        jwt_role_claim_key="$.app.role",
        jwt_cache_max_entries=0,
        db_max_rows=500,
        db_pre_request="api.check_request",
        db_extra_search_path=("public", "extensions"),
        db_pool=4,
        db_pool_acquisition_timeout=3,
        db_tx_end="rollback-allow-override",
        db_prepared_statements=False,
        db_channel="campus",
        db_channel_enabled=False,
        db_plan_enabled=True,
        db_aggregates_enabled=True,
        server_host="0.0.0.0",
        server_port=8080,
        server_timing_enabled=True,
        server_cors_allowed_origins=("https://a.example", "https://b.example"),
    )


def test_env_names_follow_postgrest():
    assert env_name("db-max-rows") == "PGRST_DB_MAX_ROWS"
    assert env_name("jwt-secret-is-base64") == "PGRST_JWT_SECRET_IS_BASE64"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "postgresql://d/x"}, "postgresql://d/x"),
        ({"PGRST_DB_URI": "postgresql://p/x"}, "postgresql://p/x"),
        ({"PGRST_DB_URI": "postgresql://p/x", "DATABASE_URL": "postgresql://d/x"}, "postgresql://p/x"),
        ({"PGRST_DB_URI": "", "DATABASE_URL": "postgresql://d/x"}, "postgresql://d/x"),
        ({"DATABASE_URL": ""}, None),
    ],
)
def test_database_url_is_an_alias_and_pgrst_db_uri_wins(env, expected):
    assert EngineSettings.from_env(env).db_uri == expected


@pytest.mark.parametrize(
    "word,value",
    [(w, True) for w in ("true", "True", "YES", "on", "1", " yes ")]
    + [(w, False) for w in ("false", "FALSE", "No", "off", "0")],
)
def test_booleans(word, value):
    assert EngineSettings.from_env({"PGRST_DB_PLAN_ENABLED": word}).db_plan_enabled is value


def test_empty_values_count_as_unset():
    env = {"PGRST_DB_MAX_ROWS": "", "PGRST_DB_POOL": "", "PGRST_DB_SCHEMAS": "", "PGRST_DB_PLAN_ENABLED": ""}
    assert EngineSettings.from_env(env) == EngineSettings()


def test_empty_anon_role_disables_anonymous_access():
    assert EngineSettings.from_env({"PGRST_DB_ANON_ROLE": ""}).db_anon_role is None


def test_empty_extra_search_path_is_an_empty_list():
    assert EngineSettings.from_env({"PGRST_DB_EXTRA_SEARCH_PATH": ""}).db_extra_search_path == ()


def test_legacy_aliases_lose_to_current_names():
    env = {"PGRST_DB_SCHEMA": "old", "PGRST_MAX_ROWS": "7", "PGRST_PRE_REQUEST": "api.pre"}
    settings = EngineSettings.from_env(env)
    assert (settings.db_schemas, settings.db_max_rows, settings.db_pre_request) == (("old",), 7, "api.pre")
    assert EngineSettings.from_env({**env, "PGRST_DB_SCHEMAS": "new"}).db_schemas == ("new",)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"PGRST_SERVER_PORT": "abc"}, "PGRST_SERVER_PORT: expected an integer, got 'abc'"),
        ({"PGRST_SERVER_PORT": "70000"}, "PGRST_SERVER_PORT: must be between 0 and 65535"),
        ({"PGRST_DB_MAX_ROWS": "1.5"}, "PGRST_DB_MAX_ROWS: expected an integer"),
        ({"PGRST_DB_MAX_ROWS": "-1"}, "PGRST_DB_MAX_ROWS: must be at least 0"),
        ({"PGRST_DB_POOL": "0"}, "PGRST_DB_POOL: must be at least 1"),
        ({"PGRST_DB_PLAN_ENABLED": "maybe"}, "PGRST_DB_PLAN_ENABLED: expected a boolean"),
        ({"PGRST_DB_TX_END": "sometimes"}, "PGRST_DB_TX_END: expected one of commit, commit-allow-override"),
        ({"PGRST_DB_SCHEMAS": "api,pg_catalog"}, "PGRST_DB_SCHEMAS: schema 'pg_catalog' cannot be exposed"),
        ({"PGRST_DB_SCHEMAS": "api,,v2"}, "PGRST_DB_SCHEMAS: empty item"),
    ],
)
def test_invalid_values_raise_one_line_errors_naming_the_setting(env, fragment):
    with pytest.raises(SettingsError) as caught:
        EngineSettings.from_env(env)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unknown_and_unsupported_variables_are_warned_about():
    env = {"PGRST_DB_SCEHMAS": "x", "PGRST_OPENAPI_MODE": "disabled", "PGRST_APP_SETTINGS_FOO": "1", "HOME": "/"}
    assert EngineSettings.from_env(env).warnings == (
        "PGRST_APP_SETTINGS_FOO: app.settings.* are not supported by Campus; ignored",
        "PGRST_DB_SCEHMAS: unknown setting; ignored",
        "PGRST_OPENAPI_MODE: PostgREST setting not supported by Campus; ignored",
    )


# --------------------------------------------------------------------------------------------
# Config file
# --------------------------------------------------------------------------------------------

EXAMPLE = """
# postgrest.conf
db-uri       = "postgres://authenticator:secret@localhost:5432/campus"
db-schemas   = "api, v2"   # the first one is the default
db-anon-role = "web_anon"

jwt-secret           = "reallyreallyreallyreallyverysafe"
jwt-secret-is-base64 = false

db-max-rows = 1000
db-extra-search-path = "public,extensions"
server-port = 3001
server-timing-enabled = true
db-channel-enabled = off
"""


def test_config_file(tmp_path):
    settings = EngineSettings.from_file(write_config(tmp_path, EXAMPLE), {})
    assert settings.db_uri == "postgres://authenticator:secret@localhost:5432/campus"
    assert settings.db_schemas == ("api", "v2")
    assert settings.db_anon_role == "web_anon"
    assert (settings.jwt_secret, settings.jwt_secret_is_base64) == (SECRET, False)
    assert (settings.db_max_rows, settings.db_extra_search_path) == (1000, ("public", "extensions"))
    assert (settings.server_port, settings.server_timing_enabled, settings.db_channel_enabled) == (3001, True, False)
    assert settings.warnings == ()


def test_environment_overrides_the_file(tmp_path):
    env = {"PGRST_SERVER_PORT": "4000", "PGRST_DB_SCHEMAS": "reporting", "DATABASE_URL": "postgresql://env/db"}
    settings = EngineSettings.from_file(write_config(tmp_path, EXAMPLE), env)
    assert (settings.server_port, settings.db_schemas, settings.db_uri) == (4000, ("reporting",), "postgresql://env/db")
    assert settings.db_anon_role == "web_anon"  # untouched by the environment


def test_current_name_in_the_file_beats_an_alias_in_the_environment(tmp_path):
    path = write_config(tmp_path, 'db-schemas = "api"\n')
    assert EngineSettings.from_file(path, {"PGRST_DB_SCHEMA": "legacy"}).db_schemas == ("api",)


def test_quoted_numbers_and_booleans_are_accepted(tmp_path):
    path = write_config(tmp_path, 'server-port = "3002"\ndb-plan-enabled = "yes"\ndb-pool = 2.0\n')
    settings = EngineSettings.from_file(path, {})
    assert (settings.server_port, settings.db_plan_enabled, settings.db_pool) == (3002, True, 2)


def test_interpolation_reads_earlier_keys_then_the_environment(tmp_path):
    text = "\n".join(
        [
            'host = "db.internal"',
            "port = 5433",
            'db-uri = "postgres://$(DB_USER):$(DB_PASSWORD)@$(host):$(port)/campus"',
            'jwt-secret = "$$(not interpolated)$$"',
        ]
    )
    env = {"DB_USER": "authenticator", "DB_PASSWORD": "p@ss", "host": "ignored"}
    settings = EngineSettings.from_file(write_config(tmp_path, text), env)
    assert settings.db_uri == "postgres://authenticator:p@ss@db.internal:5433/campus"
    assert settings.jwt_secret == "$(not interpolated)$"
    assert settings.warnings == ("host: unknown setting; ignored", "port: unknown setting; ignored")


def test_string_escapes_and_multiline_strings():
    values = parse_config_text('a = "x\\ty\\n\\"q\\" \\\\ \\u00e9 \\ud83d\\ude00"\nb = "line1\nline2"\n', {})
    assert values == {"a": 'x\ty\n"q" \\ é 😀', "b": "line1\nline2"}


def test_bare_values_comments_and_repeats():
    text = '# header\n\n  a = 1 # trailing\nb = -2.5\nc = TRUE\nd = off\na = 3\napp.settings.x = "y"\n'
    assert parse_config_text(text, {}) == {"a": 3, "b": -2.5, "c": True, "d": False, "app.settings.x": "y"}


def test_unsupported_and_unknown_keys_are_warned_about(tmp_path):
    text = 'openapi-mode = "disabled"\napp.settings.jwt_exp = 3600\ndb-shemas = "x"\n'
    assert EngineSettings.from_file(write_config(tmp_path, text), {}).warnings == (
        "openapi-mode: PostgREST setting not supported by Campus; ignored",
        "app.settings.jwt_exp: PostgREST setting not supported by Campus; ignored",
        "db-shemas: unknown setting; ignored",
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("server-port = abc\n", "line 1: the value of 'server-port' must be a double-quoted string"),
        ('db-uri "x"\n', "line 1: expected '=' after 'db-uri'"),
        ('a = "1"\ndb-uri = "unterminated\n', "line 2: unterminated string in the value of 'db-uri'"),
        ('db-uri = "x" extra\n', "line 1: unexpected text after the value of 'db-uri'"),
        ('db-uri = "$(NOPE)"\n', "no such variable: 'NOPE'"),
        ('db-uri = "$x"\n', "invalid interpolation in the value of 'db-uri'"),
        ('db-uri = "$(x"\n', "invalid interpolation in the value of 'db-uri'"),
        ('flag = true\ndb-uri = "$(flag)"\n', "variable 'flag' used in 'db-uri' is not a string or number"),
        ('db-uri = "\\q"\n', "invalid escape '\\q'"),
        ("= 1\n", "line 1: expected a setting name"),
        ("db-pool = [1, 2]\n", "the value of 'db-pool' must be a double-quoted string"),
    ],
)
def test_syntax_errors(text, fragment):
    with pytest.raises(SettingsError) as caught:
        parse_config_text(text, {}, source="pg.conf")
    message = str(caught.value)
    assert message.startswith("pg.conf, line ")
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("server-port = true\n", "server-port: expected an integer, got true"),
        ("db-pool = 2.5\n", "db-pool: expected an integer, got 2.5"),
        ('db-tx-end = "never"\n', "db-tx-end: expected one of"),
        ('db-plan-enabled = "sure"\n', "db-plan-enabled: expected a boolean"),
        ("db-plan-enabled = 5\n", "db-plan-enabled: expected a boolean"),
    ],
)
def test_invalid_file_values_name_the_key(tmp_path, text, fragment):
    with pytest.raises(SettingsError) as caught:
        EngineSettings.from_file(write_config(tmp_path, text), {})
    assert fragment in str(caught.value)


def test_missing_file_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="cannot read config file"):
        EngineSettings.from_file(tmp_path / "absent.conf", {})
