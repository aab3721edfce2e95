"""Typed outputs of the fourteen stages. Each is also the JSON checkpoint of its stage
and, for the stages an LLM writes, the schema the model must answer in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engine.quality.types import BiasReport, FactReport, OriginalityReport, PerspectiveReport


class StageOutput(BaseModel):
    # Validators are built on first use (off the GUI thread), not at import: half a second saved at start.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class KeywordAnalysis(StageOutput):
    angle: str = Field(description="the story's angle in one sentence")
    audience: str = Field(description="who the piece is for")
    key_questions: list[str] = Field(description="questions the article must answer", min_length=1)
    search_terms: list[str] = Field(description="terms to look for in the sources")


class ResearchNote(StageOutput):
    text: str
    source_label: str | None = Field(default=None, description="S1, S2... when the note comes from a source")
    verified: bool = Field(description="true only when the note is taken from a numbered source")


class Research(StageOutput):
    notes: list[ResearchNote]
    background: list[str] = Field(default_factory=list,
                                  description="context not found in the sources; unverified, never cited as fact")


class Stakeholder(StageOutput):
    name: str = Field(description="a person, group or institution with a stake in the story")
    group: str = Field(description="official, resident, expert, business, advocacy, document or other")
    viewpoint: str
    source_label: str | None = None


class Perspectives(StageOutput):
    stakeholders: list[Stakeholder]


class OutlineSection(StageOutput):
    heading: str
    points: list[str]
    source_labels: list[str] = Field(default_factory=list)


class Outline(StageOutput):
    sections: list[OutlineSection] = Field(min_length=1)


class Draft(StageOutput):
    headline: str
    dek: str = Field(description="one-sentence standfirst under the headline")
    body: str = Field(description="Markdown body with inline citations such as [S1]")


class ClaimItem(StageOutput):
    text: str = Field(description="one checkable factual claim, quoted from the draft sentence")


class Claims(StageOutput):
    claims: list[ClaimItem]


class FactVerification(StageOutput):
    report: FactReport


class BiasDetection(StageOutput):
    report: BiasReport


class PerspectiveAnalysis(StageOutput):
    report: PerspectiveReport


class OriginalityCheck(StageOutput):
    report: OriginalityReport


class Revision(StageOutput):
    headline: str
    dek: str
    body: str = Field(description="the revised Markdown body, citations kept")
    changes: list[str] = Field(default_factory=list, description="what was changed and why")


class SeoOptimization(StageOutput):
    slug: str
    tags: list[str]
    readability: float = Field(description="Flesch reading ease of the body")
    keyword_in_headline: bool
    suggestions: list[str] = Field(default_factory=list)


class MetaGeneration(StageOutput):
    summary: str
    meta_description: str = Field(max_length=300)
    social_copy: str


class Finalization(StageOutput):
    bias_score: float
    fact_check_score: float
    perspective_balance_score: float
    originality_score: float
    overall_quality_score: float
    quality_passed: bool
    failed_gates: list[str]
    perspectives_covered: list[str]
    perspectives_missing: list[str]
    fact: FactReport
    bias: BiasReport
    perspective: PerspectiveReport
    originality: OriginalityReport
