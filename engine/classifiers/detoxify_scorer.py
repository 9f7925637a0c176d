"""Toxicity as detoxify scores it: the sigmoid of its "toxicity" output, a probability.

Model types original (BERT), unbiased (RoBERTa) and multilingual (XLM-R). Offline, a check
names a local `checkpoint` (detoxify's .ckpt file) and `huggingface_config_path` (a directory
with the config.json and tokenizer files of the checkpoint's base model). Without them the
checkpoint is downloaded from detoxify's release URL into torch's hub cache, and the base
model's config and tokenizer come from the Hugging Face hub; when that is impossible
(HF_HUB_OFFLINE, or no network) the error says which option to pass. There is no fallback to
another scorer.

Texts are batched by token length, which cuts padding (on 200 BOLD sentences, 5,088 tokens
computed instead of 7,896 in input order). The batches depend only on the list of texts, so
one list always meets the same neighbours and padding, and its scores are reproducible bit
for bit. Scores come back in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from engine.classifiers.base import ClassifierError, distribution_version
from engine.classifiers.detoxify_checkpoint import (
    DetoxifyCheckpoint,
    build_model,
    check_config_directory,
    read_checkpoint,
)
from engine.classifiers.registry import SCORERS
from engine.models.hashing import directory_sha256, file_sha256


class ReleasedModel(NamedTuple):
    model_class: str  # the transformers class its checkpoint holds
    base_model: str  # whose config and tokenizer it needs


MODEL_TYPES = {
    "original": ReleasedModel("BertForSequenceClassification", "bert-base-uncased"),
    "unbiased": ReleasedModel("RobertaForSequenceClassification", "roberta-base"),
    "multilingual": ReleasedModel("XLMRobertaForSequenceClassification", "xlm-roberta-base"),
}
# The released models were trained on at most 512 tokens; longer texts are cut there.
MAX_TOKENS = 512


@SCORERS.decorator("detoxify")
class DetoxifyToxicity:
    name = "detoxify"

    def __init__(
        self,
        model_type: str = "original",
        checkpoint: str | Path | None = None,
        huggingface_config_path: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 32,
    ) -> None:
        if model_type not in MODEL_TYPES:
            raise ClassifierError(f"detoxify model_type {model_type!r} is not one of {', '.join(MODEL_TYPES)}")
        if batch_size < 1:
            raise ClassifierError(f"detoxify batch_size must be at least 1, not {batch_size}")
        checkpoint_file = _local_file(checkpoint) if checkpoint is not None else _downloaded_checkpoint(model_type)
        loaded = read_checkpoint(checkpoint_file)
        expected_class = MODEL_TYPES[model_type].model_class
        if loaded.model_name != expected_class:
            raise ClassifierError(
                f"detoxify checkpoint {checkpoint_file} holds a {loaded.model_name}, but model_type "
                f"{model_type!r} is a {expected_class}"
            )
        config_source = _config_source(loaded, huggingface_config_path, model_type)
        try:
            self._model, self._tokenizer = build_model(loaded, config_source)
        except OSError as error:
            raise ClassifierError(
                f"detoxify could not load the config and tokenizer of {config_source}: {str(error).rstrip('.')}. "
                f"{_offline_hint(model_type)}"
            ) from error
        self._model.to(device)
        self._device = device
        self._toxicity_column = loaded.toxicity_column
        self._batch_size = batch_size
        self._max_length = min(MAX_TOKENS, self._tokenizer.model_max_length)
        config_identity = (
            f"config=sha256:{directory_sha256(Path(config_source))}"
            if huggingface_config_path is not None
            else f"config=hub:{config_source}"
        )
        self.identity = " ".join(
            [
                f"{self.name} model_type={model_type} checkpoint=sha256:{file_sha256(checkpoint_file)}",
                config_identity,
                # Batches are padded together, so their size and the device move the last bits.
                f"max_tokens={self._max_length} batch_size={batch_size} device={device}",
                *map(distribution_version, ("detoxify", "transformers", "tokenizers", "torch")),
            ]
        )

    def score(self, texts: Sequence[str]) -> list[float]:
        import torch

        scores = [0.0] * len(texts)
        with torch.inference_mode():
            for batch in self._batches(texts):
                inputs = self._tokenizer(
                    [texts[i] for i in batch],
                    return_tensors="pt",
                    truncation=True,
                    max_length=self._max_length,
                    padding=True,
                ).to(self._device)
                logits = self._model(**inputs).logits
                for i, score in zip(batch, torch.sigmoid(logits[:, self._toxicity_column]).tolist()):
                    scores[i] = score
        return scores

    def _batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Indices of texts of similar token length together, so batches carry little padding."""
        if not texts:
            return []  # the tokenizer fails on an empty list
        encoded = self._tokenizer(list(texts), truncation=True, max_length=self._max_length)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        return [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]


def _local_file(path: str | Path) -> Path:
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise ClassifierError(f"detoxify checkpoint {resolved} is not a file")
    return resolved


def _config_source(checkpoint: DetoxifyCheckpoint, config_path: str | Path | None, model_type: str) -> str:
    from huggingface_hub import is_offline_mode

    if config_path is not None:
        directory = Path(config_path).expanduser()
        if not directory.is_dir():
            raise ClassifierError(f"detoxify huggingface_config_path {directory} is not a directory")
        check_config_directory(directory, checkpoint)
        return str(directory)
    if is_offline_mode():
        raise ClassifierError(
            f"detoxify needs the config and tokenizer of {checkpoint.base_model} from the hub, and "
            f"HF_HUB_OFFLINE is set. {_offline_hint(model_type)}"
        )
    return checkpoint.base_model


def _downloaded_checkpoint(model_type: str) -> Path:
    """detoxify's released checkpoint, from torch's hub cache where detoxify itself keeps it."""
    import torch
    from detoxify.detoxify import MODEL_URLS
    from huggingface_hub import is_offline_mode

    url = MODEL_URLS[model_type]
    target = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name
    if target.is_file():
        return target
    if is_offline_mode():
        raise ClassifierError(f"detoxify would download {url}, and HF_HUB_OFFLINE is set. {_offline_hint(model_type)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The release file names carry the first hex digits of their sha256, checked on download.
    hash_prefix = torch.hub.HASH_REGEX.search(target.name).group(1)
    try:
        torch.hub.download_url_to_file(url, str(target), hash_prefix, progress=False)
    except (OSError, RuntimeError) as error:
        raise ClassifierError(f"detoxify could not download {url}: {error}. {_offline_hint(model_type)}") from error
    return target


def _offline_hint(model_type: str) -> str:
    from detoxify.detoxify import MODEL_URLS

    return (
        f"To run offline, pass checkpoint = a local copy of {MODEL_URLS[model_type]} and "
        f"huggingface_config_path = a directory with config.json and the tokenizer files of "
        f"{MODEL_TYPES[model_type].base_model}."
    )
