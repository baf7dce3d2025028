"""Demo data for the writing platform: `campus demo load --scale small|medium|large`, `campus serve --demo`."""

from api.demo.load import DemoError, DemoExistsError, LoadReport, ensure_demo, load, sample_accounts
from api.demo.model import DEMO_PASSWORD, SCALES, SampleAccount

__all__ = [
    "DEMO_PASSWORD",
    "SCALES",
    "DemoError",
    "DemoExistsError",
    "LoadReport",
    "SampleAccount",
    "ensure_demo",
    "load",
    "sample_accounts",
]
