"""Qualitative strand (report chapter 6): participants, codebook, coverage, pathways, exemplars.

Disclosure rules applied here: a participant's ``restricted`` fields are never
shown beside the label, excerpts flagged ``identifiable`` are never returned,
and site appears only as an aggregate (coverage counts), never beside a label.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

import pandas as pd

from analyses.result import FigureResult, TableResult
from hubcase.checks import normalise_code, parse_chain
from hubcase.errors import AnalysisError
from hubcase.schema.core import split_list

GROUP_LABELS = {"hub_client": "Hub clients", "non_hub_keyworker": "Non-Hub keyworkers",
                "hub_staff": "Hub staff", "wider_stakeholder": "Wider stakeholders"}
RESTRICTED = "[withheld]"
SILENT = "·"


def code_index(codebook: Mapping[str, Any]) -> pd.DataFrame:
    """Codebook as a frame in canonical order: construct, construct_label, code, label, description, order."""
    rows = []
    for construct in codebook["constructs"]:
        for sub in construct["subconstructs"]:
            rows.append({"construct": construct["id"], "construct_label": construct["label"],
                         "npt_label": construct.get("npt_label"), "code": sub["id"], "label": sub["label"],
                         "description": sub["description"], "order": len(rows)})
    return pd.DataFrame(rows)


def _aliases(codebook) -> dict[str, str]:
    out = {}
    for construct in codebook["constructs"]:
        for sub in construct["subconstructs"]:
            out[sub["id"]] = sub["id"]
            for alias in sub.get("aliases") or ():
                out[normalise_code(alias)] = sub["id"]
    return out


def coded_excerpts(*, study) -> pd.DataFrame:
    """Excerpts safe to show (identifiable ones dropped) with normalised codes and chain lists,
    joined to participant group and site (site for aggregation only)."""
    ex = study.excerpts
    aliases = _aliases(study.codebook)
    shown = ex[~ex["identifiable"].fillna(False).astype(bool)].copy()
    shown["code_list"] = [[aliases.get(normalise_code(c), c) for c in split_list(v)] for v in shown["codes"]]
    shown["chain_list"] = [[aliases.get(c, c) for c in parse_chain(v)] for v in shown["chain"]]
    shown["theme_list"] = [split_list(v) for v in shown["themes"]]
    shown["subgroup_list"] = [split_list(v) for v in shown["subgroups"]]
    people = study.participants.set_index("participant_id")
    shown["group"] = shown["participant_id"].map(people["group"])
    shown["site"] = shown["participant_id"].map(people["site"])
    return shown.reset_index(drop=True)


def _publishable(row: pd.Series, field: str) -> str:
    value = row.get(field)
    if field == "site" or field in split_list(row.get("restricted")):  # site is never beside a label
        return RESTRICTED
    if value is None or pd.isna(value):
        return "–"
    return str(value).replace("_", " ")


def _label_order(people: pd.DataFrame, groups: tuple[str, ...]) -> list:
    """Row positions sorted by group (in ``groups`` order) then label number: 'Hub client 9' before 'Hub client 10'."""
    def key(i: int) -> tuple:
        label, _, number = str(people["participant_id"].iloc[i]).rpartition(" ")
        return groups.index(str(people["group"].iloc[i])), label.lower(), int(number) if number.isdigit() else 0
    return sorted(range(len(people)), key=key)


def participants_table(*, study, groups: tuple[str, ...], table_id: str, title: str,
                       fields: tuple[str, ...]) -> TableResult:
    people = study.participants[study.participants["group"].astype(str).isin(groups)]
    people = people.iloc[_label_order(people, groups)]
    display = pd.DataFrame({"Participant": people["participant_id"].tolist()})
    for field in fields:
        display[field.replace("_", " ").capitalize()] = [_publishable(r, field) for _, r in people.iterrows()]
    data = people.groupby("group", observed=True).size().rename("n").reset_index()
    notes = ("Site is never shown beside a participant label; fields a participant's record marks as "
             f"restricted show as {RESTRICTED}.",)
    return TableResult(table_id, title, data, display, notes)


def keyworker_participants_table(*, study) -> TableResult:
    """T19: Hub clients and non-Hub keyworkers with occupational and demographic descriptors."""
    return participants_table(study=study, groups=("hub_client", "non_hub_keyworker"), table_id="T19",
                              title="Hub clients and non-Hub keyworkers interviewed",
                              fields=("occupation", "clinical", "org_type", "gender", "ethnicity"))


def hub_staff_table(*, study) -> TableResult:
    """T20: Hub staff interviewed (occupation only)."""
    return participants_table(study=study, groups=("hub_staff",), table_id="T20", title="Hub staff interviewed",
                              fields=("occupation",))


def stakeholders_table(*, study) -> TableResult:
    """T21: wider stakeholders interviewed (occupation only)."""
    return participants_table(study=study, groups=("wider_stakeholder",), table_id="T21",
                              title="Wider stakeholders interviewed", fields=("occupation",))


def codebook_table(*, study) -> TableResult:
    """T22: NPT constructs and sub-constructs with their descriptions."""
    codes = code_index(study.codebook)
    display = pd.DataFrame({
        "NPT construct": [c if i == 0 or codes["construct_label"].iloc[i - 1] != c else ""
                          for i, c in enumerate(codes["construct_label"])],
        "Sub-construct": codes["label"], "Description": codes["description"]})
    return TableResult("T22", "Overview of themes and sub-themes (constructs of normalisation process theory)",
                       codes, display)


def coverage_table(*, study, site: str | None = None) -> TableResult:
    """T-QCOV: participants coded to each sub-construct, by participant group and site (silence shown)."""
    ex = coded_excerpts(study=study)
    if site is not None:
        ex = ex[ex["site"] == site]
    long = ex[["participant_id", "group", "site", "code_list"]].explode("code_list").dropna(subset=["code_list"])
    counts = long.drop_duplicates().groupby(["code_list", "group", "site"]).size().rename("participants")
    codes = code_index(study.codebook)
    sites = [s for s in study.config.sites_with("qualitative") if site is None or s == site]
    groups = list(GROUP_LABELS)
    index = pd.MultiIndex.from_product([codes["code"], groups, sites], names=["code", "group", "site"])
    data = counts.rename_axis(["code", "group", "site"]).reindex(index, fill_value=0).reset_index()
    display = pd.DataFrame({"Sub-construct": codes["label"].tolist()})
    for g in groups:
        for s in sites:
            col = f"{GROUP_LABELS[g]} – {study.config.site(s).label}" if len(sites) > 1 else GROUP_LABELS[g]
            vals = data[(data["group"] == g) & (data["site"] == s)].set_index("code")["participants"]
            display[col] = [str(int(vals[c])) if vals[c] else SILENT for c in codes["code"]]
    return TableResult("T-QCOV", "Coverage of NPT sub-constructs: participants coded, by group and site", data,
                       display, (f"{SILENT} = no participant of the group at the site was coded to the "
                                 "sub-construct (silence), shown rather than hidden.",
                                 "Counts of participants, not excerpts; identifiable excerpts are excluded."))


def chain_frequency_table(*, study) -> TableResult:
    """T-QCHAIN: frequency of pathway chains, with valence and participant counts."""
    ex = coded_excerpts(study=study)
    ex = ex[ex["chain_list"].map(len) > 0].copy()
    ex["pathway"] = ex["chain_list"].map(" → ".join)
    data = (ex.groupby(["pathway", "valence"], observed=True)
            .agg(excerpts=("excerpt_id", "size"), participants=("participant_id", "nunique"))
            .reset_index().sort_values(["excerpts", "pathway"], ascending=[False, True], kind="stable"))
    labels = dict(zip(code_index(study.codebook)["code"], code_index(study.codebook)["label"].str.lower()))
    display = pd.DataFrame({
        "Pathway": [" → ".join(labels.get(c, c) for c in p.split(" → ")) for p in data["pathway"]],
        "Valence": data["valence"].astype(str), "Excerpts": data["excerpts"].astype(str),
        "Participants": data["participants"].astype(str)})
    return TableResult("T-QCHAIN", "Pathway chains between NPT sub-constructs", data.reset_index(drop=True),
                       display.reset_index(drop=True))


def select_exemplars(excerpts: pd.DataFrame, *, codes: list[str] | None = None, k: int = 2) -> pd.DataFrame:
    """Deterministic choice: most codes in common with ``codes``, then with a chain, then longest, then id."""
    ex = excerpts.copy()
    wanted = set(codes or ())
    ex["_overlap"] = [len(wanted & set(c)) for c in ex["code_list"]]
    ex["_chain"] = ex["chain_list"].map(len)
    ex["_len"] = ex["text"].str.len()
    ex = ex.sort_values(["_overlap", "_chain", "_len", "excerpt_id"], ascending=[False, False, False, True],
                        kind="stable")
    return ex.head(k).drop(columns=["_overlap", "_chain", "_len"])


def exemplars_table(*, study, k: int = 2) -> TableResult:
    """T-QEX: exemplar excerpts per theme, chosen deterministically, labelled by participant."""
    ex = coded_excerpts(study=study)
    rows = []
    for theme in study.codebook.get("themes") or ():
        pool = ex[ex["theme_list"].map(lambda t, tid=theme["id"]: tid in t)]
        for _, r in select_exemplars(pool, codes=theme["codes"], k=k).iterrows():
            rows.append({"theme": theme["id"], "theme_label": theme["label"], "excerpt_id": r["excerpt_id"],
                         "participant_id": r["participant_id"], "text": r["text"],
                         "pathway": " → ".join(r["chain_list"]), "valence": r["valence"]})
    data = pd.DataFrame(rows, columns=["theme", "theme_label", "excerpt_id", "participant_id", "text", "pathway",
                                       "valence"])
    display = pd.DataFrame({"Theme": data["theme_label"], "Excerpt": data["excerpt_id"],
                            "Participant": data["participant_id"], "Quote": data["text"],
                            "Pathway": data["pathway"].replace("", "–")})
    return TableResult("T-QEX", "Exemplar excerpts by theme", data, display,
                       ("Chosen deterministically: most codes shared with the theme, then excerpts with a pathway, "
                        "then the longest; identifiable excerpts are never shown.",))


def enablers_barriers_table(*, study) -> TableResult:
    """T-QEB: excerpts coded to each sub-construct as enablers and as barriers (Figures 4 and 5)."""
    ex = coded_excerpts(study=study)
    long = ex[["excerpt_id", "valence", "code_list"]].explode("code_list").dropna(subset=["code_list"])
    counts = long.groupby(["code_list", "valence"], observed=True).size().unstack(fill_value=0)
    codes = code_index(study.codebook)
    counts = counts.reindex(codes["code"], fill_value=0)
    data = codes[["construct_label", "code", "label"]].copy()
    for v in ("enabler", "barrier"):
        data[v] = counts[v].to_numpy() if v in counts else 0
    display = pd.DataFrame({"NPT construct": data["construct_label"], "Sub-construct": data["label"],
                            "Enabler excerpts": data["enabler"].astype(str),
                            "Barrier excerpts": data["barrier"].astype(str)})
    return TableResult("T-QEB", "Enablers and barriers by NPT sub-construct", data, display,
                       ("Derived from the coded excerpts' valence; a regeneration, not a reproduction, of the "
                        "report's Figures 4 and 5.",))


def pathway_edges(*, study, valence: str) -> pd.DataFrame:
    """Directed edges between consecutive chain nodes for one valence: source, target, excerpts."""
    ex = coded_excerpts(study=study)
    edges: Counter[tuple[str, str]] = Counter()
    for chain in ex.loc[ex["valence"] == valence, "chain_list"]:
        for a, b in zip(chain, chain[1:]):
            edges[(a, b)] += 1
    return pd.DataFrame([{"source": a, "target": b, "excerpts": n} for (a, b), n in sorted(edges.items())],
                        columns=["source", "target", "excerpts"])


def pathway_figure(*, study, valence: str) -> FigureResult:
    """F4 (enablers) / F5 (barriers): NPT sub-constructs as nodes by construct, chain links as arrows."""
    from matplotlib.figure import Figure  # not pyplot: no global figure registry, no GUI backend

    if valence not in ("enabler", "barrier"):
        raise AnalysisError(f"pathway_figure: valence must be 'enabler' (Figure 4) or 'barrier' (Figure 5), "
                            f"got {valence!r}")
    codes = code_index(study.codebook)
    edges = pathway_edges(study=study, valence=valence)
    constructs = list(dict.fromkeys(codes["construct"]))
    pos = {}
    for ci, construct in enumerate(constructs):
        members = codes[codes["construct"] == construct]
        for ri, code in enumerate(members["code"]):
            pos[code] = (ci * 3.0, -ri * 1.2)
    fig = Figure(figsize=(10, 5.5), dpi=100)
    ax = fig.subplots()
    colour = "#1b7837" if valence == "enabler" else "#b2182b"
    used = set(edges["source"]) | set(edges["target"])
    for _, e in edges.iterrows():
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(
            arrowstyle="-|>", color=colour, lw=0.6 + 0.6 * e["excerpts"], alpha=0.7,
            connectionstyle="arc3,rad=0.15", shrinkA=18, shrinkB=18))
    for code, (x, y) in pos.items():
        label = codes.loc[codes["code"] == code, "label"].iloc[0]
        ax.text(x, y, label, ha="center", va="center", fontsize=8, wrap=True,
                bbox=dict(boxstyle="round,pad=0.3", fc="white" if code in used else "#eeeeee",
                          ec=colour if code in used else "#999999"))
    for ci, construct in enumerate(constructs):
        ax.text(ci * 3.0, 1.0, codes.loc[codes["construct"] == construct, "construct_label"].iloc[0],
                ha="center", fontsize=10, weight="bold")
    ax.set_xlim(-1.6, 3.0 * (len(constructs) - 1) + 1.6)
    ax.set_ylim(-1.2 * max(codes.groupby("construct").size()) + 0.4, 1.6)
    ax.axis("off")
    fig.tight_layout()
    fid, word = ("F4", "Enablers") if valence == "enabler" else ("F5", "Barriers")
    return FigureResult(fid, f"{word} to uptake and implementation of the Hubs: pathways between NPT "
                        "sub-constructs in the coded excerpts", fig, edges,
                        ("Arrow width grows with the number of excerpts whose chain links the two codes; "
                         "grey boxes are sub-constructs on no chain of this valence.",))


TABLES = (keyworker_participants_table, hub_staff_table, stakeholders_table, codebook_table, coverage_table,
          chain_frequency_table, exemplars_table, enablers_barriers_table)
