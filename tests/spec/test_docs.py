"""docs/spec.md: current with the models, covering every table, and every TOML example valid."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from engine.spec import docs
from engine.spec.loader import load_spec
from engine.spec.models import Spec

COMPLETION = {
    "[baseline]": '\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n',
    "[[variants]]": '\n[[variants]]\nname = "docs-variant"\n',
    "[[checks]]": '\n[[checks]]\nmetric = "crows_pairs.stereotype_score"\ntolerance = 0.05\n',
}
LOCAL_FILE = re.compile(r'\b(?:path|checkpoint|huggingface_config_path) = "([^"]+)"')
LOCAL_MODEL = re.compile(r'^model = "(\./[^"]+)"', re.M)


def toml_blocks() -> list[str]:
    text = docs.OUTPUT.read_text(encoding="utf-8")
    # Blocks inside a list item are indented with it.
    return [textwrap.dedent(part.split("```", 1)[0]) for part in text.split("```toml\n")[1:]]


def test_committed_docs_are_current():
    assert docs.OUTPUT.read_text(encoding="utf-8") == docs.render(), (
        "regenerate with: python -m engine.spec.docs"
    )


def nested_models(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if annotation not in found:
                    found |= nested_models(annotation)
            else:
                stack += get_args(annotation)
    return found


def test_every_table_of_the_spec_has_a_section():
    # A table added to the models without a section would be missing from the reference.
    assert nested_models(Spec) <= {section.model for section in docs.SECTIONS}


def test_every_field_has_a_heading_and_an_example():
    text = docs.OUTPUT.read_text(encoding="utf-8")
    for section in docs.SECTIONS:
        for name in section.model.model_fields:
            if name not in section.skip:
                assert f"#### `{section.key_path}{name}`\n\n```toml\n" in text


def test_docs_have_examples_for_every_section():
    documented = sum(len(s.model.model_fields) - len(s.skip) for s in docs.SECTIONS)
    assert len(toml_blocks()) > documented  # one per key, plus the walkthrough


def complete(fragment: str) -> str:
    """A fragment with the name, baseline, variant and check a whole spec needs."""
    top_level = re.split(r"^\[", fragment, maxsplit=1, flags=re.M)[0]
    if not re.search(r"^name = ", top_level, re.M):
        fragment = 'name = "docs"\n' + fragment
    return fragment + "".join(table for header, table in COMPLETION.items() if header not in fragment)


def create_local_paths(fragment: str, root: Path) -> None:
    for relative in LOCAL_FILE.findall(fragment):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("")
    for relative in LOCAL_MODEL.findall(fragment):
        (root / relative).mkdir(parents=True, exist_ok=True)
        (root / relative / "model.safetensors").write_bytes(b"")


@pytest.mark.parametrize("n", range(len(toml_blocks())))
def test_docs_toml_example_is_valid(tmp_path, n):
    fragment = toml_blocks()[n]
    create_local_paths(fragment, tmp_path)
    spec = tmp_path / "docs.toml"
    spec.write_text(complete(fragment), encoding="utf-8")
    load_spec(spec)  # raises a located SpecError if the example is wrong


def test_a_wrong_example_would_be_caught(tmp_path):
    spec = tmp_path / "docs.toml"
    spec.write_text(complete("[statistics]\nrule = \"sometimes\"\n"), encoding="utf-8")
    with pytest.raises(ValueError, match="statistics.rule"):
        load_spec(spec)
