"""Every metric's records have a declared shape, and a record without it is refused."""

from __future__ import annotations

import pytest

from engine.metrics.registry import METRICS, RecordShapeError, get_metric


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_declares_the_type_of_its_records(name):
    record_type = get_metric(name).record_type
    assert record_type.__required_keys__, f"{name}: {record_type.__qualname__} declares no key"


def test_a_record_missing_a_declared_key_is_refused_with_its_name():
    metric = get_metric("crows_pairs.stereotype_score")
    good = {"ll_more": -3.0, "ll_less": -4.0, "stereotyped": True}
    assert metric.checked([good]) == [good]
    with pytest.raises(RecordShapeError, match=r"crows_pairs.stereotype_score: record 1 lacks stereotyped \(declared by PairRecord\)"):
        metric.checked([good, {"ll_more": -3.0, "ll_less": -4.0}])


def test_a_benchmark_record_type_adds_its_fields_to_the_family_type():
    record_type = get_metric("holistic_bias.ll_std").record_type
    assert record_type.__required_keys__ == {"axis", "bucket", "descriptor", "sentences"}
    continuations = get_metric("counterfactual.sentiment_gap").record_type
    assert continuations.__required_keys__ == {"axis", "template", "continuations"}
