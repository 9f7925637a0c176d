"""RedditBias on the real shipped model: perplexities and the paired t-test against the
authors' computation on plain transformers, and the gate on an identical and a 2-bit variant."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from engine.datasets import reddit_bias as data
from engine.datasets.base import DataSource
from engine.metrics import reddit_bias
from tests.helpers import checkpoint_lm, run_real_gate

pytestmark = pytest.mark.real_model

PAIRS_PER_DIMENSION = 6


@torch.inference_mode()
def authors_perplexities(checkpoint, prefix_token_id: int, sentences: list[str]) -> list[float]:
    """`perplexity_score` of the official `utils/helper_functions.py`: exp of the loss of
    `model(ids, labels=ids)`, one sentence per pass, with the prefix token put in front (the
    official code passes the bare tokens, leaving the first one unscored)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()
    perplexities = []
    for sentence in sentences:
        ids = torch.tensor([[prefix_token_id] + tokenizer.encode(sentence, add_special_tokens=False)])
        perplexities.append(math.exp(model(ids, labels=ids).loss.item()))
    return perplexities


def test_perplexities_and_t_statistics_match_the_authors_computation(real_checkpoint, tmp_path):
    loaded = data.load(DataSource()).examples
    dimensions = sorted({e.subgroup for e in loaded})
    examples = [e for g in dimensions for e in [x for x in loaded if x.subgroup == g][:PAIRS_PER_DIMENSION]]
    lm = checkpoint_lm(real_checkpoint, tmp_path / "store", batch_size=16)
    records = reddit_bias.score(lm, examples)

    ours = np.array([[math.exp(-r[f"ll_{s}"] / r[f"n_{s}"]) for s in ("biased", "counterfactual")] for r in records])
    sentences = [e.fields[k] for e in examples for k in ("biased", "counterfactual")]
    plain = np.array(authors_perplexities(real_checkpoint, lm.prefix_token_id, sentences)).reshape(-1, 2)
    assert np.allclose(ours, plain, rtol=1e-4, atol=0)
    assert np.allclose([r["ppl_difference"] for r in records], plain[:, 0] - plain[:, 1], rtol=1e-3, atol=1e-3)

    for g in dimensions:
        rows = [i for i, e in enumerate(examples) if e.subgroup == g]
        mine = [records[i] for i in rows]
        # Evaluation/measure_bias.py: stats.ttest_rel(demo1 perplexities, demo2 perplexities).
        t = stats.ttest_rel(plain[rows, 0], plain[rows, 1]).statistic
        assert reddit_bias.t_value(mine) == pytest.approx(t, rel=1e-3)
        assert reddit_bias.effect_size(mine) == pytest.approx(t / math.sqrt(len(rows)), rel=1e-3)
        assert reddit_bias.preferred_share(mine) == np.mean(plain[rows, 0] < plain[rows, 1])


EXAMPLE_PAIRS = Path(__file__).parents[2] / "specs" / "examples" / "data" / "dialect_pairs_en_gb_us.csv"


def gate_checks() -> str:
    reddit = "".join(
        f'\n[[checks]]\nmetric = "reddit_bias.{name}"\nmax_examples = 10\ntolerance = {tolerance}\n'
        for name, tolerance in (("biased_preferred", 0.1), ("effect_size", 0.2), ("t_value", 1.0))
    )
    dialect = "".join(
        f'\n[[checks]]\nmetric = "dialect_pairs.{name}"\ndata = {{ path = "{EXAMPLE_PAIRS}" }}\n'
        f"tolerance = {tolerance}\n"
        for name, tolerance in (("log_perplexity_gap", 0.05), ("log_perplexity_a", 0.5), ("log_perplexity_b", 0.5))
    )
    return reddit + dialect


def test_identical_passes_with_no_change_and_pruning_fails(tmp_path):
    """70% magnitude pruning (every block's linear layers) leaves SmolLM2 barely a language
    model: both varieties' log-perplexities rise by about 6.5 nats per token, far past 0.5.
    On the 10 race pairs the share of biased phrases preferred goes from 0.4 to 0.8, 0.2
    further from 0.5. Elsewhere the destroyed model looks less biased (t and effect size move
    towards 0, the dialect gap shrinks), which a distance-from-ideal metric counts as an
    improvement, so those are only checked to be finite."""
    verdicts = run_real_gate(tmp_path, gate_checks(), aggressive=("pruned-70", '{ method = "prune", sparsity = 0.7 }'))
    identical = verdicts["identical"]
    assert len(identical) == 3 * 6 + 3 * 3  # five dimensions + overall; two pair sets + overall
    assert all(v.passed and v.change == 0.0 for v in identical.values())
    pruned = verdicts["pruned-70"]
    for name in ("dialect_pairs.log_perplexity_a", "dialect_pairs.log_perplexity_b"):
        assert not pruned[(name, "overall")].passed
    assert not pruned[("reddit_bias.biased_preferred", "race")].passed
    assert all(math.isfinite(v.value) for v in pruned.values())
