"""Campus's own settings from the environment (the engine's are in api/engine/settings.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # the owner's connection, for migrations; None: the embedded cluster
    data_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            database_url=env.get("DATABASE_URL") or env.get("PGRST_DB_URI") or None,
            data_dir=Path(env.get("CAMPUS_DATA_DIR", ".campus")),
        )


def mask_password(url: str) -> str:
    """The URL with its password replaced by ***, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
