"""Our DiscrimEval requests and logits against lm-evaluation-harness's own `discrim_eval_explicit`
task on the same rows.

The harness's task is built from its own YAML and utils.py; only its data set is replaced by
the hand-made rows in the hub's format. Its utils.py imports statsmodels at the top for the
mixed-model aggregation, which fairgate does not install and these checks do not call; an
empty module stands in for it (`scripts/discrim_eval_regression.py` compares that aggregation
with ours). Where we differ on purpose: the aggregation (see the README); the requests and the
per-filling logit are the harness's.
"""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import pytest

from engine.metrics import discrim_eval
from engine.scoring.backend import LLResult
from engine.scoring.loglikelihood import LLRequest

SAMPLE = Path(__file__).parent.parent / "data" / "discrim_eval_explicit.jsonl"
ROWS = [json.loads(line) for line in SAMPLE.read_text().splitlines()]


@pytest.fixture(scope="module")
def task():
    import datasets
    import lm_eval.tasks
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    stand_ins = {name: types.ModuleType(name) for name in ("statsmodels", "statsmodels.formula", "statsmodels.formula.api")}
    saved = {name: sys.modules.get(name) for name in stand_ins}
    sys.modules.update({name: module for name, module in stand_ins.items() if saved[name] is None})
    try:
        config = load_yaml(Path(lm_eval.tasks.__file__).parent / "discrim_eval" / "discrim_eval_explicit.yaml")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
    config.pop("tag", None)  # a registry key, not part of a task's config
    config["custom_dataset"] = lambda **_: datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)})
    built = ConfigurableTask(config=config)
    built.build_all_requests(limit=None, rank=0, world_size=1)
    return built


def per_doc(task) -> list[list]:
    instances: dict[int, list] = {}
    for inst in task.instances:
        instances.setdefault(inst.doc_id, []).append(inst)
    return [sorted(instances[i], key=lambda x: x.idx) for i in range(len(instances))]


def test_harness_requests_are_ours(task):
    docs = list(task.eval_docs)
    assert len(docs) == len(ROWS)
    for doc, insts in zip(docs, per_doc(task)):
        ours = [LLRequest(discrim_eval.context(doc["filled_template"]), a) for a in discrim_eval.YES + discrim_eval.NO]
        assert [LLRequest(*inst.arguments) for inst in insts] == ours


def test_harness_logit_of_yes_is_ours(task, monkeypatch):
    docs = list(task.eval_docs)
    # Made-up log-probabilities of the four answers, different for every filling.
    logprobs = {
        doc["filled_template"]: [-0.3 - 0.01 * n, -2.0 - 0.02 * n, -1.1 + 0.005 * n, -4.0]
        for n, doc in enumerate(docs)
    }

    def loglikelihood(lm, requests, progress=None):
        suffix = len(discrim_eval.QUESTION_SUFFIX + discrim_eval.ANSWER_PREFIX)
        answers = discrim_eval.YES + discrim_eval.NO
        return [LLResult(logprobs[r.context[:-suffix]][answers.index(r.continuation)], 1, False) for r in requests]

    monkeypatch.setattr(discrim_eval, "loglikelihood", loglikelihood)
    ours = discrim_eval.yes_logits(None, list(logprobs))
    for doc in docs:
        theirs = task.process_results(doc, [(lp, False) for lp in logprobs[doc["filled_template"]]])
        (race, gender, age, question), _, logit = theirs["black_bias"]
        assert (race, gender, age, question) == (doc["race"].lower(), doc["gender"], doc["age"], doc["decision_question_id"])
        assert ours[doc["filled_template"]] == pytest.approx(float(logit), rel=1e-12, abs=1e-12)
        assert math.isfinite(ours[doc["filled_template"]])


@pytest.mark.real_model
def test_real_model_logits_match_the_harness(task, real_checkpoint, tmp_path):
    """On the real model, question 3's fillings at ages 60 and 80 (18 fillings, 72 requests):
    our log-likelihoods and logits against the harness's HFLM and `process_results`."""
    import os

    from lm_eval.models.huggingface import HFLM

    from engine.datasets.base import DataSource
    from engine.datasets.discrim_eval import DATASET
    from engine.evaluation import evaluate_model
    from engine.metrics.registry import ScoringOptions
    from engine.store import ResultStore
    from tests.helpers import plan_for

    rows = [r for r in ROWS if r["decision_question_id"] == 3 and r["age"] in (60.0, 80.0)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    examples = DATASET.load(DataSource(path=tmp_path / "d.jsonl")).examples
    evaluation = evaluate_model(
        plan_for(real_checkpoint, batch_size=16),
        [(discrim_eval.DISCRIMINATION_SCORE, examples, ScoringOptions())],
        ResultStore(Path(os.environ["FAIRGATE_CACHE"]) / "results"),
    )
    ours = {}
    for example, record in zip(examples, evaluation.records["discrim_eval.discrimination_score"]):
        ours.update(zip(example.fields["group_prompts"], record["group_logits"]))
        ours.update(zip(example.fields["baseline_prompts"], record["baseline_logits"]))
    assert set(ours) == {r["filled_template"] for r in rows}

    docs = {doc["filled_template"]: (doc, insts) for doc, insts in zip(task.eval_docs, per_doc(task))}
    harness = HFLM(pretrained=str(real_checkpoint), device="cpu", batch_size=8, dtype="float32")
    for text in sorted(ours):
        doc, insts = docs[text]
        results = harness.loglikelihood(insts, disable_tqdm=True)
        (_, _, _, _), _, logit = task.process_results(doc, results)["female_bias"]
        assert ours[text] == pytest.approx(float(logit), abs=1e-3), text
