"""Runs one llm-compressor `oneshot` in llm-compressor's own environment and saves the
compressed-tensors checkpoint.

llm-compressor pins a transformers older than fairgate's, so it cannot be imported beside
fairgate: `engine.compression.llm_compressor_build` writes a job file and runs this script
with that environment's python. It imports nothing from fairgate. The job gives the source
checkpoint, the recipe (llm-compressor's own YAML/JSON form), the calibration token windows
and the sanity text's token ids; what it measured goes to `fairgate-build.json` in the
checkpoint.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from importlib.metadata import version
from pathlib import Path

BUILD_REPORT = "fairgate-build.json"
LIBRARIES = ("llmcompressor", "compressed-tensors", "transformers", "torch")


def versions() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


def perplexity(model, ids: list[int]) -> float:
    import torch

    tokens = torch.tensor([ids], device=model.device)
    with torch.no_grad():
        logits = model(input_ids=tokens).logits.float()
    return float(torch.exp(torch.nn.functional.cross_entropy(logits[0, :-1], tokens[0, 1:])))


def without_accelerator_pinning() -> None:
    """llm-compressor 0.14's AWQ pins its cached activations in page-locked memory for faster
    host-to-device copies, and torch refuses to pin without an accelerator. On a CPU-only
    machine there is no such copy, so pinning is skipped; the values are the same."""
    import torch
    from llmcompressor.pipelines.cache import IntermediatesCache

    if not torch.accelerator.is_available():
        IntermediatesCache.pin_memory = lambda self, batch_index, input_names=None: None


def build(job: dict) -> None:
    import torch
    from datasets import Dataset
    from llmcompressor import oneshot
    from transformers import AutoModelForCausalLM, AutoTokenizer

    without_accelerator_pinning()
    torch.manual_seed(job["seed"])
    source, target = Path(job["source"]), Path(job["target"])
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, dtype="auto").eval()
    before = perplexity(model, job["sanity_ids"])
    windows = job["calibration"]
    dataset = Dataset.from_dict({"input_ids": windows, "attention_mask": [[1] * len(w) for w in windows]})
    start = time.perf_counter()
    oneshot(
        model=model,
        dataset=dataset,
        recipe=json.dumps(job["recipe"]),
        num_calibration_samples=len(windows),
        max_seq_length=max(len(w) for w in windows),
        shuffle_calibration_samples=False,
    )
    seconds = time.perf_counter() - start
    after = perplexity(model, job["sanity_ids"])
    model.save_pretrained(target, save_compressed=True, quantization_format=job.get("format"))
    tokenizer.save_pretrained(target)
    report = {
        "recipe": job["recipe"],
        "versions": versions(),
        "dtype": str(model.dtype).removeprefix("torch."),
        "calibration_windows": len(windows),
        "oneshot_seconds": round(seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "perplexity_before": before,
        "perplexity_after": after,
    }
    (target / BUILD_REPORT).write_text(json.dumps(report, indent=1), encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv == ["--versions"]:
        print(json.dumps(versions()))
        return
    (job_file,) = argv
    build(json.loads(Path(job_file).read_text(encoding="utf-8")))


if __name__ == "__main__":
    main(sys.argv[1:])
