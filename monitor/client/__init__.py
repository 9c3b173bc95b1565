"""monitor.client package."""
