"""PostgREST's engine settings: defaults, `PGRST_*` environment variables and the config-file format.

Precedence follows PostgREST: environment variables override the config file, and a setting's
current name (`db-schemas`) wins over its legacy alias (`db-schema`) whatever the source of each.
`DATABASE_URL` is Campus's extra name for the database URI: below `PGRST_DB_URI`, above the file.
Campus differs from PostgREST in a few defaults (`db-schemas = "api"`, `db-anon-role = "anon"`,
`server-host = "127.0.0.1"`, no `db-uri` = the embedded cluster) and is stricter: a value that does
not parse is a `SettingsError` instead of silently falling back to the default.

An empty value counts as unset (so `PGRST_DB_MAX_ROWS=` from a compose file means "default"),
except for the two settings where PostgREST gives the empty string a meaning of its own:
`db-anon-role = ""` disables anonymous access and `db-extra-search-path = ""` is an empty list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

TX_END_MODES = ("commit", "commit-allow-override", "rollback", "rollback-allow-override")
FORBIDDEN_SCHEMAS = ("pg_catalog", "information_schema")
_INTEGER = re.compile(r"[+-]?[0-9]+")

# A value as it comes out of a config file: quoted strings stay text, bare tokens are typed.
RawValue = str | bool | int | float


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line and names the setting."""


@dataclass(frozen=True)
class EngineSettings:
    """What the REST engine needs to serve a database the way PostgREST would."""

    db_uri: str | None = None  # None: the embedded cluster
    db_schemas: tuple[str, ...] = ("api",)
    db_anon_role: str | None = "anon"  # None: anonymous requests are refused (PGRST302)
    jwt_secret: str | None = None
    jwt_secret_is_base64: bool = False
    jwt_aud: str | None = None
    jwt_role_claim_key: str = "$.role"
    jwt_cache_max_entries: int = 1000
    db_max_rows: int | None = None
    db_pre_request: str | None = None
    db_extra_search_path: tuple[str, ...] = ("public",)
    db_pool: int = 10
    db_pool_acquisition_timeout: int = 10  # seconds
    db_tx_end: str = "commit"
    db_prepared_statements: bool = True
    db_channel: str = "pgrst"
    db_channel_enabled: bool = True
    db_plan_enabled: bool = False
    db_aggregates_enabled: bool = False
    server_host: str = "127.0.0.1"
    server_port: int = 3000
    server_timing_enabled: bool = False
    server_cors_allowed_origins: tuple[str, ...] | None = None  # None: reflect any Origin
    # Settings that were given but are not used (unknown, or PostgREST-only); one line each.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def tx_rollback_all(self) -> bool:
        """Whether transactions end in ROLLBACK unless a `Prefer: tx=commit` is allowed and sent."""
        return self.db_tx_end.startswith("rollback")

    @property
    def tx_allow_override(self) -> bool:
        """Whether `Prefer: tx=commit|rollback` is honoured."""
        return self.db_tx_end.endswith("-allow-override")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineSettings:
        """Settings from `PGRST_*` variables (and `DATABASE_URL`); everything else at its default."""
        env = os.environ if environ is None else environ
        return _build(env, {})

    @classmethod
    def from_file(cls, path: str | Path, environ: Mapping[str, str] | None = None) -> EngineSettings:
        """Settings from a PostgREST config file, overridden by the environment."""
        env = os.environ if environ is None else environ
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsError(f"cannot read config file {path}: {error.strerror or error}") from None
        return _build(env, parse_config_text(text, env, source=str(path)))


# --------------------------------------------------------------------------------------------
# The settings table
# --------------------------------------------------------------------------------------------

Parser = Callable[[str, RawValue], Any]


@dataclass(frozen=True)
class _Setting:
    key: str  # the config-file name; the environment name is derived from it
    attribute: str
    parse: Parser
    aliases: tuple[str, ...] = ()
    extra_env: tuple[str, ...] = ()  # other environment names, below PGRST_* but above the file
    emptyable: bool = False  # an explicit "" means something (see the module docstring)


def env_name(key: str) -> str:
    """`db-max-rows` → `PGRST_DB_MAX_ROWS`, PostgREST's mapping."""
    return "PGRST_" + key.upper().replace("-", "_").replace(".", "_")


def _text(label: str, raw: RawValue) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _integer(label: str, raw: RawValue, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(raw, bool):
        raise SettingsError(f"{label}: expected an integer, got {_text(label, raw)}")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise SettingsError(f"{label}: expected an integer, got {raw}")
        number = int(raw)
    else:
        number = _parse_int_text(label, raw) if isinstance(raw, str) else raw
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise SettingsError(f"{label}: must be {bounds}, got {number}")
    return number


def _parse_int_text(label: str, text: str) -> int:
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise SettingsError(f"{label}: expected an integer, got {text!r}")
    return int(stripped)


_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def parse_bool(label: str, raw: RawValue) -> bool:
    """true/false/yes/no/on/off/1/0, case-insensitively."""
    if isinstance(raw, bool):
        return raw
    word = _text(label, raw).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(f"{label}: expected a boolean (true/false, yes/no, on/off, 1/0), got {_text(label, raw)!r}")


def _comma_list(label: str, raw: RawValue) -> tuple[str, ...]:
    items = tuple(item.strip() for item in _text(label, raw).split(","))
    if any(not item for item in items):
        raise SettingsError(f"{label}: empty item in the comma-separated list {_text(label, raw)!r}")
    return items


def _schemas(label: str, raw: RawValue) -> tuple[str, ...]:
    schemas = _comma_list(label, raw)
    for schema in schemas:
        if schema in FORBIDDEN_SCHEMAS:  # PostgREST refuses to start with these exposed
            raise SettingsError(f"{label}: schema '{schema}' cannot be exposed")
    return schemas


def _search_path(label: str, raw: RawValue) -> tuple[str, ...]:
    return () if _text(label, raw) == "" else _comma_list(label, raw)


def _origins(label: str, raw: RawValue) -> tuple[str, ...] | None:
    """An empty list of CORS origins means any origin, as in PostgREST."""
    return None if _text(label, raw) == "" else _comma_list(label, raw)


def _optional_role(label: str, raw: RawValue) -> str | None:
    return _text(label, raw) or None


def _tx_end(label: str, raw: RawValue) -> str:
    mode = _text(label, raw)
    if mode not in TX_END_MODES:
        raise SettingsError(f"{label}: expected one of {', '.join(TX_END_MODES)}, got {mode!r}")
    return mode


def _count(label: str, raw: RawValue) -> int:
    return _integer(label, raw)


def _pool_size(label: str, raw: RawValue) -> int:
    return _integer(label, raw, minimum=1)


def _port(label: str, raw: RawValue) -> int:
    return _integer(label, raw, maximum=65535)


_SETTINGS: tuple[_Setting, ...] = (
    _Setting("db-uri", "db_uri", _text, extra_env=("DATABASE_URL",)),
    _Setting("db-schemas", "db_schemas", _schemas, aliases=("db-schema",)),
    _Setting("db-anon-role", "db_anon_role", _optional_role, emptyable=True),
    _Setting("jwt-secret", "jwt_secret", _text),
    _Setting("jwt-secret-is-base64", "jwt_secret_is_base64", parse_bool, aliases=("secret-is-base64",)),
    _Setting("jwt-aud", "jwt_aud", _text),
    _Setting("jwt-role-claim-key", "jwt_role_claim_key", _text, aliases=("role-claim-key",)),
    _Setting("jwt-cache-max-entries", "jwt_cache_max_entries", _count),
    _Setting("db-max-rows", "db_max_rows", _count, aliases=("max-rows",)),
    _Setting("db-pre-request", "db_pre_request", _text, aliases=("pre-request",)),
    _Setting("db-extra-search-path", "db_extra_search_path", _search_path, emptyable=True),
    _Setting("db-pool", "db_pool", _pool_size),
    _Setting("db-pool-acquisition-timeout", "db_pool_acquisition_timeout", _count),
    _Setting("db-tx-end", "db_tx_end", _tx_end),
    _Setting("db-prepared-statements", "db_prepared_statements", parse_bool),
    _Setting("db-channel", "db_channel", _text),
    _Setting("db-channel-enabled", "db_channel_enabled", parse_bool),
    _Setting("db-plan-enabled", "db_plan_enabled", parse_bool),
    _Setting("db-aggregates-enabled", "db_aggregates_enabled", parse_bool),
    _Setting("server-host", "server_host", _text),
    _Setting("server-port", "server_port", _port),
    _Setting("server-timing-enabled", "server_timing_enabled", parse_bool),
    _Setting("server-cors-allowed-origins", "server_cors_allowed_origins", _origins, emptyable=True),
)

# PostgREST settings Campus does not implement: accepted, reported in `warnings`, not used.
_UNSUPPORTED_KEYS = frozenset(
    {
        "admin-server-host",
        "admin-server-port",
        "client-error-verbosity",
        "db-config",
        "db-hoisted-tx-settings",
        "db-pool-automatic-recovery",
        "db-pool-max-idletime",
        "db-pool-max-lifetime",
        "db-pool-timeout",
        "db-pre-config",
        "db-root-spec",
        "db-timezone-enabled",
        "db-use-legacy-gucs",
        "log-level",
        "log-query",
        "openapi-mode",
        "openapi-security-active",
        "openapi-server-proxy-uri",
        "root-spec",
        "server-trace-header",
        "server-unix-socket",
        "server-unix-socket-mode",
        "url-use-legacy-target-names",
    }
)

_KNOWN_KEYS = frozenset(key for setting in _SETTINGS for key in (setting.key, *setting.aliases))
_KNOWN_ENV = frozenset(env_name(key) for key in _KNOWN_KEYS)
_ENV_TO_KEY = {env_name(key): key for key in _UNSUPPORTED_KEYS}


# --------------------------------------------------------------------------------------------
# Resolution: environment over file, current name over alias
# --------------------------------------------------------------------------------------------


def _build(env: Mapping[str, str], file_values: Mapping[str, RawValue]) -> EngineSettings:
    values: dict[str, Any] = {}
    for setting in _SETTINGS:
        found = _lookup(setting, env, file_values)
        if found is not None:
            label, raw = found
            values[setting.attribute] = setting.parse(label, raw)
    warnings = _file_warnings(file_values) + _env_warnings(env)
    return EngineSettings(**values, warnings=warnings)


def _lookup(
    setting: _Setting, env: Mapping[str, str], file_values: Mapping[str, RawValue]
) -> tuple[str, RawValue] | None:
    """The (label, raw value) that decides `setting`, or None for its default."""
    for key in (setting.key, *setting.aliases):
        extra = setting.extra_env if key == setting.key else ()
        names = (env_name(key), *extra)
        candidates = [(name, env.get(name)) for name in names] + [(key, file_values.get(key))]
        for label, raw in candidates:
            if raw is not None and (raw != "" or setting.emptyable):
                return label, raw
    return None


def _file_warnings(file_values: Mapping[str, RawValue]) -> tuple[str, ...]:
    return tuple(_unused_warning(key, key) for key in file_values if key not in _KNOWN_KEYS)


def _env_warnings(env: Mapping[str, str]) -> tuple[str, ...]:
    unused = sorted(name for name in env if name.startswith("PGRST_") and name not in _KNOWN_ENV)
    return tuple(_unused_warning(name, _ENV_TO_KEY.get(name)) for name in unused)


def _unused_warning(label: str, key: str | None) -> str:
    if key is not None and (key in _UNSUPPORTED_KEYS or key.startswith("app.settings.")):
        return f"{label}: PostgREST setting not supported by Campus; ignored"
    if label.startswith("PGRST_APP_SETTINGS_"):
        return f"{label}: app.settings.* are not supported by Campus; ignored"
    return f"{label}: unknown setting; ignored"


# --------------------------------------------------------------------------------------------
# The config-file format (PostgREST's configurator: `key = value`, `#` comments)
# --------------------------------------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z][A-Za-z0-9_-]*)*")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_BARE_BOOLEANS = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def parse_config_text(text: str, environ: Mapping[str, str], *, source: str = "config") -> dict[str, RawValue]:
    """`key = value` bindings in file order (a repeated key keeps its last value).

    Values are double-quoted strings (with `\\n \\t \\r \\" \\\\ \\uXXXX` escapes and `$(NAME)`
    interpolation of an earlier key or else an environment variable; `$$` is a literal `$`),
    or bare numbers and booleans.
    """
    return _ConfigParser(text, environ, source).parse()


class _ConfigParser:
    def __init__(self, text: str, environ: Mapping[str, str], source: str) -> None:
        self.text, self.environ, self.source = text, environ, source
        self.pos = 0
        self.values: dict[str, RawValue] = {}

    def parse(self) -> dict[str, RawValue]:
        while self._skip_blank_and_comments():
            key = self._key()
            self._skip_spaces(newlines=True)
            if not self._take("="):
                self._fail(f"expected '=' after '{key}'")
            self._skip_spaces(newlines=True)
            self.values[key] = self._value(key)
            self._end_of_binding(key)
        return self.values

    # -- lexing ---------------------------------------------------------------------------------

    def _fail(self, message: str) -> NoReturn:
        line = self.text.count("\n", 0, self.pos) + 1
        raise SettingsError(f"{self.source}, line {line}: {message}")

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _take(self, char: str) -> bool:
        if self._peek() == char:
            self.pos += 1
            return True
        return False

    def _skip_spaces(self, *, newlines: bool) -> None:
        blanks = " \t\r\n" if newlines else " \t"
        while self._peek() and self._peek() in blanks:
            self.pos += 1

    def _skip_comment(self) -> None:
        if self._peek() == "#":
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end

    def _skip_blank_and_comments(self) -> bool:
        """Skip to the next binding; False at the end of the text."""
        while True:
            self._skip_spaces(newlines=True)
            if self._peek() != "#":
                return self.pos < len(self.text)
            self._skip_comment()

    def _key(self) -> str:
        match = _KEY.match(self.text, self.pos)
        if match is None:
            self._fail(f"expected a setting name, found {self.text[self.pos : self.pos + 20]!r}")
        self.pos = match.end()
        return match.group()

    def _end_of_binding(self, key: str) -> None:
        self._skip_spaces(newlines=False)
        self._skip_comment()
        if self._peek() not in ("", "\n", "\r"):
            self._fail(f"unexpected text after the value of '{key}'")

    # -- values -----------------------------------------------------------------------------

    def _value(self, key: str) -> RawValue:
        if self._take('"'):
            return self._interpolate(key, self._quoted(key))
        start = self.pos
        while self._peek() and self._peek() not in " \t\r\n#":
            self.pos += 1
        token = self.text[start : self.pos]
        if _INTEGER.fullmatch(token):
            return int(token)
        if _NUMBER.fullmatch(token):
            return float(token)
        if token.lower() in _BARE_BOOLEANS:
            return _BARE_BOOLEANS[token.lower()]
        self.pos = start
        self._fail(f"the value of '{key}' must be a double-quoted string, a number or a boolean")

    def _quoted(self, key: str) -> str:
        start = self.pos
        chars: list[str] = []
        while True:
            char = self._peek()
            if char == "":
                self.pos = start  # report the line where the string opened
                self._fail(f"unterminated string in the value of '{key}'")
            self.pos += 1
            if char == '"':
                return "".join(chars)
            chars.append(self._escape(key) if char == "\\" else char)

    def _escape(self, key: str) -> str:
        code = self._peek()
        self.pos += 1
        if code in _ESCAPES:
            return _ESCAPES[code]
        if code != "u":
            self._fail(f"invalid escape '\\{code}' in the value of '{key}'")
        unit = self._hex4(key)
        if 0xD800 <= unit <= 0xDBFF:  # a UTF-16 surrogate pair, as JSON spells astral characters
            if not self.text.startswith("\\u", self.pos):
                self._fail(f"invalid UTF-16 surrogates in the value of '{key}'")
            self.pos += 2
            low = self._hex4(key)
            if not 0xDC00 <= low <= 0xDFFF:
                self._fail(f"invalid UTF-16 surrogates in the value of '{key}'")
            return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        if 0xDC00 <= unit <= 0xDFFF:
            self._fail(f"invalid UTF-16 surrogates in the value of '{key}'")
        return chr(unit)

    def _hex4(self, key: str) -> int:
        digits = self.text[self.pos : self.pos + 4]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            self._fail(f"invalid \\u escape in the value of '{key}'")
        self.pos += 4
        return int(digits, 16)

    def _interpolate(self, key: str, value: str) -> str:
        """Expand `$(NAME)` and `$$` the way configurator-pg does."""
        if "$" not in value:
            return value
        parts: list[str] = []
        index = 0
        while (dollar := value.find("$", index)) >= 0:
            parts.append(value[index:dollar])
            following = value[dollar + 1 : dollar + 2]
            if following == "$":
                parts.append("$")
                index = dollar + 2
                continue
            close = value.find(")", dollar + 2)
            if following != "(" or close <= dollar + 2:
                self._fail(f"invalid interpolation in the value of '{key}': use $(NAME) or $$")
            parts.append(self._variable(key, value[dollar + 2 : close]))
            index = close + 1
        parts.append(value[index:])
        return "".join(parts)

    def _variable(self, key: str, name: str) -> str:
        if name in self.values:  # an earlier binding in the same file shadows the environment
            earlier = self.values[name]
            if isinstance(earlier, bool):
                self._fail(f"variable '{name}' used in '{key}' is not a string or number")
            return _text(name, earlier)
        if name in self.environ:
            return self.environ[name]
        self._fail(f"no such variable: '{name}' (used in the value of '{key}')")
