"""How fast fairgate scores CrowS-Pairs, against the machine's compute bound and lm-eval.

Times a cold evaluation (fresh result store, model load included) of the builtin model
(SmolLM2-135M-Instruct, float32, CPU) on all 1,508 CrowS-Pairs pairs, then the same evaluation
by lm-evaluation-harness (its own `crows_pairs_english` task, pointed at the same local CSV)
in the same process, and prints:

- wall time and tokens/s of each, and the speed ratio (lm-eval time / ours);
- a compute bound: the GFLOP/s of float32 matmuls of the model's weight shapes at a realistic
  token count, divided by the model's FLOPs per token, and the fraction of it we reach;
- agreement: stereotype score of each, pairs whose stereotyped/not verdict differs, and the
  largest per-sentence log-likelihood difference.

Tokens are counted as the scoring sees them: per sentence, the prefix token plus the
sentence's tokens (padding not counted); both sides do the same work, so the tokens/s ratio is
the inverse time ratio. Everything runs offline from installed packages.

    .venv/bin/python bench/crows_pairs_speed.py                    # full run, lm-eval batch 1
    .venv/bin/python bench/crows_pairs_speed.py --lm-eval-batch-size 16
    .venv/bin/python bench/crows_pairs_speed.py --limit 40 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

# The Hugging Face libraries read these when imported: nothing may reach the hub.
os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

import torch  # noqa: E402
from transformers import AutoConfig, AutoTokenizer  # noqa: E402

from engine.datasets.base import DataSource  # noqa: E402
from engine.datasets.crows_pairs import default_csv  # noqa: E402
from engine.evaluation import evaluate_model  # noqa: E402
from engine.models.plan import ModelPlan  # noqa: E402
from engine.metrics.registry import get_metric  # noqa: E402
from engine.models.source import ModelRef, resolve  # noqa: E402
from engine.store import ResultStore  # noqa: E402

MODEL = "builtin:smollm2-135m-instruct"
METRIC = "crows_pairs.stereotype_score"
LM_EVAL_TASK = "fairgate_bench_crows_pairs_english"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, help="only the first N pairs")
    p.add_argument("--batch-size", type=int, default=16, help="fairgate's batch size")
    p.add_argument("--lm-eval-batch-size", type=int, default=1, help="lm-eval's batch size")
    p.add_argument("--skip-lm-eval", action="store_true")
    p.add_argument("--json", type=Path, help="also write the figures here")
    return p.parse_args()


def count_tokens(tokenizer, examples) -> int:
    return sum(
        1 + len(tokenizer.encode(e.fields[k], add_special_tokens=False))
        for e in examples
        for k in ("sent_more", "sent_less")
    )


@torch.inference_mode()
def compute_bound(config, n_tokens: int, repeats: int = 5) -> dict:
    """Best time of one forward's weight matmuls (every layer, distinct weights, plus lm_head)."""
    h, inter = config.hidden_size, config.intermediate_size
    head_dim = getattr(config, "head_dim", None) or h // config.num_attention_heads
    q, kv = config.num_attention_heads * head_dim, config.num_key_value_heads * head_dim
    layer = [(q, h), (kv, h), (kv, h), (h, q), (inter, h), (inter, h), (h, inter)]  # (out, in)
    weights = [torch.rand(o, i) for _ in range(config.num_hidden_layers) for o, i in layer]
    weights.append(torch.rand(config.vocab_size, h))
    inputs = {i: torch.rand(n_tokens, i) for i in {w.shape[1] for w in weights}}

    def forward():
        for w in weights:
            torch.nn.functional.linear(inputs[w.shape[1]], w)

    forward()  # warm-up: first touch of the weights, thread pool start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        forward()
        best = min(best, time.perf_counter() - start)
    flops_per_token = sum(2 * w.numel() for w in weights)
    return {
        "matmul_tokens": n_tokens,
        "flops_per_token": flops_per_token,
        "gflops_per_s": flops_per_token * n_tokens / best / 1e9,
        "tokens_per_s": n_tokens / best,
    }


def run_ours(examples, batch_size: int) -> tuple[float, list[tuple[float, float]]]:
    metric = get_metric(METRIC)
    plan = ModelPlan("bench", ModelRef(MODEL), "float32", "cpu", None, False, batch_size)
    with tempfile.TemporaryDirectory(prefix="fairgate-bench-store-") as root:
        start = time.perf_counter()
        evaluation = evaluate_model(plan, [(metric, examples, metric.options(None))], ResultStore(Path(root)))
        seconds = time.perf_counter() - start
    records = evaluation.records[METRIC]
    return seconds, [(r["ll_more"], r["ll_less"]) for r in records]


def lm_eval_task_yaml(csv_path: Path, cache_dir: Path) -> str:
    """lm-eval's own task definition, reading the local CSV instead of the hub copy."""
    import lm_eval

    packaged = Path(lm_eval.__file__).parent / "tasks/crows_pairs/crows_pairs_english.yaml"
    return json.dumps(  # JSON is YAML, and quotes the paths safely
        {
            "include": str(packaged),
            "task": LM_EVAL_TASK,
            "tag": [],  # keep it out of lm-eval's `crows_pairs` group
            "dataset_path": "csv",
            "dataset_name": None,
            # A fresh datasets cache, so lm-eval's run is as cold as ours.
            "dataset_kwargs": {"data_files": {"test": str(csv_path)}, "cache_dir": str(cache_dir)},
        },
        indent=2,
    )


def run_lm_eval(
    model_path: Path, csv_path: Path, limit: int | None, batch_size: int
) -> tuple[float, list[tuple[float, float]], list[str], float]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory(prefix="fairgate-bench-lm-eval-") as tmp:
        task_dir = Path(tmp) / "task"
        task_dir.mkdir()
        (task_dir / f"{LM_EVAL_TASK}.yaml").write_text(
            lm_eval_task_yaml(csv_path, Path(tmp) / "datasets")
        )
        start = time.perf_counter()
        # The task includes the packaged file by path, so lm-eval's own index is not needed.
        manager = TaskManager(include_path=str(task_dir), include_defaults=False)
        out = lm_eval.simple_evaluate(
            model="hf",
            model_args=f"pretrained={model_path},dtype=float32,device=cpu",
            tasks=[LM_EVAL_TASK],
            batch_size=batch_size,
            limit=limit,
            log_samples=True,
            task_manager=manager,
        )
        seconds = time.perf_counter() - start
    samples = sorted(out["samples"][LM_EVAL_TASK], key=lambda s: s["doc_id"])
    pairs = [(more[0], less[0]) for more, less in (s["filtered_resps"] for s in samples)]
    sentences = [s["doc"]["sent_more"] for s in samples]
    return seconds, pairs, sentences, out["results"][LM_EVAL_TASK]["pct_stereotype,none"]


def stereotype_score(pairs) -> float:
    return sum(more > less for more, less in pairs) / len(pairs)


def main() -> None:
    args = parse_args()
    examples = get_metric(METRIC).dataset.load(DataSource()).examples[: args.limit]
    resolved = resolve(ModelRef(MODEL))
    tokens = count_tokens(AutoTokenizer.from_pretrained(resolved.path), examples)
    n_sentences = 2 * len(examples)
    # A batch as ours sees it: batch size x the mean sentence length in tokens.
    bound = compute_bound(
        AutoConfig.from_pretrained(resolved.path), args.batch_size * round(tokens / n_sentences)
    )

    ours_s, ours = run_ours(examples, args.batch_size)
    fig = {
        "pairs": len(examples),
        "sentences": n_sentences,
        "tokens": tokens,
        "torch_threads": torch.get_num_threads(),
        "bound": bound,
        "ours": {
            "batch_size": args.batch_size,
            "seconds": ours_s,
            "tokens_per_s": tokens / ours_s,
            "fraction_of_bound": tokens / ours_s / bound["tokens_per_s"],
            "stereotype_score": stereotype_score(ours),
        },
    }
    if not args.skip_lm_eval:
        lm_s, theirs, their_sentences, lm_score = run_lm_eval(
            resolved.path, default_csv(), args.limit, args.lm_eval_batch_size
        )
        # Pairs are compared by position, so both must have read the same rows in the same order.
        assert their_sentences == [e.fields["sent_more"] for e in examples]
        fig["lm_eval"] = {
            "batch_size": args.lm_eval_batch_size,
            "seconds": lm_s,
            "tokens_per_s": tokens / lm_s,
            "fraction_of_bound": tokens / lm_s / bound["tokens_per_s"],
            "stereotype_score": lm_score,
        }
        fig["speedup"] = lm_s / ours_s
        fig["agreement"] = {
            "verdicts_differing": sum((a > b) != (c > d) for (a, b), (c, d) in zip(ours, theirs)),
            "max_abs_ll_diff": max(
                abs(x - y) for o, t in zip(ours, theirs) for x, y in zip(o, t)
            ),
        }
    report(fig)
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2) + "\n")


def report(fig: dict) -> None:
    b = fig["bound"]
    print(
        f"\nCrowS-Pairs, {MODEL}, float32 CPU, {fig['torch_threads']} torch threads: "
        f"{fig['pairs']} pairs, {fig['sentences']} sentences, {fig['tokens']} tokens "
        "(prefix token + sentence tokens per sentence)"
    )
    print(
        f"compute bound: {b['gflops_per_s']:.1f} GFLOP/s on weight matmuls at "
        f"{b['matmul_tokens']} tokens, {b['flops_per_token'] / 1e6:.1f} MFLOP/token "
        f"-> {b['tokens_per_s']:.0f} tokens/s"
    )
    for name in ("ours", "lm_eval"):
        if name in fig:
            r = fig[name]
            print(
                f"{name:8s} batch {r['batch_size']:3d}: {r['seconds']:8.1f} s  "
                f"{r['tokens_per_s']:7.0f} tokens/s  {r['fraction_of_bound']:6.1%} of bound  "
                f"stereotype score {r['stereotype_score']:.4f}"
            )
    if "speedup" in fig:
        a = fig["agreement"]
        print(f"speed ratio (lm-eval time / ours): {fig['speedup']:.2f}x")
        print(
            f"agreement: {a['verdicts_differing']} of {fig['pairs']} pair verdicts differ, "
            f"max |ll difference| per sentence {a['max_abs_ll_diff']:.2e}"
        )


if __name__ == "__main__":
    main()
