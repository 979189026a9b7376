"""Job handlers: each module exposes ``RETRY`` and ``run(job) -> list[FollowUp]``."""
