"""Qt front end: every Qt import of ColorSphere lives in this package."""
