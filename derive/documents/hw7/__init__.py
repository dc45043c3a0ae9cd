"""The mathematics, one module per problem; each builds a ``Problem`` of checked steps."""
