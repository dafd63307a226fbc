"""Reference solutions of the exercises, grader-side only (trusted; may import rnnbook).

One module per chapter. Each defines the names the chapter's checks call (``Check.functions``) with the
exercise's API; where ``rnnbook`` already has the function with that API, the module re-exports it.
"""
