"""discord.py extensions: one per feature, each with `async def setup(bot)`."""
