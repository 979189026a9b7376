"""The HTML report: parses, draws what was measured, says what was not, and fetches nothing."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench import report
from bench.growth import BacklogResult, MemoryResult, RssSample
from bench.isolation import IsolationResult
from bench.load import ThroughputResult
from bench.queue_bench import GrowthResult, PeerResult, QueueResult
from bench.runner import Results, summary, summary_rows

pytestmark = pytest.mark.static

VOID_ELEMENTS = {"meta", "br", "hr", "img", "input", "link", "wbr"}
SVG_LEAVES = {"line", "rect", "circle", "polyline", "path"}  # written self-closed: <line .../>


class BalanceChecker(HTMLParser):
    """Fails on a closing tag that does not match the element left open."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def throughput(rate_per_s: float, latency_s: float, busy: float) -> ThroughputResult:
    latencies = [latency_s * (1 + i / 500) for i in range(1000)]
    return ThroughputResult(
        threads=32,
        duration_s=10.0,
        latencies_s=latencies,
        statuses=Counter({201: round(rate_per_s * 10)}),
        machine_busy=busy,
    )


def full_results() -> Results:
    return Results(
        creates=throughput(900, 0.020, 0.97),
        minimal=throughput(1200, 0.012, 0.95),
        peers=[
            PeerResult("dramatiq", 10_000, 10_000, 4.0, 2500.0, False, 0.6),
            PeerResult("celery", 10_000, 10_000, 8.0, 1250.0, False, 0.7),
            PeerResult("rq", 10_000, 4000, 15.0, 266.7, True, 0.5),
        ],
        growth=GrowthResult(jobs=100_000, bytes_per_job=312.0, drained=100_000, drain_s=20.0),
        growth_backlog=BacklogResult(
            count=100_000,
            insert_s=7.0,
            bytes_per_job=394.0,
            succeeded=100_000,
            failed=0,
            drain_s=250.0,
            capped=False,
            first_after_s=0.4,
            last_after_s=249.9,
            received=100_000,
            first_tenth_per_s=380.0,
            last_tenth_per_s=420.0,
        ),
        growth_memory=MemoryResult(
            payments=10_000,
            rejected=0,
            settled=10_000,
            delivered=10_000,
            seconds=58.0,
            capped=False,
            samples=tuple(
                RssSample(n, 33.6, (1, 2), (70.0 + n / 10_000, 71.0), 75.0 + n / 5_000) for n in range(0, 10_001, 2_000)
            ),
        ),
        background_busy=0.04,
        e2e=[0.004 + i / 10_000 for i in range(500)],
        queue=QueueResult(
            jobs=10_000,
            enqueue_s=0.5,
            raw_s=1.0,
            raw_claim_limit=8,
            poller_s=1.2,
            poller_completed=10_000,
            poller_concurrency=8,
            failed=0,
            first_to_last_s=1.0,
        ),
        isolation=IsolationResult(
            payments=60, settled=60, settled_after_last_create_s=0.8, healthy_latencies_s=[0.05, 0.07, 0.2]
        ),
        errors={"phase 3": 'RuntimeError: deliveries <stuck> & "late"'},
    )


def written(results: Results, tmp_path: Path) -> str:
    path = tmp_path / "out" / "report.html"
    report.write(results, path, title_line="2026-01-02T03:04:05 · 2 CPU cores · x86_64 <test>")
    return path.read_text(encoding="utf-8")


def svg_blocks(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)


def assert_well_formed_and_offline(page: str) -> None:
    checker = BalanceChecker()
    checker.feed(page)
    checker.close()
    assert checker.open == []
    for block in svg_blocks(page):
        ET.fromstring(block)
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(", page, flags=re.IGNORECASE)


def test_full_report_draws_every_chart_and_ratio(tmp_path: Path) -> None:
    page = written(full_results(), tmp_path)

    assert_well_formed_and_offline(page)
    assert len(svg_blocks(page)) == 5  # creates bars, 3 latency distributions, queue bars
    assert "gateway ÷ minimal endpoint: 0.75×" in page
    assert "best peer (dramatiq): 4.00×" in page  # 10,000 jobs in 1 s against 2,500 /s
    assert "ours ÷ this 8.00×" in page  # against celery
    assert "target 0.75× minimal" in page and "target 2.5× best peer" in page
    assert "p99 " in page and "p50 " in page
    assert "before starting 4%" in page and "create windows 97%" in page
    assert "100,000 no-op jobs: 312 bytes of Redis each" in page
    assert "100,000 webhook deliveries: 394 bytes of Redis per queued job; 100,000 delivered in 250 s = 400/s" in page
    assert "<td>10,000</td><td>33.6</td><td>142.0</td><td>77.0</td>" in page  # the last RSS sample
    assert "RuntimeError: deliveries &lt;stuck&gt; &amp; &quot;late&quot;" in page
    assert "x86_64 &lt;test&gt;" in page
    assert report.NOT_MEASURED + "</p>" not in page


def test_empty_report_says_each_phase_was_not_measured(tmp_path: Path) -> None:
    page = written(Results(), tmp_path)

    assert_well_formed_and_offline(page)
    assert svg_blocks(page) == []
    # creates, create latency, e2e, isolation, queue, growth
    assert page.count(f"<p class=missing>{report.NOT_MEASURED}</p>") == 6
    assert "before starting unknown" in page
    assert "No phase reported an error." in page


def test_missing_minimal_endpoint_leaves_the_gateway_without_a_ratio(tmp_path: Path) -> None:
    page = written(Results(creates=throughput(900, 0.02, 0.9)), tmp_path)

    assert_well_formed_and_offline(page)
    assert "gateway ÷ minimal endpoint: n/a" in page
    assert "target 0.75× minimal" not in page
    assert html.escape(f"during the minimal endpoint's {report.NOT_MEASURED}") in page


def test_text_summary_and_report_show_the_same_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = full_results()
    rows = summary_rows(results)
    summary(results)
    printed = capsys.readouterr().out
    page = written(results, tmp_path)

    assert len(rows) == page.count("<td class=ours>")
    for row in rows:
        for cell in filter(None, row):
            assert cell in printed
            assert html.escape(cell) in page
    assert "0.75× (target ≥ 0.75×)" in printed and "4.00× (target ≥ 2.5×)" in printed
