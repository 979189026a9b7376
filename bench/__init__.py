"""Benchmarks for the gateway: ``python -m bench`` (``make bench``) prints figures and asserts nothing.

Everything runs on loopback against a private database (``gateway_bench``) and Redis database 14,
so a running ``make up`` stack and the test suite are left alone. See ``bench/runner.py``.
"""
