"""Documents that ship with derive, each a package with a ``document()`` function.

They are written with the public API only (``import derive``); the engine never imports them.
"""
