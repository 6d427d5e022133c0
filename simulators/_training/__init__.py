"""Private implementation of ``simulators.training`` (one module per hypothesis class)."""
