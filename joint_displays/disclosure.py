"""Disclosure control for joint displays.

Rules (stated in every subgroup display's note):

1. Subgroup displays carry no site identifier anywhere — cells, quotes,
   footnotes; service-mapping facts name how many sites, never which.
2. Quotes in subgroup displays are labelled by participant group only
   ("a non-Hub keyworker"), never by a numbered label that could be joined to
   a site through a Hub-level display; an excerpt shown in a Hub-level display
   is not reused in a subgroup display, nor is one whose text names a site or a
   numbered participant.
3. Counts below the study's ``min_cell_count`` show as ``<k``; statistics
   computed from fewer records are suppressed.
4. Excerpts flagged ``identifiable`` are never shown, in any output.
"""
from __future__ import annotations

import re
from typing import Iterable

from joint_displays.model import JointDisplay

GROUP_NOUNS = {"hub_client": "a Hub client", "non_hub_keyworker": "a non-Hub keyworker",
               "hub_staff": "a member of Hub staff", "wider_stakeholder": "a wider stakeholder"}


def cap(text: str) -> str:
    """Upper-case the first letter only ("a non-Hub keyworker" -> "A non-Hub keyworker")."""
    return text[:1].upper() + text[1:]


def suppress_count(n: int, k: int) -> str:
    """``"<k"`` for 0 < n < k (and for n == 0 is shown as 0), else the count."""
    return f"<{k}" if 0 < n < k else str(int(n))


def subgroup_rules_note(k: int) -> str:
    return (f"Disclosure control: no site is identified in this display; quotes are labelled by participant "
            f"group only and are not reused from Hub-level displays; counts below {k} are shown as <{k}; "
            "excerpts that could identify a participant are never shown.")


def site_patterns(site_ids: Iterable[str], site_labels: Iterable[str]) -> list[re.Pattern[str]]:
    pats = [re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE) for label in site_labels if label]
    pats += [re.compile(rf"\b(site|hub)\s+{re.escape(sid)}\b", re.IGNORECASE) for sid in site_ids]
    return pats


def naming_excerpts(excerpts, site_ids: Iterable[str], site_labels: Iterable[str],
                    participant_labels: Iterable[str] = ()) -> set[str]:
    """IDs of excerpts whose text names a site or a numbered participant (kept out of subgroup displays)."""
    pats = site_patterns(site_ids, site_labels)
    pats += [re.compile(rf"\b{re.escape(p)}\b", re.IGNORECASE) for p in participant_labels if p]
    return {eid for eid, text in zip(excerpts["excerpt_id"], excerpts["text"])
            if any(p.search(str(text)) for p in pats)}


def site_identifier_leaks(display: JointDisplay, site_ids: Iterable[str], site_labels: Iterable[str],
                          participant_labels: Iterable[str] = ()) -> list[str]:
    """Every place a site identifier or a numbered participant label occurs in the display."""
    pats = site_patterns(site_ids, site_labels)
    people = [re.compile(rf"\b{re.escape(p)}\b", re.IGNORECASE) for p in participant_labels]
    texts = [("title", display.title)] + [(f"note {i}", n) for i, n in enumerate(display.notes)]
    for row in display.rows:
        texts.append((f"row {row.id} label", row.label))
        for cid, cell in row.cells.items():
            texts.append((f"row {row.id} column {cid}", cell.shown))
            texts += [(f"row {row.id} column {cid} quote {q.excerpt_id}", q.label) for q in cell.quotes]
    leaks = []
    for where, text in texts:
        for pat in pats + people:
            if pat.search(text or ""):
                leaks.append(f"{display.id} {where}: {pat.pattern}")
    return leaks
