"""The fourteen stage names in order, importable without loading the stages themselves
(the CLI's argument parser and the GUI's tables need only the names)."""

STAGE_NAMES: tuple[str, ...] = (
    "keyword_analysis", "research", "perspectives", "outline", "draft", "claims", "fact_verification",
    "bias_detection", "perspective_analysis", "originality_check", "revision", "seo_optimization",
    "meta_generation", "finalization",
)
STAGE_COUNT = len(STAGE_NAMES)
# The four checks of the draft read the draft, its claims, the perspectives and the sources,
# never each other's results, so they run at the same time (each still checkpointed alone):
# an article's critical path is eleven requests long instead of fourteen.
CONCURRENT_STAGES: tuple[str, ...] = ("fact_verification", "bias_detection", "perspective_analysis",
                                      "originality_check")


def stage_index(name: str) -> int:
    """1-based index of a stage name; ValueError with the valid names otherwise."""
    try:
        return STAGE_NAMES.index(name) + 1
    except ValueError:
        raise ValueError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_NAMES)}") from None
