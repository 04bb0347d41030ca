"""What each open-data file holds: its fields, their types and meanings (DESIGN.md §6).

One declaration serves the schema page, the machine-readable ``datapackage.json`` (a
Frictionless Tabular Data Package: one Table Schema per file) and the writers, which emit
exactly these fields in this order, so the documentation cannot drift from the files.

Types are Table Schema types. In a JSON file each value has its JSON type; in a CSV file an
``object`` or ``array`` value is written as JSON text, a ``boolean`` as ``true``/``false``
and a missing value as an empty cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS

LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
FORMATS = ("json", "csv")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Table Schema type: integer, number, string, boolean, datetime, object, array
    description: str
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def filename(self, fmt: str) -> str:
        return f"{self.name}.{fmt}"


def _f(name: str, type_: str, description: str, enum: tuple[str, ...] | None = None) -> Field:
    return Field(name, type_, description, enum)


_COUNCIL = _f("council", "string", "The council's short name in addresses (its slug).")
_CONSTITUENCY = "The writer's constituency in the council when they wrote it."


def _per_constituency(prefix: str, what: str) -> tuple[Field, ...]:
    return tuple(
        _f(f"{prefix}_{c}", "integer", f"{what} from {CONSTITUENCY_LABELS[c].lower()}.")
        for c in CONSTITUENCIES
    )


PROPOSALS = Dataset(
    "proposals",
    "Proposals",
    "Every proposal put to a council. A proposal a moderator hid keeps its row, with the "
    "public reason, but not its title or text.",
    (
        _f("id", "integer", "The proposal's number (its page is /proposals/<id>)."),
        _COUNCIL,
        _f("title", "string", "The title; empty when the proposal is hidden."),
        _f("body", "string", "The text (Markdown); empty when the proposal is hidden."),
        _f(
            "status",
            "string",
            "Where it stands.",
            ("open", "on_agenda", "adopted", "rejected", "withdrawn"),
        ),
        _f("status_reason", "string", "Why the status last changed, as the clerk recorded it."),
        _f("status_changed_at", "datetime", "When the status last changed (UTC)."),
        _f("author_name", "string", "The author's name as shown on the site."),
        _f("author_constituency", "string", _CONSTITUENCY, CONSTITUENCIES),
        _f("themes", "array", "The proposal's themes (tags); empty when it is hidden."),
        _f("supports", "integer", "How many members support it."),
        *_per_constituency("supports", "Supports"),
        _f("comments", "integer", "How many comments it has (hidden ones included)."),
        _f("version", "integer", "Its text's version number (1 is the original)."),
        _f("created_at", "datetime", "When it was written (UTC)."),
        _f("updated_at", "datetime", "When it last changed (UTC)."),
        _f("hidden", "boolean", "True when a moderator hid it."),
        _f("hidden_reason", "string", "The moderator's public reason for hiding it."),
    ),
)

COMMENTS = Dataset(
    "comments",
    "Comments",
    "Every comment on a proposal. A comment a moderator hid keeps its row, marked hidden "
    "with the public reason; its text is never published.",
    (
        _f("id", "integer", "The comment's number."),
        _f("proposal_id", "integer", "The proposal it comments on (proposals.id)."),
        _COUNCIL,
        _f("parent_id", "integer", "The comment it replies to; empty for a top-level comment."),
        _f("stance", "string", "The writer's stance.", ("for", "against", "neutral", "question")),
        _f("author_name", "string", "The writer's name as shown on the site."),
        _f("author_constituency", "string", _CONSTITUENCY, CONSTITUENCIES),
        _f("body", "string", "The text (Markdown); empty when the comment is hidden."),
        _f("created_at", "datetime", "When it was written (UTC)."),
        _f("hidden", "boolean", "True when a moderator hid it."),
        _f("hidden_reason", "string", "The moderator's public reason for hiding it."),
    ),
)

ROUNDS = Dataset(
    "rounds",
    "Deliberation rounds and their minutes",
    "Every deliberation round: its schedule, the phase it is in and, once it has closed, "
    "its published minutes (the same as the round's minutes download).",
    (
        _f("id", "integer", "The round's number (its page is /rounds/<id>)."),
        _COUNCIL,
        _f("title", "string", "The round's title."),
        _f("purpose", "string", "What the round is for (Markdown)."),
        _f(
            "phase",
            "string",
            "The phase it is in.",
            ("briefing", "discussion", "refinement", "voting", "outcome", "closed"),
        ),
        _f("created_at", "datetime", "When the clerk opened it (UTC)."),
        *(
            _f(f"{p}_ends_at", "datetime", f"The planned end of the {p} phase (UTC).")
            for p in ("briefing", "discussion", "refinement", "voting", "outcome")
        ),
        _f("closed_at", "datetime", "When it closed (UTC); empty while it runs."),
        _f("agenda_items", "integer", "How many items its agenda has."),
        _f("minutes_version", "integer", "The published minutes' version (0: none yet)."),
        _f("minutes_published_at", "datetime", "When the minutes were last published (UTC)."),
        _f("minutes", "object", "The published minutes; empty until the round closes."),
    ),
)

AGENDA_ITEMS = Dataset(
    "agenda_items",
    "Agenda items and decisions",
    "Each item on a round's agenda and what the council decided on it, with the reasons "
    "and any minority report.",
    (
        _f("id", "integer", "The item's number."),
        _f("round_id", "integer", "The round (rounds.id)."),
        _COUNCIL,
        _f("position", "integer", "Its place on the agenda (1 is first)."),
        _f("kind", "string", "What it is about.", ("proposal", "petition", "consultation")),
        _f("subject_id", "integer", "The proposal, petition or consultation it is about."),
        _f("title", "string", "Its title; empty when the proposal it is about is hidden."),
        _f("method", "string", "How it is put to the vote.", ("binary", "schulze", "consent")),
        _f("motion_id", "integer", "The motion members voted on (motions.id)."),
        _f("merged_into_id", "integer", "The item it was merged into, if it was."),
        _f("decision", "string", "The decision.", ("adopted", "rejected", "deferred")),
        _f("reasons", "string", "The reasons for the decision."),
        _f("minority_report", "string", "The minority report, if any."),
        _f("decided_at", "datetime", "When the decision was recorded (UTC)."),
    ),
)

MOTIONS = Dataset(
    "motions",
    "Motions and results",
    "Every motion put to a vote (drafts are not published). The result appears once voting "
    "has closed; nobody sees a running result.",
    (
        _f("id", "integer", "The motion's number (its page is /motions/<id>)."),
        _COUNCIL,
        _f("title", "string", "The question put to the members."),
        _f("description", "string", "More about the question."),
        _f("method", "string", "How members vote.", ("binary", "schulze", "consent")),
        _f("kind", "string", "An ordinary or a governance motion.", ("ordinary", "governance")),
        _f("status", "string", "Open for votes or closed.", ("open", "closed")),
        _f("origin", "string", "Where it comes from, e.g. round:12; empty if standalone."),
        _f("options", "array", "A ranked-choice motion's options, in the order given."),
        _f("rules", "object", "The rules copied from the constitution when voting opened."),
        _f("constitution_version", "integer", "The constitution version the rules came from."),
        _f("eligible", "object", "Eligible voters per constituency when voting opened."),
        _f("opens_at", "datetime", "When voting opened (UTC)."),
        _f("closes_at", "datetime", "When voting closes (UTC)."),
        _f("closed_at", "datetime", "When voting closed (UTC)."),
        _f("passed", "boolean", "Whether it passed (yes/no and consent motions, once closed)."),
        _f("weighted_support", "number", "Weighted support, 0 to 1 (yes/no motions)."),
        _f("winner", "string", "The winning option (ranked-choice motions)."),
        _f("result", "object", "The full result: figures per constituency, minority, ranking."),
    ),
)

BALLOTS = Dataset(
    "ballots",
    "Anonymised ballots",
    "Every ballot of every closed motion, without any link to the voter: each voter can "
    "find their own by the receipt code they were given, and anyone can re-count. The "
    "ballot file of one motion, in the published format that `participate tally FILE` "
    "reads, is at /api/v1/motions/<id>/ballots.json; the bulk zip holds one per motion "
    "under ballots/.",
    (
        _f("motion_id", "integer", "The motion (motions.id)."),
        _COUNCIL,
        _f("method", "string", "How members voted.", ("binary", "schulze", "consent")),
        _f("constituency", "string", "The voter's constituency.", CONSTITUENCIES),
        _f("receipt", "string", "The voter's receipt code (random, never derived from them)."),
        _f(
            "choice",
            "string",
            "Yes/no/abstain, or consent/object; empty for a ranked ballot.",
            ("yes", "no", "abstain", "consent", "object"),
        ),
        _f("ranking", "array", "A ranked ballot's options, best first; unranked ones tie last."),
        _f("reason", "string", "An objection's published reason (consent motions)."),
    ),
)

PETITIONS = Dataset(
    "petitions",
    "Petitions",
    "Every published petition (and every refused one, with the public reason), with its "
    "signature count as last counted. Counts by constituency and place are in "
    "petition_counts.",
    (
        _f("id", "integer", "The petition's number (its page is /petitions/<id>)."),
        _COUNCIL,
        _f(
            "kind",
            "string",
            "What it asks for.",
            ("cooperative_governance", "early_scrutiny", "constitution_change"),
        ),
        _f("title", "string", "Its title."),
        _f("change", "string", "The change it asks for (Markdown)."),
        _f("reason", "string", "Why (Markdown)."),
        _f(
            "status",
            "string",
            "Where it stands.",
            ("open", "threshold_reached", "closed", "closed_unsuccessful", "rejected"),
        ),
        _f("signatures", "integer", "Valid signatures as last counted."),
        *_per_constituency("signatures", "Signatures"),
        _f("counted_at", "datetime", "When the signatures were last counted (UTC)."),
        _f("threshold", "integer", "Signatures the council must answer."),
        _f("opened_at", "datetime", "When it opened for signatures (UTC)."),
        _f("signing_deadline", "datetime", "When signing closes (UTC)."),
        _f("threshold_reached_at", "datetime", "When it reached the threshold (UTC)."),
        _f("response_due_at", "datetime", "When the council's answer is due (UTC)."),
        _f("responded_at", "datetime", "When the council answered (UTC)."),
        _f(
            "response_decision",
            "string",
            "The council's decision.",
            ("adopted", "partly_adopted", "rejected"),
        ),
        _f("response", "string", "The council's answer (Markdown)."),
        _f("rejection_reason", "string", "Why it was not published (refused petitions)."),
        _f("closed_at", "datetime", "When it closed (UTC)."),
    ),
)

PETITION_COUNTS = Dataset(
    "petition_counts",
    "Petition signatures by constituency and place",
    "For each published petition, its valid signatures as last counted, by the signers' "
    "constituency and by the local place they declared.",
    (
        _f("petition_id", "integer", "The petition (petitions.id)."),
        _COUNCIL,
        _f("dimension", "string", "What the count is by.", ("constituency", "place")),
        _f("key", "string", "The constituency, or the place's short name (slug)."),
        _f("label", "string", "The constituency's or the place's name."),
        _f("signatures", "integer", "Valid signatures."),
    ),
)

FORWARDS = Dataset(
    "forwards",
    "Forwarded proposals and answers",
    "Every adopted proposal a council forwarded to a council above it, with the council's "
    "tally, the subsidiarity statement and the answer it got. A council's file holds what "
    "it sent and what it received.",
    (
        _f("id", "integer", "The forward's number."),
        _f("proposal_id", "integer", "The forwarded proposal (proposals.id)."),
        _f("from_council", "string", "The sending council's slug."),
        _f("to_council", "string", "The receiving council's slug."),
        _f("origin_council", "string", "The council where the proposal started."),
        _f(
            "link_kind",
            "string",
            "How the councils are linked.",
            ("reports_to", "ringmaster", "referral"),
        ),
        _f("title", "string", "The proposal's title; empty when it is hidden."),
        _f("body", "string", "The proposal's text (Markdown); empty when it is hidden."),
        _f("themes", "array", "Its themes."),
        _f("subsidiarity", "string", "Why it cannot be settled at the lower level."),
        _f("motion_id", "integer", "The motion that adopted it, if any."),
        _f("tally", "object", "The sending council's tally by constituency."),
        _f("supporters", "integer", "How many members supported it."),
        _f("forwarded_at", "datetime", "When it was forwarded (UTC)."),
        _f("answer_id", "integer", "The answer that covers it; empty while unanswered."),
        _f("answer_kind", "string", "The answer.", ("accept", "decline", "refer")),
        _f("answer_reasons", "string", "The reasons given with the answer (Markdown)."),
        _f("answered_at", "datetime", "When it was answered (UTC)."),
        _f("answered_by_role", "string", "Who answered: clerk or minister."),
        _f("referred_to", "string", "The council a referral sent it on to (slug)."),
    ),
)

CONSULTATIONS = Dataset(
    "consultations",
    "Consultations",
    "National draft requirements put to every council below the publishing council. A "
    "council's file holds those it published and those it was asked to answer.",
    (
        _f("id", "integer", "The consultation's number (its page is /consultations/<id>)."),
        _COUNCIL,
        _f("title", "string", "Its title."),
        _f("body", "string", "The draft requirement (Markdown)."),
        _f("published_at", "datetime", "When it was published (UTC)."),
        _f("closes_at", "datetime", "When it closes to positions (UTC)."),
        _f("councils_asked", "integer", "How many councils were asked for a position."),
        _f("positions", "integer", "How many positions were recorded."),
        _f("adopted_at", "datetime", "When the minister adopted it (UTC), after it closed."),
        _f("adoption_note", "string", "The minister's note on adoption (Markdown)."),
    ),
)

POSITIONS = Dataset(
    "positions",
    "Consultation positions",
    "Each council's position on a consultation, with the tally of the vote that decided it.",
    (
        _f("id", "integer", "The position's number."),
        _f("consultation_id", "integer", "The consultation (consultations.id)."),
        _f("consultation_council", "string", "The council that published the consultation."),
        _COUNCIL,
        _f("stance", "string", "The position.", ("support", "oppose", "amend")),
        _f("text", "string", "The amendment or the reasons for opposing (Markdown)."),
        _f("motion_id", "integer", "The motion that decided it, if any."),
        _f("tally", "object", "That motion's result."),
        _f("weight", "number", "Mean turnout by constituency of the deciding vote, 0 to 1."),
        _f("level", "string", "The answering council's level.", ("nation", "region", "local")),
        _f("decided_by", "string", "How it was decided, e.g. motion:40 or round:12."),
        _f("submitted_at", "datetime", "When it was recorded (UTC)."),
    ),
)

DATASETS: tuple[Dataset, ...] = (
    PROPOSALS,
    COMMENTS,
    ROUNDS,
    AGENDA_ITEMS,
    MOTIONS,
    BALLOTS,
    PETITIONS,
    PETITION_COUNTS,
    FORWARDS,
    CONSULTATIONS,
    POSITIONS,
)
BY_NAME = {d.name: d for d in DATASETS}
PRIMARY_KEYS = {
    "ballots": ["motion_id", "receipt"],
    "petition_counts": ["petition_id", "dimension", "key"],
}


def table_schema(dataset: Dataset) -> dict:
    """The dataset's Table Schema (https://specs.frictionlessdata.io/table-schema/)."""
    fields = []
    for f in dataset.fields:
        entry: dict = {"name": f.name, "type": f.type, "description": f.description}
        if f.type == "datetime":
            entry["format"] = "default"  # ISO 8601, UTC, e.g. 2026-05-01T09:30:00Z
        if f.enum:
            entry["constraints"] = {"enum": list(f.enum)}
        fields.append(entry)
    return {
        "fields": fields,
        "primaryKey": PRIMARY_KEYS.get(dataset.name, ["id"]),
        "missingValues": [""],
    }


def datapackage(title: str, generated_at: str | None = None) -> dict:
    """The Data Package descriptor of the site-wide files (resource paths are relative)."""
    package: dict = {
        "profile": "tabular-data-package",
        "name": "participate-open-data",
        "title": title,
        "licenses": [LICENCE],
        "resources": [],
    }
    if generated_at:
        package["created"] = generated_at
    for dataset in DATASETS:
        for fmt in FORMATS:
            resource: dict = {
                "name": f"{dataset.name}-{fmt}",
                "title": f"{dataset.title} ({fmt.upper()})",
                "description": dataset.description,
                "path": dataset.filename(fmt),
                "format": fmt,
                "mediatype": MEDIA_TYPES[fmt],
                "encoding": "utf-8",
                "licenses": [LICENCE],
                "schema": table_schema(dataset),
            }
            if fmt == "csv":
                resource["profile"] = "tabular-data-resource"
                resource["dialect"] = {"delimiter": ",", "lineTerminator": "\r\n", "header": True}
            else:
                resource["profile"] = "data-resource"
            package["resources"].append(resource)
    return package
