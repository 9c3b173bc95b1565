"""The desktop app's wiring, one module per feature.

:mod:`monitor.app` builds the :class:`~monitor.wiring.parts.Parts` and calls each ``wire_*``
function once: ``connection`` (stream -> table, indicator, F5), ``commands`` (task actions ->
server, pending marks), ``notifications`` (lifecycle -> notices), ``tray`` (tray icon and window
visibility), ``persistence`` (settings and window state on disk, the settings dialog). A new
feature gets a module here with a ``wire_<feature>(parts, ...)`` function and, if it owns
objects, a field on :class:`~monitor.wiring.parts.Parts`.
"""
