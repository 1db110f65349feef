"""Write a whole synthetic study directory, deterministically."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from hubcase.synth.sites import SiteProfile, site_profiles
from hubcase.synth.study_config import study_yaml


def frame_to_csv(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def synthesise_files(*, seed: int = 2024, n_sites: int | None = None,
                     records_per_site: int | None = None) -> dict[str, str]:
    """Relative path -> text of every file of a synthetic study."""
    from hubcase.synth.costing import generate_costing
    from hubcase.synth.followup import generate_followup
    from hubcase.synth.qualitative import generate_qualitative
    from hubcase.synth.screening import generate_screening, select_followup_respondents
    from hubcase.synth.service_mapping import generate_service_maps

    sites: list[SiteProfile] = site_profiles(n_sites, records_per_site)
    files: dict[str, str] = {"study.yml": study_yaml(sites)}
    screening = generate_screening(sites, seed=seed)
    respondents = select_followup_respondents(screening, sites, seed=seed)
    followup, service_use, unit_costs = generate_followup(screening, respondents, sites, seed=seed)
    files["screening.csv"] = frame_to_csv(screening)
    files["followup.csv"] = frame_to_csv(followup)
    files["service_use.csv"] = frame_to_csv(service_use)
    files["costing/unit_costs.csv"] = frame_to_csv(unit_costs)
    files.update(generate_costing(sites, seed=seed))
    files.update(generate_service_maps(sites))
    qual_sites = [s.id for s in sites if s.qualitative]
    files.update(generate_qualitative([s.id for s in sites], qualitative_sites=qual_sites, seed=seed))
    try:
        from joint_displays.integration_default import integration_yaml
    except ImportError:  # the cross-case package supplies the default integration specification
        pass
    else:
        files["integration.yml"] = integration_yaml()
    return files


def synthesise(out: Path | str, *, seed: int = 2024, n_sites: int | None = None,
               records_per_site: int | None = None) -> list[Path]:
    """Write the study into ``out`` (created if needed); return the paths written."""
    out = Path(out)
    written = []
    for rel, text in sorted(synthesise_files(seed=seed, n_sites=n_sites, records_per_site=records_per_site).items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
