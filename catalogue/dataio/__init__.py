"""Data in and out of the service: the whole database as one file (``export --all`` / ``import --all``)."""
