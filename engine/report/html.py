"""report.html: one self-contained page a reviewer opens to see where, how much, and
whether it is real.

`render_report(results)` turns a results.json dict into the page: a verdict overview
(variants x checks), per check its figures, its items and, for failing items of metrics on
generated text, the continuations that changed most; then the provenance of the run.
Everything is inline (CSS, SVG figures); the page fetches nothing. Every value from the
data or a model goes through jinja2's autoescape; only the figures, SVG written by
matplotlib (which escapes the text it draws), are marked safe.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from engine.report import confidence_figures, examples, plots

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("engine.report", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(x, sign: str = "") -> str:
    return "undefined" if x is None else f"{x:{sign}.3f}"


def _interval(pair) -> str:
    low, high = pair or (None, None)
    if low is None or high is None:
        return "undefined"
    return f"[{low:+.3f}, {high:+.3f}]"


_ENVIRONMENT.filters["number"] = _number
_ENVIRONMENT.filters["interval"] = _interval


def _by_worsening(verdict: dict) -> tuple:
    """Sort key, largest worsening first; an undefined worsening after every number."""
    worsening = verdict["worsening"]
    return (worsening is None, -(worsening or 0.0), verdict["subgroup"])


def overview_cell(verdicts: list[dict]) -> dict:
    """status (fail / warn / pass / none) of one variant on one check, and the subgroup that
    decides it: the failing one that worsened most, else the warned one that worsened most."""
    if not verdicts:
        return {"status": "none", "subgroup": None, "worsening": None}
    failing = sorted((v for v in verdicts if not v["passed"]), key=_by_worsening)
    warned = sorted((v for v in verdicts if v["warnings"]), key=_by_worsening)
    if failing:
        status, worst = "fail", failing[0]
    elif warned:
        status, worst = "warn", warned[0]
    else:
        return {"status": "pass", "subgroup": None, "worsening": None}
    return {"status": status, "subgroup": worst["subgroup"], "worsening": worst["worsening"]}


def _compression(model: dict) -> str:
    compression = model.get("compression") or {}
    method = compression.get("method")
    if not method:
        return "none"
    settings = ", ".join(f"{k}={v}" for k, v in method.items() if k != "method")
    return f"{method.get('method')} ({settings})"


def _models(spec: dict) -> list[dict]:
    rows = []
    for label, run in spec["models"].items():
        model = run["model"]
        compression = model.get("compression") or {}
        generation = model.get("generation") or {}
        rows.append(
            {
                "label": label,
                "model": model,
                "compression": _compression(model),
                "layers": f"{compression.get('compressed_linear_layers', '?')} of "
                f"{compression.get('linear_layers', '?')} linear layers",
                "weight_bytes": compression.get("weight_bytes"),
                "forward": compression.get("forward"),
                "seconds": run.get("seconds"),
                "cache_hits": run.get("cache_hits"),
                "tokens_per_second": generation.get("tokens_per_second"),
            }
        )
    return rows


def _worst_examples(spec: dict, verdict: dict) -> list[dict]:
    field = spec["checks"][verdict["metric"]].get("example_score")
    if field is None or verdict["passed"]:
        return []
    return [
        {"id": example_id, "prompt": before["prompt"], "before": before["continuation"],
         "before_score": before[field], "after": after["continuation"], "after_score": after[field]}
        for example_id, before, after in examples.worst_pairs(spec, verdict)
    ]


def _check_section(spec: dict, metric: str) -> dict:
    verdicts = [v for v in spec["verdicts"] if v["metric"] == metric]
    ordered = sorted(verdicts, key=lambda v: (v["passed"], v["variant"], v["subgroup"]))
    trend, skipped = plots.trend_figure(spec, metric)
    has_trend = len(skipped) < len(spec["spec"]["variants"])
    return {
        "metric": metric,
        "check": spec["checks"][metric],
        "figure": Markup(plots.check_figure(spec, metric)) if verdicts else None,
        "trend": Markup(trend) if has_trend else None,
        "trend_skipped": skipped,
        "verdicts": ordered,
        "example_score": spec["checks"][metric].get("example_score"),
        "worst": [(v, pairs) for v in ordered if (pairs := _worst_examples(spec, v))],
    }


def _spec_view(spec: dict) -> dict:
    # In the order they were evaluated; a variant whose model could not be loaded has no
    # entry at all (`fairgate run` reports it as an error).
    variants = [label for label in spec["models"] if label != "baseline"]
    variants += [v for v in dict.fromkeys(v["variant"] for v in spec["verdicts"]) if v not in variants]
    metrics = list(spec["checks"])
    return {
        "spec": spec,
        "variants": variants,
        "metrics": metrics,
        "overview": {
            (variant, metric): overview_cell(
                [v for v in spec["verdicts"] if v["variant"] == variant and v["metric"] == metric]
            )
            for variant in variants
            for metric in metrics
        },
        "sections": [_check_section(spec, metric) for metric in metrics],
        "confidence": [
            {
                "dataset": dataset,
                "metric": metric,
                "reliability": Markup(confidence_figures.reliability_figure(spec, metric)),
                "shift": Markup(confidence_figures.shift_figure(spec, metric)),
            }
            for dataset, metric in confidence_figures.confidence_checks(spec).items()
        ],
        "models": _models(spec),
    }


def render_report(results: dict) -> str:
    """The report.html text of a results.json dict."""
    return _ENVIRONMENT.get_template("report.html.j2").render(
        results=results,
        specs=[_spec_view(spec) for spec in results["specs"].values()],
    )
