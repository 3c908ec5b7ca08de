"""Run every benchmark and print its table: `make bench` (about 5 minutes on 2 cores).

    .venv/bin/python bench/run.py

Each bench runs in its own process, one after the other; the exit status is 1 when one of
them failed (the gateway and memory benches fail when a message is lost or answered twice).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHES = (
    ("Understanding (messages/s, one core)", "understanding.py"),
    ("Nearest places (one query)", "nearest.py"),
    ("Gateway (signed SMS webhooks and status callbacks over loopback)", "gateway.py"),
    ("SMS cost (encoding and segments)", "sms_cost.py"),
    ("Memory (gateway process)", "memory.py"),
)


def main() -> int:
    """Run the benches in turn; print each table under a title, with its duration."""
    failed, start = [], time.perf_counter()
    for title, script in BENCHES:
        print(f"\n## {title}\n", flush=True)
        began = time.perf_counter()
        # Content warnings (stale places) go to stderr: shown only when a bench fails.
        result = subprocess.run([sys.executable, str(BENCH / script)], stderr=subprocess.PIPE)
        if result.returncode:
            failed.append(script)
            print(result.stderr.decode()[-3000:], file=sys.stderr)
        print(f"\n({script}: {time.perf_counter() - began:.0f} s)", flush=True)
    print(f"\nall benches: {time.perf_counter() - start:.0f} s", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
