"""monitor.server package."""
