"""One module per way of checking a step; ``runner`` combines them into a status."""
