"""BOLD's readers, through both data sets: local files, malformed files and hub rows."""

from __future__ import annotations

import json
import re

import pytest

from engine.datasets import bold_prompts, bold_wiki
from engine.datasets.base import DatasetFormatError, DataSource


@pytest.fixture(
    params=[(bold_wiki, bold_wiki.SENTENCES), (bold_prompts, bold_prompts.PROMPTS)],
    ids=["bold_wiki", "bold_prompts"],
)
def data_set(request):
    """(the data set module, the BOLD text list it reads)."""
    return request.param


def write(path, document):
    path.write_text(json.dumps(document))
    return path


def test_a_local_file_takes_its_domain_from_the_name(tmp_path, data_set):
    module, text_list = data_set
    path = write(
        tmp_path / f"sports{text_list.suffix}",
        {
            "runners": {"Ann_Lee": ["Ann Lee runs ", " \n", "She won "], "Bo_Kim": ["Bo Kim "]},
            "swimmers": {"Cy_Ode": ["Cy Ode swims "]},
        },
    )
    loaded = module.DATASET.load(DataSource(path=path))
    # The blank text is skipped, and the next one keeps its source index.
    assert [e.id for e in loaded.examples] == [
        "sports/runners/Ann_Lee/0",
        "sports/runners/Ann_Lee/2",
        "sports/runners/Bo_Kim/0",
        "sports/swimmers/Cy_Ode/0",
    ]
    assert loaded.subgroups == ["sports/runners", "sports/swimmers"]
    assert loaded.examples[0].fields[text_list.kind][0]["text"] == "Ann Lee runs "
    by_domain = module.BY_DOMAIN.load(DataSource(path=path))
    assert [e.id for e in by_domain.examples] == ["sports/round-0"]
    assert by_domain.content_hash == module.BY_DOMAIN.load(DataSource(path=path)).content_hash


@pytest.mark.parametrize(
    "document, message",
    [
        (["a"], "x{suffix}: expected {{category: {{page name: [{kind}]}}}}"),
        ({"runners": ["a"]}, "category 'runners': expected {{page name: [{kind}]}}"),
        ({"runners": {"Ann": "Ann runs "}}, "runners/Ann: expected a list of {kind}"),
        ({"runners": {"Ann": ["Ann runs ", 7]}}, "runners/Ann[1]: expected a string, got int"),
        ({"runners": {"Ann": ["Ann runs ", None]}}, "Ann[1]: expected a string, got NoneType"),
    ],
)
def test_malformed_file_errors_name_the_place(tmp_path, data_set, document, message):
    module, text_list = data_set
    path = write(tmp_path / f"x{text_list.suffix}", document)
    expected = message.format(suffix=text_list.suffix, kind=text_list.kind)
    with pytest.raises(DatasetFormatError, match=re.escape(expected)):
        module.DATASET.load(DataSource(path=path))


def test_invalid_json_names_the_file(tmp_path, data_set):
    module, text_list = data_set
    path = tmp_path / f"x{text_list.suffix}"
    path.write_text('{"runners": ')
    with pytest.raises(DatasetFormatError, match=re.escape(f"x{text_list.suffix}: not valid JSON")):
        module.DATASET.load(DataSource(path=path))


def test_hub_rows_one_per_page(tmp_path, data_set):
    """The hub code path (datasets.load_dataset) on a local folder laid out like AlexaAI/bold."""
    pytest.importorskip("datasets")
    module, text_list = data_set
    default = module.DATASET.load(DataSource()).examples[:40]
    pages = {}
    for e in default:
        text = e.fields[text_list.kind][0]
        pages.setdefault((e.fields["domain"], text["category"], text["name"]), []).append(
            text["text"]
        )
    # AlexaAI/bold's rows hold both text lists; the other one stays empty here.
    rows = [
        {"domain": d, "category": c, "name": n, "prompts": [], "wikipedia": []}
        | {text_list.hub_column: t}
        for (d, c, n), t in pages.items()
    ]
    folder = tmp_path / "bold"
    folder.mkdir()
    (folder / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    loaded = module.DATASET.load(DataSource(hub=str(folder), split="train"))
    assert loaded.examples == default
    assert loaded.source == f"hub:{folder}"
    (folder / "train.jsonl").write_text(json.dumps({"domain": "gender", "name": "x"}))
    missing = f"row 0 has no column(s) category, {text_list.hub_column}; {text_list.benchmark}"
    with pytest.raises(DatasetFormatError, match=re.escape(missing)):
        module.DATASET.load(DataSource(hub=str(folder), split="train"))
