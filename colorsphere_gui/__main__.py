import sys

from colorsphere_gui.app import main

sys.exit(main())
