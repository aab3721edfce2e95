"""Data files for engine.quality: the bias lexicon, the perspective role lexicon and LLM prompts."""
