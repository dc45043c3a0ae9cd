"""What a derivation step is, how it is checked, and the cache of check results.

Nothing here imports the content, the renderer or the CLI: data flows one way.
"""
