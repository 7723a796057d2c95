"""The loss functions, one module per family; each module's ``SPECS`` feeds the registry."""
