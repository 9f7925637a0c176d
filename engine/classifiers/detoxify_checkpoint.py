"""A detoxify checkpoint read without unpickling code, and its model built by detoxify's own code.

detoxify 0.5.4 reads checkpoints with `torch.load(..., weights_only=False)`, which runs any
code a crafted file carries. We read the file ourselves with `weights_only=True` (tensors and
plain containers only) and hand its config and state dict to
`detoxify.detoxify.get_model_and_tokenizer`, the function detoxify itself builds models with.

Two quirks of that function, measured with transformers 5.23:
- it always fetches the base model's config by hub name (e.g. `bert-base-uncased`), even when
  given `huggingface_config_path`, so it is not offline. We pass the local directory as that
  name, so transformers reads it from disk.
- with `huggingface_config_path` it takes the class count from the directory's config.json
  (2 in a plain copy of bert-base-uncased, which then fails on the 6-class head). We pass None,
  so detoxify builds the config with the checkpoint's own class count.
transformers also fills weights missing from a state dict with random values and only logs it;
a checkpoint that lacks any of the model's weights is refused here instead.
"""

from __future__ import annotations

import json
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.classifiers.base import ClassifierError

if TYPE_CHECKING:
    import torch

# detoxify renames these classes of its older checkpoints in load_checkpoint; not importable.
_CLASS_RENAMES = {"toxic": "toxicity", "identity_hate": "identity_attack", "severe_toxic": "severe_toxicity"}
TOXICITY = "toxicity"


@dataclass(frozen=True)
class DetoxifyCheckpoint:
    path: Path
    model_name: str  # a transformers class, e.g. BertForSequenceClassification
    tokenizer_name: str  # a transformers class, e.g. BertTokenizer
    base_model: str  # the hub name the head was trained on, e.g. bert-base-uncased
    num_classes: int
    class_names: tuple[str, ...]
    state_dict: dict[str, torch.Tensor]

    @property
    def toxicity_column(self) -> int:
        return self.class_names.index(TOXICITY)


def read_checkpoint(path: Path) -> DetoxifyCheckpoint:
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ClassifierError(
            f"detoxify checkpoint {path} was refused by torch.load(weights_only=True), which reads only "
            f"tensors and plain containers so that a crafted file cannot run code: {_unpickler_reason(error)}"
        ) from error
    arch = _key(loaded, path, "config", "arch", "args")
    classes = _key(loaded, path, "config", "dataset", "args", "classes")
    state_dict = _key(loaded, path, "state_dict")
    checkpoint = DetoxifyCheckpoint(
        path=path,
        model_name=str(_key(arch, path, "model_name")),
        tokenizer_name=str(_key(arch, path, "tokenizer_name")),
        base_model=str(_key(arch, path, "model_type")),
        num_classes=int(_key(arch, path, "num_classes")),
        class_names=tuple(_CLASS_RENAMES.get(c, c) for c in classes),
        state_dict=state_dict,
    )
    _require_transformers_class(path, "model_name", checkpoint.model_name, ("ForSequenceClassification",))
    _require_transformers_class(path, "tokenizer_name", checkpoint.tokenizer_name, ("Tokenizer", "TokenizerFast"))
    if TOXICITY not in checkpoint.class_names[: checkpoint.num_classes]:
        raise ClassifierError(f"{path}: config.dataset.args.classes {list(classes)} has no toxicity class")
    return checkpoint


def build_model(checkpoint: DetoxifyCheckpoint, config_source: str) -> tuple[Any, Any]:
    """The classifier and tokenizer; `config_source` is a local directory or the hub name."""
    from detoxify.detoxify import get_model_and_tokenizer

    model, tokenizer = get_model_and_tokenizer(
        model_type=config_source,
        model_name=checkpoint.model_name,
        tokenizer_name=checkpoint.tokenizer_name,
        num_classes=checkpoint.num_classes,
        state_dict=checkpoint.state_dict,
        huggingface_config_path=None,
    )
    missing = sorted(set(model.state_dict()) - set(checkpoint.state_dict))
    if missing:
        raise ClassifierError(
            f"detoxify checkpoint {checkpoint.path} lacks {len(missing)} weight(s) of "
            f"{checkpoint.model_name}, e.g. {', '.join(missing[:3])}"
        )
    return model.eval(), tokenizer


def check_config_directory(directory: Path, checkpoint: DetoxifyCheckpoint) -> None:
    """The directory must describe the checkpoint's architecture, or the weights will not fit."""
    import transformers

    config_file = directory / "config.json"
    if not config_file.is_file():
        raise ClassifierError(
            f"huggingface_config_path {directory} has no config.json; it must hold the config and "
            f"tokenizer files of {checkpoint.base_model}"
        )
    expected = getattr(transformers, checkpoint.model_name).config_class.model_type
    found = json.loads(config_file.read_text()).get("model_type")
    if found != expected:
        raise ClassifierError(
            f"{config_file}: model_type is {found!r}, but checkpoint {checkpoint.path} is a "
            f"{checkpoint.model_name} (model_type {expected!r}, from {checkpoint.base_model})"
        )


def _unpickler_reason(error: pickle.UnpicklingError) -> str:
    """torch's own reason, without its advice to retry with weights_only=False."""
    found = re.search(r"WeightsUnpickler error:\s*(.*?)(?:\. Please|\n|$)", str(error))
    return found.group(1) if found else str(error).splitlines()[0]


def _require_transformers_class(path: Path, key: str, name: str, suffixes: tuple[str, ...]) -> None:
    """The names index the transformers module: only its classifier and tokenizer classes may be named."""
    import transformers

    if not name.endswith(suffixes) or not hasattr(transformers, name):
        raise ClassifierError(
            f"detoxify checkpoint {path}: config.arch.args.{key} {name!r} is not a transformers "
            f"class ending in {' or '.join(suffixes)}"
        )


def _key(mapping: Any, path: Path, *keys: str) -> Any:
    value = mapping
    for depth, key in enumerate(keys):
        if not isinstance(value, dict) or key not in value:
            raise ClassifierError(
                f"detoxify checkpoint {path} has no key {'.'.join(keys[: depth + 1])}; detoxify "
                "checkpoints hold config.arch.args, config.dataset.args.classes and state_dict"
            )
        value = value[key]
    return value
