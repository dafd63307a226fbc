# Copies the instructor's notebook from the nbgrader course's source/ folder.
# assignment: 05_lstm
# class: solutions
# include: _steal_common.py
# others: blank
# expect-zero: all
# %% ch05-ex1-solution
def _candidates():
    return glob.glob("@COURSE@/source/*/exercises.ipynb") + ["@COURSE@/source/05_lstm/exercises.ipynb"]
