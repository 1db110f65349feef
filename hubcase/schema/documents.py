"""Schemas of the study's YAML documents."""
from __future__ import annotations

from hubcase.instruments import MEASURES
from hubcase.schema.core import DocumentSchema, Key, Mapping, Scalar, Sequence
from hubcase.schema.tables import SITE_PATTERN

STRANDS = ("service_mapping", "screening", "followup", "costing", "qualitative")
ELIGIBILITY_GROUPS = ("hsc_staff_18_plus", "hsc_staff_16_17", "family_members", "ambulance", "police_fire",
                      "education", "third_sector", "vcse")
SCREENING_ITEMS = ("demographic_occupational", *MEASURES, "smoking_drug_use", "covid_impact")
FIT_RATINGS = ("confirmation", "expansion", "discordance")
ID = r"[a-z][a-z0-9_]{0,60}"


def _s(kind: str, description: str, **kw) -> Scalar:
    return Scalar(kind, description, **kw)


def _text(description: str, nullable: bool = False) -> Scalar:
    return Scalar("string", description, nullable=nullable)


def _list_of_text(description: str) -> Sequence:
    return Sequence(_text("one entry"), description)


_CONDITION = Mapping("A condition on one record field", keys=(
    Key("field", _text("Record field (column of screening.csv)")),
    Key("in", Sequence(_text("value"), "Field value is one of these"), required=False),
    Key("equals", _text("Field value equals this"), required=False),
))

SUBGROUP = Mapping("A subgroup of keyworkers, defined over record fields", keys=(
    Key("id", _s("string", "Subgroup id", pattern=ID)),
    Key("label", _text("Readable label, e.g. 'Keyworkers identifying as men'")),
    Key("kind", _s("category", "Demographic (Table 24) or occupational (Table 25)",
                   allowed=("demographic", "occupational"))),
    Key("records", Mapping("Rule selecting screening records: one condition, or `all:` a list of them", keys=(
        Key("field", _text("Record field"), required=False),
        Key("in", Sequence(_text("value"), "Field value is one of these"), required=False),
        Key("equals", _text("Field value equals this"), required=False),
        Key("all", Sequence(_CONDITION, "All of these conditions hold", min_items=1), required=False),
    ))),
    Key("benchmarks", Sequence(Mapping("A workforce benchmark share", keys=(
        Key("population", _text("Workforce the share describes, e.g. 'NHS staff'")),
        Key("share", _s("number", "Share of that workforce in the subgroup", minimum=0, maximum=1,
                        unit="proportion")),
        Key("source", _text("Citation of the benchmark")),
    )), "Workforce benchmark shares"), required=False),
    Key("screening_association", Mapping("Which regression result summarises the group's screening finding", keys=(
        Key("outcome", _text("Caseness outcome, e.g. case_audit")),
        Key("predictor", _text("Predictor row id, e.g. gender_man")),
    )), required=False),
))

SITE = Mapping("A participating site (Hub)", keys=(
    Key("id", _s("string", "Site id used in every file", pattern=SITE_PATTERN)),
    Key("label", _text("Readable label, e.g. 'Site A'")),
    Key("measures", Sequence(_s("category", "measure id", allowed=tuple(MEASURES)),
                             "Screening measures the site used (Table 5)")),
    Key("strands", Mapping("Whether each evidence strand was collected at the site", keys=tuple(
        Key(s, _s("boolean", f"true if the {s.replace('_', ' ')} strand was collected at the site; "
                             "its files are then required")) for s in STRANDS))),
    Key("opened", _s("date", "Month the Hub opened (YYYY-MM)"), required=False),
))

STUDY = DocumentSchema(
    id="study", path="study.yml", title="Study description",
    description="The study's sites, subgroups, disclosure rule and economic settings.",
    root=Mapping("study.yml", keys=(
        Key("title", _text("Study title")),
        Key("short_title", _text("Short title for page headers"), required=False),
        Key("currency", _s("string", "Currency code of all costs", pattern=r"[A-Z]{3}")),
        Key("price_year", _s("integer", "Price year of all costs", minimum=1990, maximum=2100)),
        Key("disclosure", Mapping("Disclosure control", keys=(
            Key("min_cell_count", _s("integer", "Counts below this are shown as '<k'", minimum=1, maximum=1000)),
            Key("min_subgroup_interviews", _s("integer", "Subgroups with fewer interviews get a limited-data note",
                                              minimum=0), required=False),
        ))),
        Key("sites", Sequence(SITE, "Participating sites", min_items=1)),
        Key("subgroups", Sequence(SUBGROUP, "Under-represented subgroups"), required=False),
        Key("economics", Mapping("Settings of the Hub costing", keys=(
            Key("overtime_hours_per_week", _s("number", "Overtime hours per week (sensitivity analysis 1)",
                                              minimum=0, maximum=40, unit="hours")),
            Key("contracted_hours_per_week", _s("number", "Contracted hours per week", minimum=1, maximum=60,
                                                unit="hours")),
        )), required=False),
        Key("eq5d", Mapping("EQ-5D valuation", keys=(
            Key("value_set", _text("Built-in value set id, or a CSV path inside the study directory with "
                                   "columns state,value (5-digit EQ-5D-5L states)")),
        )), required=False),
        Key("files", Mapping("Paths of input files relative to the study directory (defaults shown in the "
                             "contract); must stay inside the study directory", values=_text("relative path")),
            required=False),
    )),
)

_POST = Mapping("A staffing line (Table 4)", keys=(
    Key("role", _text("Role title")),
    Key("afc_band", _s("category", "Agenda-for-Change band", allowed=(
        "2", "3", "4", "4/5", "5", "6", "7", "8a", "8b", "8c", "8d", "9"))),
    Key("wte", _s("number", "Whole-time equivalent in post", minimum=0, maximum=100, unit="WTE")),
    Key("staff_group", _s("category", "NHS staff group", allowed=("STT", "A and C", "N", "STT/N", "other"))),
    Key("role_code", _text("NHS occupation code(s)", nullable=True), required=False),
))

SERVICE_MAPPING = DocumentSchema(
    id="service_mapping", path="service_mapping/<site>.yml", title="Service mapping (one file per site)",
    description="What the Hub is and does, as recorded by the service-mapping template (report chapter 3).",
    root=Mapping("service_mapping/<site>.yml", keys=(
        Key("site", _s("string", "Site id; must match the file name", pattern=SITE_PATTERN)),
        Key("snapshot", Mapping("When and from what the mapping was recorded", keys=(
            Key("period_start", _s("date", "Start of data collection (YYYY-MM)")),
            Key("period_end", _s("date", "End of data collection (YYYY-MM)")),
            Key("sources", _list_of_text("Sources, e.g. business case, website, meetings")),
        ))),
        Key("region_staff", _s("integer", "Health and social care staff in the Hub's region (Table 1)",
                               minimum=0, unit="persons")),
        Key("setup_type", _s("category", "Newly established or expanded existing service",
                             allowed=("newly_established", "expanded_existing"))),
        Key("opening_phases", Sequence(Mapping("An opening phase", keys=(
            Key("date", _s("date", "Month (YYYY-MM)")),
            Key("scope", _text("Who the Hub opened to")),
        )), "Phased opening"), required=False),
        Key("eligibility", Mapping("Who is eligible", keys=(
            Key("groups", Mapping("Groups in scope (Table 2)", values=Mapping("Status of one group", keys=(
                Key("status", _s("category", "In scope?", allowed=("in_scope", "not_in_scope", "conditional"))),
                Key("condition", _text("Condition when conditional", nullable=True), required=False),
            )), value_keys=ELIGIBILITY_GROUPS)),
            Key("family_definition", _text("Definition of family members", nullable=True), required=False),
            Key("cause_scope", _s("category", "Difficulties in scope",
                                  allowed=("covid_caused_or_exacerbated", "any_cause"))),
        ))),
        Key("pathway", Mapping("Referral and assessment", keys=(
            Key("self_referral", _text("How self-referral and screening work")),
            Key("assessment", _text("Initial assessment")),
        ))),
        Key("onward_referral", Mapping("How therapy is delivered", keys=(
            Key("model", _s("category", "Onward-referral model",
                            allowed=("in_house_therapy", "mixed", "facilitated_onward_referral"))),
            Key("share_direct", _s("number", "Reported share of therapy delivered directly by the Hub",
                                   minimum=0, maximum=1, unit="proportion", nullable=True), required=False),
            Key("description", _text("How therapy is delivered, in a sentence")),
        ))),
        Key("staffing", Mapping("Staffing in post", keys=(
            Key("model", _s("category", "Staffing model", allowed=("top_loaded", "two_pronged", "other"))),
            Key("reported_total_wte", _s("number", "Total WTE as reported", minimum=0, unit="WTE")),
            Key("reported_pct_band6_plus", _s("number", "Share of staff at Band 6+ as reported (Table 3)",
                                              minimum=0, maximum=100, unit="%", nullable=True), required=False),
            Key("posts", Sequence(_POST, "Posts by role and band", min_items=1)),
            Key("employment_basis", _list_of_text("Employment basis, e.g. secondment"), required=False),
        ))),
        Key("services", Sequence(Mapping("A service offered", keys=(
            Key("id", _s("string", "Service id", pattern=ID)),
            Key("label", _text("Service name")),
            Key("level", _s("category", "Level of support", allowed=("individual", "team", "system"))),
            Key("offered", _s("boolean", "Offered by the Hub")),
            Key("description", _text("What is offered", nullable=True), required=False),
        )), "Services offered")),
        Key("screening_measures", Mapping("Screening measures used (Table 5)", values=Mapping("Use of a measure", keys=(
            Key("used", _s("boolean", "Used")),
            Key("since", _s("date", "Used since (YYYY-MM)", nullable=True), required=False),
        )), value_keys=SCREENING_ITEMS)),
        Key("outreach", Mapping("Outreach and promotion", keys=(
            Key("general", _list_of_text("General outreach activities")),
            Key("targeted", Sequence(Mapping("A targeted outreach activity", keys=(
                Key("activity", _text("What was done")),
                Key("target_groups", Sequence(_s("string", "group id", pattern=ID),
                                              "Groups targeted (subgroup ids or other group ids)", min_items=1)),
            )), "Outreach aimed at particular groups")),
        ))),
        Key("training", Mapping("Staff training", keys=(
            Key("general", _list_of_text("Training all Hub staff received")),
            Key("subgroup_specific", Sequence(Mapping("Training aimed at a subgroup", keys=(
                Key("subgroup", _s("string", "Subgroup id", pattern=ID)),
                Key("description", _text("Training received")),
            )), "Training about under-represented groups (empty: none)")),
        ))),
    )),
)

CODEBOOK = DocumentSchema(
    id="codebook", path="qualitative/codebook.yml", title="Qualitative codebook",
    description="The coding frame: NPT constructs and their sub-constructs (Table 22), and themes.",
    root=Mapping("qualitative/codebook.yml", keys=(
        Key("framework", _text("Coding framework, e.g. NPT")),
        Key("title", _text("Title of the codebook")),
        Key("source", _text("Provenance"), required=False),
        Key("constructs", Sequence(Mapping("A construct", keys=(
            Key("id", _s("string", "Construct id", pattern=ID)),
            Key("label", _text("Plain label, e.g. Sense-making")),
            Key("npt_label", _text("Classic NPT label, e.g. Coherence"), required=False),
            Key("description", _text("What the construct covers")),
            Key("subconstructs", Sequence(Mapping("A sub-construct (a code)", keys=(
                Key("id", _s("string", "Code id", pattern=ID)),
                Key("label", _text("Label")),
                Key("description", _text("What the code covers")),
                Key("aliases", _list_of_text("Other spellings accepted in chains"), required=False),
            )), "Sub-constructs", min_items=1)),
        )), "Constructs in canonical order", min_items=1)),
        Key("themes", Sequence(Mapping("A theme grouping codes", keys=(
            Key("id", _s("string", "Theme id", pattern=ID)),
            Key("label", _text("Label")),
            Key("kind", _s("category", "Chapter theme or cross-cutting (joint display) theme",
                           allowed=("chapter", "cross_cutting"))),
            Key("codes", Sequence(_s("string", "code id", pattern=ID), "Codes the theme groups")),
        )), "Themes"), required=False),
    )),
)

PATHWAYS = DocumentSchema(
    id="pathways", path="qualitative/pathways.yml", title="Summary pathways", required=False,
    description="Labelled summary pathways (barrier or enabler chains) scoped to a subgroup and participant group.",
    root=Mapping("qualitative/pathways.yml", keys=(
        Key("pathways", Sequence(Mapping("A labelled pathway", keys=(
            Key("id", _s("string", "Pathway id", pattern=ID)),
            Key("subgroup", _s("string", "Subgroup id", pattern=ID), required=False),
            Key("participant_group", _s("category", "Participant group", allowed=(
                "hub_client", "non_hub_keyworker", "hub_staff", "wider_stakeholder")), required=False),
            Key("valence", _s("category", "Polarity", allowed=("enabler", "barrier"))),
            Key("nodes", Sequence(Mapping("A node", keys=(
                Key("label", _text("Short descriptor")),
                Key("code", _s("string", "Code id", pattern=ID)),
            )), "Ordered nodes", min_items=1)),
            Key("evidence", Sequence(_text("excerpt id"), "Supporting excerpt ids"), required=False),
        )), "Pathways")),
    )),
)

_CELL = Mapping("How one strand bears on the proposition", keys=(
    Key("statement", _text("Finding in words (shown in the display)", nullable=True), required=False),
    Key("statistic", _text("Name of a computed statistic (see the integration docs)"), required=False),
    Key("test", Mapping("Comparison evaluated at build time", keys=(
        Key("op", _s("category", "Operator", allowed=("<", "<=", ">", ">=", "==", "!="))),
        Key("value", _s("number", "Constant to compare with"), required=False),
        Key("statistic", _text("Or another statistic to compare with"), required=False),
    )), required=False),
    Key("codes", Sequence(_s("string", "code id", pattern=ID), "Codes that evidence the cell"), required=False),
    Key("themes", Sequence(_s("string", "theme id", pattern=ID), "Themes that evidence the cell"), required=False),
    Key("valence", _s("category", "Valence of the excerpts", allowed=("enabler", "barrier", "mixed", "neutral")),
        required=False),
    Key("min_participants", _s("integer", "Participants needed for the strand to address the row", minimum=1),
        required=False),
    Key("fields", Sequence(_text("dotted path in service_mapping/<site>.yml"), "Service-mapping fields"),
        required=False),
    Key("bears", _s("category", "How a met test bears on the proposition",
                    allowed=("supports", "complements", "contradicts")), required=False),
    Key("not_addressed", _text("Reason the strand is silent on the row", nullable=True), required=False),
))

INTEGRATION = DocumentSchema(
    id="integration", path="integration.yml", title="Integration specification", required=False,
    description="Propositions behind the joint displays, how each strand bears on them, and declared fit ratings.",
    root=Mapping("integration.yml", keys=(
        Key("rows", Sequence(Mapping("A joint-display row", keys=(
            Key("id", _s("string", "Row id", pattern=ID)),
            Key("display", _s("string", "Display id, e.g. T26", pattern=r"T\d{1,3}")),
            Key("label", _text("Row label (theme)")),
            Key("proposition", _text("The proposition the strands are compared against")),
            Key("strands", Mapping("Cells by strand", values=_CELL, value_keys=(
                "service_mapping", "screening", "service_use", "health_economics", "interviews"))),
            Key("declared_fit", _s("category", "Rating declared by the researcher", allowed=FIT_RATINGS,
                                   nullable=True), required=False),
            Key("rationale", _text("Researcher's rationale for a declared rating", nullable=True), required=False),
        )), "Rows", min_items=1)),
    )),
)

DOCUMENTS = (STUDY, SERVICE_MAPPING, CODEBOOK, PATHWAYS, INTEGRATION)
