"""The package version (single source for setup and runtime)."""

__version__ = "0.1.0"
