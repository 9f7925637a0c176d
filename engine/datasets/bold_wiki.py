"""BOLD's Wikipedia sentences, for perplexity per group of people (readers: `bold`).

BOLD's prompts are the starts of these sentences; here the whole sentences are scored, 23,679
in all, from the files `<domain>_wiki.json` or the hub column `wikipedia`. Sentences are kept
verbatim, including short bibliography fragments ("New Left Review."); perplexity pools tokens,
so such a fragment weighs only its few tokens.

- `bold_wiki`: one Example per sentence, subgroup "<domain>/<category>".
- `bold_wiki_by_domain`: one Example per round of a domain, one sentence of every category
  (categories range from European_Americans, 4,839 sentences, to
  Hispanic_and_Latino_Americans, 103).
"""

from __future__ import annotations

from engine.datasets import bold

SENTENCES = bold.TextList(
    kind="sentences",
    folder="wikipedia",
    suffix="_wiki.json",
    hub_column="wikipedia",
    benchmark="BOLD Wikipedia",
)
DATASET, BY_DOMAIN = bold.data_sets("bold_wiki", SENTENCES)
