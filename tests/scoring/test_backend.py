"""The engine seam: scoring runs on any backend, and loads neither torch nor transformers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Sequence

from engine.scoring.backend import Generation, LLResult, Prompt
from engine.scoring.generation import GenerationConfig, generate
from engine.scoring.lm import LanguageModel
from engine.scoring.loglikelihood import LLRequest, loglikelihood
from engine.scoring.packing import Row
from engine.store import ResultStore

REPO = Path(__file__).resolve().parents[2]


class WordTokenizer:
    bos_token_id = 1
    eos_token_id = 2

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [self.ids.setdefault(word, len(self.ids) + 3) for word in text.split(" ") if word]


class CountingBackend:
    """Scores a member by minus its number of scored tokens; continues a prompt with its last
    token repeated."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def loglikelihoods(self, rows: Sequence[Row]) -> list[LLResult]:
        self.rows += rows
        return [LLResult(-float(n), n, True) for row in rows for _, n in row.members]

    def generate(self, prompts: Sequence[Prompt], config: GenerationConfig, seed: int) -> list[Generation]:
        n = config.max_new_tokens
        return [Generation(str(p[-1]), (p[-1],) * n, n, False) for p in prompts]


def lm_over(backend, store: ResultStore) -> LanguageModel:
    return LanguageModel(WordTokenizer(), 2, "counting", store, lambda: backend)


def test_scoring_runs_on_any_backend_and_caches_its_answers(tmp_path):
    store = ResultStore(tmp_path)
    backend = CountingBackend()
    requests = [LLRequest("the cat", " sat down"), LLRequest("", "a dog"), LLRequest("the cat", " sat down")]
    assert [r.logprob for r in loglikelihood(lm_over(backend, store), requests)] == [-2.0, -2.0, -2.0]
    assert sum(len(row.members) for row in backend.rows) == 2  # identical requests scored once
    [generated] = generate(lm_over(backend, store), ["the cat"], GenerationConfig(max_new_tokens=3))
    assert generated.n_tokens == 3 and not generated.stopped_at_eos

    def refuse():
        raise AssertionError("a warm run loaded the backend")

    warm = LanguageModel(WordTokenizer(), 2, "counting", store, refuse)
    assert [r.logprob for r in loglikelihood(warm, requests)] == [-2.0, -2.0, -2.0]
    assert generate(warm, ["the cat"], GenerationConfig(max_new_tokens=3)) == [generated]


def test_scoring_imports_neither_torch_nor_transformers():
    modules = ("lm", "loglikelihood", "generation", "text_scores", "backend", "packing")
    code = (
        "import sys\n"
        + "".join(f"import engine.scoring.{m}\n" for m in modules)
        + "import engine.dry_run, engine.evaluation\n"
        + "print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
