"""The one list of compression methods, and what each declares about itself."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from engine import compression
from engine.compression.base import CompressionStep
from engine.registry import Registry
from engine.spec import docs, starter
from engine.spec.loader import load_spec


@pytest.fixture
def with_fake_method(monkeypatch):
    """The registry as it would be with one more module listed."""
    real = compression.STEPS
    extended = Registry("compression method", real._modules + ("tests.compression.fake_method",))
    for name, entry in real.items():
        extended.register(name, entry, real._owners[name])
    monkeypatch.setattr(compression, "STEPS", extended)
    import tests.compression.fake_method as fake

    # Imported before (by an earlier test), the module registered into another registry.
    extended.register("fake", fake.FakeConfig, fake.__name__)
    return fake.FakeConfig


def test_every_method_module_is_listed_and_registers_its_steps():
    assert [cls.method_name() for cls in compression.step_classes()] == [
        "hqq", "bitsandbytes", "bitsandbytes", "dynamic-int8", "quanto", "prune", "gguf",
        "awq", "gptq", "smoothquant", "sparsegpt", "vllm",
    ]
    assert compression.STEPS.names() == [
        "awq", "bitsandbytes", "dynamic-int8", "gguf", "gptq", "hqq", "prune", "quanto", "smoothquant", "sparsegpt",
        "vllm",
    ]


@pytest.mark.parametrize("step", compression.step_classes(), ids=lambda c: c.__name__)
def test_each_step_declares_itself(step: type[CompressionStep]):
    assert not step.__abstractmethods__, f"{step.__name__} leaves {step.__abstractmethods__} undeclared"
    assert step.documented.required["method"] == step.method_name()
    # vLLM loads checkpoints: only a step that builds one, or whose result can be saved as
    # plain weights (pruning), runs there, and vLLM's own quantization runs only there.
    assert set(step.engines) <= {"transformers", "vllm"}
    assert ("transformers" in step.engines) == (not step.applied_by_engine)
    assert ("vllm" in step.engines) == (step.builds_checkpoint or not step.quantizes or step.applied_by_engine)
    for name, table in step.starters.items():
        # every starter table is a valid step of this method, as a spec would write it
        assert isinstance(TypeAdapter(compression.spec_union()).validate_python(table), step), name


def test_the_union_tells_methods_apart_and_refuses_unknown_ones():
    union = TypeAdapter(compression.spec_union())
    assert union.validate_python({"method": "bitsandbytes", "bits": 8}).batch_dependent
    assert not union.validate_python({"method": "bitsandbytes", "bits": 4}).batch_dependent
    with pytest.raises(ValidationError, match="hqq"):
        union.validate_python({"method": "exl2", "bits": 4})


def test_a_new_method_is_one_module(with_fake_method, tmp_path):
    fake = with_fake_method
    assert compression.step_classes()[-1] is fake and len(compression.step_classes()) == 13
    assert compression.starters()["fake-5bit"] == {"method": "fake"}
    assert "fake-quant" in compression.packages()
    # its package enters only the identity of models it compresses
    assert compression.identity_libraries([fake(method="fake")])[-1] == "fake-quant"
    assert "fake-quant" not in compression.identity_libraries([])
    assert compression.bits_per_weight([{"method": "prune", "sparsity": 0.5}, {"method": "fake"}]) == 5
    # a missing package is named by the step that needs it
    error = ModuleNotFoundError("No module named 'fake_quant'", name="fake_quant")
    assert compression.missing_backend([fake(method="fake")], error) == ("fake", "fake-quant")
    # not installed: it contributes no layer types, and the others still do
    assert compression.known_compressed_types()
    # the docs give it a section from its own declaration
    sections = [s for step in compression.step_classes() for s in docs._method_sections(step)]
    assert any(s.title == "quantization: fake" and s.model is fake for s in sections)


def test_the_spec_union_is_built_from_the_list(with_fake_method):
    union = TypeAdapter(compression.spec_union())
    assert isinstance(union.validate_python({"method": "fake"}), with_fake_method)
    assert "fake" in union.json_schema()["discriminator"]["mapping"]


def test_bits_per_weight_of_written_variants():
    assert compression.bits_per_weight({"method": "hqq", "nbits": 3, "group_size": 64}) == 3
    assert compression.bits_per_weight({"method": "bitsandbytes", "bits": 4}) == 4
    assert compression.bits_per_weight({"method": "quanto", "weights": "int4"}) == 4
    assert compression.bits_per_weight({"method": "dynamic-int8"}) == 8
    assert compression.bits_per_weight({"method": "prune", "sparsity": 0.5}) is None
    assert compression.bits_per_weight(None) is None
    assert compression.bits_per_weight({"method": "gone"}) is None  # a method no longer known
    chain = [{"method": "prune", "pattern": "2:4"}, {"method": "hqq", "nbits": 4}]
    assert compression.bits_per_weight(chain) == 4
    assert compression.method_label(chain) == "prune+hqq"


def test_missing_backend_falls_back_to_the_first_step_that_needs_a_package():
    steps = [
        TypeAdapter(compression.spec_union()).validate_python(t)
        for t in ({"method": "prune", "sparsity": 0.5}, {"method": "quanto", "weights": "int8"})
    ]
    unnamed = ImportError("cannot import name 'qint8'")
    assert compression.missing_backend(steps, unnamed) == ("quanto", "optimum-quanto")
    assert compression.missing_backend(steps[:1], unnamed) is None


def test_every_starter_method_validates_in_a_spec(tmp_path):
    text = starter.starter_spec("builtin:smollm2-135m-instruct", list(starter.METHODS), tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text(text)
    names = [v.name for v in load_spec(tmp_path / "s.toml").spec.variants]
    assert names == list(compression.starters())
