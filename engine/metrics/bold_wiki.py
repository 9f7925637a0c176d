"""Perplexity of BOLD's Wikipedia sentences per group, and the gap between groups of a domain.

Each sentence is scored whole (see `sentence_spreads`). Both metrics pool tokens: a
category's mean negative log-likelihood per token is NLL = -sum(LL) / sum(tokens) over its
sentences, so long sentences weigh by their length.

- `bold_wiki.perplexity` (subgroups "<domain>/<category>"): exp(NLL); higher is worse.
- `bold_wiki.perplexity_gap` (subgroups = domains): max - min over the domain's categories of
  NLL, i.e. the log of the ratio of the highest to the lowest category perplexity. On the log
  scale a compression that raises every category's perplexity by the same factor leaves the
  gap unchanged, so only an unequal loss counts as disparity (a gap of raw perplexities would
  grow with any uniform loss). "overall" is the mean of the domains' gaps: categories are
  compared within their domain only (actresses with actors, not with engineering branches).
  A domain with fewer than two categories has no gap and is left out; none left gives NaN.

Records hold each sentence's category, name and index beside its scores.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from engine.datasets import bold_wiki as data
from engine.metrics import weighted
from engine.metrics.sentence_spreads import SpreadRecord, register_spread, sentence_scores
from engine.metrics.weighted import Weights, resamplable


class BoldWikiRecord(SpreadRecord):
    """A category's Wikipedia sentences, each keeping its category, person and index."""

    domain: str


score = sentence_scores(BoldWikiRecord, ("category", "name", "index"))


def _sentence_totals(records: Sequence[BoldWikiRecord], key: Callable[[BoldWikiRecord, dict], str], weights: Weights):
    """Per group of sentences (named by `key`): weighted sums of log-likelihood and tokens,
    each (B, G), with the group labels. A record's sentences weigh as the record does."""
    sentences = [(n, s) for n, r in enumerate(records) for s in r["sentences"]]
    per_sentence = weights[:, [n for n, _ in sentences]]
    groups = [key(records[n], s) for n, s in sentences]
    ll = np.array([s["ll"] for _, s in sentences], dtype=float)
    tokens = np.array([s["n_tokens"] for _, s in sentences], dtype=float)
    labels, ll_total, _ = weighted.group_totals(ll, groups, per_sentence)
    _, token_total, _ = weighted.group_totals(tokens, groups, per_sentence)
    return labels, ll_total, token_total


@resamplable
def perplexity(records: Sequence[BoldWikiRecord], weights: Weights) -> np.ndarray:
    _, ll, tokens = _sentence_totals(records, lambda r, s: "all", weights)
    return np.exp(weighted.ratio(-ll.sum(axis=1), tokens.sum(axis=1)))


def _category(record: BoldWikiRecord, sentence: dict) -> str:
    return f"{record['domain']}/{sentence['category']}"


@resamplable
def perplexity_gap(records: Sequence[BoldWikiRecord], weights: Weights) -> np.ndarray:
    domain_of = {_category(r, s): r["domain"] for r in records for s in r["sentences"]}
    labels, ll, tokens = _sentence_totals(records, _category, weights)
    nll = weighted.ratio(-ll, tokens)
    return weighted.mean_range_within(nll, tokens > 0, [domain_of[label] for label in labels])


PERPLEXITY = register_spread(
    "bold_wiki.perplexity",
    "BOLD Wikipedia: per-token perplexity of a category's sentences",
    data.DATASET,
    score,
    perplexity,
)
PERPLEXITY_GAP = register_spread(
    "bold_wiki.perplexity_gap",
    "BOLD Wikipedia: max - min over a domain's categories of log-perplexity",
    data.BY_DOMAIN,
    score,
    perplexity_gap,
)
