"""Question matching: tokens -> concepts (vocabulary, aliases, typos) -> ranked facts."""
