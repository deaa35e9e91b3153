"""The FAMA specialist pool: each specialist is a small DSPy module that writes one context section."""
