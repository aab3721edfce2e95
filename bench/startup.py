"""Start-up time of the `copydesk` command: `--version`, `--help` and `keywords list`.

Hyperfine-style: each command is run a few times first to warm the OS file cache,
then timed over repeated runs (wall clock of the whole process, interpreter
start included); prints mean ± standard deviation, min and max. `keywords list`
runs against a scratch data home seeded with the demo newsroom, so the database
exists and is migrated before the timed runs.

    .venv/bin/python bench/startup.py            # 20 runs each
    .venv/bin/python bench/startup.py --runs 50 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (["--version"], ["--help"], ["keywords", "list"])
WARMUP_RUNS = 3


def copydesk_command() -> list[str]:
    """The installed entry point next to this interpreter, else `python -m app`."""
    script = Path(sys.executable).with_name("copydesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    for _ in range(WARMUP_RUNS):
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="copydesk-startup-"))
    env = {**os.environ, "COPYDESK_HOME": str(home), "COLUMNS": "120"}
    base = copydesk_command()
    try:
        subprocess.run([*base, "demo"], env=env, stdout=subprocess.DEVNULL, check=True)
        results = {}
        for command in COMMANDS:
            seconds = time_command([*base, *command], options.runs, env)
            results[" ".join(command)] = {
                "mean_s": statistics.mean(seconds), "stdev_s": statistics.stdev(seconds),
                "min_s": min(seconds), "max_s": max(seconds), "runs": len(seconds)}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'command':<24} {'mean ± stdev':>15} {'min':>8} {'max':>8}   ({options.runs} runs)")
    for name, figures in results.items():
        print(f"{'copydesk ' + name:<24} {figures['mean_s'] * 1000:>6.0f} ± {figures['stdev_s'] * 1000:>3.0f} ms "
              f"{figures['min_s'] * 1000:>5.0f} ms {figures['max_s'] * 1000:>5.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
