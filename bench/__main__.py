"""Entry point: ``python -m bench``.

The environment is set before anything from ``shared`` or ``app`` is imported, because settings are
read once per process. The guard also keeps spawned helper processes from running the benchmark.
"""

from __future__ import annotations

if __name__ == "__main__":
    from bench import env

    env.apply()

    from bench.runner import main

    raise SystemExit(main())
