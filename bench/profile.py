"""Where a create's time goes: py-spy samples the API's workers under the closed-loop load (issue 12).

py-spy (pinned in ``bench/requirements-peers.txt``, run from ``bench/.venv-peers``) attaches to the
gunicorn arbiter and its workers from outside, without pausing them (``--nonblocking``), twice: once
sampling every thread including idle ones ("wall": time spent waiting for PostgreSQL or Redis is
counted where it is waited for), once only threads holding the GIL ("CPU": Python running, not
waiting). Each sample is charged to one
layer: the innermost frame of the stack that belongs to a layer in ``LAYERS`` (a match on path, and
optionally on function). The raw stacks and the table are saved beside each other, so a finding can
be followed down to the line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PEERS_BIN = Path(__file__).resolve().parent / ".venv-peers" / "bin"
# (layer, path fragment, function or "" for any). Checked from the innermost frame outwards; within one
# frame the first rule that matches wins, so the more specific rules come first. Libraries (psycopg2,
# redis, pydantic) have no rule: their time goes to our code that called them (auth's key lookup to
# authentication, not SQL).
LAYERS: tuple[tuple[str, str, str], ...] = (
    ("authentication", "shared/auth.py", ""),
    ("authentication", "shared/db/api_keys.py", ""),
    ("rate limit (Redis)", "shared/ratelimit.py", ""),
    ("idempotency", "shared/idempotency.py", ""),
    ("enqueue (Redis)", "shared/queue.py", ""),
    ("event bodies + deliveries (SQL)", "shared/events.py", ""),
    ("event bodies + deliveries (SQL)", "shared/db/events.py", ""),
    ("event bodies + deliveries (SQL)", "shared/db/webhook", ""),
    ("response JSON", "shared/models/base.py", "dumps"),
    ("validation (pydantic)", "shared/models/", ""),
    ("SQL (payment + event insert, transaction, pool)", "shared/db/", ""),
    ("handler (create_payment.py)", "functions/api/", ""),
    ("ids + logging context", "shared/ids.py", ""),
    ("ids + logging context", "shared/log.py", ""),
    ("dispatch (shared/http.py: JSON, headers)", "shared/http.py", ""),
    ("adapter: Chalice routing, Response", "chalice/", ""),
    ("adapter: WSGI (infra/wsgi.py)", "infra/wsgi.py", ""),
    ("adapter: HTTP/1 parsing (infra/http1.py)", "infra/http1.py", ""),
    ("adapter: edge worker (infra/edge.py)", "infra/edge.py", ""),
    ("gunicorn arbiter and other", "gunicorn/", ""),
)
IDLE = "idle: edge worker waiting for a request"
# The coarse breakdown, each a sum of layers above.
GROUPS: dict[str, tuple[str, ...]] = {
    "adapter (edge worker, HTTP/1, WSGI, Chalice, gunicorn)": (
        "adapter: edge worker (infra/edge.py)",
        "adapter: HTTP/1 parsing (infra/http1.py)",
        "adapter: WSGI (infra/wsgi.py)",
        "adapter: Chalice routing, Response",
        "gunicorn arbiter and other",
    ),
    "dispatch (shared/http.py, ids, log context, response JSON)": (
        "dispatch (shared/http.py: JSON, headers)",
        "ids + logging context",
        "response JSON",
        "other (stdlib, interpreter)",
    ),
    "validation (pydantic models)": ("validation (pydantic)",),
    "rate limit (Redis)": ("rate limit (Redis)",),
    "authentication (key hash + lookup)": ("authentication",),
    "SQL (payment, event, transaction; handler)": (
        "SQL (payment + event insert, transaction, pool)",
        "event bodies + deliveries (SQL)",
        "idempotency",
        "handler (create_payment.py)",
    ),
    "enqueue (Redis)": ("enqueue (Redis)",),
}
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")


@dataclass
class Profile:
    samples: int = 0
    layers: Counter[str] = field(default_factory=Counter)
    functions: Counter[str] = field(default_factory=Counter)  # innermost frame of non-idle samples
    raw_path: Path | None = None
    error: str = ""

    def busy(self) -> int:
        return self.samples - self.layers[IDLE]


def available() -> bool:
    return (PEERS_BIN / "py-spy").exists()


def record(pid: int, seconds: float, out: Path, *, idle: bool, rate_hz: int = 250) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` and its children for ``seconds`` into ``out`` (py-spy's raw format)."""
    command = [str(PEERS_BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    # py-spy's own idle detection counted waits for PostgreSQL and Redis as busy here; the GIL tells
    # them apart, as psycopg2 and socket reads release it while they wait.
    command += ["--idle"] if idle else ["--gil"]
    command += ["--rate", str(rate_hz), "--duration", str(max(1, round(seconds))), "--format", "raw"]
    command += ["--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def layer_of(frames: list[str]) -> str:
    """The layer of one stack (frames outermost first, as py-spy writes them)."""
    parsed = [_FRAME.match(f) for f in frames]
    for m in reversed(parsed):
        if m is None:
            continue
        path, func = m["path"], m["func"]
        if path.endswith("shared/db/__init__.py") and "Cursor." in func:
            continue  # our cursors stand in for psycopg2's: their time is their caller's, as a library's
        for layer, fragment, function in LAYERS:
            if fragment in path and (not function or function == func):
                if layer.startswith("adapter: edge") and func in ("select", "_serve", "run_for", "run"):
                    return IDLE if m is parsed[-1] or _leaf_is_select(parsed) else layer
                return layer
    return "other (stdlib, interpreter)"


def _leaf_is_select(parsed: list[re.Match[str] | None]) -> bool:
    leaf = parsed[-1]
    return leaf is not None and leaf["func"] in ("select", "poll") and "selectors" in leaf["path"]


def parse(raw: str) -> Profile:
    profile = Profile()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        # The arbiter sleeps in its own loop: only the workers serve requests.
        if any("gunicorn/arbiter.py" in f for f in frames) and not any("infra/edge.py" in f for f in frames):
            continue
        layer = layer_of(frames)
        if layer == "other (stdlib, interpreter)" and frames and _leaf_is_select([_FRAME.match(frames[-1])]):
            layer = IDLE
        profile.samples += n
        profile.layers[layer] += n
        if layer != IDLE and frames:
            profile.functions[frames[-1]] += n
    return profile


def finish(proc: subprocess.Popen[bytes], out: Path) -> Profile:
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if not out.exists():
        return Profile(error=err.decode(errors="replace").strip()[-500:] or f"py-spy exited {proc.returncode}")
    profile = parse(out.read_text(errors="replace"))
    profile.raw_path = out
    return profile


def table(wall: Profile, cpu: Profile | None = None) -> list[str]:
    busy = max(1, wall.busy())
    cpu_total = max(1, cpu.busy()) if cpu else 1
    lines = [f"{'layer':<44} {'wall':>7} {'CPU':>7}   (shares of busy worker samples)"]
    names = [layer for layer, _ in wall.layers.most_common() if layer != IDLE]
    names += [layer for layer in (cpu.layers if cpu else ()) if layer not in names and layer != IDLE]
    for layer in names:
        on_cpu = f"{cpu.layers[layer] / cpu_total:>7.1%}" if cpu else ""
        lines.append(f"{layer:<44} {wall.layers[layer] / busy:>7.1%} {on_cpu}")
    lines.append(f"{IDLE:<44} {wall.layers[IDLE] / max(1, wall.samples):>7.1%} of all wall samples")
    lines.append("")
    lines.append(f"{'by stage':<58} {'wall':>7} {'CPU':>7}")
    for group, members in GROUPS.items():
        w = sum(wall.layers[m] for m in members) / busy
        c = f"{sum(cpu.layers[m] for m in members) / cpu_total:>7.1%}" if cpu else ""
        lines.append(f"{group:<58} {w:>7.1%} {c}")
    for name, p in (("wall", wall), ("CPU", cpu)):
        if p is None:
            continue
        total = max(1, p.busy())
        lines.append("")
        lines.append(f"innermost frames ({name}), top 12:")
        lines += [f"  {n / total:6.1%}  {frame}" for frame, n in p.functions.most_common(12)]
    return lines


def save(wall: Profile, cpu: Profile | None, directory: Path, stamp: str) -> Path:
    """Keep the raw stacks and the table under ``directory`` (git-ignored ``bench/.results``)."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind, p in (("wall", wall), ("cpu", cpu)):
        if p and p.raw_path:
            shutil.copyfile(p.raw_path, directory / f"profile-{stamp}.{kind}.raw.txt")
    summary = directory / f"profile-{stamp}.txt"
    summary.write_text("\n".join(table(wall, cpu)) + "\n")
    return summary


if __name__ == "__main__":  # re-read saved profiles: python -m bench.profile WALL.raw.txt [CPU.raw.txt]
    wall = parse(Path(sys.argv[1]).read_text())
    print("\n".join(table(wall, parse(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else None)))
