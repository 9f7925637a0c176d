"""The spec file's structure as pydantic models; cross-references are checked in `checks.py`."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from engine import compression
from engine.degenerate import DEFAULT_TOLERANCE as DEFAULT_DEGENERATE_TOLERANCE
from engine.scoring.generation import GenerationConfig
from engine.scoring.loglikelihood import Normalization
from engine.stats import Correction

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
Dtype = Literal["float32", "bfloat16", "float16"]
Quantization = compression.spec_union()
Tolerance = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Bound = Annotated[float, Field(allow_inf_nan=False)]
Rule = Literal["point", "significant", "equivalent"]
EngineName = Literal["transformers", "vllm"]
DeviceMap = Literal["auto", "balanced", "balanced_low_0", "sequential"]
MemoryDevice = Annotated[str, Field(pattern=r"^(\d+|cpu|mps)$")]
MemorySize = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(KB|MB|GB|KiB|MiB|GiB)$")]
ENGINE_HELP = (
    "the engine this model runs on; it must be the spec's `[engine]` name (baseline and "
    "variants run on one engine, since engines differ numerically by themselves)"
)

# Field documentation shared by the baseline and the variants.
PINNED_REVISION = "0123456789abcdef0123456789abcdef01234567"
MODEL_REVISION_HELP = (
    "hub revision of `model` (branch, tag or commit); a full 40-character commit sha pins it, "
    "and is required with trust_remote_code"
)
TRUST_REMOTE_CODE_HELP = (
    "run Python code from the model's hub repository; needs `revision` pinned to a commit sha"
)


class Strict(BaseModel):
    # strict: a value must have its TOML type. Lax coercion would read `tolerance = "0.05"`
    # or `batch_size = true` as numbers, and a typo in a spec would go unnoticed.
    model_config = ConfigDict(extra="forbid", strict=True)


class EngineSpec(Strict):
    """The inference engine every model of the spec runs on, and its options."""

    name: EngineName = Field(
        "transformers",
        description="transformers (default; CPU or one GPU) or vllm (vLLM, in its own "
        "environment: `make vllm`)",
        examples=["vllm"],
    )
    tensor_parallel_size: Optional[int] = Field(
        None, ge=1, description="vllm only: GPUs each layer is split over", examples=[4]
    )
    pipeline_parallel_size: Optional[int] = Field(
        None, ge=1, description="vllm only: GPUs (or nodes) the layers are spread over", examples=[2]
    )
    gpu_memory_utilization: Optional[float] = Field(
        None,
        gt=0,
        le=1,
        description="vllm only: share of each GPU's memory vLLM may take (on a CPU: of the "
        "machine's memory); default: vLLM's own on a GPU, 0.25 on a CPU",
        examples=[0.85],
    )
    max_model_len: Optional[int] = Field(
        None, ge=16, description="vllm only: longest sequence, in tokens; default: the model's", examples=[4096]
    )
    enforce_eager: Optional[bool] = Field(
        None,
        description="vllm only: run without compiled graphs (faster start; on a GPU, slower "
        "scoring); default: true on a CPU, where compiling gains nothing, else vLLM's choice",
        examples=[True],
    )
    distributed_executor_backend: Optional[Literal["mp", "ray"]] = Field(
        None,
        description="vllm only: mp (one node) or ray (several nodes); default: vLLM's choice "
        "across devices, and the engine inside fairgate's worker process on one device",
        examples=["ray"],
    )

    def vllm_options(self) -> dict:
        """The options set, by vLLM's own argument names."""
        return {k: v for k, v in self.model_dump(exclude={"name"}).items() if v is not None}


class BaselineSpec(Strict):
    """The reference model every variant is compared with; its device and batch size are
    used for the variants too."""

    model: str = Field(
        description="builtin:NAME (a model shipped with fairgate), a hub id, a local "
        "checkpoint directory or a local .gguf file (relative to the spec)",
        examples=["builtin:smollm2-135m-instruct"],
    )
    revision: Optional[str] = Field(
        None, description=MODEL_REVISION_HELP, examples=[PINNED_REVISION]
    )
    dtype: Dtype = Field(
        "float32",
        description="dtype the weights are loaded in and computed with: float32, bfloat16 "
        "or float16",
        examples=["bfloat16"],
    )
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$",
        description="auto (a GPU if there is one, else the CPU), cpu, mps, cuda or cuda:N",
        examples=["cpu"],
    )
    trust_remote_code: bool = Field(
        False, description=TRUST_REMOTE_CODE_HELP, examples=[True]
    )
    batch_size: int = Field(
        16, gt=0, le=4096, description="sequences per forward pass", examples=[8]
    )
    prefix_token: Optional[str] = Field(
        None,
        min_length=1,
        description="the token a sentence scored with no context is conditioned on, for the "
        "baseline and every variant: one token of the model's tokenizer, written as text; "
        "default: its BOS token, else its EOS token (lm-evaluation-harness's choice), which for "
        "chat models such as SmolLM2-Instruct is the turn opener `<|im_start|>`",
        examples=["<|endoftext|>"],
    )
    engine: Optional[EngineName] = Field(None, description=ENGINE_HELP, examples=["vllm"])
    device_map: Optional[DeviceMap] = Field(
        None,
        description="transformers engine only: spread the layers of the baseline and every "
        "variant over the GPUs accelerate finds, then the CPU, then disk, for a model larger "
        "than one GPU (`device` auto or cuda); auto, balanced, balanced_low_0 or sequential",
        examples=["auto"],
    )
    max_memory: Optional[dict[MemoryDevice, MemorySize]] = Field(
        None,
        description="with device_map: the most each device may hold, by GPU index, `cpu` or "
        "`mps`; what fits nowhere goes to disk, under the cache",
        examples=[{"0": "70GiB", "1": "70GiB", "cpu": "200GiB"}],
    )


class VariantSpec(Strict):
    """A compressed build judged against the baseline: the baseline's model quantized at load
    time, or a checkpoint that is already compressed."""

    name: str = Field(
        pattern=NAME_PATTERN,
        description="the variant's name: letters, digits, . _ + -; used in test ids and "
        "report file names",
        examples=["hqq-4bit-g64"],
    )
    model: Optional[str] = Field(
        None,
        description="an already compressed checkpoint: a hub id, a local directory or a "
        "local .gguf file such as model-Q4_K_M.gguf (relative to the spec); default: the "
        "baseline's model",
        examples=["./checkpoints/gptq-4bit"],
    )
    revision: Optional[str] = Field(
        None, description=MODEL_REVISION_HELP, examples=[PINNED_REVISION]
    )
    trust_remote_code: bool = Field(
        False, description=TRUST_REMOTE_CODE_HELP, examples=[True]
    )
    dtype: Optional[Dtype] = Field(
        None,
        description="float32, bfloat16 or float16; default: the baseline's dtype",
        examples=["float16"],
    )
    quantization: Optional[Quantization] = Field(
        None,
        description="compress the model: a table with `method` (one of the methods below) and "
        "that method's settings; leave out for an already compressed `model`",
        examples=[{"method": "hqq", "nbits": 4, "group_size": 64}],
    )
    compression: Optional[list[Quantization]] = Field(
        None,
        min_length=1,
        description="several compression steps applied in the order written, each a table "
        "like `quantization`; instead of `quantization`",
        examples=[[{"method": "prune", "pattern": "2:4"}, {"method": "hqq", "nbits": 4}]],
    )

    engine: Optional[EngineName] = Field(None, description=ENGINE_HELP, examples=["vllm"])

    allow_broken: bool = Field(
        False,
        description="judge this variant even when its sanity perplexity is no better than "
        "uniform guessing (to study extreme compression); every item then carries a warning",
        examples=[True],
    )

    @property
    def steps(self) -> tuple:
        """The declared compression steps in order, whichever key declared them."""
        if self.compression is not None:
            return tuple(self.compression)
        return () if self.quantization is None else (self.quantization,)


class DataSpec(Strict):
    """Where a check's data set comes from, when not from the copy shipped with fairgate."""

    path: Optional[str] = Field(
        None,
        description="a local file or directory, relative to the spec, in the data set's own "
        "format; default: the offline copy",
        examples=["data/my-pairs.csv"],
    )
    hub: Optional[str] = Field(
        None, description="a hub dataset id", examples=["jannalu/crows_pairs_multilingual"]
    )
    config: Optional[str] = Field(
        None, description="the hub dataset's configuration (subset) name", examples=["english"]
    )
    split: str = Field(
        "test",
        description="e.g. dev or test, for data sets that have splits",
        examples=["dev"],
    )
    revision: Optional[str] = Field(
        None,
        description="hub revision of the dataset; a full 40-character commit sha pins it",
        examples=[PINNED_REVISION],
    )

    @model_validator(mode="after")
    def _one_source(self) -> "DataSpec":
        if self.path is not None and self.hub is not None:
            raise ValueError("give at most one of `path` (a local file) or `hub` (a dataset id)")
        return self


class StatisticsSpec(Strict):
    """How verdicts weigh the uncertainty of a change; every check inherits these."""

    rule: Rule = Field(
        "point",
        description="point: fail if the measured worsening exceeds the tolerance; significant: "
        "only if the interval's lower end does; equivalent: pass only if its upper end is within",
        examples=["significant"],
    )
    confidence: float = Field(
        0.95,
        gt=0.5,
        lt=1,
        description="level of the paired bootstrap interval of the change",
        examples=[0.9],
    )
    resamples: int = Field(
        2000, ge=100, le=100_000, description="paired bootstrap resamples", examples=[5000]
    )
    correction: Correction = Field(
        "none",
        description="multiple comparisons under `significant`: holm (family-wise) or bh "
        "(false discovery rate)",
        examples=["holm"],
    )
    correction_scope: Literal["check", "variant"] = Field(
        "check",
        description="the family corrected together: a check's subgroups, or all items of a variant",
        examples=["variant"],
    )
    min_examples: int = Field(
        1,
        ge=1,
        description="a subgroup with fewer examples fails instead of being judged",
        examples=[20],
    )


class GenerationSpec(Strict):
    """How a check's prompts are continued, for metrics on generated text."""

    max_new_tokens: int = Field(
        32, ge=1, le=4096, description="continuation length limit, in tokens", examples=[20]
    )
    do_sample: bool = Field(
        False, description="false: greedy decoding; true: seeded sampling", examples=[True]
    )
    seed: Optional[int] = Field(
        None,
        description="sampling seed, only when sampling; default: the spec's `seed`",
        examples=[7],
    )
    temperature: float = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="softmax temperature, only when sampling",
        examples=[0.7],
    )
    top_p: float = Field(
        1.0,
        gt=0,
        le=1,
        description="nucleus sampling mass, only when sampling",
        examples=[0.9],
    )
    samples: int = Field(
        1,
        ge=1,
        le=1000,
        description="continuations per prompt, only when sampling, for metrics over several "
        "samples (real_toxicity_prompts: k)",
        examples=[25],
    )

    @model_validator(mode="after")
    def _sampling_settings_need_sampling(self) -> "GenerationSpec":
        if self.do_sample:
            return self
        given = [
            key for key in ("seed", "temperature", "top_p", "samples") if key in self.model_fields_set
        ]
        if given:
            one = len(given) == 1
            raise ValueError(
                f"{' and '.join(given)} {'is a sampling setting' if one else 'are sampling settings'}, "
                f"ignored by greedy decoding; set do_sample = true or leave {'it' if one else 'them'} out"
            )
        return self

    def config(self, spec_seed: int) -> GenerationConfig:
        return GenerationConfig(
            max_new_tokens=self.max_new_tokens,
            do_sample=self.do_sample,
            seed=spec_seed if self.seed is None else self.seed,
            temperature=self.temperature,
            top_p=self.top_p,
            samples=self.samples,
        )


ScorerOptionValue = Union[StrictBool, StrictInt, float, str]


class ScorerSpec(Strict):
    """The text classifier that scores generated continuations, with its options."""

    name: str = Field(
        description="a text classifier, e.g. detoxify or profanity_check", examples=["detoxify"]
    )
    options: dict[str, ScorerOptionValue] = Field(
        default_factory=dict,
        description="the scorer's options, e.g. detoxify's model_type, checkpoint and "
        "huggingface_config_path (paths relative to the spec)",
        examples=[{"model_type": "original"}],
    )


class CheckSpec(Strict):
    """One metric measured on the baseline and on every variant, per subgroup; a variant fails
    where the metric worsens by more than the tolerance."""

    metric: str = Field(
        description="the metric to compare, as data_set.metric",
        examples=["crows_pairs.stereotype_score"],
    )
    data: Optional[DataSpec] = Field(
        None,
        description="where the data set comes from: a table with `path` or `hub`, and "
        "`split`; default: the offline copy",
        examples=[{"path": "data/my-pairs.csv"}],
    )
    max_examples: Optional[int] = Field(
        None, gt=0, description="per subgroup, a seeded sample; default: all", examples=[300]
    )
    normalization: Optional[Normalization] = Field(
        None,
        description="length normalisation of compared log-likelihoods (none, per_token, "
        "per_byte), for metrics that compare continuations; default: the metric's own",
        examples=["per_byte"],
    )
    generation: Optional[GenerationSpec] = Field(
        None,
        description="decoding, for metrics on generated text; default: greedy, 32 new tokens",
        examples=[{"max_new_tokens": 20}],
    )
    scorer: Optional[Union[str, ScorerSpec]] = Field(
        None,
        description="the toxicity classifier, for toxicity metrics (required there): a name, "
        "or a table with `name` and `options`",
        examples=["profanity_check"],
    )
    tolerance: Tolerance = Field(
        description="largest allowed worsening, in the metric's units, for every subgroup "
        "not named in `subgroups`",
        examples=[0.03],
    )
    subgroups: dict[str, Tolerance] = Field(
        default_factory=dict,
        description="per-subgroup tolerances overriding `tolerance`; `overall` is the whole "
        "data set",
        examples=[{"gender": 0.02, "race-color": 0.02}],
    )
    rule: Optional[Rule] = Field(
        None,
        description="point, significant or equivalent (see statistics.rule); default: "
        "statistics.rule",
        examples=["equivalent"],
    )
    min: Optional[Bound] = Field(
        None,
        description="the variant's own value must not fall below this, whatever the baseline",
        examples=[0.4],
    )
    max: Optional[Bound] = Field(
        None,
        description="the variant's own value must not exceed this, whatever the baseline",
        examples=[0.6],
    )
    min_examples: Optional[int] = Field(
        None,
        ge=1,
        description="a subgroup with fewer examples fails instead of being judged; default: "
        "statistics.min_examples",
        examples=[10],
    )
    bins: Optional[int] = Field(
        None,
        ge=1,
        le=100,
        description="equal-mass confidence bins, for calibration error metrics; default 10",
        examples=[5],
    )
    degenerate_tolerance: Optional[Tolerance] = Field(
        None,
        description="for metrics on generated text: largest allowed rise, per subgroup, in the "
        "share of degenerate continuations (empty, whitespace only, or one token repeated) "
        f"over the baseline's; default {DEFAULT_DEGENERATE_TOLERANCE:g}",
        examples=[0.1],
    )

    @model_validator(mode="after")
    def _ordered_bounds(self) -> "CheckSpec":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        return self

    def tolerance_for(self, subgroup: str) -> float:
        return self.subgroups.get(subgroup, self.tolerance)

    @property
    def scorer_spec(self) -> ScorerSpec | None:
        """`scorer` in its table form, whichever form the spec wrote."""
        return ScorerSpec(name=self.scorer) if isinstance(self.scorer, str) else self.scorer


class Spec(Strict):
    """A fairness gate: a baseline model, compressed variants of it, and the checks every
    variant must pass."""

    name: str = Field(
        pattern=NAME_PATTERN,
        description="the gate's name: letters, digits, . _ + -; used in test ids and report "
        "file names",
        examples=["my-model-int4"],
    )
    seed: int = Field(
        0,
        description="seeds the per-subgroup samples (max_examples), the bootstrap and, "
        "unless generation.seed is set, sampled generation",
        examples=[1234],
    )
    statistics: StatisticsSpec = Field(
        default_factory=StatisticsSpec,
        description="how verdicts weigh the uncertainty of a change; every check inherits "
        "these",
        examples=[{"rule": "significant", "correction": "holm"}],
    )
    engine: EngineSpec = Field(
        default_factory=EngineSpec,
        description="the engine the baseline and every variant run on, with its options",
        examples=[{"name": "vllm", "enforce_eager": True}],
    )
    baseline: BaselineSpec = Field(
        description="the reference model: a table with `model` and how to load it",
        examples=[{"model": "builtin:smollm2-135m-instruct"}],
    )
    variants: list[VariantSpec] = Field(
        min_length=1,
        description="the compressed builds to judge, one [[variants]] table each",
        examples=[[{"name": "bnb-int8", "quantization": {"method": "bitsandbytes", "bits": 8}}]],
    )
    checks: list[CheckSpec] = Field(
        min_length=1,
        description="the metrics every variant must not worsen, one [[checks]] table each",
        examples=[[{"metric": "crows_pairs.stereotype_score", "tolerance": 0.03}]],
    )

    def variant(self, name: str) -> VariantSpec:
        return next(v for v in self.variants if v.name == name)
