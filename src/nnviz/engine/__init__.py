"""The engine: datasets, networks, optimizers and training, in NumPy only.

Nothing here imports matplotlib or any rendering code (a test checks it);
training hands rendering a ``History`` and nothing else.
"""
