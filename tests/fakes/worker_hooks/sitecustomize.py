"""Test-only misbehaviour for spawned worker processes (on PYTHONPATH only in engine tests).

COPYDESK_TEST_POISON=<text>: a worker that starts an article whose keyword contains <text>
dies at once (os._exit), every time: a poison job.
COPYDESK_TEST_BLOCK=<text>: the keyword_analysis stage of such an article blocks its worker's
event loop (time.sleep), which no soft time limit can interrupt: only the hard limit ends it.
"""

import os

_POISON = os.environ.get("COPYDESK_TEST_POISON")
_BLOCK = os.environ.get("COPYDESK_TEST_BLOCK")

if _POISON or _BLOCK:
    import time

    import engine.pipeline.offline as offline
    from engine.pipeline import stages

    _original = offline.keyword_analysis

    def keyword_analysis(ctx):  # noqa: ANN001, ANN202 - mirrors the stage signature
        if _POISON and _POISON in ctx.brief.keyword:
            os._exit(3)
        if _BLOCK and _BLOCK in ctx.brief.keyword:
            time.sleep(3600)
        return _original(ctx)

    first = stages.STAGES[0]
    object.__setattr__(first, "offline", keyword_analysis)
