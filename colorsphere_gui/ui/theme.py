"""One light theme on every system: Fusion with a fixed palette.

Left to itself Qt mixes the platform's style with the desktop's colour scheme, so the same window came
out light on one machine, dark with unreadable labels on another, and half-and-half where a widget set
its own colours. Fusion draws the same everywhere, and a palette set here, not read from the system,
keeps every dialog and the photo view's dark surround consistent (the view paints its own background,
as photo viewers do, so the colours of a photo are judged against neutral grey).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE = "Fusion"
# role -> (active/inactive colour, disabled colour)
LIGHT = {
    QPalette.ColorRole.Window: ("#eef0f3", "#eef0f3"),
    QPalette.ColorRole.WindowText: ("#1d2026", "#9aa0a8"),
    QPalette.ColorRole.Base: ("#ffffff", "#f3f4f6"),
    QPalette.ColorRole.AlternateBase: ("#f5f6f8", "#f5f6f8"),
    QPalette.ColorRole.ToolTipBase: ("#2b2e34", "#2b2e34"),
    QPalette.ColorRole.ToolTipText: ("#f2f3f5", "#f2f3f5"),
    QPalette.ColorRole.PlaceholderText: ("#7d838c", "#b0b5bc"),
    QPalette.ColorRole.Text: ("#1d2026", "#9aa0a8"),
    QPalette.ColorRole.Button: ("#e3e6ea", "#e9ebee"),
    QPalette.ColorRole.ButtonText: ("#1d2026", "#9aa0a8"),
    QPalette.ColorRole.BrightText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Light: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Midlight: ("#f0f1f3", "#f0f1f3"),
    QPalette.ColorRole.Mid: ("#b9bec6", "#c9cdd3"),
    QPalette.ColorRole.Dark: ("#8d939c", "#a9aeb5"),
    QPalette.ColorRole.Shadow: ("#5b6068", "#7a7f87"),
    QPalette.ColorRole.Highlight: ("#2f6fd0", "#b7c3d6"),
    QPalette.ColorRole.HighlightedText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Link: ("#1f5fbf", "#8fa6c8"),
    QPalette.ColorRole.LinkVisited: ("#6a3fb0", "#a893c8"),
}


def palette() -> QPalette:
    pal = QPalette()
    for role, (normal, disabled) in LIGHT.items():
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            pal.setColor(group, role, QColor(normal))
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return pal


def apply_theme(app: QApplication) -> None:
    """Fusion and the light palette, whatever the desktop's style or dark mode."""
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: stop Fusion from following the desktop's dark mode
        hints.setColorScheme(Qt.ColorScheme.Light)
    app.setStyle(STYLE)
    app.setPalette(palette())
