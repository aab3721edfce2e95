"""Services the screens call: each wraps an engine operation, runs it in the background and says what changed."""
