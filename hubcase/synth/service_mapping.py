"""Service-mapping strand of the synthetic study: one authored YAML file per calibrated site.

The four calibrated sites get the authored files in ``content/service_mapping/`` unchanged (their
facts follow chapter 3 of the reference evaluation). Any other site copies the file of its base
profile with its own ``site:`` and a ``region_staff`` scaled by :func:`site_scale`; everything
else, including the Table 4 posts, stays as the base site's, so the costing strand (which costs
those posts) and the service map agree.
"""
from __future__ import annotations

import re
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hubcase.errors import HubcaseError
from hubcase.synth.sites import SiteProfile

CONTENT = Path(__file__).parent / "content" / "service_mapping"
BASE_SITES = ("A", "B", "C", "D")
SCALE_RANGE = (0.8, 1.2)


def site_scale(site_id: str) -> float:
    """A fixed size factor in 0.8–1.2 for a non-calibrated site, derived from its id alone.

    The same factor scales the site's region workforce here and its non-staff costs, activity
    counts and budget in :mod:`hubcase.synth.costing`.
    """
    lo, hi = SCALE_RANGE
    step = zlib.crc32(site_id.encode("utf-8")) % 1001
    return round(lo + (hi - lo) * step / 1000, 3)


@cache
def authored_text(base: str) -> str:
    """The authored service map of calibrated site ``base`` (A–D), as text."""
    if base not in BASE_SITES:
        raise HubcaseError(f"synth: no authored service map for base site {base!r} "
                           f"(expected one of {', '.join(BASE_SITES)}).")
    return (CONTENT / f"{base}.yml").read_text(encoding="utf-8")


def base_map(base: str) -> dict[str, Any]:
    """The authored service map of ``base``, parsed (a fresh copy on every call)."""
    return yaml.safe_load(authored_text(base))


def generate_service_maps(sites: list[SiteProfile]) -> dict[str, str]:
    """Return ``service_mapping/<id>.yml`` -> text for every site of the study."""
    return {f"service_mapping/{s.id}.yml": service_map_text(s) for s in sites}


def service_map_text(site: SiteProfile) -> str:
    """The service map of one site: authored text for a calibrated site, a scaled copy otherwise."""
    text = authored_text(site.base)
    if site.calibrated:
        return text
    doc = base_map(site.base)
    region = round(doc["region_staff"] * site_scale(site.id) / 1000) * 1000
    body = _strip_header(text)
    body = _replace_line(body, "site", _scalar(site.id), site)
    body = _replace_line(body, "region_staff", str(region), site)
    header = (f"# Service mapping of synthetic Site {site.id}, copied from calibrated Site {site.base}\n"
              f"# with the region workforce scaled by {site_scale(site.id)}.\n")
    return header + body


def _strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


def _replace_line(text: str, key: str, value: str, site: SiteProfile) -> str:
    new, count = re.subn(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.MULTILINE)
    if count != 1:
        raise HubcaseError(f"synth: authored service map {site.base}.yml has no top-level `{key}:` line "
                           f"to set for site {site.id}.")
    return new


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as the same string (quoted when needed)."""
    return yaml.safe_dump(value, default_flow_style=True).splitlines()[0].removesuffix(" ...").strip()
