"""Monitor: a desktop task monitor fed by Server-Sent Events."""

__all__ = ["__version__"]

__version__ = "0.1.0"
