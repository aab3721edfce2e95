"""Item models: thin tables over rows a service loaded off the GUI thread."""
