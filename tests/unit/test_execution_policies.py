"""The dispatcher's policies without processes or a database: crash blame, retries, time limits, duties, back-off."""

from __future__ import annotations

import math

from engine.execution.jobs import ClaimedJob
from engine.execution.policies import (
    TIME_LIMITS_ARG,
    Backoff,
    CrashBlame,
    Duty,
    FailureCause,
    HardLimitHit,
    PeriodicDuties,
    RetryPolicy,
    Running,
    TimeLimits,
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def job(job_id: int = 1, *, attempts: int = 1, max_retries: int = 3, delay_s: float = 60.0,
        kind: str = "generate_article", args: dict | None = None) -> ClaimedJob:
    return ClaimedJob(job_id, kind, args or {}, 10 + job_id, None, attempts, max_retries, delay_s)


# ---------------------------------------------------------------------- crash blame

def test_a_job_alone_on_a_dead_worker_is_blamed() -> None:
    blame = CrashBlame()
    assert blame.after_crash([7]).blamed == 7
    assert blame.after_crash([7]).handed_back == ()


def test_one_shared_crash_blames_nobody_and_suspects_nobody() -> None:
    blame = CrashBlame()
    verdict = blame.after_crash([1, 2, 3])
    assert verdict.blamed is None and verdict.handed_back == (1, 2, 3)
    assert not any(blame.runs_alone(j) for j in (1, 2, 3))


def test_a_job_in_two_shared_crashes_runs_alone_and_its_next_crash_is_its_own() -> None:
    blame = CrashBlame()
    blame.after_crash([1, 2])
    blame.after_crash([1, 3])
    assert blame.runs_alone(1) and not blame.runs_alone(2) and not blame.runs_alone(3)
    assert blame.after_crash([1]).blamed == 1       # alone now: the crash is certainly its own
    assert not blame.runs_alone(1)


def test_a_job_that_ends_normally_is_forgotten() -> None:
    blame = CrashBlame()
    blame.after_crash([1, 2])
    blame.after_crash([1, 2])
    blame.forget(1)
    assert not blame.runs_alone(1) and blame.runs_alone(2)
    blame.after_crash([1, 4])
    assert not blame.runs_alone(1)                   # its count started again


def test_a_poison_job_uses_up_its_budget_one_crash_per_attempt() -> None:
    blame, retries = CrashBlame(), RetryPolicy()
    decisions = []
    for attempt in (1, 2, 3):
        assert blame.after_crash([5]).blamed == 5
        decisions.append(retries.decide(job(5, attempts=attempt, max_retries=2), FailureCause.WORKER_CRASHED).retry)
    assert decisions == [True, True, False]


# ---------------------------------------------------------------------- retries

def test_a_failed_attempt_is_retried_after_its_delay_while_its_budget_lasts() -> None:
    policy = RetryPolicy()
    first = policy.decide(job(attempts=1, max_retries=3, delay_s=60), FailureCause.STAGE_FAILED)
    assert first.retry and first.delay_s == 60
    assert policy.decide(job(attempts=4, max_retries=3), FailureCause.STAGE_FAILED).retry is False
    assert policy.decide(job(attempts=1, max_retries=0, kind="run_quality_checks"),
                         FailureCause.STAGE_FAILED).retry is False


def test_config_problems_hard_limits_and_unrunnable_jobs_are_never_retried() -> None:
    policy = RetryPolicy()
    for cause in (FailureCause.CONFIG_PROBLEM, FailureCause.HARD_LIMIT, FailureCause.UNRUNNABLE):
        decision = policy.decide(job(attempts=1, max_retries=3), cause)
        assert decision.retry is False and cause in decision.reason


def test_a_worker_crash_is_retried_like_a_stage_failure() -> None:
    assert RetryPolicy().decide(job(attempts=2, max_retries=3, delay_s=0.5), FailureCause.WORKER_CRASHED).delay_s == 0.5


# ---------------------------------------------------------------------- time limits

def test_the_hard_limit_names_the_jobs_past_it_and_their_workers_oldest_first() -> None:
    limits = TimeLimits(soft_s=25, hard_s=30)
    running = [Running(job(1), worker=0, started=100.0), Running(job(2), worker=1, started=95.0),
               Running(job(3), worker=1, started=120.0)]
    assert limits.over_hard(running, now=125.0) == []     # 30 s exactly is not over
    assert limits.over_hard(running, now=126.0) == [HardLimitHit(2, 1, 30)]
    assert limits.over_hard(running, now=131.0) == [HardLimitHit(2, 1, 30), HardLimitHit(1, 0, 30)]


def test_a_job_may_carry_shorter_limits_of_its_own_but_not_longer_ones() -> None:
    limits = TimeLimits(soft_s=300, hard_s=600)
    short = job(1, args={TIME_LIMITS_ARG: {"soft_s": 2, "hard_s": 4}})
    long = job(2, args={TIME_LIMITS_ARG: {"soft_s": 9000, "hard_s": 9000}})
    odd = job(3, args={TIME_LIMITS_ARG: {"soft_s": "soon", "hard_s": -1}})
    assert (limits.soft_for(short), limits.hard_for(short)) == (2, 4)
    assert (limits.soft_for(long), limits.hard_for(long)) == (300, 600)
    assert (limits.soft_for(odd), limits.hard_for(odd)) == (300, 600)
    running = [Running(short, 0, 0.0), Running(job(4), 0, 0.0)]
    assert limits.over_hard(running, now=5.0) == [HardLimitHit(1, 0, 4)]


# ---------------------------------------------------------------------- periodic duties

def test_duties_run_in_table_order_each_at_its_own_interval() -> None:
    clock, ran = FakeClock(), []
    duties = PeriodicDuties([
        Duty("cancel", lambda: 0.25, lambda: ran.append("cancel")),
        Duty("renew", lambda: 10.0, lambda: ran.append("renew")),
        Duty("claim", lambda: 0.0, lambda: ran.append("claim")),
    ], clock)
    assert duties.run_due() == ["cancel", "renew", "claim"]          # all due at start
    clock.now += 0.1
    assert duties.run_due() == ["claim"]
    clock.now += 0.2
    assert duties.run_due() == ["cancel", "claim"]
    clock.now += 10.0
    assert duties.run_due() == ["cancel", "renew", "claim"]
    assert ran.count("renew") == 2


def test_a_duty_reads_its_interval_each_time() -> None:
    clock, interval = FakeClock(), {"s": 5.0}
    duties = PeriodicDuties([Duty("recover", lambda: interval["s"], lambda: None)], clock)
    duties.run_due()
    clock.now += 2
    assert duties.run_due() == []
    interval["s"] = 1.0
    assert duties.run_due() == ["recover"]


def test_a_duty_that_does_not_apply_is_skipped_and_runs_as_soon_as_it_applies() -> None:
    clock, running, ran = FakeClock(), {"jobs": 0}, []
    duties = PeriodicDuties([Duty("cancellations", lambda: 0.25, lambda: ran.append(clock.now),
                                  applies=lambda: running["jobs"] > 0)], clock)
    for _ in range(10):
        assert duties.run_due() == []
        clock.now += 0.1
    running["jobs"] = 1
    assert duties.run_due() == ["cancellations"]
    assert ran == [clock.now]


def test_an_idle_loop_sleeps_until_the_next_duty_that_applies() -> None:
    clock, running = FakeClock(), {"jobs": 0}
    duties = PeriodicDuties([
        Duty("cancellations", lambda: 0.25, lambda: None, applies=lambda: running["jobs"] > 0),
        Duty("claim", lambda: 2.0, lambda: None),
        Duty("summary", lambda: 5.0, lambda: None),
    ], clock)
    assert duties.next_due_in() == 0.0            # nothing has run yet
    duties.run_due()
    clock.now += 0.5
    assert duties.next_due_in() == 1.5            # the claim; cancellations do not apply
    running["jobs"] = 1
    assert duties.next_due_in() == 0.0            # cancellations never ran: due now
    assert PeriodicDuties([], clock).next_due_in() == math.inf


def test_a_hurried_duty_is_due_at_once() -> None:
    clock, ran = FakeClock(), []
    duties = PeriodicDuties([Duty("cancellations", lambda: 0.25, lambda: ran.append(clock.now))], clock)
    duties.run_due()
    clock.now += 0.01
    duties.hurry("cancellations")
    assert duties.run_due() == ["cancellations"]
    assert ran == [1000.0, 1000.01]


def asks(seconds: float, backoff: Backoff, *, reset_at: float | None = None, tick_s: float = 0.05) -> list[float]:
    """When the dispatcher's claim duty asks a queue that is always empty, ticking every
    `tick_s` of fake time for `seconds`; `reset_at`: this process queues work then."""
    clock, asked = FakeClock(0.0), []
    duties = PeriodicDuties([Duty("claim", lambda: backoff.wait_s,
                                  lambda: (asked.append(round(clock.now, 2)), backoff.got(0, 8)))], clock)
    for step in range(round(seconds / tick_s) + 1):
        clock.now = step * tick_s
        if reset_at is not None and abs(clock.now - reset_at) < 1e-9:
            backoff.reset()
        duties.run_due()
    return asked


def test_an_empty_queue_is_asked_less_and_less_often_up_to_the_longest_wait() -> None:
    assert asks(10.0, Backoff(0.25, 2.0)) == [0.0, 0.25, 0.75, 1.75, 3.75, 5.75, 7.75, 9.75]


def test_work_queued_in_this_process_is_asked_for_at_once_and_the_wait_starts_over() -> None:
    # At 3.0 s the editor queues a batch (Dispatcher.wake resets the back-off).
    assert asks(4.0, Backoff(0.25, 2.0), reset_at=3.0) == [0.0, 0.25, 0.75, 1.75, 3.0, 3.25, 3.75]


def test_an_ask_that_filled_every_slot_asks_again_at_once_one_that_did_not_after_the_first_wait() -> None:
    backoff = Backoff(0.25, 2.0)
    for _ in range(5):
        backoff.got(0, 8)
    assert backoff.wait_s == 2.0
    backoff.got(3, 8)                             # the queue ran dry: fewer than the free slots
    assert backoff.wait_s == 0.25
    backoff.got(8, 8)                             # every slot filled: there may be more
    assert backoff.wait_s == 0.0
    backoff.got(0, 8)
    assert backoff.wait_s == 0.25
