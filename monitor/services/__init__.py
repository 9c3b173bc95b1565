"""monitor.services package."""
