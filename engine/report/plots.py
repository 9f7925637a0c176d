"""The report's figures, as inline SVG text.

Two figures per check of a spec's results (the `results["specs"][name]` dict):
- `check_figure`: per variant, the baseline and variant value of each subgroup, and next to
  it the worsening with its confidence interval against the band of tolerated worsening;
- `trend_figure`: the metric's value against the bits of the weights across the spec's
  variants, one line per subgroup and compression method, the baseline at its dtype's bits.

Figures are built as `Figure` objects, not through pyplot: no global figure registry to
leak into, and no backend choice imposed on the process. They are byte-for-byte
reproducible (the same results give the same report): the SVG hash salt is fixed per figure
(it also keeps clip-path and marker ids unique between the figures of one page), the date
is left out, and text stays text (`svg.fonttype = none`, no glyph definitions whose ids
would collide between figures). Subgroup names come from data, so
mathtext is off: a `$` in a name is shown, not typeset.
"""

from __future__ import annotations

import io
import math

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from engine import compression

PASS_COLOR = "#1f6f3f"
FAIL_COLOR = "#c0392b"
BASELINE_COLOR = "#7f8c8d"
BAND_COLOR = "#d5f0dc"
DTYPE_BITS = {"float64": 64, "float32": 32, "float16": 16, "bfloat16": 16}
ROW_INCHES = 0.32
# no date (reproducible bytes), no creator/format/type (an RDF block of URLs in every figure)
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def svg_element(figure, key: str) -> str:
    """The figure as an `<svg>` element: no XML prolog or DOCTYPE, which are out of place
    inside HTML (and name external DTD URLs)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"fairgate:{key}"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=_NO_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def figure_style():
    return matplotlib.rc_context(
        {"svg.fonttype": "none", "text.parse_math": False, "font.size": 9, "axes.titlesize": 9}
    )


def _number(x) -> float:
    return math.nan if x is None else x


def evaluated_variants(spec: dict) -> list[str]:
    """The spec's variants that were evaluated (`--variant` or a model that failed to load
    can leave some out)."""
    return [v["name"] for v in spec["spec"]["variants"] if v["name"] in spec["models"]]


def _width(spec: dict, metric: str) -> float:
    """Inches: room for two panels plus both panels' subgroup labels (BOLD's run long)."""
    longest = max((len(v["subgroup"]) for v in spec["verdicts"] if v["metric"] == metric), default=0)
    return 7 + 2 * 0.07 * longest


def check_figure(spec: dict, metric: str) -> str:
    """Per variant (a row of two panels): baseline vs variant value per subgroup (the
    variant's value interval as whiskers), and the worsening per subgroup with its interval,
    the tolerated region shaded up to each subgroup's tolerance, failing items in red."""
    rows = [
        (variant, [v for v in spec["verdicts"] if v["metric"] == metric and v["variant"] == variant])
        for variant in evaluated_variants(spec)
    ]
    rows = [(variant, verdicts) for variant, verdicts in rows if verdicts]
    height = sum(0.9 + ROW_INCHES * len(verdicts) for _, verdicts in rows)
    with figure_style():
        figure = Figure(figsize=(_width(spec, metric), max(height, 1.5)))
        axes = figure.subplots(
            len(rows), 2, squeeze=False,
            height_ratios=[len(verdicts) for _, verdicts in rows],
        )
        for (variant, verdicts), (values_axes, worsening_axes) in zip(rows, axes):
            _values_panel(values_axes, variant, verdicts)
            _worsening_panel(worsening_axes, variant, verdicts)
        figure.tight_layout()
        return svg_element(figure, f"check:{spec['name']}:{metric}")


def _values_panel(ax, variant: str, verdicts: list[dict]) -> None:
    ys = list(range(len(verdicts)))
    intervals = [v["value_interval"] or [None, None] for v in verdicts]
    # drawn as segments, not error bars: a bootstrap interval need not contain the point
    ax.hlines(ys, [_number(lo) for lo, _ in intervals], [_number(hi) for _, hi in intervals],
              color=PASS_COLOR, linewidth=1.2, zorder=2)
    ax.scatter([_number(v["baseline"]) for v in verdicts], ys, marker="o", facecolors="none",
               edgecolors=BASELINE_COLOR, label="baseline", zorder=3)
    ax.scatter([_number(v["value"]) for v in verdicts], ys, marker="o", color=PASS_COLOR, label=variant, zorder=3)
    ax.set_yticks(list(ys), [v["subgroup"] for v in verdicts])
    ax.invert_yaxis()
    ax.set_title(f"{variant}: value per subgroup")
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="x", alpha=0.3)


def _worsening_panel(ax, variant: str, verdicts: list[dict]) -> None:
    ys = list(range(len(verdicts)))
    worsening = [_number(v["worsening"]) for v in verdicts]
    intervals = [v["worsening_interval"] or [None, None] for v in verdicts]
    lows = [_number(lo) for lo, _ in intervals]
    highs = [_number(hi) for _, hi in intervals]
    tolerances = [v["tolerance"] for v in verdicts]
    finite = [x for x in worsening + lows + highs + tolerances + [0.0] if not math.isnan(x)]
    span = (max(finite) - min(finite)) or 1.0
    left, right = min(finite) - 0.08 * span, max(finite) + 0.08 * span
    # the band is per row because each subgroup may have its own tolerance
    ax.barh(ys, [t - left for t in tolerances], left=left, height=0.8, color=BAND_COLOR,
            label="tolerated worsening", zorder=1)
    ax.axvline(0.0, color=BASELINE_COLOR, linewidth=0.8, zorder=2)
    for y, v, point, lo, hi in zip(ys, verdicts, worsening, lows, highs):
        color = PASS_COLOR if v["passed"] else FAIL_COLOR
        ax.plot([lo, hi], [y, y], color=color, linewidth=1.5, zorder=3)
        ax.plot([point], [y], marker="o" if v["passed"] else "X", markersize=7 if not v["passed"] else 5,
                color=color, zorder=4)
    ax.set_xlim(left, right)
    ax.set_yticks(ys, [("FAIL  " if not v["passed"] else "") + v["subgroup"] for v in verdicts])
    for label, v in zip(ax.get_yticklabels(), verdicts):
        label.set_color(PASS_COLOR if v["passed"] else FAIL_COLOR)
    ax.invert_yaxis()
    confidence = verdicts[0]["confidence"]
    ax.set_title(f"{variant}: worsening, {confidence:.0%} interval")
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="x", alpha=0.3)


def bits(spec: dict, label: str) -> float | None:
    """Bits per weight of a model of the spec: a quantized variant's bits (of its last
    quantizing step), the baseline's dtype; None for what has no such number (a pretrained
    checkpoint without quantization settings, pruning alone)."""
    if label == "baseline":
        return DTYPE_BITS.get(spec["models"]["baseline"]["model"].get("dtype"))
    # A GGUF variant's bits are its file's (tensor bytes over parameters), not its type's.
    gguf = spec["models"].get(label, {}).get("model", {}).get("gguf")
    if gguf is not None:
        return gguf["bits_per_weight"]
    return compression.bits_per_weight(_compression(spec, label))


def method(spec: dict, label: str) -> str:
    tables = _compression(spec, label)
    if tables is None and spec["models"].get(label, {}).get("model", {}).get("gguf") is not None:
        return "gguf"
    return compression.method_label(tables)


def _compression(spec: dict, label: str) -> dict | list | None:
    variant = next(v for v in spec["spec"]["variants"] if v["name"] == label)
    return variant.get("compression") or variant.get("quantization")


def trend_figure(spec: dict, metric: str) -> tuple[str, list[str]]:
    """(svg, the variants left out because they have no bits). One line per subgroup and
    compression method, each starting at the baseline, so methods at equal bits (hqq and
    bitsandbytes at 4) stay apart."""
    placed = [label for label in evaluated_variants(spec) if bits(spec, label) is not None]
    skipped = [label for label in evaluated_variants(spec) if bits(spec, label) is None]
    baseline_bits = bits(spec, "baseline")
    values = {
        label: spec["models"][label]["checks"].get(metric, {}).get("values", {})
        for label in ["baseline", *placed]
    }
    subgroups = list(values["baseline"])
    methods = sorted({method(spec, label) for label in placed})
    markers = dict(zip(methods, "osD^v<>"))
    linestyles = dict(zip(methods, ["-", "--", ":", "-."] * 2))
    with figure_style():
        figure = Figure(figsize=(9, 3.6))
        ax = figure.subplots()
        colors = matplotlib.colormaps["tab10"]
        for index, subgroup in enumerate(subgroups):
            color = colors(index % 10)
            for name in methods:
                labels = sorted((label for label in placed if method(spec, label) == name),
                                key=lambda label: -bits(spec, label))
                points = [(bits(spec, label), values[label].get(subgroup, {}).get("value")) for label in labels]
                if baseline_bits is not None:
                    points.insert(0, (baseline_bits, values["baseline"][subgroup]["value"]))
                points = [(b, _number(v)) for b, v in points]
                ax.plot([b for b, _ in points], [v for _, v in points], marker=markers[name], color=color,
                        linestyle=linestyles[name], linewidth=1, markersize=4)
        ticks = sorted({bits(spec, label) for label in placed} | ({baseline_bits} - {None}))
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])  # a GGUF file's bits are fractional
        ax.minorticks_off()
        ax.invert_xaxis()
        ax.set_xlabel("bits per weight (baseline at its dtype)")
        ax.set_ylabel(metric)
        ax.set_title(f"{metric}: value against bits, per subgroup")
        ax.grid(alpha=0.3)
        # one entry per subgroup (colour) and per method (marker and line), not per line
        handles = [Line2D([], [], color=colors(i % 10), label=g) for i, g in enumerate(subgroups)]
        handles += [Line2D([], [], color=BASELINE_COLOR, marker=markers[m], linestyle=linestyles[m], label=m)
                    for m in methods]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  ncol=1 + len(handles) // 16)
        return svg_element(figure, f"trend:{spec['name']}:{metric}"), skipped
