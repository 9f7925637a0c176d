"""The spec file's structure as pydantic models; cross-references are checked in `checks.py`."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from engine.models.bitsandbytes import BitsAndBytesConfig
from engine.models.hqq import HQQConfig
from engine.scoring.generation import GenerationConfig
from engine.scoring.loglikelihood import Normalization
from engine.stats import Correction

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
Dtype = Literal["float32", "bfloat16", "float16"]
Quantization = Annotated[Union[HQQConfig, BitsAndBytesConfig], Field(discriminator="method")]
Tolerance = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Bound = Annotated[float, Field(allow_inf_nan=False)]
Rule = Literal["point", "significant", "equivalent"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaselineSpec(Strict):
    model: str = Field(description="builtin:NAME, a hub id, or a local checkpoint directory")
    revision: Optional[str] = Field(None, description="hub revision; a commit sha pins it")
    dtype: Dtype = "float32"
    device: str = Field("auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")
    trust_remote_code: bool = False
    batch_size: int = Field(16, gt=0, le=4096, description="sequences per forward pass")


class VariantSpec(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    model: Optional[str] = Field(
        None, description="an already compressed checkpoint; default: the baseline's model"
    )
    revision: Optional[str] = None
    trust_remote_code: bool = False
    dtype: Optional[Dtype] = Field(None, description="default: the baseline's dtype")
    quantization: Optional[Quantization] = None


class DataSpec(Strict):
    path: Optional[str] = Field(
        None, description="a local file or directory, relative to the spec; default: the offline copy"
    )
    hub: Optional[str] = Field(None, description="a hub dataset id")
    config: Optional[str] = None
    split: str = Field("test", description="e.g. dev or test, for data sets that have splits")
    revision: Optional[str] = None

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
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1, description="level of the paired bootstrap interval of the change"
    )
    resamples: int = Field(2000, ge=100, le=100_000, description="paired bootstrap resamples")
    correction: Correction = Field(
        "none",
        description="multiple comparisons under `significant`: holm (family-wise) or bh "
        "(false discovery rate)",
    )
    correction_scope: Literal["check", "variant"] = Field(
        "check",
        description="the family corrected together: a check's subgroups, or all items of a variant",
    )
    min_examples: int = Field(
        1, ge=1, description="a subgroup with fewer examples fails instead of being judged"
    )


class GenerationSpec(Strict):
    """How a check's prompts are continued, for metrics on generated text."""

    max_new_tokens: int = Field(32, ge=1, le=4096, description="continuation length limit")
    do_sample: bool = Field(False, description="false: greedy decoding; true: seeded sampling")
    seed: Optional[int] = Field(None, description="sampling seed; default: the spec's `seed`")
    temperature: float = Field(1.0, gt=0, allow_inf_nan=False, description="only when sampling")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling mass, only when sampling")

    @model_validator(mode="after")
    def _sampling_settings_need_sampling(self) -> "GenerationSpec":
        if self.do_sample:
            return self
        given = [key for key in ("seed", "temperature", "top_p") if key in self.model_fields_set]
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
        )


ScorerOptionValue = Union[StrictBool, StrictInt, float, str]


class ScorerSpec(Strict):
    name: str = Field(description="a text classifier, e.g. detoxify or profanity_check")
    options: dict[str, ScorerOptionValue] = Field(
        default_factory=dict,
        description="the scorer's options, e.g. detoxify's model_type, checkpoint and "
        "huggingface_config_path (paths relative to the spec)",
    )


class CheckSpec(Strict):
    metric: str
    data: Optional[DataSpec] = Field(None, description="default: the offline copy")
    max_examples: Optional[int] = Field(
        None, gt=0, description="per subgroup, a seeded sample; default: all"
    )
    normalization: Optional[Normalization] = Field(
        None,
        description="length normalisation of compared log-likelihoods (none, per_token, "
        "per_byte), for metrics that compare continuations; default: the metric's own",
    )
    generation: Optional[GenerationSpec] = Field(
        None, description="decoding, for metrics on generated text; default: greedy, 32 new tokens"
    )
    scorer: Optional[Union[str, ScorerSpec]] = Field(
        None,
        description="the toxicity classifier, for toxicity metrics (required there): a name, "
        "or a table with `name` and `options`",
    )
    tolerance: Tolerance = Field(description="largest allowed worsening, every subgroup")
    subgroups: dict[str, Tolerance] = Field(
        default_factory=dict, description="per-subgroup tolerances overriding `tolerance`"
    )
    rule: Optional[Rule] = Field(None, description="default: statistics.rule")
    min: Optional[Bound] = Field(
        None, description="the variant's own value must not fall below this, whatever the baseline"
    )
    max: Optional[Bound] = Field(
        None, description="the variant's own value must not exceed this, whatever the baseline"
    )
    min_examples: Optional[int] = Field(None, ge=1, description="default: statistics.min_examples")

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
    name: str = Field(pattern=NAME_PATTERN)
    seed: int = 0
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    baseline: BaselineSpec
    variants: list[VariantSpec] = Field(min_length=1)
    checks: list[CheckSpec] = Field(min_length=1)

    def variant(self, name: str) -> VariantSpec:
        return next(v for v in self.variants if v.name == name)
