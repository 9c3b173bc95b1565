"""monitor.core package."""
