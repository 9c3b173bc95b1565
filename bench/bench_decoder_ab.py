"""A/B benchmark: this tree's SSEDecoder against the one in another checkout, on the same bytes.

Run (from the repo root; BASE is any checkout of the commit to compare with, e.g.
``git archive <rev> | tar -x -C /tmp/base``)::

    .venv/bin/python bench/bench_decoder_ab.py /tmp/base [EVENTS] [ROUNDS]

For a change to the decoder's hot path, where ``bench_decoder.py``'s ratio against httpx-sse
moves by 10 % between runs on a shared machine: both decoders run in one process, rounds
alternate which goes first, and each round is timed in CPU time (``time.process_time``), so time
spent descheduled by other processes does not count. The figure is best-of (and median) of
this tree over the base; 1.00 means as fast.
"""

from __future__ import annotations

import gc
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_decoder import build_stream

__all__ = ["main"]


def _decoder_class(name: str, path: Path) -> type:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # NamedTuple needs its module registered
    spec.loader.exec_module(module)
    decoder: type = module.SSEDecoder
    return decoder


def _time(cls: type, chunks: list[bytes], events: int) -> float:
    gc.collect()
    gc.disable()
    try:
        decoder = cls()
        start = time.process_time()
        count = sum(len(decoder.feed(chunk)) for chunk in chunks)
        decoder.close()
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    assert count == events, count
    return elapsed


def main() -> None:
    """Print events/s of both decoders and this tree's speed over the base, per read size."""
    base_root = Path(sys.argv[1])
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 41
    here = Path(__file__).resolve().parent.parent
    variants = [
        ("base", _decoder_class("_sse_base", base_root / "monitor/core/sse.py")),
        ("this", _decoder_class("_sse_this", here / "monitor/core/sse.py")),
    ]
    data = build_stream(events)
    print(f"{events} events, {len(data) / 1e6:.1f} MB, {rounds} rounds, CPU time; base: {base_root}")
    for size in (65536, 1448):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        times: dict[str, list[float]] = {name: [] for name, _ in variants}
        for r in range(rounds):
            for name, cls in variants[r % 2 :] + variants[: r % 2]:
                times[name].append(_time(cls, chunks, events))
        for name, _ in variants:
            best, median = min(times[name]), statistics.median(times[name])
            rates = f"best {events / best / 1e3:6.0f}k ev/s  median {events / median / 1e3:6.0f}k ev/s"
            print(f"{size:6d} B {name}: {rates}")
        best_ratio = min(times["base"]) / min(times["this"])
        median_ratio = statistics.median(times["base"]) / statistics.median(times["this"])
        print(f"RATIO {size:6d} B this/base: best {best_ratio:.3f}  median {median_ratio:.3f}")


if __name__ == "__main__":
    main()
