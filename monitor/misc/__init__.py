"""Start-up and crash plumbing of the desktop app (qutebrowser's ``misc`` split)."""
