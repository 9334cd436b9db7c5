"""The case store: the only package that touches the case database."""
