"""Pure computation on dataframes (measures, rules, matching, dividends).

The engine never imports Django, never touches the network or the database; an import-linter
contract keeps it so. Its modules arrive with the engine issue.
"""
