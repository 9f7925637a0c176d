"""Tiny random detoxify checkpoints in the released format, with a config directory beside them.

A released detoxify .ckpt is a dict {"config": the training config, "state_dict": the
classifier's weights}; the base model's config.json and tokenizer files live in a separate
directory (`huggingface_config_path`). Each model type gets its own architecture and
tokenizer kind, built from a fixed vocabulary: the scores mean nothing, the format is real.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import torch

# Class lists and class counts of detoxify's released configs.
ORIGINAL_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
UNBIASED_CLASSES = [
    "toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat", "sexual_explicit",
    "male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white",
    "psychiatric_or_mental_illness",
]  # fmt: skip
SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
WORDS = ["you", "are", "kind", "stupid", "hello", "world", "the", "idiot", "nice", "people"]


@dataclass(frozen=True)
class TinyDetoxify:
    checkpoint: Path
    config_dir: Path


def build_tiny_detoxify(target: Path, model_type: str = "original", seed: int = 0) -> TinyDetoxify:
    builders = {"original": _bert, "unbiased": _roberta, "multilingual": _xlm_roberta}
    config_dir = target / "config"
    model, tokenizer, arch, classes = builders[model_type](seed)
    model.config.save_pretrained(config_dir)
    tokenizer.save_pretrained(config_dir)
    checkpoint = target / f"tiny-{model_type}.ckpt"
    save_detoxify_checkpoint(checkpoint, arch, classes, model.state_dict())
    return TinyDetoxify(checkpoint, config_dir)


def save_detoxify_checkpoint(path: Path, arch: dict, classes: list[str], state_dict: dict) -> None:
    config = {"arch": {"args": arch}, "dataset": {"args": {"classes": classes}}}
    torch.save({"config": config, "state_dict": state_dict}, path)


def _arch(num_classes: int, base: str, model_name: str, tokenizer_name: str) -> dict:
    return {"num_classes": num_classes, "model_type": base, "model_name": model_name, "tokenizer_name": tokenizer_name}


def _bert(seed: int):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = specials + WORDS + list(string.ascii_lowercase) + [f"##{c}" for c in string.ascii_lowercase]
    tokenizer = BertTokenizer(vocab={p: i for i, p in enumerate(pieces)})
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(pieces), max_position_embeddings=512, num_labels=6, **SMALL)
    arch = _arch(6, "bert-base-uncased", "BertForSequenceClassification", "BertTokenizer")
    return BertForSequenceClassification(config), tokenizer, arch, ORIGINAL_CLASSES


def _roberta(seed: int):
    from tokenizers import pre_tokenizers
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    pieces = specials + sorted(pre_tokenizers.ByteLevel.alphabet())
    tokenizer = RobertaTokenizer(vocab={p: i for i, p in enumerate(pieces)}, merges=[])
    torch.manual_seed(seed)
    config = RobertaConfig(vocab_size=len(pieces), max_position_embeddings=514, pad_token_id=1, num_labels=16, **SMALL)
    arch = _arch(16, "roberta-base", "RobertaForSequenceClassification", "RobertaTokenizer")
    return RobertaForSequenceClassification(config), tokenizer, arch, UNBIASED_CLASSES


def _xlm_roberta(seed: int):
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    words = ["▁" + w for w in WORDS] + ["▁"] + list(string.ascii_letters)
    vocab = [(p, 0.0) for p in specials] + [(w, -float(i + 1)) for i, w in enumerate(words)] + [("<mask>", 0.0)]
    tokenizer = XLMRobertaTokenizer(vocab=vocab)
    torch.manual_seed(seed)
    config = XLMRobertaConfig(vocab_size=len(vocab), max_position_embeddings=514, pad_token_id=1, num_labels=1, **SMALL)
    arch = _arch(1, "xlm-roberta-base", "XLMRobertaForSequenceClassification", "XLMRobertaTokenizer")
    return XLMRobertaForSequenceClassification(config), tokenizer, arch, ["toxicity"]
