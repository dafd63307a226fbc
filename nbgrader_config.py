"""nbgrader configuration of the course (read by ``nbgrader`` run from the repository root).

The instructor's notebooks (with solutions and hidden tests) are the nbgrader *source*: ``solutions/<assignment>/``.
Releases, submissions and the gradebook live under ``build/nbgrader/`` (ignored by git). The student copies
committed under ``chapters/<assignment>/exercises.ipynb`` are produced by ``make exercises``
(``python -m autograder.generate``), which runs ``nbgrader generate_assignment`` with this file.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

_ROOT = os.path.dirname(os.path.abspath(__file__))
_BUILD = os.path.join(_ROOT, "build", "nbgrader")

c.CourseDirectory.root = _ROOT
c.CourseDirectory.course_id = "rnnbook"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = os.path.join(_BUILD, "release")
c.CourseDirectory.submitted_directory = os.path.join(_BUILD, "submitted")
c.CourseDirectory.autograded_directory = os.path.join(_BUILD, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(_BUILD, "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_BUILD, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py"]

# What replaces a solution in the student's copy.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Executing a notebook (validate, autograde): generous but finite.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300
