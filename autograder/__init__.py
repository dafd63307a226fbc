"""The course's autograder: grades notebooks out of the student's process, against rnnbook's reference.

Checks are defined once (:mod:`autograder.checks`); the exercise notebooks' test cells call them through
:func:`autograder.notebook.run_check`, and the grader runs the very same definitions in a sandboxed worker.
"""

import sys as _sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, only to check the "iri" string
# formats, and that import compiles a lark grammar: 1.4 s of every grader process's start on 2 cores. No
# schema the grader validates (nbformat's notebooks) uses those formats, so the optional import is refused
# here, before nbformat is imported, unless something imported it already.
_sys.modules.setdefault("rfc3987_syntax", None)
