"""Our BBQ scoring against lm-evaluation-harness's own `bbq` task on the same items.

The harness's task is built from its own YAML and utils.py; only its data set is replaced by
the offline items (its hub download fails offline), in the hub's format, which is the JSONL
format. Where the two differ on purpose, the expected difference is written out here:

- The harness lets twelve answers compete (the two people and ten "unknown" phrasings); we
  score the item's own three. Giving the nine extra phrasings -inf reproduces our choice set
  inside the harness's own `process_results`.
- It finds biased answers from answer_info and stereotyped_groups, the official script from
  `target_loc`; they agree on every item of the nine single-attribute categories but not in
  Race_x_gender / Race_x_SES, so bias scores are compared on the nine.
- Its bias score is 0 when no answer is biased; ours is -1 when every non-unknown answer is
  counter-biased and NaN (s_dis) or 0 (s_amb) when there is none.
- It reports each category file whole, label and name items together: our `-pooled`
  subgroups where a category has name items, the category itself elsewhere.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import bbq as data
from engine.datasets.base import DataSource, sample_per_subgroup
from engine.evaluation import evaluate_model
from engine.gate import members
from engine.metrics import bbq
from engine.metrics.registry import ScoringOptions
from engine.scoring.loglikelihood import LLRequest
from engine.store import ResultStore
from tests.helpers import plan_for

INTERSECTIONAL = ("Race_x_SES", "Race_x_gender")
PER_SUBGROUP = 8


def harness_task(rows: list[dict]):
    """lm-evaluation-harness's `bbq` multiple-choice task over `rows` instead of the hub data."""
    import datasets
    import lm_eval.tasks
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    config = load_yaml(Path(lm_eval.tasks.__file__).parent / "bbq" / "bbq_multiple_choice.yaml")
    config.pop("tag", None)  # a registry key, not part of a task's config
    config["custom_dataset"] = lambda **_: datasets.DatasetDict(
        {"test": datasets.Dataset.from_list(rows)}
    )
    return ConfigurableTask(config=config)


def category_of(example) -> str:
    return example.id.split("/")[0]


def raw_rows(examples) -> list[dict]:
    by_id = {}
    for category in {category_of(e) for e in examples}:
        with open(data.default_dir() / f"{category}.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                by_id[f"{category}/{row['example_id']}"] = row
    return [by_id[e.id] for e in examples]


@pytest.fixture(scope="module")
def sample():
    pytest.importorskip("lm_eval")
    examples = sample_per_subgroup(data.load(DataSource()).examples, PER_SUBGROUP, 0, "bbq")
    task = harness_task(raw_rows(examples))
    task.build_all_requests(limit=None, rank=0, world_size=1)
    docs = list(task.eval_docs)
    instances: dict[int, list] = {}
    for inst in task.instances:
        instances.setdefault(inst.doc_id, []).append(inst)
    grouped = [sorted(instances[i], key=lambda x: x.idx) for i in range(len(docs))]
    return examples, task, docs, grouped


def own_choices(example, doc_choices: list[str]) -> list[int]:
    """Where each of the item's three answers sits among the harness's twelve."""
    return [doc_choices.index(answer) for answer in example.fields["answers"]]


def test_harness_requests_are_ours(sample):
    examples, task, docs, instances = sample
    for example, doc, insts in zip(examples, docs, instances):
        choices = task.doc_to_choice(doc)
        assert len(choices) == 12 and [i.arguments for i in insts] == [
            (insts[0].arguments[0], " " + c) for c in choices
        ]
        ours = [
            LLRequest(bbq.prompt(example.fields), bbq.TARGET_DELIMITER + a)
            for a in example.fields["answers"]
        ]
        assert [LLRequest(*insts[j].arguments) for j in own_choices(example, choices)] == ours


def test_harness_biased_answers_are_target_loc_outside_intersections(sample):
    examples, _, docs, _ = sample
    for example, doc in zip(examples, docs):
        answers = example.fields["answers"]
        biased = [i for i, a in enumerate(answers) if a in doc["biased_answers"]]
        if category_of(example) not in INTERSECTIONAL:
            assert biased == [example.fields["target"]], example.id


def as_the_harness_reports(records: list[dict], condition: str, value: float) -> float:
    """Our value under the harness's convention: 0 whenever items exist but none is biased."""
    items = [r for r in records if r["context_condition"] == condition]
    if items and not any(r["pred"] == r["target"] for r in items):
        return 0.0
    return value


@pytest.mark.real_model
def test_loglikelihoods_predictions_and_scores_match_the_harness(sample, real_checkpoint):
    from lm_eval.models.huggingface import HFLM

    examples, task, docs, instances = sample
    # The session's store and the gate's default batch size: test_bbq_real gates this same
    # sample, so whichever test runs second reads the baseline's batches from the cache.
    evaluation = evaluate_model(
        plan_for(real_checkpoint, batch_size=16),
        [(bbq.ACCURACY_AMBIG, examples, ScoringOptions("none"))],
        ResultStore(Path(os.environ["FAIRGATE_CACHE"]) / "results"),
    )
    records = evaluation.records["bbq.accuracy_ambig"]

    harness = HFLM(pretrained=str(real_checkpoint), device="cpu", batch_size=8, dtype="float32")
    positions = [own_choices(e, task.doc_to_choice(d)) for e, d in zip(examples, docs)]
    wanted = [insts[j] for insts, pos in zip(instances, positions) for j in pos]
    scored = harness.loglikelihood(wanted, disable_tqdm=True)

    per_doc = []
    for n, (example, doc, pos, record) in enumerate(zip(examples, docs, positions, records)):
        theirs = scored[3 * n : 3 * n + 3]
        assert record["ll"] == pytest.approx([ll for ll, _ in theirs], abs=1e-3), example.id
        twelve = [(-math.inf, False)] * len(task.doc_to_choice(doc))
        for j, result in zip(pos, theirs):
            twelve[j] = result
        metrics = task.process_results(doc, twelve)
        answered = task.doc_to_choice(doc)[int(np.argmax([ll for ll, _ in twelve]))]
        assert example.fields["answers"].index(answered) == record["pred"], example.id
        assert metrics["acc"] == float(record["pred"] == record["label"])
        per_doc.append(metrics)

    aggregation = task.aggregation()
    for category in data.CATEGORIES:
        whole = category + data.POOLED if category in data.NAMED_CATEGORIES else category
        idx = members(examples, whole)
        assert idx == [i for i, e in enumerate(examples) if category_of(e) == category]
        mine = [records[i] for i in idx]
        for ours, theirs in (("ambig", "accuracy_amb"), ("disambig", "accuracy_disamb")):
            value = bbq.accuracy_ambig(mine) if ours == "ambig" else bbq.accuracy_disambig(mine)
            items = [per_doc[i][theirs] for i in idx]
            harness_value = aggregation[theirs](items)
            assert value == pytest.approx(harness_value, nan_ok=True), (category, ours)
        if category in INTERSECTIONAL:
            continue
        for condition, ours_fn, key in (
            ("disambig", bbq.bias_disambig, f"disamb_bias_score_{category}"),
            ("ambig", bbq.bias_ambig, f"amb_bias_score_{category}"),
        ):
            expected = as_the_harness_reports(mine, condition, ours_fn(mine))
            got = float(aggregation[key]([m[key] for m in per_doc]))
            assert got == pytest.approx(expected, nan_ok=True), (category, condition)
