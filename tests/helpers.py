"""Small builders the tests share."""

from __future__ import annotations

import subprocess
import sys

from engine.models.plan import ModelPlan
from engine.models.source import ModelRef


def plan_for(path, quantization=None, batch_size=4, label="m") -> ModelPlan:
    return ModelPlan(
        label=label,
        ref=ModelRef(str(path)),
        dtype="float32",
        device="cpu",
        quantization=quantization,
        trust_remote_code=False,
        batch_size=batch_size,
    )


def run_real_gate(tmp_path, checks_toml: str, nbits: int = 2, aggressive: tuple[str, str] | None = None):
    """The real shipped model gated against itself and against HQQ at `nbits`, on `checks_toml`.

    Returns {variant name: {(metric, subgroup): Verdict}} for the variants "identical" and
    "hqq-<nbits>bit". At 2 bits SmolLM2 is worse than uniform guessing on the sanity text
    (perplexity ~869,000 against a vocabulary of 49,152), so that variant is judged only with
    `allow_broken`: a model degraded as far as it goes is what these tests need. The baseline's scores are shared with every other real-model test
    through the session's cache. `aggressive` = (variant name, its `quantization` table in
    TOML) replaces the HQQ variant, judged with `allow_broken` too.
    """
    import os
    import textwrap

    from engine.run import GateRun
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    degraded, table = aggressive or (f"hqq-{nbits}bit", f'{{ method = "hqq", nbits = {nbits}, group_size = 64 }}')
    spec = tmp_path / "real.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "real"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "identical"
            [[variants]]
            name = "{degraded}"
            quantization = {table}
            allow_broken = {"true" if aggressive or nbits <= 2 else "false"}
            """
        )
        + textwrap.dedent(checks_toml)
    )
    run = GateRun(load_spec(spec), ResultStore(os.path.join(os.environ["FAIRGATE_CACHE"], "results")))
    return {
        name: {(v.metric, v.subgroup): v for v in run.evaluate_variant(name).verdicts}
        for name in ("identical", degraded)
    }


def checkpoint_lm(path, store_root, batch_size: int = 4, quantization=None, identity=None, **fields):
    """A LanguageModel over a local checkpoint, float32 on the CPU, loaded on first use."""
    from engine.models.loading import load_model, load_tokenizer
    from engine.models.source import resolve
    from engine.models.transformers_backend import TransformersBackend
    from engine.scoring.lm import LanguageModel
    from engine.store import ResultStore

    resolved = resolve(ModelRef(str(path)))
    tokenizer = load_tokenizer(resolved)
    return LanguageModel(
        tokenizer=tokenizer,
        batch_size=batch_size,
        identity=identity or resolved.sha256,
        store=ResultStore(store_root),
        load_backend=lambda: TransformersBackend(
            load_model(resolved, "float32", "cpu", quantization)[0], tokenizer, "cpu"
        ),
        **fields,
    )


def builtin_gate_run(tmp_path, checks: str, store_root=None):
    """A GateRun of the builtin model against an unchanged copy of itself (variant "same") on
    `checks`; the store under `tmp_path` unless `store_root` is given."""
    import textwrap

    from engine.run import GateRun
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "demo"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "same"
            """
        )
        + textwrap.dedent(checks)
    )
    return GateRun(load_spec(spec), ResultStore(store_root or tmp_path / "store"))


def fresh_process_output(code: str) -> str:
    """What `code` prints in a new interpreter: import effects that this test process, where
    other tests imported modules already, cannot show."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def poison_hqq(monkeypatch) -> None:
    """HQQ made to write NaN into every MLP's down projection: a compression that loads and
    is broken, as the sanity perplexity sees it."""
    import math

    import torch

    from engine.compression.hqq import HQQConfig

    def poisoned(self, model, device, dtype, tokenizer):
        with torch.no_grad():
            for layer in model.model.layers:
                layer.mlp.down_proj.weight.fill_(math.nan)
        return model

    monkeypatch.setattr(HQQConfig, "after_load", poisoned)
    monkeypatch.setattr(HQQConfig, "compressed_types", staticmethod(lambda: (torch.nn.Linear,)))


def checkpoint_variant_outcomes(tmp_path, baseline: str, checkpoints: dict) -> dict:
    """Each checkpoint directory in `checkpoints` (name -> path) judged as a variant of
    `baseline` on two CrowS-Pairs pairs per subgroup; the outcomes by name."""
    from engine.run import GateRun
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    spec = tmp_path / "checkpoints.toml"
    variants = "".join(f'[[variants]]\nname = "{name}"\nmodel = "{path}"\n' for name, path in checkpoints.items())
    spec.write_text(
        f'name = "checkpoints"\n[baseline]\nmodel = "{baseline}"\n{variants}'
        '[[checks]]\nmetric = "crows_pairs.stereotype_score"\nmax_examples = 2\ntolerance = 0.5\n'
    )
    run = GateRun(load_spec(spec), ResultStore(tmp_path / "cache"))
    return {name: run.evaluate_variant(name) for name in checkpoints}

