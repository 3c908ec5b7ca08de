"""Peak resident memory of the gateway: shipped content, then 20,000 synthetic places.

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --quick   # 200 synthetic places, 20 warm-up messages

Each run starts `aiguillage serve` on a scratch SQLite database, answers a warm-up of
signed SMS webhooks (replies checked at the fake Twilio), then reads VmHWM (peak RSS)
and VmRSS from /proc/PID/status.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway import Bench, bench, gateway, sqlite_url  # noqa: E402
from bench.processes import Tree  # noqa: E402

CONTENT_DIR = ROOT / "content"

PLACES = 20_000
WARM_UP = 300  # messages, sent 10 at a time
BRITTANY = ((47.4, 48.8), (-4.5, -1.2))  # latitude and longitude ranges


def synthetic_content(folder: Path, count: int) -> Path:
    """A copy of content/ with `count` more places over Brittany, made from the shipped ones."""
    target = folder / "content"
    shutil.copytree(CONTENT_DIR, target)
    rng = random.Random(29200)
    for name, changes in (("lieux.csv", True), ("lieux_complements.csv", False)):
        with (target / name).open(encoding="utf-8", newline="") as source:
            rows = list(csv.DictReader(source))
        with (target / name).open("a", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            for n in range(count):
                row = dict(rows[n % len(rows)], id=f"syn-{n:05d}")
                if changes:
                    row["nom"] = f"{row['nom']} {n}"
                    row["latitude"] = f"{rng.uniform(*BRITTANY[0]):.5f}"
                    row["longitude"] = f"{rng.uniform(*BRITTANY[1]):.5f}"
                writer.writerow(row)
    return target


def memory_of(pid: int) -> tuple[float, float]:
    """Peak and current resident memory of a process, in MB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS"))


async def measure(b: Bench, label: str, content_dir: Path, warm_up: int) -> str:
    """Start the gateway with this content, warm it up, read its memory: one table row."""
    tree = Tree.at(ROOT, content_dir)
    b.calibrate(tree)
    with sqlite_url() as url:
        start = time.perf_counter()
        async with gateway(tree, "memory", url) as target:
            ready = time.perf_counter() - start
            row = await b.closed(label, target, 10, 600.0, count=warm_up, show=False)
            peak, now = memory_of(target.server.pid)
    checked = "ok" if not row.failed else f"lost {row.lost}, twice {row.twice}, err {row.errors}"
    return f"{label:<24} {ready:>7.1f} {peak:>8.0f} {now:>7.0f}  {checked}"


async def table(places: int, warm_up: int) -> list[str]:
    """The table's lines, shipped content first."""
    lines = [f"{'content':<24} {'start s':>7} {'peak MB':>8} {'RSS MB':>7}  replies"]
    async with bench(Tree.at(ROOT)) as b:
        lines.append(await measure(b, "shipped", CONTENT_DIR, warm_up))
        with tempfile.TemporaryDirectory() as folder:
            content = synthetic_content(Path(folder), places)
            lines.append(await measure(b, f"+{places:,} places", content, warm_up))
    return lines + ["(peak = VmHWM after the warm-up; target < 150 MB with 20,000 places)"]


def main() -> int:
    """Print the table; exit status 1 when a warm-up message was lost or answered twice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 places, 20 messages")
    args = parser.parse_args()
    lines = asyncio.run(table(200, 20) if args.quick else table(PLACES, WARM_UP))
    print("\n".join(lines))
    return 0 if all(line.endswith("ok") for line in lines[1:-1]) else 1


if __name__ == "__main__":
    sys.exit(main())
