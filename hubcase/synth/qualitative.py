"""Qualitative strand of the synthetic study: authored interviews, replicated for bigger studies.

The default study (qualitative sites A, B and D) gets the authored files in ``content/`` unchanged.
Any other set of qualitative sites is covered by moving the authored sites onto it and, for each
remaining site, replicating the participants and excerpts of one authored site chosen at random,
with participant and excerpt numbering continuing from the authored files.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import numpy as np

from hubcase.errors import HubcaseError

CONTENT = Path(__file__).parent / "content"
FILES = ("codebook.yml", "participants.csv", "excerpts.csv", "pathways.yml")
AUTHORED_SITES = ("A", "B", "D")


def generate_qualitative(site_ids: list[str], *, qualitative_sites: list[str], seed: int) -> dict[str, str]:
    """Return ``qualitative/<file>`` -> text for a study whose interviews ran at ``qualitative_sites``.

    An empty ``qualitative_sites`` means the study has no qualitative strand (an empty dict).
    """
    unknown = [s for s in qualitative_sites if s not in site_ids]
    if unknown:
        raise HubcaseError(
            f"synth: qualitative site(s) {', '.join(unknown)} are not among the study's sites "
            f"({', '.join(site_ids)}). Hint: choose qualitative sites from the generated site ids.")
    if not qualitative_sites:
        return {}
    texts = {name: (CONTENT / name).read_text(encoding="utf-8") for name in FILES}
    rename, clones = plan_sites(list(qualitative_sites), rng=np.random.default_rng(seed))
    if clones or any(old != new for old, new in rename.items()):
        people, quotes = replicate_interviews(_read_csv(texts["participants.csv"]),
                                              _read_csv(texts["excerpts.csv"]), rename=rename, clones=clones)
        texts["participants.csv"] = _write_csv(people)
        texts["excerpts.csv"] = _write_csv(quotes)
    return {f"qualitative/{name}": text for name, text in texts.items()}


def plan_sites(qualitative_sites: list[str], *,
               rng: np.random.Generator) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Map each authored site to a qualitative site, and pick a template site for every other one.

    Authored sites keep their id when it is a qualitative site; otherwise they take the next free
    qualitative site (or share one when there are fewer than three). Returns ``(rename, clones)``
    where ``clones`` lists ``(new_site, authored_template_site)``.
    """
    free = [s for s in qualitative_sites if s not in AUTHORED_SITES]
    rename = {}
    for i, site in enumerate(AUTHORED_SITES):
        if site in qualitative_sites:
            rename[site] = site
        elif free:
            rename[site] = free.pop(0)
        else:
            rename[site] = qualitative_sites[i % len(qualitative_sites)]
    templates = rng.choice(len(AUTHORED_SITES), size=len(free))
    return rename, [(site, AUTHORED_SITES[t]) for site, t in zip(free, templates)]


def replicate_interviews(participants: list[dict], excerpts: list[dict], *, rename: dict[str, str],
                         clones: list[tuple[str, str]]) -> tuple[list[dict], list[dict]]:
    """Move the authored rows to their new sites and append one copy of a template site per clone.

    Copies get fresh ids (``Hub client 20``…, ``EX146``…); codes, chains and text are kept.
    """
    people = [dict(p, site=rename[p["site"]]) for p in participants]
    quotes = [dict(e) for e in excerpts]
    said = defaultdict(list)
    for e in excerpts:
        said[e["participant_id"]].append(e)
    last = defaultdict(int)
    for p in participants:
        label, number = p["participant_id"].rsplit(" ", 1)
        last[label] = max(last[label], int(number))
    n_quotes = max(int(e["excerpt_id"][2:]) for e in excerpts)
    for site, template in clones:
        for p in (p for p in participants if p["site"] == template):
            label = p["participant_id"].rsplit(" ", 1)[0]
            last[label] += 1
            new_id = f"{label} {last[label]:02d}"
            people.append(dict(p, participant_id=new_id, site=site))
            for e in said[p["participant_id"]]:
                n_quotes += 1
                quotes.append(dict(e, excerpt_id=f"EX{n_quotes:03d}", participant_id=new_id))
    return people, quotes


def _read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _write_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
