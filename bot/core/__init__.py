"""The Discord-free core: knowledge, matching, answers, persistence and updates."""
