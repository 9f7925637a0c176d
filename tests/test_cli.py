"""The command line: validate without loading models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import cli

ROOT = Path(__file__).resolve().parents[1]


def test_validate_reports_each_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[baseline]\nmodel = "builtin:nope"\n')
    specs = sorted(str(p) for p in (ROOT / "specs").rglob("*.toml"))
    assert cli.main(["validate", *specs]) == 0
    assert cli.main(["validate", str(bad), *specs]) == 1
    out, err = capsys.readouterr()
    assert "smollm2-135m.toml: ok (4 variants, 1 checks)" in out
    assert "bad.toml:1:1: variants: required key is missing" in err


README_HEADER = 'name = "readme"\n'
README_MODELS = '\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n[[variants]]\nname = "v"\n'
README_CHECK = '\n[[checks]]\nmetric = "crows_pairs.stereotype_score"\ntolerance = 0.05\n'
# A local file named by a README block gets content its format accepts.
README_FILES = {
    ".jsonl": '{"id": 1, "subgroup": "a", "prompt": "Q?\\nA:", "choices": ["x", "y"], "answer": 0}\n',
    ".tsv": "id\tpos\tcategory\tstereotype\tlemma\tlevel\nEN1\tn\tre\tno\tthief\tconservative\n",  # HurtLex
}
PATH_OPTION = re.compile(r'(?:checkpoint|huggingface_config_path|path) = "([^"]+)"')


def readme_toml_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return [part.split("```", 1)[0] for part in readme.split("```toml\n")[1:]]


def test_readme_has_several_spec_examples():
    assert len(readme_toml_blocks()) >= 3


@pytest.mark.parametrize("n", range(len(readme_toml_blocks())))
def test_readme_spec_examples_are_valid(tmp_path, n):
    """Every TOML block of the README validates; a fragment (only some tables) is completed
    with a name, baseline and variant, and the local files it names are created."""
    block = readme_toml_blocks()[n]
    if "[baseline]" not in block:
        block = block + README_MODELS
    if not re.search(r"^name = ", block.split("[", 1)[0], re.MULTILINE):
        block = README_HEADER + block
    if "[[checks]]" not in block:
        block += README_CHECK
    for path in PATH_OPTION.findall(block):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix:
            target.write_text(README_FILES.get(target.suffix, ""))
        else:
            target.mkdir(exist_ok=True)
    spec = tmp_path / "readme.toml"
    spec.write_text(block)
    assert cli.main(["validate", str(spec)]) == 0
