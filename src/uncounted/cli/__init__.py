"""The ``uncounted`` command line: one module per command group, each a thin layer."""
