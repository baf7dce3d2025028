"""Content negotiation: which representation a read answers with, from the Accept header."""

from __future__ import annotations

from dataclasses import dataclass

from api.engine.errors import ApiError
from api.engine.request import MediaType

SINGULAR = "application/vnd.pgrst.object+json"
ARRAY = "application/vnd.pgrst.array+json"
CSV = "text/csv"
ANY_JSON = frozenset({"application/json", "*/*", "application/*"})


PLAN = "application/vnd.pgrst.plan"
PLAN_OPTIONS = frozenset({"analyze", "verbose", "settings", "buffers", "wal"})


@dataclass(frozen=True)
class PlanRequest:
    """`Accept: application/vnd.pgrst.plan[+json|+text]; for=…; options=…` (db-plan-enabled)."""

    format: str  # json | text
    for_media: str  # the representation whose query is explained
    options: tuple[str, ...]

    @property
    def content_type(self) -> str:
        return f'{PLAN}+{self.format}; for="{self.for_media}"; charset=utf-8'


@dataclass(frozen=True)
class MediaChoice:
    kind: str  # json | object | csv
    strip_nulls: bool = False
    plan: PlanRequest | None = None

    @property
    def content_type(self) -> str:
        if self.kind == "csv":
            return f"{CSV}; charset=utf-8"
        if not self.strip_nulls:
            return f"{SINGULAR if self.kind == 'object' else 'application/json'}; charset=utf-8"
        return f"{SINGULAR if self.kind == 'object' else ARRAY};nulls=stripped; charset=utf-8"


def negotiate(accept: tuple[MediaType, ...], *, plan_enabled: bool = False) -> MediaChoice:
    """The first acceptable media type in the client's order (clients send */*; none means JSON)."""
    if not accept:
        return MediaChoice("json")
    for media in accept:
        full = f"{media.type}/{media.subtype}"
        strip = dict(media.params).get("nulls") == "stripped"
        if plan_enabled and full in {PLAN, f"{PLAN}+json", f"{PLAN}+text"}:
            return _plan_choice(full, dict(media.params))
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


def _plan_choice(full: str, params: dict[str, str]) -> MediaChoice:
    for_media = params.get("for", "application/json").strip('"')
    options = tuple(o for o in params.get("options", "").split("|") if o in PLAN_OPTIONS)
    explained = negotiate((_media(for_media),)) if for_media else MediaChoice("json")
    plan = PlanRequest("json" if full.endswith("+json") else "text", for_media or "application/json", options)
    return MediaChoice(explained.kind, explained.strip_nulls, plan)


def _media(text: str) -> MediaType:
    kind, _, subtype = text.partition("/")
    return MediaType(kind, subtype or "*")
