"""Qt-free core: image I/O, colour maths, monochrome detection."""
