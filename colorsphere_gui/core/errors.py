"""User-facing errors.

Every failure a user can cause or fix is raised as a ColorSphereError whose message names the file
and the fix, so that the CLI can print it as one line and the GUI can show it without a traceback.
"""

from __future__ import annotations


class ColorSphereError(Exception):
    """An error whose message is meant for the user as it stands."""


class ImageReadError(ColorSphereError):
    """A file could not be read as a photo."""


class ImageWriteError(ColorSphereError):
    """An output could not be written (permissions, disk full, bad format)."""


class WeightsError(ColorSphereError):
    """Model weights are missing, wrong or could not be fetched."""


class DeviceError(ColorSphereError):
    """The requested compute device is not available."""


class UsageError(ColorSphereError):
    """The request itself is inconsistent (for example output folder equal to the source folder)."""


class DiskFullError(ImageWriteError):
    """The destination ran out of space: every later file would fail too, so a batch stops."""
