"""Architecture-specific code, one module per architecture (what reaches into a network's own layers and keys)."""
