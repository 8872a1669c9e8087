"""Data files shipped with nnviz (read with importlib.resources); see README.md for sources and licences."""
