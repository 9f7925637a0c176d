"""The linear layers compression methods act on: those of the transformer blocks.

Embeddings and the output head (lm_head, often tied to the embeddings) are left alone, as
transformers' own quantizers and the pruning literature (SparseGPT, Wanda) do.
"""

from __future__ import annotations

import torch


def transformer_blocks(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The stack of decoder blocks: the ModuleList holding the most linear layers."""
    best, best_count = None, 0
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 0:
            count = sum(isinstance(m, torch.nn.Linear) for m in module.modules())
            if count > best_count:
                best, best_count = module, count
    if best is None:
        raise ValueError(f"{type(model).__name__} has no stack of blocks with linear layers")
    return best


def block_linears(model: torch.nn.Module) -> dict[str, torch.nn.Linear]:
    """Qualified name -> linear layer, for every linear layer inside the transformer blocks."""
    blocks = transformer_blocks(model)
    inside = {id(m) for m in blocks.modules()}
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and id(module) in inside
    }


def layer_type(name: str) -> str:
    """`model.layers.3.self_attn.q_proj` -> `q_proj`: the unit achieved sparsity is reported in."""
    return name.rsplit(".", 1)[-1]
