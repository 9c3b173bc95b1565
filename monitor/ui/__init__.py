"""monitor.ui package."""
