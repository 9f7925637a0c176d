"""Pruning picks exactly the weights its criterion ranks lowest, and the result is verified."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from engine.models.loading import load_model
from engine.compression.base import CompressionNotApplied
from engine.compression.prune import PruneConfig, _prune_global, prune_layer
from engine.models.source import ModelRef, resolve


def config(**fields) -> PruneConfig:
    return PruneConfig(method="prune", **fields)


def test_magnitude_zeroes_the_smallest_weights_of_the_layer():
    w = torch.tensor([[0.1, -5.0, 0.3, 2.0], [-0.2, 4.0, 0.05, -1.0]])
    prune_layer(w, w.abs(), config(sparsity=0.5))
    assert w.tolist() == [[0.0, -5.0, 0.0, 2.0], [0.0, 4.0, 0.0, -1.0]]


def test_magnitude_per_layer_may_leave_rows_uneven():
    w = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 5.0]])
    prune_layer(w, w.abs(), config(sparsity=0.5))
    assert w.tolist() == [[0.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 5.0]]


def test_wanda_ranks_by_weight_times_input_norm_within_each_row():
    w = torch.tensor([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    norms = torch.tensor([10.0, 1.0, 1.0, 0.1])  # scores row 0: 10, 2, 3, 0.4
    prune_layer(w, w.abs() * norms, config(sparsity=0.5, criterion="wanda"))
    # Magnitude alone would drop 1.0 and 2.0 in row 0; Wanda keeps 1.0 for its large input.
    assert w.tolist() == [[1.0, 0.0, 3.0, 0.0], [4.0, 3.0, 0.0, 0.0]]


@pytest.mark.parametrize("pattern,n,m", [("2:4", 2, 4), ("4:8", 4, 8)])
def test_n_m_zeroes_n_of_every_m_consecutive_weights(pattern, n, m):
    torch.manual_seed(0)
    w = torch.randn(6, 16)
    original = w.clone()
    prune_layer(w, w.abs(), config(pattern=pattern))
    groups, before = w.reshape(6, -1, m), original.reshape(6, -1, m)
    assert ((groups == 0).sum(-1) == n).all()
    # The survivors of each group are its m - n largest magnitudes.
    kept = torch.topk(before.abs(), m - n, dim=-1).indices.sort(-1).values
    assert torch.equal((groups != 0).nonzero()[:, -1].reshape(6, -1, m - n), kept)


def test_global_scope_uses_one_threshold_across_layers():
    small = torch.nn.Linear(4, 1, bias=False)
    large = torch.nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        small.weight.copy_(torch.tensor([[0.1, 0.2, 0.3, 0.4]]))
        large.weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 0.05]]))
        _prune_global([small, large], 0.5)
    assert (small.weight == 0).tolist() == [[True, True, True, False]]
    assert (large.weight == 0).tolist() == [[False, False, False, True]]


def test_global_scope_breaks_ties_to_hit_the_exact_count():
    layer = torch.nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.5)
        _prune_global([layer], 0.25)
    assert int((layer.weight == 0).sum()) == 2


@pytest.mark.parametrize(
    "fields,message",
    [
        ({}, "give `sparsity`"),
        ({"pattern": "2:4", "sparsity": 0.3}, "implies sparsity 0.5"),
        ({"sparsity": 0.5, "scope": "global", "criterion": "wanda"}, "criterion must be magnitude"),
        ({"pattern": "4:8", "scope": "global"}, "scope must be layer"),
        ({"sparsity": 0.5, "calibration": {"samples": 8}}, "only read by criterion = wanda"),
        ({"sparsity": 1.0}, "less than 1"),
    ],
)
def test_inconsistent_settings_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        config(**fields)


def test_pattern_with_its_own_sparsity_is_accepted():
    assert config(pattern="2:4", sparsity=0.5).target_sparsity == 0.5


@pytest.mark.parametrize(
    "prune",
    [
        config(sparsity=0.3),
        config(sparsity=0.6, criterion="wanda", calibration={"samples": 4, "tokens": 32}),
        config(sparsity=0.4, scope="global"),
        config(pattern="2:4", criterion="wanda", calibration={"samples": 4, "tokens": 32}),
    ],
    ids=["magnitude", "wanda", "global", "wanda-2:4"],
)
def test_tiny_model_is_pruned_to_the_request_and_reported(tiny_checkpoint, prune):
    _, report = load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", prune)
    step = report["steps"][0]
    assert step["pruned_layers"] == report["compressed_linear_layers"] == 14
    # Wanda rounds per row: within one weight of a 64-wide row.
    assert step["sparsity"] == pytest.approx(prune.target_sparsity, abs=1 / 64)
    assert set(step["sparsity_by_layer_type"]) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    assert report["linear_layers"] == 15  # lm_head is left alone


def test_pruning_that_misses_its_target_fails_loudly(tiny_checkpoint, monkeypatch):
    monkeypatch.setattr(PruneConfig, "after_load", lambda self, model, device, dtype, tok: model)
    with pytest.raises(CompressionNotApplied, match=r"prune asked for sparsity 0.5 \(2:4\)"):
        load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", config(pattern="2:4"))


def test_wanda_depends_on_the_calibration_text(tiny_checkpoint):
    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    masks = []
    for samples in (2, 8):
        prune = config(
            sparsity=0.5, criterion="wanda", calibration={"samples": samples, "tokens": 32}
        )
        model, _ = load_model(resolved, "float32", "cpu", prune)
        masks.append(model.model.layers[0].mlp.down_proj.weight == 0)
    assert not torch.equal(*masks)


@pytest.mark.real_model
@pytest.mark.parametrize(
    "prune",
    [
        config(sparsity=0.5),
        config(sparsity=0.5, criterion="wanda"),
        config(pattern="2:4"),
    ],
    ids=["magnitude-50", "wanda-50", "2:4"],
)
def test_real_model_sparsity_is_verified_on_the_weights(real_checkpoint, prune):
    model, report = load_model(resolve(ModelRef(str(real_checkpoint))), "float32", "cpu", prune)
    step = report["steps"][0]
    assert step["pruned_layers"] == 30 * 7
    assert all(s == pytest.approx(0.5, abs=1e-3) for s in step["sparsity_by_layer_type"].values())
    weights = [
        layer.weight
        for layer in model.model.layers[0].modules()
        if isinstance(layer, torch.nn.Linear)
    ]
    assert all(float((w == 0).float().mean()) == pytest.approx(0.5, abs=1e-3) for w in weights)
    # lm_head is not pruned: it keeps the ~1% exact zeros the converted checkpoint has.
    assert float((model.lm_head.weight == 0).float().mean()) < 0.02
    sanity = report["sanity"]
    print(
        f"{prune.criterion} {prune.pattern or prune.sparsity}: perplexity {sanity['perplexity']:.2f} "
        f"(uncompressed {sanity['uncompressed_perplexity']:.2f})"
    )
    assert sanity["uncompressed_perplexity"] < sanity["perplexity"] < sanity["vocab_size"]
