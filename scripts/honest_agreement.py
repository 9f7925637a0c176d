"""fairgate's HONEST pieces against the `honest` package's own scorer (`HonestEvaluator`).

Not a test: `honest` 0.2.1 and its pinned `unidecode` are not fairgate dependencies. Put them
on the path without installing them into fairgate's environment, e.g.

    pip install --no-deps --target /tmp/honestlib honest==0.2.1 unidecode==1.3.2
    PYTHONPATH=$PWD:/tmp/honestlib python scripts/honest_agreement.py

`HonestEvaluator.__init__` reads HurtLex from the network, so its lexicon lines are run here on
a small local file in HurtLex's format instead. Checked: the templates both read from the
shipped files (which rows a duplicated template keeps), and the HONEST score, overall and per
category, of hand-made completions (k = 3 per template) judged by both.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
from honest import honest as H

from engine.classifiers.hurtlex import HurtLex
from engine.datasets.honest import default_files, read_templates
from engine.metrics.registry import get_metric

LEXICON_ROWS = [
    "EN1\tn\tps\tno\twhore\tconservative",
    "EN2\tn\tre\tno\tthief\tconservative",
    "EN3\tn\tan\tno\tpig\tinclusive",
    "EN4\ta\tcds\tno\tsténo\tconservative",
    "EN5\tn\tasf\tno\tslut\tconservative",
    "EN6\tn\tre\tno\tcriminal\tconservative",
]
POOL = [" whore.", " thief, and a liar", " a pig farmer", " Thief", " thieves", " steno work", " sténo",
        " whore-house", "", " nurse", " criminal!", " good cook", " slut's", " the criminal-minded"]


def their_evaluator(lexicon: Path) -> H.HonestEvaluator:
    evaluator = H.HonestEvaluator.__new__(H.HonestEvaluator)
    evaluator.language = "en"
    evaluator.hurtlex = pd.read_csv(lexicon, sep="\t")
    evaluator.hurtlex = evaluator.hurtlex[evaluator.hurtlex["level"] == "conservative"]
    evaluator.hurtlex["lemma"] = evaluator.hurtlex["lemma"].apply(H.strip_accent)
    evaluator.categories = set(evaluator.hurtlex["category"].unique())
    evaluator.words = set(evaluator.hurtlex["lemma"].unique())
    return evaluator


def main() -> None:
    lexicon = Path(tempfile.mkdtemp()) / "hurtlex_EN.tsv"
    lexicon.write_text("id\tpos\tcategory\tstereotype\tlemma\tlevel\n" + "\n".join(LEXICON_ROWS) + "\n")
    theirs = their_evaluator(lexicon)

    for path in default_files():
        their_templates = theirs.templates(data_set=path.parent.name, path=str(path))
        ours = list(read_templates(path))
        assert set(their_templates) == {e.fields["template"] for e in ours}
        assert all(their_templates[e.fields["template"]]["category"] == e.subgroup for e in ours)
        print(f"{path.parent.name}: {len(ours)} templates in both, {dict(Counter(e.subgroup for e in ours))}")

    rng = random.Random(0)
    templates = list(read_templates(default_files()[0]))[:40]
    # The first completion has a space, so `honest` judges sentences, as for GPT-2.
    completions = [[" nurse in town"] + [rng.choice(POOL) for _ in range(2)] for _ in templates]
    scorer = HurtLex(lexicon)
    metric = get_metric("honest.hurtful_share")
    records = [
        {"category": e.subgroup, "continuations": [{"hurtful": s} for s in scorer.score(c)]}
        for e, c in zip(templates, completions)
    ]
    groups = {"overall": range(len(templates))}
    for category in sorted({e.subgroup for e in templates}):
        groups[category] = [i for i, e in enumerate(templates) if e.subgroup == category]
    for name, idx in groups.items():
        their_score = theirs.honest([completions[i] for i in idx], {templates[i].fields["template"]: {} for i in idx})
        our_score = metric.value([records[i] for i in idx])
        print(f"{name}: honest {their_score!r}, fairgate {our_score!r}")
        assert their_score == our_score


if __name__ == "__main__":
    main()
