"""Plain dataclasses that the quality tools take and return.

Everything here is JSON-ready through `to_dict()` and comes back through
`from_dict()`, because the pipeline stores tool output as JSON checkpoints and
the Review screen reads them back.

Offsets: `start`/`end` are character offsets into the analysed text (the
Markdown body as given), so `text == analysed_text[start:end]`. An
article-level finding that no single passage can carry (a stakeholder nobody
quotes) has the empty span `start == end == 0` and `text == ""`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

Severity = Literal["low", "medium", "high"]
Verdict = Literal["supported", "contradicted", "unverifiable"]
SourceType = Literal["official", "resident", "expert", "business", "advocacy", "document", "other"]
Stance = Literal["support", "oppose", "neutral"]
QuoteStatus = Literal["exact", "misquote", "not_found"]

SEVERITY_POINTS: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
# The name a score or verdict carries when no model was asked.
OFFLINE_CHECKER = "offline rules"


class _JSONReady:
    """to_dict() for dataclasses whose fields are JSON types or other such dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # only dataclasses inherit this


def _check_choice(value: str, allowed: Any, what: str) -> None:
    if value not in get_args(allowed):
        raise ValueError(f"{what} must be one of {', '.join(get_args(allowed))}, not {value!r}")


@dataclass(frozen=True)
class SourceDoc(_JSONReady):
    label: str  # "S1", "S2", ... as cited in the draft
    title: str
    text: str
    url: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceDoc:
        return cls(label=data["label"], title=data.get("title", ""), text=data["text"], url=data.get("url"))


@dataclass(frozen=True)
class Finding(_JSONReady):
    tool: str  # "bias", "fact", "perspective", "originality"
    kind: str  # e.g. "loaded_language", "contradicted_claim", "misquote"
    start: int
    end: int
    text: str
    severity: Severity
    explanation: str
    suggestion: str | None = None
    evidence: str | None = None
    source_label: str | None = None

    def __post_init__(self) -> None:
        _check_choice(self.severity, Severity, "severity")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")

    @property
    def points(self) -> int:
        return SEVERITY_POINTS[self.severity]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            tool=data["tool"], kind=data["kind"], start=int(data["start"]), end=int(data["end"]),
            text=data["text"], severity=data["severity"], explanation=data["explanation"],
            suggestion=data.get("suggestion"), evidence=data.get("evidence"),
            source_label=data.get("source_label"),
        )


@dataclass(frozen=True)
class ClaimVerdict(_JSONReady):
    """One checkable claim. start/end locate it in the analysed text; a claim
    given by the caller that cannot be found there has start == end == -1."""

    text: str
    start: int
    end: int
    verdict: Verdict
    evidence: str | None
    source_label: str | None
    reason: str
    # How sure the checker is of this verdict, 0-1 (calibrated on development data for the offline rules).
    confidence: float = 0.5
    checker: str = OFFLINE_CHECKER  # who decided: the offline rules, or "<provider>:<model>"

    def __post_init__(self) -> None:
        _check_choice(self.verdict, Verdict, "verdict")
        if self.verdict == "supported" and not self.evidence:
            raise ValueError("a supported claim needs an evidence passage")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, not {self.confidence!r}")

    @property
    def located(self) -> bool:
        return self.start >= 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClaimVerdict:
        return cls(
            text=data["text"], start=int(data["start"]), end=int(data["end"]),
            verdict=data["verdict"], evidence=data.get("evidence"),
            source_label=data.get("source_label"), reason=data.get("reason", ""),
            confidence=float(data.get("confidence", 0.5)), checker=data.get("checker", OFFLINE_CHECKER),
        )


@dataclass(frozen=True)
class QuoteSpan(_JSONReady):
    start: int
    end: int
    text: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuoteSpan:
        return cls(start=int(data["start"]), end=int(data["end"]), text=data["text"])


@dataclass(frozen=True)
class Voice(_JSONReady):
    """A person, organisation or document the article attributes words or views to."""

    name: str
    source_type: SourceType
    stance: Stance
    quotes: list[QuoteSpan] = field(default_factory=list)
    role: str = ""  # the title or appositive that typed the voice ("a teacher at Lincoln High")

    def __post_init__(self) -> None:
        _check_choice(self.source_type, SourceType, "source_type")
        _check_choice(self.stance, Stance, "stance")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Voice:
        return cls(
            name=data["name"], source_type=data["source_type"], stance=data["stance"],
            quotes=[QuoteSpan.from_dict(q) for q in data.get("quotes", [])], role=data.get("role", ""),
        )


@dataclass(frozen=True)
class QuoteCheck(_JSONReady):
    text: str  # the words inside the quotation marks
    start: int
    end: int
    status: QuoteStatus
    source_label: str | None
    closest_source_text: str | None
    similarity: float  # 0-1, word-level, against closest_source_text

    def __post_init__(self) -> None:
        _check_choice(self.status, QuoteStatus, "status")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuoteCheck:
        return cls(
            text=data["text"], start=int(data["start"]), end=int(data["end"]), status=data["status"],
            source_label=data.get("source_label"), closest_source_text=data.get("closest_source_text"),
            similarity=float(data.get("similarity", 0.0)),
        )


def _findings(data: dict[str, Any]) -> list[Finding]:
    return [Finding.from_dict(f) for f in data.get("findings", [])]


@dataclass
class BiasReport(_JSONReady):
    bias_score: float  # 0-100, higher = more biased
    findings: list[Finding]
    sentence_count: int  # prose sentences analysed (the score's denominator)
    checker: str = OFFLINE_CHECKER

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BiasReport:
        return cls(float(data["bias_score"]), _findings(data), int(data.get("sentence_count", 0)),
                   data.get("checker", OFFLINE_CHECKER))


@dataclass
class FactReport(_JSONReady):
    fact_check_score: float  # 0-100, see engine.quality.facts.fact_check_score
    claims: list[ClaimVerdict]
    findings: list[Finding]
    note: str = ""  # says so when the score is a convention (no claims found)
    checker: str = OFFLINE_CHECKER

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FactReport:
        return cls(
            float(data["fact_check_score"]), [ClaimVerdict.from_dict(c) for c in data.get("claims", [])],
            _findings(data), data.get("note", ""), data.get("checker", OFFLINE_CHECKER),
        )


@dataclass
class PerspectiveReport(_JSONReady):
    perspective_balance_score: float  # 0-100
    voices: list[Voice]
    covered: list[str]
    missing: list[str]
    findings: list[Finding]
    checker: str = OFFLINE_CHECKER

    @property
    def perspectives_count(self) -> int:
        """Distinct voices (people, organisations, documents) the article attributes to."""
        return len(self.voices)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["perspectives_count"] = self.perspectives_count
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerspectiveReport:
        return cls(
            float(data["perspective_balance_score"]), [Voice.from_dict(v) for v in data.get("voices", [])],
            list(data.get("covered", [])), list(data.get("missing", [])), _findings(data),
            data.get("checker", OFFLINE_CHECKER),
        )


@dataclass
class OriginalityReport(_JSONReady):
    originality_score: float  # 0-100, higher = more original
    findings: list[Finding]
    quotes: list[QuoteCheck]
    copied_word_share: float  # share of prose words (outside quotes) in verbatim runs from sources
    checker: str = OFFLINE_CHECKER

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OriginalityReport:
        return cls(
            float(data["originality_score"]), _findings(data),
            [QuoteCheck.from_dict(q) for q in data.get("quotes", [])], float(data.get("copied_word_share", 0.0)),
            data.get("checker", OFFLINE_CHECKER),
        )


@dataclass(frozen=True)
class OverallResult(_JSONReady):
    overall_quality_score: float
    quality_passed: bool
    failed_gates: list[str]  # readable reasons, e.g. "fact_check_score 72 < 80"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OverallResult:
        return cls(float(data["overall_quality_score"]), bool(data["quality_passed"]), list(data["failed_gates"]))


@dataclass
class QualityReport(_JSONReady):
    bias: BiasReport
    fact: FactReport
    perspective: PerspectiveReport
    originality: OriginalityReport
    overall: OverallResult

    @property
    def findings(self) -> list[Finding]:
        """Every tool's findings in text order (article-level findings first)."""
        every = self.bias.findings + self.fact.findings + self.perspective.findings + self.originality.findings
        return sorted(every, key=lambda f: (f.start, f.end, f.tool))

    def to_dict(self) -> dict[str, Any]:
        return {
            "bias_score": self.bias.bias_score,
            "fact_check_score": self.fact.fact_check_score,
            "perspective_balance_score": self.perspective.perspective_balance_score,
            "originality_score": self.originality.originality_score,
            "overall_quality_score": self.overall.overall_quality_score,
            "quality_passed": self.overall.quality_passed,
            "bias": self.bias.to_dict(),
            "fact": self.fact.to_dict(),
            "perspective": self.perspective.to_dict(),
            "originality": self.originality.to_dict(),
            "overall": self.overall.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityReport:
        return cls(
            BiasReport.from_dict(data["bias"]), FactReport.from_dict(data["fact"]),
            PerspectiveReport.from_dict(data["perspective"]), OriginalityReport.from_dict(data["originality"]),
            OverallResult.from_dict(data["overall"]),
        )
