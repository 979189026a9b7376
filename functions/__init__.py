"""One module per endpoint (``functions.api``) and per job type (``functions.jobs``)."""
