"""Networks and their weights: one file per network, registry.py for the facts, weights.py for files.

Kept free of imports so that importing one network does not build the registry; import the
submodules directly (`from colorsphere_gui.models.weights import load_model`).
"""
