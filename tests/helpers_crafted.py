"""A crafted study for build-level security tests: hostile text everywhere, a tiny subgroup, a secret.

``write_crafted_study(dest)`` copies ``data/synthetic`` and changes it so that

* data text carries markup and formulas: the study title, site labels, a subgroup label, codebook
  labels and descriptions, theme labels, integration statements, service-mapping text, unit-cost
  labels and every shown excerpt hold HTML/JS, Markdown, Typst, Quarto and spreadsheet payloads
  (:data:`PAYLOADS`); some excerpts *start* with a formula, so the CSV exports must neutralise it;
* subgroup ``tiny`` has exactly two screening records, both at site A, and two interviewees at
  site A whose barrier excerpts speak to it (a subgroup small enough to single people out);
* one excerpt flagged ``identifiable`` carries :data:`SECRET` and is made as attractive as possible
  to every selector (longest text, every theme, the tiny subgroup, a chain): it must appear in no
  output file.

``crafted_build(tmp_path_factory)`` builds it once per test session (HTML and PDF) and returns the
output folder; test modules share it through a folder under pytest's base temporary directory.
"""
from __future__ import annotations

import csv
import fcntl
import io
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"

SECRET = "ZQX-identifiable-7f3a91"
TINY = "tiny"
TINY_RECORDS = ("A0001", "A0002")
TINY_PEOPLE = ("Hub client 901", "Hub client 902")

SCRIPT = '<script>alert("xss-site")</script>'
IMG = "<img src=x onerror=alert(1)>"
TYPST = "#set page(fill: red)"
QUARTO = "{{< pagebreak >}}"
MATH = "$x^2$ and $5"
FORMULA = '=HYPERLINK("http://evil.example","click")'
PAYLOADS = {
    "title": f"Hostile study {SCRIPT} *not bold*",
    "site_A": f"Site A {SCRIPT}",
    "site_B": f"Site B {IMG}",
    "site_C": f"Site C {TYPST} [x](javascript:alert(1))",
    "site_D": f"Site D {QUARTO} `tick` {MATH}",
    "subgroup": f"Tiny group {TYPST} {QUARTO}",
    "code_label": f"Differentiation {IMG}",
    "code_description": f"Seeing the Hub as distinct {SCRIPT} #heading",
    "theme_label": f"Clarity {QUARTO} **strong** [link](http://evil.example)",
    "statement": f"Senior clinicians {SCRIPT} | pipe | {TYPST}",
    "proposition": f"Hubs help {IMG} ::: div",
    "service_label": f"Website {SCRIPT}",
    "outreach": f"Leaflets {IMG}",
    "unit_cost_label": "=cmd|' /C calc'!A0",
}
EXCERPT_PAYLOADS = (f"{FORMULA} said a colleague.", "+1 555 0100 was the number they gave.",
                    "-2 days later I rang again.", "@everyone was told about it.",
                    f"It was {SCRIPT} really.", f"Like {IMG} honestly.", f"A {TYPST} moment.",
                    f"A {QUARTO} break.", f"It cost {MATH} a session.", "A `code` *star* _under_ [link](x) # end")
LITERALS = tuple(dict.fromkeys([SCRIPT, IMG, TYPST, QUARTO]))  # must be visible as text in HTML and PDF


# ------------------------------------------------------------------ files
def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, doc: Any) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


def write_crafted_study(dest: Path) -> Path:
    shutil.copytree(SYNTHETIC, dest)
    _study_yml(dest)
    _screening(dest)
    _qualitative(dest)
    _service_maps(dest)
    _integration(dest)
    header, rows = _read_rows(dest / "costing" / "unit_costs.csv")
    rows[0]["label"] = PAYLOADS["unit_cost_label"]
    _write_rows(dest / "costing" / "unit_costs.csv", header, rows)
    return dest


def _study_yml(dest: Path) -> None:
    doc = _yaml(dest / "study.yml")
    doc["title"] = PAYLOADS["title"]
    for site in doc["sites"]:
        site["label"] = PAYLOADS[f"site_{site['id']}"]
    doc["subgroups"].append({"id": TINY, "label": PAYLOADS["subgroup"], "kind": "demographic",
                             "records": {"field": "record_id", "in": list(TINY_RECORDS)}})
    _dump(dest / "study.yml", doc)


def _screening(dest: Path) -> None:
    header, rows = _read_rows(dest / "screening.csv")
    sites = {r["record_id"]: r["site"] for r in rows}
    assert all(sites.get(r) == "A" for r in TINY_RECORDS), "the tiny subgroup's records must be at site A"


def _qualitative(dest: Path) -> None:
    qual = dest / "qualitative"
    header, people = _read_rows(qual / "participants.csv")
    template = next(p for p in people if p["group"] == "hub_client" and p["site"] == "A")
    for label in TINY_PEOPLE:
        people.append({**template, "participant_id": label, "subgroups": TINY, "restricted": "site"})
    _write_rows(qual / "participants.csv", header, people)

    header, excerpts = _read_rows(qual / "excerpts.csv")
    shown = [e for e in excerpts if e["identifiable"] == "false"]
    for i, e in enumerate(shown):
        payload = EXCERPT_PAYLOADS[i % len(EXCERPT_PAYLOADS)]
        e["text"] = payload + " " + e["text"] if payload[0] in "=+-@" else e["text"] + " " + payload
    codebook = _yaml(qual / "codebook.yml")
    themes = ";".join(t["id"] for t in codebook.get("themes") or ())
    base = next(e for e in shown if e["chain"] and e["valence"] == "barrier")
    for n, label in enumerate(TINY_PEOPLE, start=1):
        excerpts.append({**base, "excerpt_id": f"EX9{n:02d}", "participant_id": label, "subgroups": TINY,
                         "valence": "barrier", "text": f"Tiny-group barrier {n}: {base['text']}"})
    everything = ";".join(sorted({c for e in excerpts for c in e["codes"].split(";") if c}))
    excerpts.append({**base, "excerpt_id": "EX999", "participant_id": TINY_PEOPLE[0], "codes": everything,
                     "themes": themes, "subgroups": TINY, "valence": "barrier", "identifiable": "true",
                     "text": f"My name is {SECRET} and I work on ward 7 with my sister. " + "I " * 400})
    _write_rows(qual / "excerpts.csv", header, excerpts)

    sub = codebook["constructs"][0]["subconstructs"][0]
    sub["label"], sub["description"] = PAYLOADS["code_label"], PAYLOADS["code_description"]
    for theme in codebook.get("themes") or ():
        if theme["kind"] == "cross_cutting":
            theme["label"] = PAYLOADS["theme_label"]
            break
    _dump(qual / "codebook.yml", codebook)


def _service_maps(dest: Path) -> None:
    for path in sorted((dest / "service_mapping").glob("*.yml")):
        doc = _yaml(path)
        doc["services"][0]["label"] = PAYLOADS["service_label"]
        doc["outreach"]["general"] = [PAYLOADS["outreach"], *doc["outreach"]["general"][1:]]
        _dump(path, doc)


def _integration(dest: Path) -> None:
    doc = _yaml(dest / "integration.yml")
    row = doc["rows"][0]
    row["proposition"] = PAYLOADS["proposition"]
    first = next(iter(row["strands"].values()))
    if "statement" in first:
        first["statement"] = PAYLOADS["statement"]
    _dump(dest / "integration.yml", doc)


# ------------------------------------------------------------------ one build per session
def crafted_build(tmp_path_factory) -> Path:
    """Build the crafted study once per session (``--to html,pdf``); return the output folder."""
    from hubcase.pipeline.build import build

    base = tmp_path_factory.getbasetemp() / "crafted-build"
    base.mkdir(exist_ok=True)
    out = base / "out"
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").is_file():
            study = base / "study"
            if study.exists():
                shutil.rmtree(study)
            write_crafted_study(study)
            build(study=study, out=out, renderer="builtin", jobs=2, progress=lambda _: None)
    return out


def crafted_study_dir(tmp_path_factory) -> Path:
    return crafted_build(tmp_path_factory).parent / "study"
