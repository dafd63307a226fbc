"""The course's autograder: grades notebooks out of the student's process, against rnnbook's reference.

Checks are defined once (:mod:`autograder.checks`); the exercise notebooks' test cells call them through
:func:`autograder.notebook.run_check`, and the grader runs the very same definitions in a sandboxed worker.
"""
