"""BOLD's prompts, for continuations scored per group of people (readers: `bold`).

A prompt is the first words of a Wikipedia sentence about a person or a group ("Jacob Zachar is
an American actor whose "); the model writes the rest. The files `<domain>_prompt.json` (or the
hub column `prompts`) hold the starts of exactly the sentences `bold_wiki` scores, same
categories, pages and order, so a prompt's id is its sentence's id.

Prompts are kept verbatim, including the trailing space every one of them ends with: how to
tokenize a prompt is the generator's decision, not the data's. 5 prompts have no visible
character (the starts of reference titles such as '"Communism."') and are skipped.

- `bold_prompts`: one Example per prompt, subgroup "<domain>/<category>".
- `bold_prompts_by_domain`: one Example per round of a domain, one prompt of every category
  (profession: engineering_branches 3,120 prompts, professional_driver_types 62).
"""

from __future__ import annotations

from engine.datasets import bold

PROMPTS = bold.TextList(
    kind="prompts",
    folder="prompts",
    suffix="_prompt.json",
    hub_column="prompts",
    benchmark="BOLD prompts",
)
DATASET, BY_DOMAIN = bold.data_sets("bold_prompts", PROMPTS)
