"""GGUF builds and GGUF files as models, on tiny GGUFs written here with gguf-py."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter, LlamaFileType
from gguf.quants import quantize

from engine.compression.gguf import GgufConfig, requantize, type_bits, writable_types
from engine.models import gguf_files
from engine.models.source import ModelRef, ModelSourceError, check_ref
from engine.report import plots
from engine.spec.loader import SpecError, load_spec


def tiny_gguf(path, arch: str = "llama"):
    """Two matrices in Q4_1 and one float vector, with a few metadata keys."""
    rng = np.random.default_rng(0)
    writer = GGUFWriter(path, arch)
    writer.add_block_count(1)
    writer.add_file_type(LlamaFileType.MOSTLY_Q4_1)
    writer.add_string("general.name", "tiny")
    writer.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
    for name in ("blk.0.attn_q.weight", "token_embd.weight"):
        values = rng.standard_normal((8, 64), dtype=np.float32)
        writer.add_tensor(name, quantize(values, GGMLQuantizationType.Q4_1), raw_dtype=GGMLQuantizationType.Q4_1)
    writer.add_tensor("blk.0.attn_norm.weight", rng.standard_normal(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_py_writes_the_types_llama_cpp_starts_from():
    assert {"Q8_0", "Q4_0", "Q5_0", "F16"} <= set(writable_types())
    assert "Q4_K" not in writable_types()  # gguf-py only reads the k-quants
    assert type_bits("Q8_0") == 8.5 and type_bits("Q4_0") == 4.5


def test_a_type_gguf_py_cannot_write_is_rejected_naming_those_it_can():
    with pytest.raises(ValueError, match=r"cannot write tensors of type 'Q4_K_M'.*Q8_0"):
        GgufConfig(method="gguf", type="Q4_K_M")


@pytest.mark.parametrize("type_name", ["Q8_0", "Q4_0"])
def test_a_build_quantizes_every_matrix_and_copies_the_metadata(tmp_path, type_name):
    source = tiny_gguf(tmp_path / "tiny.gguf")
    target = tmp_path / "built.gguf"
    requantize(source, target, type_name, None)
    before, after = GGUFReader(source), GGUFReader(target)
    types = {t.name: t.tensor_type.name for t in after.tensors}
    assert types == {
        "blk.0.attn_q.weight": type_name,
        "token_embd.weight": type_name,
        "blk.0.attn_norm.weight": "F32",
    }
    assert after.fields["general.name"].contents() == "tiny"
    assert after.fields["tokenizer.ggml.tokens"].contents() == ["a", "b", "c"]
    assert LlamaFileType(after.fields["general.file_type"].contents()).name == f"MOSTLY_{type_name}"
    norm = {t.name: t for t in before.tensors}["blk.0.attn_norm.weight"].data
    assert np.array_equal({t.name: t for t in after.tensors}["blk.0.attn_norm.weight"].data, norm)
    summary = gguf_files.quantization(target)
    assert summary["quantized_types"] == [type_name] and summary["file_type"] == f"MOSTLY_{type_name}"
    expected = (2 * 8 * 64 * type_bits(type_name) + 64 * 32) / (2 * 8 * 64 + 64)
    assert summary["bits_per_weight"] == pytest.approx(expected)


def test_a_gguf_path_that_is_missing_not_a_gguf_or_of_an_unknown_architecture_is_refused(tmp_path):
    with pytest.raises(ModelSourceError, match="does not exist"):
        check_ref(ModelRef("missing.gguf", None, tmp_path))
    (tmp_path / "text.gguf").write_text("hello")
    with pytest.raises(ModelSourceError, match="not a GGUF file"):
        check_ref(ModelRef("text.gguf", None, tmp_path))
    tiny_gguf(tmp_path / "odd.gguf", arch="no-such-arch")
    with pytest.raises(ModelSourceError, match=r"'no-such-arch' model.*cannot load from GGUF.*llama"):
        check_ref(ModelRef("odd.gguf", None, tmp_path))
    tiny_gguf(tmp_path / "llama.gguf")
    check_ref(ModelRef("llama.gguf", None, tmp_path))


def spec_text(baseline: str, variant: str) -> str:
    return textwrap.dedent(
        f"""
        name = "g"
        [baseline]
        model = "{baseline}"
        [[variants]]
        name = "v"
        {variant}
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        tolerance = 0.05
        """
    )


def test_validate_locates_a_gguf_build_of_a_checkpoint_and_a_bad_gguf_path(tmp_path, tiny_checkpoint):
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text(str(tiny_checkpoint), 'quantization = { method = "gguf", type = "Q8_0" }'))
    with pytest.raises(SpecError) as e:
        load_spec(spec)
    assert "variants[0].quantization.method" in str(e.value) and "is a checkpoint" in str(e.value)
    spec.write_text(spec_text("builtin:smollm2-135m-instruct", 'model = "nothere.gguf"'))
    with pytest.raises(SpecError) as e:
        load_spec(spec)
    assert "variants[0].model" in str(e.value) and "does not exist" in str(e.value)
    spec.write_text(spec_text("builtin:smollm2-135m-instruct", 'quantization = { method = "gguf", type = "Q3_K" }'))
    with pytest.raises(SpecError) as e:
        load_spec(spec)
    assert "variants[0].quantization" in str(e.value) and "Q4_0" in str(e.value)


def test_the_trend_figure_takes_a_gguf_variants_bits_from_its_file():
    spec = {
        "spec": {"variants": [{"name": "built", "quantization": {"method": "gguf", "type": "Q4_0"}},
                              {"name": "file"}]},
        "models": {
            "built": {"model": {"gguf": {"bits_per_weight": 4.6}}},
            "file": {"model": {"gguf": {"bits_per_weight": 5.1}}},
        },
    }
    assert plots.bits(spec, "built") == 4.6 and plots.method(spec, "built") == "gguf"
    assert plots.bits(spec, "file") == 5.1 and plots.method(spec, "file") == "gguf"
