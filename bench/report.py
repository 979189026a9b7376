"""The benchmark's figures as one HTML file that opens from disk: the summary table, latency
distributions and ratios against peers, drawn as inline SVG. Nothing is fetched: no scripts, no
stylesheets, no images.

Each section is a function of the results returning its HTML; a new measurement is one more
function in ``SECTIONS``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bench.stats import ms, percentile

if TYPE_CHECKING:
    from bench.load import ThroughputResult
    from bench.runner import Results

NOT_MEASURED = "not measured in this run"
CREATES_TARGET = 0.75  # gateway ÷ minimal endpoint, creates/s
QUEUE_TARGET = 2.5  # poller.run ÷ best peer, jobs/s
OURS, BESIDE, PEER = "#1f6feb", "#d9822b", "#8b949e"
WIDTH = 720
CURVE_POINTS = 400  # enough for a smooth line; 20,000 latencies would make a heavy file
FASTEST_MS = 0.01  # a log axis has no zero: anything faster is drawn here
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 980px;
       margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; } th, td { padding: .3em .8em; border-bottom: 1px solid #d0d7de; }
th { text-align: left; } td.ours { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #6e7781; font-style: italic; } .run { color: #57606a; }
svg { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
"""


class Series(NamedTuple):
    name: str
    latencies_s: Sequence[float]
    colour: str


class Bar(NamedTuple):
    label: str
    per_s: float
    note: str
    colour: str


def write(results: Results, path: Path, *, title_line: str) -> None:
    """Write the report to ``path`` (creating its directory), one self-contained HTML file."""
    sections = "\n".join(render(results) for render in SECTIONS)
    page = (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Payment gateway benchmark · {html.escape(title_line)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{_header(results, title_line)}\n{sections}\n</body>\n</html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


# Sections -----------------------------------------------------------------------------------------


def _header(results: Results, title_line: str) -> str:
    windows = [("the gateway's create windows", results.creates), ("the minimal endpoint's", results.minimal)]
    busy = [f"before starting {_busy(results.background_busy)}"]
    busy += [f"during {name} {_busy(r.machine_busy) if r else NOT_MEASURED}" for name, r in windows]
    return (
        f"<h1>Payment gateway benchmark</h1>\n<p class=run>{html.escape(title_line)}</p>\n"
        f"<p>Machine CPU busy: {html.escape('; '.join(busy))}. The API, poller, PostgreSQL, Redis, load generator "
        "and receiver share these cores, so other work lowers every figure.</p>"
    )


def _summary(results: Results) -> str:
    # runner.py imports this module to call write(): a module-level import of runner would be circular.
    from bench.runner import summary_rows

    head = "<tr><th>metric</th><th>this gateway</th><th>measured beside it</th><th>ratio</th></tr>"
    rows = [
        f"<tr><td>{html.escape(name)}</td><td class=ours>{html.escape(ours)}</td>"
        f"<td>{html.escape(beside)}</td><td>{html.escape(ratio)}</td></tr>"
        for name, ours, beside, ratio in summary_rows(results)
    ]
    table = "<table>\n" + "\n".join([head, *rows]) + "\n</table>"
    return _section("Summary", table, f"<p class=missing>— : {NOT_MEASURED} (the phase failed or was left out)</p>")


def _creates(results: Results) -> str:
    c, m = results.creates, results.minimal
    if not c and not m:
        return _section("1. POST /payments: creates per second", _missing())
    bars = [Bar(name, r.per_s, f"{r.per_s:,.0f} creates/s", colour) for name, r, colour in _present(c, m)]
    target = CREATES_TARGET * m.per_s if m and m.per_s else None
    chart = _bars_svg(bars, target, f"target {CREATES_TARGET}× minimal")
    ratio = _times(c.per_s if c else None, m.per_s if m else None)
    text = f"gateway ÷ minimal endpoint: {ratio} (target ≥ {CREATES_TARGET}×, the dashed line)"
    return _section("1. POST /payments: creates per second", chart, _p(text))


def _create_latencies(results: Results) -> str:
    c, m = results.creates, results.minimal
    series = [Series(name, r.latencies_s, colour) for name, r, colour in _present(c, m) if r.latencies_s]
    if not series:
        return _section("1. POST /payments latency", _missing())
    text = "Client-side, closed loop: includes waiting for a free worker. Dots mark p50 and p99."
    return _section("1. POST /payments latency", _p(text), _cdf_svg(series))


def _e2e_latencies(results: Results) -> str:
    if not results.e2e:
        return _section("2. create → payment.success webhook", _missing())
    text = "From just before the POST is written to the receiver having the whole payment.success webhook."
    return _section("2. create → payment.success webhook", _p(text), _cdf_svg([Series("received", results.e2e, OURS)]))


def _isolation(results: Results) -> str:
    r = results.isolation
    if r is None:
        return _section("4. Slow merchants next door", _missing())
    text = (
        f"Last payment settled {r.settled_after_last_create_s:.2f} s after the last create (target ≤ 2 s); "
        f"{r.settled} of {r.payments} settled. The healthy endpoint's payment.success, "
        f"{len(r.healthy_latencies_s)} of {r.payments} received (target p99 < 1 s):"
    )
    chart = _cdf_svg([Series("healthy endpoint", r.healthy_latencies_s, OURS)]) if r.healthy_latencies_s else _missing()
    return _section("4. Slow merchants next door", _p(text), chart)


def _queue(results: Results) -> str:
    q, peers = results.queue, results.peers
    if q is None and not peers:
        return _section("5. Queue jobs per second against peers", _missing())
    ours = q.first_to_last_per_s if q else None
    bars = [Bar("this gateway (poller.run)", ours, f"{ours:,.0f} jobs/s", OURS)] if ours is not None else []
    for p in peers:
        capped = " (capped)" if p.capped else ""
        versus = f" · ours ÷ this {_times(ours, p.per_s)}" if ours is not None else ""
        bars.append(Bar(p.peer, p.per_s, f"{p.per_s:,.0f} jobs/s{capped}{versus}", PEER))
    best = max(peers, key=lambda p: p.per_s, default=None)
    target = QUEUE_TARGET * best.per_s if best and best.per_s else None
    chart = _bars_svg(bars, target, f"target {QUEUE_TARGET}× best peer")
    versus_best = f"best peer ({best.peer}): {_times(ours, best.per_s)}" if best else "peers: not measured"
    text = (
        f"One worker process each, no-op jobs, first completion to last. Ours ÷ {versus_best} "
        f"(target ≥ {QUEUE_TARGET}×, the dashed line)."
    )
    return _section("5. Queue jobs per second against peers", chart, _p(text))


def _growth(results: Results) -> str:
    g, b, m = results.growth, results.growth_backlog, results.growth_memory
    if g is None and b is None and m is None:
        return _section("6. Growth", _missing())
    parts = []
    if g is not None:
        parts.append(
            _p(
                f"A backlog of {g.jobs:,} no-op jobs: {g.bytes_per_job:,.0f} bytes of Redis each; "
                f"{g.drained:,} drained at {g.drain_per_s:,.0f} jobs/s (bare loop, one thread)."
            )
        )
    if b is not None:
        capped = " (stopped at the cap: not all settled)" if b.capped else ""
        parts.append(
            _p(
                f"A backlog of {b.count:,} webhook deliveries: {b.bytes_per_job:,.0f} bytes of Redis per queued job; "
                f"{b.succeeded:,} delivered in {b.drain_s:.0f} s{capped} = {b.per_s:,.0f}/s "
                f"(first tenth {b.first_tenth_per_s:,.0f}/s, last tenth {b.last_tenth_per_s:,.0f}/s)."
            )
        )
    if m is not None:
        head = "<tr><th>payments settled</th><th>API arbiter, MB</th><th>API workers, MB</th><th>poller, MB</th></tr>"
        rows = [
            f"<tr><td>{s.payments:,}</td><td>{s.api_arbiter_mb:.1f}</td><td>{sum(s.api_workers_mb):.1f}</td>"
            f"<td>{s.poller_mb:.1f}</td></tr>"
            for s in m.samples
        ]
        grew = ", ".join(f"{name} {mb:+.1f} MB ({part:+.1%})" for name, (mb, part) in m.growth().items())
        parts.append(_p(f"Resident memory over {m.payments:,} payments; from {m.warm.payments:,} on: {grew}."))
        parts.append("<table>\n" + head + "\n" + "\n".join(rows) + "\n</table>")
    return _section("6. Growth", *parts)


def _errors(results: Results) -> str:
    if not results.errors:
        return _section("Phase errors", _p("No phase reported an error."))
    items = [f"<li><b>{html.escape(name)}</b>: {html.escape(error)}</li>" for name, error in results.errors.items()]
    return _section("Phase errors", "<ul>\n" + "\n".join(items) + "\n</ul>")


SECTIONS: tuple[Callable[[Results], str], ...] = (
    _summary,
    _creates,
    _create_latencies,
    _e2e_latencies,
    _isolation,
    _queue,
    _growth,
    _errors,
)


# Charts -------------------------------------------------------------------------------------------


def _cdf_svg(series: Sequence[Series]) -> str:
    """Share of requests answered within x ms (log axis), one line per series, p50 and p99 dotted."""
    # The legend sits above the plot: inside it, it would cross the curves of slow series.
    left, right, bottom, plot_h = 56, 16, 44, 220
    top = 22 + 16 * len(series)
    plot_w, height = WIDTH - left - right, top + plot_h + bottom
    fastest = min(min(s.latencies_s) for s in series) * 1000
    slowest = max(max(s.latencies_s) for s in series) * 1000
    lo_exp = math.floor(math.log10(max(FASTEST_MS, fastest)))
    hi_exp = max(lo_exp + 1, math.ceil(math.log10(max(FASTEST_MS, slowest))))

    def x(value_ms: float) -> float:
        return left + (math.log10(max(FASTEST_MS, value_ms)) - lo_exp) / (hi_exp - lo_exp) * plot_w

    def y(share: float) -> float:
        return top + (1 - share) * plot_h

    parts = []
    for share in (0, 0.25, 0.5, 0.75, 1):
        parts.append(_line(left, y(share), left + plot_w, y(share), "#d0d7de"))
        parts.append(_text(left - 6, y(share) + 4, f"{share:.0%}", "end"))
    # Label 1-2-5 steps when few decades are shown; over many decades the labels would collide.
    steps = (1, 2, 5) if hi_exp - lo_exp <= 3 else (1,)
    for exponent in range(lo_exp, hi_exp + 1):
        for step in steps:
            tick = step * 10.0**exponent
            if exponent == hi_exp and step > 1:
                continue
            parts.append(_line(x(tick), top, x(tick), top + plot_h, "#eaeef2"))
            parts.append(_text(x(tick), top + plot_h + 16, f"{tick:,g}", "middle"))
    parts.append(_text(left + plot_w / 2, height - 6, "latency, ms (log scale)", "middle"))
    parts.append(_text(14, top + plot_h / 2, "share answered within", "middle", rotate=True))
    for i, s in enumerate(series):
        ordered = sorted(s.latencies_s)
        n = len(ordered)
        picks = (
            sorted({round(k * (n - 1) / (CURVE_POINTS - 1)) for k in range(CURVE_POINTS)})
            if n > CURVE_POINTS
            else range(n)
        )
        points, below = [], 0.0
        for j in picks:
            # A step at each answer: a line straight from one to the next would miss the percentile dots.
            points += [(x(ordered[j] * 1000), y(below)), (x(ordered[j] * 1000), y((j + 1) / n))]
            below = (j + 1) / n
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
        marks = []
        for p in (50, 99):
            value = percentile(ordered, p)
            px, py = x(value * 1000), y(p / 100)
            parts.append(_line(px, py, px, top + plot_h, s.colour, dashed=True))
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{s.colour}">'
                f"<title>{html.escape(f'{s.name} p{p} {ms(value)}')}</title></circle>"
            )
            marks.append(f"p{p} {ms(value)}")
        legend = f"{s.name} ({n:,}): " + " · ".join(marks)
        parts.append(_text(left, 14 + 16 * i, legend, "start", colour=s.colour))
    return _svg(height, parts)


def _bars_svg(bars: Sequence[Bar], target: float | None, target_label: str) -> str:
    """One horizontal bar per rate, on one scale, with a dashed line at ``target`` when there is one."""
    label_w, note_w, row_h, top = 180, 250, 30, 24
    bar_w = WIDTH - label_w - note_w
    height = top + row_h * len(bars) + 6
    scale = max([b.per_s for b in bars] + [target or 0.0]) or 1.0
    parts = []
    for i, b in enumerate(bars):
        row_y = top + i * row_h
        length = b.per_s / scale * bar_w
        parts.append(
            f'<rect x="{label_w}" y="{row_y + 5}" width="{length:.1f}" height="{row_h - 10}" fill="{b.colour}"/>'
        )
        parts.append(_text(label_w - 8, row_y + row_h / 2 + 4, b.label, "end"))
        parts.append(_text(label_w + length + 6, row_y + row_h / 2 + 4, b.note, "start"))
    if target is not None:
        tx = label_w + target / scale * bar_w
        parts.append(_line(tx, top - 4, tx, height - 2, "#cf222e", dashed=True))
        parts.append(_text(tx, top - 10, target_label, "middle", colour="#cf222e"))
    return _svg(height, parts)


# Small pieces -------------------------------------------------------------------------------------


def _svg(height: int, parts: list[str]) -> str:
    # No xmlns: inline SVG in HTML needs none, and the page stays free of any URL.
    body = "\n".join(parts)
    return f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img">\n{body}\n</svg>'


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, *, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"{dash}/>'


def _text(x: float, y: float, text: str, anchor: str, *, colour: str = "#1f2328", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}"{turn}>{html.escape(text)}</text>'


def _section(title: str, *parts: str) -> str:
    return f"<section>\n<h2>{html.escape(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _missing() -> str:
    return f"<p class=missing>{NOT_MEASURED}</p>"


def _busy(fraction: float | None) -> str:
    return "unknown" if fraction is None else f"{fraction:.0%}"


def _times(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}×" if ours and theirs else "n/a"


def _present(
    gateway: ThroughputResult | None, minimal: ThroughputResult | None
) -> list[tuple[str, ThroughputResult, str]]:
    """The gateway's and the minimal endpoint's results that exist, named and coloured."""
    named = [("gateway", gateway, OURS), ("minimal endpoint", minimal, BESIDE)]
    return [(name, r, colour) for name, r, colour in named if r is not None]
