"""The integration specification of the embedded synthetic study (integration.yml).

Each row states a proposition and how each strand bears on it; hubcase
evaluates the tests on the data at build time (see joint_displays/fit.py).
The three T26 rows reproduce the reference report's 'Expansion' ratings from
the evidence; the T23 and T24/T25 rows are rated per site and per subgroup.
"""
from __future__ import annotations

INTEGRATION_YAML = """\
# Integration specification: propositions behind the joint displays.
# Statistics are named in docs/integration.md; a test is evaluated on the data at build time.
rows:
  - id: staffing_use
    display: T26
    label: Staffing and use of Hubs
    proposition: Hubs are staffed by senior clinicians because the keyworkers who use them have severe, multi-domain needs.
    strands:
      service_mapping:
        statement: Hubs were predominantly staffed by senior and experienced clinicians.
        statistic: band6_share_min
        test: {op: ">=", value: 0.6}
        bears: supports
      screening:
        statement: Severe comorbid mental health needs across multiple domains.
        statistic: share_3plus_domains
        test: {op: ">=", value: 0.5}
        bears: complements
      health_economics:
        statement: Health status below population norms; staffing is the central component of Hub cost.
        statistic: eq5d_mean
        test: {op: "<", statistic: eq5d_norm_35_44}
        bears: complements
      interviews:
        statement: Keyworkers wait until they are close to breaking point before seeking help; the wider system sees the Hub as the place for more intensive needs.
        themes: [higher_need]
        min_participants: 3
        bears: complements
    declared_fit: expansion
  - id: uptake
    display: T26
    label: Uptake in general
    proposition: Outreach and promotion draw keyworkers to the Hubs, but barriers keep uptake and wider service use low.
    strands:
      service_mapping:
        statement: Outreach and promotion conducted to increase uptake.
        fields: [outreach.general]
        bears: supports
      screening:
        not_addressed: screening data describe those who came forward, not uptake
      health_economics:
        statement: Services delivered by or accessed through the Hub make up a large share of health and social care costs.
        statistic: hub_related_cost_share
        test: {op: ">=", value: 0.4}
        bears: complements
      interviews:
        statement: Confusion with other services, beliefs about job roles, unsupportive managers and workplace culture act as barriers to uptake.
        themes: [clarity_of_offer, beliefs_access]
        valence: barrier
        min_participants: 3
        bears: complements
    declared_fit: expansion
  - id: under_representation
    display: T26
    label: Under-representation
    proposition: Men, keyworkers from ethnic minority communities, care-home and emergency services staff are under-represented among Hub clients despite some targeted outreach.
    strands:
      service_mapping:
        statement: Some targeted outreach; no subgroup-specific staff training.
        statistic: targeted_outreach_count
        test: {op: ">=", value: 1}
        bears: complements
      screening:
        statement: Men and keyworkers from ethnic minority communities are under-represented among Hub clients relative to the workforce.
        statistic: subgroups_below_benchmark
        test: {op: ">=", value: 1}
        bears: supports
      health_economics:
        not_addressed: subgroup service-use and health-status figures are too small to report
      interviews:
        statement: Stigma, past negative experiences and a perceived lack of cultural competency act as barriers for these groups.
        themes: [under_representation]
        valence: barrier
        min_participants: 3
        bears: complements
    declared_fit: expansion
  - id: need_and_staffing
    display: T23
    label: Need and senior staffing
    proposition: The Hub serves keyworkers with high needs with a senior workforce.
    strands:
      service_mapping:
        statistic: band6_share
        test: {op: ">=", value: 0.6}
        bears: supports
      screening:
        statistic: share_3plus_domains
        test: {op: ">=", value: 0.4}
        bears: complements
      interviews:
        themes: [higher_need]
        min_participants: 1
        bears: complements
  - id: clarity_of_offer
    display: T23
    label: Clarity of the offer
    proposition: Where keyworkers understand how the Hub differs and how to reach it, they take up its support.
    strands:
      service_use:
        statistic: su_any_share
        test: {op: ">=", value: 0.4}
        bears: supports
      interviews:
        themes: [clarity_of_offer]
        valence: enabler
        min_participants: 1
        bears: supports
  - id: subgroup_reach
    display: T24
    label: Reach of the Hubs
    proposition: The group is under-represented among Hub clients relative to the workforce despite targeted outreach.
    strands:
      screening:
        statistic: subgroup_share_max
        test: {op: "<", statistic: subgroup_benchmark}
        bears: supports
      service_mapping:
        statistic: targeted_outreach_count
        test: {op: ">=", value: 1}
        bears: complements
      interviews:
        valence: barrier
        themes: [under_representation]
        min_participants: 2
        bears: complements
  - id: subgroup_reach_occupational
    display: T25
    label: Reach of the Hubs
    proposition: The group is a small share of Hub clients and meets specific barriers to access.
    strands:
      screening:
        statistic: subgroup_share_max
        test: {op: "<", value: 0.15}
        bears: supports
      service_mapping:
        statistic: targeted_outreach_count
        test: {op: ">=", value: 1}
        bears: complements
      interviews:
        valence: barrier
        themes: [under_representation]
        min_participants: 2
        bears: complements
"""


def integration_yaml() -> str:
    return INTEGRATION_YAML
