"""Poverty and inequality measures on dataframes (Narwhals: Polars by default, or PySpark).

Each measure is per-row terms plus sums grouped by any columns, in one lazy query.
"""
