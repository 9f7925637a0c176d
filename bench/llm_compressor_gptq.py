"""GPTQ W4A16 (llm-compressor `oneshot`) on the shipped SmolLM2 on CPU: time, peak RSS, the
scheme written to the saved compressed-tensors checkpoint, and the sanity perplexity of the
model read back from it through transformers.

llm-compressor pins transformers<=5.17 and compressed-tensors==0.19.0, so this runs in an
environment of its own (see the closing note of issue 18), e.g.
    PYTHONPATH=$PWD /work/venv-llmc/bin/python bench/llm_compressor_gptq.py --cache /tmp/cache-llmc
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--scheme", default="W4A16")
    parser.add_argument("--group-size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from llmcompressor import oneshot
    from llmcompressor.modifiers.quantization import GPTQModifier
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.compression.calibration import CalibrationConfig
    from engine.models import builtin
    from engine.models.sanity import perplexity

    torch.manual_seed(0)
    source = builtin.checkpoint("smollm2-135m-instruct", args.cache)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
    before = perplexity(model, tokenizer, "cpu")
    windows = CalibrationConfig(samples=args.samples, tokens=args.tokens).token_windows(tokenizer)
    calibration = Dataset.from_dict(
        {"input_ids": windows, "attention_mask": [[1] * len(w) for w in windows]}
    )
    scheme = {"targets": ["Linear"], "scheme": args.scheme, "ignore": ["lm_head"]}
    if args.group_size:
        from compressed_tensors.quantization import preset_name_to_scheme

        preset = preset_name_to_scheme(args.scheme, ["Linear"])
        preset.weights.group_size = args.group_size
        scheme = {"config_groups": {"group_0": preset}, "ignore": ["lm_head"]}
    recipe = GPTQModifier(**scheme)

    start = time.perf_counter()
    oneshot(
        model=model,
        dataset=calibration,
        recipe=recipe,
        num_calibration_samples=args.samples,
        max_seq_length=args.tokens,
        shuffle_calibration_samples=False,
    )
    quantize_s = time.perf_counter() - start
    target = args.cache / "bench-gptq" / f"{args.scheme}-g{args.group_size}"
    model.save_pretrained(target, save_compressed=True)
    tokenizer.save_pretrained(target)
    del model

    start = time.perf_counter()
    loaded = AutoModelForCausalLM.from_pretrained(target, dtype=torch.float32).eval()
    load_s = time.perf_counter() - start
    after = perplexity(loaded, tokenizer, "cpu")
    config = json.loads((target / "config.json").read_text())["quantization_config"]
    weights = config["config_groups"]["group_0"]["weights"]
    print(json.dumps({
        "scheme": args.scheme,
        "calibration": f"{args.samples} x {args.tokens} tokens, bold-wikipedia",
        "quantize_seconds": round(quantize_s, 1),
        "load_seconds": round(load_s, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "checkpoint_bytes": sum(p.stat().st_size for p in target.glob("*.safetensors")),
        "format": config.get("format"),
        "weights": {k: weights[k] for k in ("num_bits", "group_size", "strategy", "symmetric")},
        "input_activations": config["config_groups"]["group_0"].get("input_activations"),
        "perplexity_before": round(before, 4),
        "perplexity_after": round(after, 4),
    }, indent=1))


if __name__ == "__main__":
    main()
