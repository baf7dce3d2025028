"""Content negotiation: which representation a read answers with, from the Accept header."""

from __future__ import annotations

from dataclasses import dataclass

from api.engine.errors import ApiError
from api.engine.request import MediaType

SINGULAR = "application/vnd.pgrst.object+json"
ARRAY = "application/vnd.pgrst.array+json"
CSV = "text/csv"
ANY_JSON = frozenset({"application/json", "*/*", "application/*"})


@dataclass(frozen=True)
class MediaChoice:
    kind: str  # json | object | csv
    strip_nulls: bool = False

    @property
    def content_type(self) -> str:
        if self.kind == "csv":
            return f"{CSV}; charset=utf-8"
        if not self.strip_nulls:
            return f"{SINGULAR if self.kind == 'object' else 'application/json'}; charset=utf-8"
        return f"{SINGULAR if self.kind == 'object' else ARRAY};nulls=stripped; charset=utf-8"


def negotiate(accept: tuple[MediaType, ...]) -> MediaChoice:
    """The first acceptable media type in the client's order (clients send */*; none means JSON)."""
    if not accept:
        return MediaChoice("json")
    for media in accept:
        full = f"{media.type}/{media.subtype}"
        strip = dict(media.params).get("nulls") == "stripped"
        if full in ANY_JSON:
            return MediaChoice("json")
        if full == ARRAY:
            return MediaChoice("json", strip_nulls=strip)
        if full == SINGULAR:
            return MediaChoice("object", strip_nulls=strip)
        if full in {CSV, "text/*"}:
            return MediaChoice("csv")
    offered = ", ".join(f"{m.type}/{m.subtype}" for m in accept)
    raise ApiError(406, "PGRST107", f"None of these media types are available: {offered}")
