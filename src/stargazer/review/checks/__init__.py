"""The convention checks `stargazer review` runs, one module per convention."""
