"""tariffbot: answers questions about the spring 2025 Japan-US tariff talks."""

__version__ = "0.1.0"
