"""How much LLM.int8 scores move with the batch, and what scoring each request alone costs.

bitsandbytes' LLM.int8 multiplies in 16 bits every activation column that exceeds the
threshold at any position of the forward pass, so a sentence's log-likelihood depends on the
other sentences of its batch, on the padding, and on the sentence packed with it into one row.
This scores a seeded sample of CrowS-Pairs pairs with the builtin SmolLM2-135M-Instruct under
bitsandbytes int8 (float32, CPU), the model loaded once, in several layouts:

- packed, batch 16 / 4 / 1: how fairgate scored int8 before (packing on, spec batch size);
- unpacked, batch 16: one request per row, still batched (padding and other rows remain);
- alone: one request per forward pass, what fairgate now does for int8 whatever the batch size;

and prints, for each layout against `alone` and between the batched ones, the share of pair
preferences (LL(sent_more) > LL(sent_less)) that differ, the largest per-sentence
log-likelihood difference, and seconds of scoring per 100 sentences (model load excluded;
every layout computes from an empty result store). Then it extrapolates to the default spec's
1,508 pairs. `--float32` adds the same layouts for the uncompressed model, as the control.

    .venv/bin/python bench/int8_batch_invariance.py                # 200 pairs
    .venv/bin/python bench/int8_batch_invariance.py --pairs 50 --json out.json

Timings are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

import torch  # noqa: E402

from engine.datasets.base import DataSource  # noqa: E402
from engine.metrics.registry import get_metric  # noqa: E402
from engine.compression.bitsandbytes import BitsAndBytes8bitConfig  # noqa: E402
from engine.models.loading import load_model, load_tokenizer  # noqa: E402
from engine.models.source import ModelRef, resolve  # noqa: E402
from engine.models.transformers_backend import TransformersBackend  # noqa: E402
from engine.scoring.lm import LanguageModel  # noqa: E402
from engine.scoring.loglikelihood import LLRequest, loglikelihood  # noqa: E402
from engine.store import ResultStore  # noqa: E402

MODEL = "builtin:smollm2-135m-instruct"
FULL_PAIRS = 1508  # the default spec scores every CrowS-Pairs pair
LAYOUTS = {  # name: (batch size, packing)
    "alone": (1, False),
    "packed-16": (16, True),
    "packed-4": (4, True),
    "packed-1": (1, True),
    "unpacked-16": (16, False),
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", type=int, default=200, help="CrowS-Pairs pairs sampled")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help=f"comma-separated, from {', '.join(LAYOUTS)} (alone is always scored)",
    )
    p.add_argument("--float32", action="store_true", help="also the uncompressed control")
    p.add_argument("--json", type=Path, help="also write the figures here")
    return p.parse_args()


def score(model, tokenizer, requests, batch_size: int, packing: bool) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory(prefix="fairgate-bench-int8-") as root:
        lm = LanguageModel(
            tokenizer=tokenizer,
            batch_size=batch_size,
            packing=packing,
            identity="bench",
            store=ResultStore(Path(root)),
            load_backend=lambda: TransformersBackend(model, tokenizer, "cpu"),
        )
        start = time.perf_counter()
        results = loglikelihood(lm, requests)
        seconds = time.perf_counter() - start
    return seconds, [r.logprob for r in results]


def compare(a: list[float], b: list[float]) -> dict:
    prefers_a = [more > less for more, less in zip(a[::2], a[1::2])]
    prefers_b = [more > less for more, less in zip(b[::2], b[1::2])]
    return {
        "flipped_pairs": sum(x != y for x, y in zip(prefers_a, prefers_b)),
        "flip_share": sum(x != y for x, y in zip(prefers_a, prefers_b)) / len(prefers_a),
        "max_abs_ll_diff": max(abs(x - y) for x, y in zip(a, b)),
        "identical": a == b,
    }


def run(label: str, model, tokenizer, requests, layouts: list[str]) -> dict:
    per_100 = 100 / len(requests)
    lls, figures = {}, {}
    for name in layouts:
        batch_size, packing = LAYOUTS[name]
        seconds, lls[name] = score(model, tokenizer, requests, batch_size, packing)
        figures[name] = {
            "seconds": seconds,
            "seconds_per_100_sentences": seconds * per_100,
            "full_spec_seconds": seconds * FULL_PAIRS * 2 / len(requests),
        }
        print(f"  {label} {name}: {seconds:.1f} s", flush=True)
    for name in layouts:
        figures[name]["vs_alone"] = compare(lls[name], lls["alone"])
    batched = [n for n in ("packed-16", "packed-4", "packed-1") if n in layouts]
    between = {
        f"{a} vs {b}": compare(lls[a], lls[b])
        for i, a in enumerate(batched)
        for b in batched[i + 1 :]
    }
    print(f"\n{label}: {len(requests) // 2} pairs, {len(requests)} sentences")
    print(f"  {'layout':<12} {'s/100 sent':>10} {'1,508 pairs':>11} {'flips vs alone':>15} {'max |dLL|':>10}")
    for name, f in figures.items():
        v = f["vs_alone"]
        print(
            f"  {name:<12} {f['seconds_per_100_sentences']:>10.2f} {f['full_spec_seconds']:>10.0f}s"
            f" {v['flipped_pairs']:>5} ({100 * v['flip_share']:4.1f}%) {v['max_abs_ll_diff']:>10.2e}"
        )
    for name, v in between.items():
        print(
            f"  {name}: {v['flipped_pairs']} flips ({100 * v['flip_share']:.1f}%), "
            f"max |dLL| {v['max_abs_ll_diff']:.2e}"
        )
    return {"layouts": figures, "between": between}


def main() -> None:
    args = parse_args()
    examples = get_metric("crows_pairs.stereotype_score").dataset.load(DataSource()).examples
    sample = random.Random(args.seed).sample(list(examples), args.pairs)
    requests = [LLRequest("", e.fields[k]) for e in sample for k in ("sent_more", "sent_less")]
    resolved = resolve(ModelRef(MODEL))
    tokenizer = load_tokenizer(resolved)
    fig = {"pairs": args.pairs, "seed": args.seed, "torch_threads": torch.get_num_threads()}
    variants = [("bnb-int8", BitsAndBytes8bitConfig(method="bitsandbytes", bits=8))]
    if args.float32:
        variants.append(("float32", None))
    layouts = ["alone"] + [n for n in args.layouts.split(",") if n != "alone"]
    for label, quantization in variants:
        model, _ = load_model(resolved, "float32", "cpu", quantization)
        fig[label] = run(label, model, tokenizer, requests, layouts)
        del model
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
