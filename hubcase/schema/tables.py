"""Schemas of the study's CSV tables (record-level and reference data)."""
from __future__ import annotations

from hubcase.instruments import MEASURES
from hubcase.schema.core import Column as C
from hubcase.schema.core import TableSchema

SITE_PATTERN = r"[A-Za-z0-9_]{1,20}"
GENDERS = ("woman", "man", "another_way")
ETHNICITIES = (
    "white_british", "white_irish", "other_white", "black_african", "black_caribbean", "other_black",
    "chinese", "indian", "bangladeshi", "pakistani", "other_asian", "white_asian",
    "white_black_caribbean", "white_black_african", "other_mixed", "other",
)
ETHNIC_GROUPS = {  # Table 6 grouping; White Irish is folded into "Other white" (docs/decisions.md)
    "white_british": "white_british", "white_irish": "other_white", "other_white": "other_white",
    "black_african": "black", "black_caribbean": "black", "other_black": "black",
    "chinese": "asian", "indian": "asian", "bangladeshi": "asian", "pakistani": "asian", "other_asian": "asian",
    "white_asian": "mixed", "white_black_caribbean": "mixed", "white_black_african": "mixed",
    "other_mixed": "mixed", "other": "other",
}
SECTORS = ("nhs", "primary_care", "social_care", "emergency_services", "education", "vcse",
           "local_authority", "other")
WORK_SETTINGS = ("icu_critical_care", "nightingale", "a_and_e", "other_ward", "across_hospital",
                 "primary_care", "education", "emergency_services", "residential_care", "community_care",
                 "local_authority", "voluntary", "other")
COVID_IMPACTS = {
    "covid_ill_home": "Ill with COVID-19 (recovered at home)",
    "covid_ill_hosp": "Ill with COVID-19 (including being in hospital)",
    "family_ill_home": "Family member ill with COVID-19 (recovered at home)",
    "family_ill_hosp": "Family member ill with COVID-19 (including being in hospital)",
    "financial_loss": "Suffered financial loss within the household",
    "new_tasks": "Undertaking new tasks within usual role",
    "seconded_redeployed": "Seconded or redeployed to a different post",
    "moved_location": "Moved to a different work location",
    "bereavement": "Experienced bereavement of a family member or close friend",
}
YES_NO = ("yes", "no")
YES_NO_DK = ("yes", "no", "dont_know")


def _item_columns() -> list[C]:
    cols = []
    for m in MEASURES.values():
        for item in m.items:
            restricted = item in m.restricted_items
            cols.append(C(
                item, "integer",
                f"{m.label} item {item.split('_', 1)[1]}; blank where not administered or not answered",
                required=False, minimum=m.item_min, maximum=m.item_max,
                allowed_values=m.allowed_item_values if restricted else None,
                unit="item score",
                hint=(f"{m.label} items {'9 and 10 score 0, 2 or 4' if restricted else f'score {m.item_min}–{m.item_max}'}"),
            ))
    return cols


SCREENING = TableSchema(
    id="screening", path="screening.csv", title="Screening records",
    description=("One row per adult keyworker who completed Hub screening and consented to research use "
                 "of anonymised data. Item-level responses; totals, bands and caseness are derived by hubcase."),
    key=("record_id",),
    columns=(
        C("record_id", "string", "Unique record identifier", nullable=False, unique=True, pattern=r"[A-Za-z0-9_.-]{1,40}"),
        C("site", "string", "Site id; must be declared in study.yml", nullable=False, pattern=SITE_PATTERN),
        C("screen_date", "date", "Date of screening (YYYY-MM-DD); not in the future", required=False),
        C("consent_contact", "boolean", "Consented to be contacted for follow-up research", required=False),
        C("age", "integer", "Age at screening", minimum=18, maximum=100, unit="years"),
        C("gender", "category", "Gender", allowed=GENDERS),
        C("ethnicity", "category", "Ethnicity (census categories); blank = missing/not stated", allowed=ETHNICITIES),
        C("sexual_orientation", "category", "Sexual orientation; blank = prefer not to say/left blank",
          allowed=("heterosexual", "another_way")),
        C("disability", "category", "Self-reported disability as recorded (blank = not stated)", allowed=YES_NO),
        C("sector", "category", "Harmonised occupational sector (Table 7)", allowed=SECTORS),
        C("work_setting", "category", "Raw work setting; ICU/critical care and Nightingale define the ICU "
          "subgroup within the NHS, residential_care within social care defines care-home staff",
          required=False, allowed=WORK_SETTINGS),
        C("clinical_role", "category", "Clinical or non-clinical role (NHS staff; where the site recorded role)",
          required=False, allowed=("clinical", "non_clinical")),
        *(C(name, "boolean", f"COVID-19 impact: {label}") for name, label in COVID_IMPACTS.items()),
        C("prepandemic_concern", "category", "Concerned about emotional well-being before COVID-19",
          allowed=("yes", "no", "unsure")),
        *_item_columns(),
    ),
)

FOLLOWUP = TableSchema(
    id="followup", path="followup.csv", title="Follow-up service-use questionnaire",
    description=("One row per respondent to the follow-up service-use questionnaire (SUQ), sent 5–8 months "
                 "after screening; linked to screening by record_id. Skip logic: contact mode only if "
                 "hub_contact_any is yes; support source only if mh_support_any is yes; waiting-list source "
                 "only if waitlist_any is yes."),
    key=("record_id",),
    columns=(
        C("record_id", "string", "Screening record this response belongs to", nullable=False),
        C("site", "string", "Site id (must equal the screening record's site)", nullable=False, pattern=SITE_PATTERN),
        C("months_since_screening", "number", "Months from screening to questionnaire", minimum=0, maximum=36,
          unit="months"),
        C("hub_contact_any", "category", "Further contact of any kind with Hub staff", allowed=YES_NO_DK),
        C("hub_contact_phone", "category", "Contact by telephone (asked if any contact)", allowed=YES_NO_DK),
        C("hub_contact_email", "category", "Contact by e-mail (asked if any contact)", allowed=YES_NO_DK),
        C("mh_support_any", "category", "Accessed mental health support via any route since screening", allowed=YES_NO),
        C("mh_support_hub", "category", "Support provided by the Hub (asked if any support)", allowed=YES_NO),
        C("mh_support_employer", "category", "Support provided by employer (asked if any support)", allowed=YES_NO),
        C("mh_support_nonhub_via_hub", "category", "Non-Hub support accessed by direct support of the Hub",
          allowed=YES_NO),
        C("waitlist_any", "category", "On a waiting list for mental health support", allowed=YES_NO),
        C("waitlist_hub", "category", "Waiting list: Hub support", allowed=YES_NO),
        C("waitlist_employer", "category", "Waiting list: employer support", allowed=YES_NO),
        C("waitlist_nonhub_via_hub", "category", "Waiting list: non-Hub support accessed via the Hub", allowed=YES_NO),
        C("hub_helpfulness", "integer", "How helpful was contact with the Hub", minimum=0, maximum=100,
          unit="0–100 scale"),
        C("hub_met_needs", "category", "Did the Hub meet your needs", allowed=("yes_fully", "yes_partially", "no")),
        C("hub_referral", "integer", "Did the Hub refer you / help you access other services (response 1–5, "
          "labels in docs)", minimum=1, maximum=5),
        C("accessed_due_to_hub", "boolean", "Accessed mental health support as a result of the Hub"),
        C("eq5d_mo", "integer", "EQ-5D-5L mobility level", minimum=1, maximum=5, unit="level"),
        C("eq5d_sc", "integer", "EQ-5D-5L self-care level", minimum=1, maximum=5, unit="level"),
        C("eq5d_ua", "integer", "EQ-5D-5L usual activities level", minimum=1, maximum=5, unit="level"),
        C("eq5d_pd", "integer", "EQ-5D-5L pain/discomfort level", minimum=1, maximum=5, unit="level"),
        C("eq5d_ad", "integer", "EQ-5D-5L anxiety/depression level", minimum=1, maximum=5, unit="level"),
        C("eq_vas", "integer", "EQ visual analogue scale", minimum=0, maximum=100, unit="0–100"),
        C("service_use_mh_costable", "boolean", "Mental health support section complete enough to cost"),
        C("service_use_other_costable", "boolean", "Other (wider) service-use section complete enough to cost"),
    ),
)

SERVICE_USE = TableSchema(
    id="service_use", path="service_use.csv", title="Service-use items",
    description=("One row per service reported in the follow-up questionnaire. Costed as quantity × the "
                 "unit cost of service_type in costing/unit_costs.csv."),
    key=("use_id",),
    columns=(
        C("use_id", "string", "Unique id of this service-use item", nullable=False),
        C("record_id", "string", "Follow-up respondent (record_id in followup.csv)", nullable=False),
        C("section", "category", "Questionnaire section", nullable=False, allowed=("mental_health", "wider")),
        C("service_type", "string", "Service type; must be listed in costing/unit_costs.csv", nullable=False),
        C("status", "category", "Mental health support status (blank for wider services)",
          allowed=("current", "complete", "incomplete", "waitlist")),
        C("quantity", "number", "Units used (sessions, visits, nights...; unit given by the unit-cost table)",
          minimum=0, maximum=1000),
        C("delivered_by_hub", "boolean", "Support delivered by the Hub"),
        C("accessed_due_to_hub", "boolean", "Service accessed as a result of Hub support"),
    ),
)

UNIT_COSTS = TableSchema(
    id="unit_costs", path="costing/unit_costs.csv", title="Unit costs of services",
    description="National unit costs used to cost reported service use (currency and price year from study.yml).",
    key=("service_type",),
    columns=(
        C("service_type", "string", "Service type id", nullable=False),
        C("section", "category", "Questionnaire section", nullable=False, allowed=("mental_health", "wider")),
        C("category", "string", "Reporting category (Table 17 type for mental health; Table 18 category for wider)",
          nullable=False),
        C("label", "string", "Readable label", nullable=False),
        C("unit", "string", "Unit of quantity (session, visit, night, month...)", nullable=False),
        C("unit_cost", "number", "Cost per unit", nullable=False, minimum=0, unit="currency, price year"),
        C("source", "string", "Where the unit cost comes from", nullable=False),
    ),
)

STAFF_UNIT_COSTS = TableSchema(
    id="staff_unit_costs", path="costing/staff_unit_costs.csv", title="Staff unit costs by Agenda-for-Change band",
    description="Annual cost per WTE by band: excluding on-costs that overlap Hub-reported costs (primary), and "
                "the full published cost including overheads (sensitivity analysis 2).",
    key=("afc_band",),
    columns=(
        C("afc_band", "string", "Agenda-for-Change band", nullable=False),
        C("annual_cost", "number", "Annual cost per WTE excluding overlapping on-costs", nullable=False, minimum=0),
        C("annual_cost_full", "number", "Annual cost per WTE including all published on-costs and overheads",
          nullable=False, minimum=0),
        C("source", "string", "Source of the unit cost", nullable=False),
    ),
)

HUB_COSTS = TableSchema(
    id="hub_costs", path="costing/hub_costs.csv", title="Hub cost lines",
    description=("Set-up (one-off) and ongoing (annual) cost lines per site. A line has either an amount or "
                 "a WTE with an Agenda-for-Change band (costed from staff_unit_costs.csv)."),
    key=("site", "line_id"),
    columns=(
        C("site", "string", "Site id", nullable=False, pattern=SITE_PATTERN),
        C("line_id", "string", "Line id, unique within the site", nullable=False),
        C("phase", "category", "Set-up or ongoing", nullable=False, allowed=("setup", "ongoing")),
        C("category", "category", "Cost category (Tables 14–15)", nullable=False, allowed=(
            "management", "clinical_leadership", "clinical_staff", "administrative_support", "other_staff",
            "estates_overheads", "it_infrastructure", "equipment", "workshops_conferences", "promotional_material",
            "training", "travel", "printing_stationery", "other_non_staff")),
        C("description", "string", "What the line is"),
        C("amount", "number", "Cost in currency (non-staff lines, or staff lines reported as money)", minimum=0),
        C("wte", "number", "Whole-time equivalent (staff lines)", minimum=0, maximum=100, unit="WTE"),
        C("afc_band", "string", "Agenda-for-Change band of a staff line"),
        C("continuous_funding", "boolean", "Funding is continuous (temporary posts are excluded from ongoing cost)"),
        C("estimated", "boolean", "The amount is the Hub's estimate"),
    ),
)

HUB_ACTIVITY = TableSchema(
    id="hub_activity", path="costing/hub_activity.csv", title="Hub activity and volume",
    description="Keyworkers supported, predicted capacity and the individual/team activity split per site.",
    key=("site",),
    columns=(
        C("site", "string", "Site id", nullable=False, pattern=SITE_PATTERN),
        C("setup_type", "category", "Newly established or an expanded existing service", nullable=False,
          allowed=("newly_established", "expanded_existing")),
        C("keyworkers_individual", "integer", "Keyworkers supported individually", nullable=False, minimum=0),
        C("keyworkers_team", "integer", "Keyworkers reached through team support (blank if not recorded)", minimum=0),
        C("capacity_individual", "integer", "Predicted capacity for individual support", minimum=0),
        C("capacity_team", "integer", "Predicted capacity for team support", minimum=0),
        C("individual_share_low", "number", "Lower estimate of the share of activity that is individual support",
          nullable=False, minimum=0, maximum=1, unit="proportion"),
        C("individual_share_high", "number", "Upper estimate of that share", nullable=False, minimum=0, maximum=1,
          unit="proportion"),
        C("budget", "number", "Annual budget (blank where not separable)", minimum=0),
    ),
)

PARTICIPANTS = TableSchema(
    id="participants", path="qualitative/participants.csv", title="Interview participants",
    description="One row per interviewee. Fields listed in `restricted` are never published beside the label.",
    key=("participant_id",),
    columns=(
        C("participant_id", "string", "Label used in quotes, e.g. 'Hub client 12'", nullable=False,
          pattern=r"[A-Za-z][A-Za-z -]{0,40} \d{2,4}"),
        C("group", "category", "Participant group", nullable=False,
          allowed=("hub_client", "non_hub_keyworker", "hub_staff", "wider_stakeholder")),
        C("site", "string", "Site id (restricted: used only in Hub-level displays)", nullable=False, pattern=SITE_PATTERN),
        C("occupation", "string", "Occupation as published"),
        C("clinical", "category", "Clinical or non-clinical role (keyworkers)", allowed=("clinical", "non_clinical")),
        C("org_type", "category", "Employing organisation type (keyworkers)", allowed=(
            "nhs", "local_authority", "education", "social_care", "police", "fire", "ambulance", "other")),
        C("gender", "category", "Gender (keyworkers)", allowed=GENDERS),
        C("ethnicity", "category", "Ethnicity (keyworkers)", allowed=ETHNICITIES),
        C("subgroups", "list", "Subgroups (ids from study.yml) the participant belongs to, `;`-separated"),
        C("restricted", "list", "Fields never published beside the participant label, `;`-separated",
          allowed=("site", "occupation", "clinical", "org_type", "gender", "ethnicity")),
    ),
)

EXCERPTS = TableSchema(
    id="excerpts", path="qualitative/excerpts.csv", title="Coded interview excerpts",
    description=("One row per excerpt. `codes` is an unordered set of NPT sub-construct ids; `chain` an ordered "
                 "pathway of sub-construct ids separated by `>`."),
    key=("excerpt_id",),
    columns=(
        C("excerpt_id", "string", "Unique excerpt id", nullable=False, pattern=r"[A-Za-z0-9_.-]{1,40}"),
        C("participant_id", "string", "Participant quoted (participants.csv)", nullable=False),
        C("text", "string", "Excerpt text (square brackets mark redactions)", nullable=False),
        C("codes", "list", "NPT sub-construct ids, `;`-separated", nullable=False),
        C("chain", "string", "Ordered pathway, e.g. `differentiation > individual_specification > enrolment`"),
        C("valence", "category", "Enabler or barrier (Figures 4 and 5; the +/− rows of Table 23)",
          nullable=False, allowed=("enabler", "barrier", "mixed", "neutral")),
        C("themes", "list", "Theme ids from the codebook, `;`-separated"),
        C("subgroups", "list", "Subgroup ids the excerpt speaks to, `;`-separated"),
        C("identifiable", "boolean", "Would identify the participant: never shown in any output", nullable=False),
    ),
)

MEMOS = TableSchema(
    id="memos", path="qualitative/memos.csv", title="Memos and notes", required=False,
    description=("Memos kept from a REFI-QDA project (written by `hubcase import-qda`): notes and the "
                 "descriptions researchers attached to the project, participants, excerpts and codes. "
                 "Never published; kept for the audit trail."),
    key=("memo_id",),
    columns=(
        C("memo_id", "string", "Unique memo id (the note's GUID in the QDA project)", nullable=False, unique=True),
        C("target_type", "category", "What the memo is attached to", nullable=False,
          allowed=("project", "participant", "excerpt", "code")),
        C("target_id", "string", "participant_id, excerpt_id or code the memo is attached to (blank: project)"),
        C("kind", "category", "A REFI `<Note>` or the `<Description>` of the target element", nullable=False,
          allowed=("note", "description")),
        C("title", "string", "Title of the note"),
        C("text", "string", "Text of the memo", nullable=False),
        C("author", "string", "Name of the user who wrote it, where the project records it"),
        C("created", "string", "Creation date-time as recorded in the project (ISO 8601)"),
    ),
)


TABLES = (SCREENING, FOLLOWUP, SERVICE_USE, UNIT_COSTS, STAFF_UNIT_COSTS, HUB_COSTS, HUB_ACTIVITY,
          PARTICIPANTS, EXCERPTS, MEMOS)
