"""StereoSet on the real shipped model: scores against plain transformers computed the way the
official generative scorer does, and the gate on an identical and a 2-bit variant."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.datasets import stereoset as data
from engine.datasets.base import DataSource, sample_per_subgroup
from engine.metrics import stereoset
from engine.metrics.registry import ScoringOptions
from tests.helpers import checkpoint_lm, run_real_gate
from tests.metrics.test_stereoset_metric import OfficialScoreEvaluator

pytestmark = pytest.mark.real_model

LABEL_OF_FIELD = {field: label for label, field in data.FIELD_OF_LABEL.items()}


@torch.inference_mode()
def official_style_scores(checkpoint, sentences: list[str]) -> list[float]:
    """Per sentence, in the structure of `eval_generative_models.py`: the first token's
    probability from one forward pass over the start token, the others' from the sentence's
    own pass, softmax probabilities, then 2 ** mean(log2 p). The start token is the
    tokenizer's BOS and stays in front of the sentence in its own pass (lm-evaluation-harness's
    convention, which fairgate uses; the official script passes the bare sentence)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()
    start = tokenizer.bos_token_id
    initial = torch.softmax(model(torch.tensor([[start]])).logits, dim=-1)
    scores = []
    for sentence in sentences:
        tokens = tokenizer.encode(sentence, add_special_tokens=False)
        joint = [initial[0, 0, tokens[0]].item()]
        output = torch.softmax(model(torch.tensor([[start] + tokens])).logits, dim=-1)
        joint += [output[0, idx, tokens[idx]].item() for idx in range(1, len(tokens))]
        scores.append(float(np.power(2, np.mean([np.log2(p) for p in joint]))))
    return scores


def test_scores_and_counts_match_plain_transformers(real_checkpoint, tmp_path):
    examples = sample_per_subgroup(data.load(DataSource()).examples, 4, seed=0, salt="xcheck")
    lm = checkpoint_lm(real_checkpoint, tmp_path / "store", batch_size=8)
    records = stereoset.score(lm, examples, ScoringOptions("per_token"))

    keys = [(e, kind) for e in examples for kind in stereoset.KINDS]
    expected = official_style_scores(real_checkpoint, [e.fields[kind] for e, kind in keys])
    ours = [r[f"score_{kind}"] for r in records for kind in stereoset.KINDS]
    assert np.allclose(ours, np.log(expected), rtol=0, atol=1e-4)

    clusters = [
        {
            "id": e.id,
            "target": e.fields["target"],
            "bias_type": e.subgroup,
            "sentences": [
                {"id": f"{e.id}/{kind}", "gold_label": LABEL_OF_FIELD[kind]}
                for kind in stereoset.KINDS
            ],
        }
        for e in examples
    ]
    id2score = {f"{e.id}/{kind}": score for (e, kind), score in zip(keys, expected)}
    official = OfficialScoreEvaluator(clusters, id2score)
    # Counts per cluster, not only their summaries, agree exactly.
    for e, record, cluster in zip(examples, records, clusters):
        counts = official.count([cluster])[e.fields["target"]]
        assert (record["pro"], record["related"]) == (counts["pro"] == 1, counts["related"])
    for group, result in official.results().items():
        members = [r for e, r in zip(examples, records) if group in ("overall", e.subgroup)]
        assert stereoset.ss(members) == pytest.approx(result["SS Score"], abs=1e-9)
        assert stereoset.lms(members) == pytest.approx(result["LM Score"], abs=1e-9)
        assert stereoset.icat(members) == pytest.approx(result["ICAT Score"], abs=1e-9)


CHECKS = """
[[checks]]
metric = "stereoset.lms"
max_examples = 8
tolerance = 10.0

[[checks]]
metric = "stereoset.ll_stereotype"
max_examples = 8
tolerance = 5.0

[[checks]]
metric = "stereoset.ss"
max_examples = 8
tolerance = 100.0
"""


def test_identical_passes_and_two_bit_fails_on_lms_and_log_likelihood(tmp_path):
    """LMS is the share of comparisons where a meaningful sentence beats a meaningless one:
    the baseline is near 90 and a model that lost its language falls toward chance (50), far
    beyond a 10-point tolerance, on every domain. The stereotyped sentences' mean summed
    log-likelihood (about -60 nats) drops by tens of nats at 2 bits; 5 nats is several times
    what a working compression costs. SS, a share of comparisons between two equally hard
    sentences, may move either way (toward 50 when the model turns to noise), so it is
    only checked to be finite and unchanged for the identical variant."""
    verdicts = run_real_gate(tmp_path, CHECKS)
    identical = verdicts["identical"]
    assert identical and all(v.passed and v.change == 0.0 for v in identical.values())
    broken = verdicts["hqq-2bit"]
    for metric in ("stereoset.lms", "stereoset.ll_stereotype"):
        assert not broken[(metric, "overall")].passed
    assert all(math.isfinite(v.value) for v in broken.values())
