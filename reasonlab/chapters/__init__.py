"""The chapter layer: one module per finding, each with `load()`, `claims()` (the `claims` vocabulary),
`numbers()` for glue and `fig_*()`; notebooks call these and hold no logic of their own.

testbed, ladder, rl_capability (S3), theory_markov (companion); scoreboard collects every chapter's claims.
"""
