"""The written fit rule (joint_displays/fit.py), checked with a fake Evidence object — no study needed.

Each test states the strands of one integration row inline, with the outcome the rule should give.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from joint_displays.fit import Value, derive_fit, evaluate_cell, fit_warnings, rate_row
from joint_displays.model import FitRating, StrandAssessment


@dataclass
class FakeEvidence:
    """Statistics by (name, scope), coded excerpts by scope as (participant, excerpt, themes, valence)."""

    stats: dict[tuple[str, str], Value] = field(default_factory=dict)
    excerpts: dict[str, list[tuple[str, str, tuple[str, ...], str]]] = field(default_factory=dict)
    recorded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)

    def statistic(self, name, scope):
        return self.stats.get((name, scope))

    def participants(self, *, scope, codes, themes, valence):
        self.calls.append({"scope": scope, "codes": codes, "themes": themes, "valence": valence})
        hits = [(p, e) for p, e, th, v in self.excerpts.get(scope, [])
                if (not themes or set(themes) & set(th)) and (valence is None or v == valence)]
        return {p for p, _ in hits}, tuple(e for _, e in hits)

    def mapping_fields(self, *, scope, fields):
        missing = tuple(f for f in fields if f not in self.recorded.get(scope, ()))
        return (not missing), (missing or tuple(fields))


def a(strand: str, outcome: str) -> StrandAssessment:
    return StrandAssessment(strand, outcome, f"{strand} {outcome}")


# ----------------------------------------------------------------------------- derive_fit

def test_two_supporting_strands_give_confirmation():
    rating, rationale = derive_fit((a("screening", "supports"), a("interviews", "supports")))
    assert rating == "confirmation"
    assert "screening, interviews support the same inference" in rationale


def test_a_complementary_strand_with_no_contradiction_gives_expansion():
    rating, rationale = derive_fit((a("service_mapping", "supports"), a("interviews", "complements")))
    assert rating == "expansion"
    assert "interviews add(s) complementary aspects to service mapping" in rationale


def test_two_complementary_strands_alone_give_expansion():
    rating, _ = derive_fit((a("screening", "complements"), a("interviews", "complements")))
    assert rating == "expansion"


def test_any_contradicting_strand_gives_discordance_even_beside_agreement():
    rating, rationale = derive_fit((a("service_mapping", "supports"), a("screening", "supports"),
                                    a("interviews", "contradicts")))
    assert rating == "discordance"
    assert rationale.startswith("interviews contradict(s)")


def test_contradiction_is_reported_even_when_it_is_the_only_addressing_strand():
    # The rule puts discordance first: one contradicting strand is never hidden as "not addressed".
    rating, rationale = derive_fit((a("screening", "contradicts"), a("interviews", "not_addressed")))
    assert rating == "discordance"
    assert "Not addressed: interviews." in rationale


def test_fewer_than_two_addressing_strands_is_not_addressed():
    rating, rationale = derive_fit((a("screening", "supports"), a("interviews", "not_addressed"),
                                    a("health_economics", "suppressed")))
    assert rating == "not_addressed"
    assert "Fewer than two strands" in rationale
    assert "Not addressed: interviews, health economics." in rationale


def test_a_row_with_no_strands_is_not_addressed():
    assert derive_fit(())[0] == "not_addressed"


def test_silent_strands_are_named_in_a_confirmation_rationale():
    _, rationale = derive_fit((a("screening", "supports"), a("interviews", "supports"),
                               a("service_mapping", "not_addressed")))
    assert rationale.endswith("Not addressed: service mapping.")


# ------------------------------------------------------------------- quantitative cells

def test_quantitative_test_that_holds_supports_and_cites_its_table():
    ev = FakeEvidence(stats={("share_3plus_domains", "all"): Value(0.62, "T55")})
    cell = {"statistic": "share_3plus_domains", "test": {"op": ">=", "value": 0.5}}
    out = evaluate_cell("screening", cell, "all", ev)
    assert out.outcome == "supports"
    assert out.rationale == "share_3plus_domains = 0.62 >= 0.5: holds"
    assert out.evidence == ("T55",)


def test_quantitative_test_that_holds_complements_when_the_cell_says_so():
    ev = FakeEvidence(stats={("share_3plus_domains", "all"): Value(0.62, "T55")})
    cell = {"statistic": "share_3plus_domains", "test": {"op": ">=", "value": 0.5}, "bears": "complements"}
    assert evaluate_cell("screening", cell, "all", ev).outcome == "complements"


def test_quantitative_test_that_fails_contradicts_whatever_the_cell_bears():
    ev = FakeEvidence(stats={("band6_share", "B"): Value(0.55, "T3")})
    cell = {"statistic": "band6_share", "test": {"op": ">=", "value": 0.6}, "bears": "complements"}
    out = evaluate_cell("service_mapping", cell, "B", ev)
    assert out.outcome == "contradicts"
    assert out.rationale == "band6_share = 0.55 >= 0.6: fails"


@pytest.mark.parametrize(("op", "holds"), [(">=", True), (">", False), ("<=", True), ("<", False),
                                           ("==", True), ("!=", False)])
def test_each_operator_at_the_boundary(op, holds):
    # The statistic equals the constant exactly: only the inclusive operators (and ==) hold.
    ev = FakeEvidence(stats={("s", "all"): Value(0.5, "T1")})
    out = evaluate_cell("screening", {"statistic": "s", "test": {"op": op, "value": 0.5}}, "all", ev)
    assert out.outcome == ("supports" if holds else "contradicts")


def test_comparison_against_another_statistic_uses_both_values_and_both_tables():
    # Mean EQ-5D 0.75 against the age norm 0.855: 0.75 < 0.855 holds.
    ev = FakeEvidence(stats={("eq5d_mean", "all"): Value(0.75, "T16b"),
                             ("eq5d_norm_45_54", "all"): Value(0.855, "T16n")})
    cell = {"statistic": "eq5d_mean", "test": {"op": "<", "statistic": "eq5d_norm_45_54"}}
    out = evaluate_cell("health_economics", cell, "all", ev)
    assert out.outcome == "supports"
    assert out.rationale == "eq5d_mean = 0.75 < eq5d_norm_45_54 = 0.855: holds"
    assert out.evidence == ("T16b", "T16n")


def test_comparison_against_another_statistic_can_fail():
    # Share of men among clients 0.25 against a workforce benchmark of 0.23: 0.25 < 0.23 fails.
    ev = FakeEvidence(stats={("subgroup_share_max", "men"): Value(0.25, "T-SG"),
                             ("subgroup_benchmark", "men"): Value(0.23, "study.yml")})
    cell = {"statistic": "subgroup_share_max", "test": {"op": "<", "statistic": "subgroup_benchmark"}}
    assert evaluate_cell("screening", cell, "men", ev).outcome == "contradicts"


def test_missing_comparison_statistic_is_not_addressed():
    ev = FakeEvidence(stats={("subgroup_share_max", "men"): Value(0.1, "T-SG")})
    cell = {"statistic": "subgroup_share_max", "test": {"op": "<", "statistic": "subgroup_benchmark"}}
    out = evaluate_cell("screening", cell, "men", ev)
    assert out.outcome == "not_addressed"
    assert "subgroup_benchmark is not available for men" in out.rationale


def test_missing_statistic_is_not_addressed_never_a_contradiction():
    out = evaluate_cell("screening", {"statistic": "caseness.audit", "test": {"op": ">=", "value": 0.2}}, "B",
                        FakeEvidence())
    assert out.outcome == "not_addressed"
    assert out.rationale == "caseness.audit is not available for B"


def test_statistic_with_no_value_is_not_addressed():
    ev = FakeEvidence(stats={("caseness.audit", "B"): Value(None, "T9")})
    out = evaluate_cell("screening", {"statistic": "caseness.audit", "test": {"op": ">=", "value": 0.2}}, "B", ev)
    assert out.outcome == "not_addressed"


def test_suppressed_statistic_is_marked_suppressed_and_its_value_is_not_shown():
    ev = FakeEvidence(stats={("subgroup_share_max", "tiny"): Value(0.004, "T-SG", n=2, suppressed=True)})
    out = evaluate_cell("screening", {"statistic": "subgroup_share_max", "test": {"op": "<", "value": 0.15}},
                        "tiny", ev)
    assert out.outcome == "suppressed"
    assert "0.004" not in out.rationale and "suppressed" in out.rationale


def test_suppressed_strand_does_not_count_towards_a_rating():
    ev = FakeEvidence(stats={("a", "all"): Value(0.9, "T1"), ("b", "all"): Value(0.9, "T2", suppressed=True)})
    row = {"strands": {"screening": {"statistic": "a", "test": {"op": ">", "value": 0.5}},
                       "health_economics": {"statistic": "b", "test": {"op": ">", "value": 0.5}}}}
    assert rate_row(row, "all", ev).derived == "not_addressed"


def test_statistic_without_a_test_bears_as_declared():
    ev = FakeEvidence(stats={("hub_related_cost_share", "all"): Value(0.58, "T18")})
    out = evaluate_cell("health_economics", {"statistic": "hub_related_cost_share", "bears": "complements"}, "all", ev)
    assert (out.outcome, out.rationale, out.evidence) == ("complements", "hub_related_cost_share = 0.58", ("T18",))


# -------------------------------------------------------------------- qualitative cells

def test_qualitative_cell_with_enough_participants_bears_and_lists_its_excerpts():
    ev = FakeEvidence(excerpts={"all": [("P1", "EX1", ("higher_need",), "neutral"),
                                        ("P2", "EX2", ("higher_need",), "barrier"),
                                        ("P3", "EX3", ("higher_need",), "neutral")]})
    cell = {"themes": ["higher_need"], "min_participants": 3, "bears": "complements"}
    out = evaluate_cell("interviews", cell, "all", ev)
    assert out.outcome == "complements"
    assert out.rationale == "3 participants coded higher_need (≥ 3)"
    assert out.evidence == ("EX1", "EX2", "EX3")


def test_qualitative_cell_counts_participants_not_excerpts():
    # Three matching excerpts but from two people: below min_participants = 3, so silent.
    ev = FakeEvidence(excerpts={"all": [("P1", "EX1", ("higher_need",), "neutral"),
                                        ("P1", "EX2", ("higher_need",), "neutral"),
                                        ("P2", "EX3", ("higher_need",), "neutral")]})
    out = evaluate_cell("interviews", {"themes": ["higher_need"], "min_participants": 3}, "all", ev)
    assert out.outcome == "not_addressed"
    assert out.rationale == "2 participant(s) coded higher_need, fewer than the 3 required"


def test_qualitative_cell_passes_scope_codes_themes_and_valence_to_the_evidence():
    ev = FakeEvidence()
    evaluate_cell("interviews", {"themes": ["clarity_of_offer"], "codes": ["differentiation"],
                                 "valence": "barrier"}, "B", ev)
    assert ev.calls == [{"scope": "B", "codes": ("differentiation",), "themes": ("clarity_of_offer",),
                         "valence": "barrier"}]


def test_qualitative_cell_defaults_to_one_participant():
    ev = FakeEvidence(excerpts={"A": [("P1", "EX1", ("clarity_of_offer",), "enabler")]})
    assert evaluate_cell("interviews", {"themes": ["clarity_of_offer"]}, "A", ev).outcome == "supports"


def test_qualitative_valence_filter_can_leave_a_strand_silent():
    ev = FakeEvidence(excerpts={"A": [("P1", "EX1", ("clarity_of_offer",), "enabler")]})
    out = evaluate_cell("interviews", {"themes": ["clarity_of_offer"], "valence": "barrier"}, "A", ev)
    assert out.outcome == "not_addressed"


# ------------------------------------------------------------- declared and other cells

def test_declared_not_addressed_wins_over_an_available_statistic():
    ev = FakeEvidence(stats={("share_3plus_domains", "all"): Value(0.9, "T55")})
    cell = {"not_addressed": "screening describes those who came forward", "statistic": "share_3plus_domains"}
    out = evaluate_cell("screening", cell, "all", ev)
    assert out.outcome == "not_addressed"
    assert out.rationale == "declared not addressed: screening describes those who came forward"


def test_service_mapping_fields_recorded_support_the_proposition():
    ev = FakeEvidence(recorded={"all": ("outreach.general",)})
    out = evaluate_cell("service_mapping", {"fields": ["outreach.general"]}, "all", ev)
    assert out.outcome == "supports"
    assert out.evidence == ("service_mapping:outreach.general",)


def test_service_mapping_fields_missing_are_not_addressed():
    out = evaluate_cell("service_mapping", {"fields": ["outreach.general"]}, "all", FakeEvidence())
    assert out.outcome == "not_addressed"
    assert "outreach.general" in out.rationale


def test_a_cell_naming_nothing_is_not_addressed():
    assert evaluate_cell("screening", {}, "all", FakeEvidence()).outcome == "not_addressed"


# ------------------------------------------------------------------ rate_row, declared

ROW = {"strands": {"service_mapping": {"statistic": "band6_share", "test": {"op": ">=", "value": 0.6}},
                   "screening": {"statistic": "share_3plus_domains", "test": {"op": ">=", "value": 0.4},
                                 "bears": "complements"}}}


def evidence_for(band6: float) -> FakeEvidence:
    return FakeEvidence(stats={("band6_share", "B"): Value(band6, "T3"),
                               ("share_3plus_domains", "B"): Value(0.6, "T55")})


def test_rate_row_evaluates_every_strand_in_the_scope():
    fit = rate_row(ROW, "B", evidence_for(0.67))
    assert fit.derived == "expansion"
    assert [(x.strand, x.outcome) for x in fit.assessments] == [("service_mapping", "supports"),
                                                                 ("screening", "complements")]
    assert fit.declared is None and fit.status == "derived" and not fit.disagrees


def test_the_same_row_flips_when_the_evidence_changes():
    assert rate_row(ROW, "B", evidence_for(0.67)).derived == "expansion"
    assert rate_row(ROW, "B", evidence_for(0.55)).derived == "discordance"


def test_declared_rating_that_agrees_is_shown_plainly_and_raises_no_warning():
    fit = rate_row({**ROW, "declared_fit": "expansion"}, "B", evidence_for(0.67))
    assert fit.shown == "Expansion"
    assert fit.status == "declared, agrees with derived"
    assert fit_warnings("T23", "need", "B", fit) == []


def test_declared_rating_is_kept_and_a_disagreement_is_marked_and_warned():
    fit = rate_row({**ROW, "declared_fit": "expansion", "rationale": "team consensus"}, "B", evidence_for(0.55))
    assert (fit.declared, fit.derived, fit.declared_rationale) == ("expansion", "discordance", "team consensus")
    assert fit.disagrees
    assert fit.shown == "Expansion (declared; evidence gives discordance)"
    assert fit.status == "declared, disagrees with derived"
    [warning] = fit_warnings("T23", "need", "B", fit)
    assert warning.startswith("T23 row need (B): declared fit 'expansion' differs from the rating the evidence "
                              "gives, 'discordance'")
    assert "service mapping contradict(s)" in warning


def test_not_addressed_rating_is_shown_in_words():
    fit = FitRating(derived="not_addressed", rationale="")
    assert fit.shown == "Not addressed"
